// The case page's flow diagram: the path taken, done steps and the current step highlighted.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

async function show(container) {
  const response = await fetch(container.dataset.src, { credentials: "same-origin" });
  if (!response.ok) {
    container.textContent = "流程图加载失败。";
    return;
  }
  const { xml, done, current, flows } = await response.json();
  const viewer = new NavigatedViewer({ container });
  try {
    await viewer.importXML(xml);
  } catch (err) {
    container.textContent = "流程图无法显示：" + err.message;
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const mark = (ids, cls) => ids.forEach((id) => registry.get(id) && canvas.addMarker(id, cls));
  mark(done, "sh-done");
  mark(flows, "sh-flow");
  mark(current, "sh-current");
  canvas.zoom("fit-viewport", "auto");
}

document.querySelectorAll("[data-bpmn-viewer]").forEach((el) => show(el));
