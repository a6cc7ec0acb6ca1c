// 流程设计器: bpmn-js Modeler with the properties panel ("政务" group), bpmnlint in the browser,
// and the server's validation on save shown on each element. Everything is bundled; nothing is
// fetched from outside the app.
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import sunhallModdle from "./sunhall.json";
import lintConfig from "./lint.js";
import sunhallProperties from "./props.js";
import zh, { translate } from "./zh.js";

const root = document.getElementById("designer");
const meta = JSON.parse(document.getElementById("designer-meta").textContent);
const $ = (sel) => root.querySelector(sel);

// Files written by hand, by our generator or by older tools often lack <bpmn:incoming>/<bpmn:outgoing>,
// and bpmn-js does not fill them on import; bpmnlint's rules read them, so without this every step of
// an approved flow would read as "not connected". Fill them from the sequence flows once parsed.
function connectFlows(container) {
  (container.flowElements || []).forEach((el) => {
    if (el.$type === "bpmn:SequenceFlow" && el.sourceRef && el.targetRef) {
      const outgoing = el.sourceRef.get("outgoing");
      const incoming = el.targetRef.get("incoming");
      if (!outgoing.includes(el)) {
        outgoing.push(el);
      }
      if (!incoming.includes(el)) {
        incoming.push(el);
      }
    }
    if (el.flowElements) {
      connectFlows(el);
    }
  });
}

function SunhallConnections(eventBus) {
  eventBus.on("import.parse.complete", ({ definitions }) => {
    ((definitions && definitions.rootElements) || []).filter((e) => e.$type === "bpmn:Process").forEach(connectFlows);
  });
}
SunhallConnections.$inject = ["eventBus"];
const connections = { __init__: ["sunhallConnections"], sunhallConnections: ["type", SunhallConnections] };

const modeler = new Modeler({
  container: $("#canvas"),
  propertiesPanel: { parent: $("#properties") },
  additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, sunhallProperties, lintModule, zh, connections],
  moddleExtensions: { camunda: camundaModdle, sunhall: sunhallModdle },
  linting: { bpmnlint: lintConfig, active: true },
  sunhall: meta,
});
window.sunhallModeler = modeler; // for the browser tests

function say(text, kind = "flash") {
  const box = $("#status");
  box.className = kind;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = text;
}

// An element as a person names it: “专家评审”, or its type when it has no name.
function called(element) {
  const bo = element.businessObject;
  if ((bo.name || "").trim()) {
    return `“${bo.name.trim()}”`;
  }
  return translate(bo.$type.split(":")[1].replace(/(\B[A-Z])/g, " $1"));
}

let overlayIds = [];
function showProblems(problems) {
  const overlays = modeler.get("overlays");
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  overlayIds.forEach((id) => overlays.remove(id));
  registry.getAll().forEach((el) => canvas.removeMarker(el, "sh-problem"));
  overlayIds = [];
  const list = $("#problems");
  list.replaceChildren();
  problems.forEach((p) => {
    const li = document.createElement("li");
    const element = p.element && registry.get(p.element);
    li.textContent = (element ? `${called(element)}：` : "") + p.message;
    li.dataset.element = p.element || "";
    if (element) {
      canvas.addMarker(element, "sh-problem");
      const badge = document.createElement("div");
      badge.className = "sh-problem-badge";
      badge.title = p.message;
      badge.textContent = p.message;
      overlayIds.push(overlays.add(element, "sunhall-problem", { position: { bottom: -6, left: 0 }, html: badge }));
      li.addEventListener("click", () => modeler.get("selection").select(element));
      li.tabIndex = 0;
    }
    list.appendChild(li);
  });
  list.hidden = problems.length === 0;
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": meta.csrf },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await response.json();
  } catch (err) {
    data = { message: `服务器没有正常响应（状态码 ${response.status}），请稍后再试。` };
  }
  return { ok: response.ok, data };
}

async function currentXml() {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

async function open(xml, note) {
  try {
    const { warnings } = await modeler.importXML(xml);
    const canvas = modeler.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    canvas.zoom(canvas.zoom() * 0.85);
    canvas.scroll({ dx: 70, dy: 0 }); // clear of the palette
    const definitions = modeler.getDefinitions();
    const process = modeler.get("canvas").getRootElement();
    if (process.businessObject.id !== meta.processKey && !meta.locked) {
      modeler.get("modeling").updateProperties(process, { id: meta.processKey });
      note = `${note || ""}流程标识已改为本事项的 ${meta.processKey}。`;
    }
    if (definitions && warnings.length) {
      note = `${note || ""}导入时有 ${warnings.length} 处无法识别的内容已忽略。`;
    }
    if (note) {
      say(note);
    }
    return true;
  } catch (err) {
    say("流程图无法打开：文件不是有效的 BPMN 流程图（" + importProblem(err) + "）。", "error");
    return false;
  }
}

// bpmn-js says why an import failed in English ("unparsable content <x> detected …"): tell the
// designer in words what kind of problem it is, with the line when bpmn-js gives one.
function importProblem(err) {
  const text = String((err && err.message) || "");
  const line = text.match(/line: ?(\d+)/i);
  const where = line ? `第 ${line[1]} 行` : "";
  if (/unparsable|unexpected|unclosed|missing|non-whitespace|invalid/i.test(text)) {
    return `${where}XML 格式错误`;
  }
  if (/no diagram|no process|failed to import/i.test(text)) {
    return "没有可显示的流程图";
  }
  return `${where}内容无法识别`;
}

async function save() {
  say("正在保存并校验…");
  const { ok, data } = await post(meta.saveUrl, { xml: await currentXml() });
  showProblems(data.problems || []);
  if (ok) {
    say(data.message, "flash");
    $("#submit").disabled = false;
  } else {
    say(data.message || "保存失败。", "error");
  }
  return ok;
}

async function submit() {
  const reason = $("#reason").value.trim();
  if (!reason) {
    say("请填写变更理由（法律法规或职能调整的依据）。", "error");
    $("#reason").focus();
    return;
  }
  if (!(await save())) {
    return;
  }
  const { ok, data } = await post(meta.submitUrl, { reason });
  say(data.message || (ok ? "已提交。" : "提交失败。"), ok ? "flash" : "error");
  if (ok) {
    setLocked(true);
  }
}

function exportFile(xml) {
  const blob = new Blob([xml], { type: "application/xml" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${meta.processKey}.bpmn`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function setLocked(locked) {
  ["#save", "#submit", "#import-button"].forEach((sel) => ($(sel).disabled = locked));
  $("#reason").disabled = locked;
}

$("#save").addEventListener("click", save);
$("#submit").addEventListener("click", submit);
$("#export").addEventListener("click", async () => exportFile(await currentXml()));
$("#import-button").addEventListener("click", () => $("#import").click());
$("#import").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  event.target.value = "";
  if (file) {
    if (await open(await file.text(), `已导入 ${file.name}。`)) {
      showProblems([]);
    }
  }
});

(async () => {
  const response = await fetch(meta.xmlUrl, { credentials: "same-origin" });
  if (!response.ok) {
    say("流程图加载失败。", "error");
    return;
  }
  await open(await response.text());
  setLocked(meta.locked);
  $("#submit").disabled = meta.locked || !meta.hasDraft;
  root.dataset.ready = "1";
})();
