// Supervision charts (ECharts, bundled locally): each element with data-chart holds its data as JSON.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

const COLORS = { 提醒: "#5b8ff9", 预警: "#f6bd16", 报警: "#e8684a" };

function option(kind, data) {
  if (kind === "pie") {
    return {
      tooltip: { trigger: "item" }, legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], data: data.map(([name, value]) => ({ name, value, itemStyle: { color: COLORS[name] } })) }],
    };
  }
  const series = data.series.map((s) => ({ name: s.name, type: kind, data: s.values, stack: kind === "bar" ? "all" : undefined,
    itemStyle: COLORS[s.name] ? { color: COLORS[s.name] } : undefined, smooth: kind === "line" }));
  return { tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 40, right: 20, top: 20, bottom: 60 },
    xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", minInterval: 1 }, series };
}

document.querySelectorAll("[data-chart]").forEach((el) => {
  const chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption(option(el.dataset.chart, JSON.parse(el.dataset.values)));
  window.addEventListener("resize", () => chart.resize());
});
