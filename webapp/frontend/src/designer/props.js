// The "政务" group of the properties panel: what Sunhall reads from a step (docs/bpmn.md) —
// 定岗 (post, department, handler), 定责 (form and each field's access, documents, risk point,
// checkpoint), 定时间 (time limit and unit, special procedure) — and the condition of a branch.
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const STAGES = [["", "（普通环节）"], ["accept", "受理（承诺时限自此起算）"], ["decide", "决定"], ["deliver", "送达"]];
const UNITS = [["workday", "工作日"], ["day", "自然日"]];
const SPECIAL = ["听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审"];
const ACCESS = [["", "按表单默认"], ["write", "可填写"], ["read", "只读"], ["hidden", "隐藏"]];

const options = (pairs) => pairs.map(([value, label]) => ({ value, label }));

function extensions(bo, type) {
  const ext = bo.get("extensionElements");
  return ((ext && ext.get("values")) || []).filter((v) => is(v, type));
}

// Replace every extension element of ``type`` on the element with ``items`` (one undoable step each).
function setExtensions(element, type, items, modeling, bpmnFactory) {
  const bo = getBusinessObject(element);
  let ext = bo.get("extensionElements");
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
  }
  items.forEach((item) => (item.$parent = ext));
  const others = ext.get("values").filter((v) => !is(v, type));
  modeling.updateModdleProperties(element, ext, { values: [...others, ...items] });
}

function attrEntry(id, property, label, { description, validate, select } = {}) {
  function Component({ element }) {
    const modeling = useService("modeling");
    const debounce = useService("debounceInput");
    const bo = getBusinessObject(element);
    const common = {
      element, id, label, description,
      getValue: () => bo.get(property) || "",
      setValue: (value) => modeling.updateProperties(element, { [property]: value === "" ? undefined : value }),
    };
    if (select) {
      return <SelectEntry {...common} getOptions={() => select(bo.get(property) || "")} />;
    }
    return <TextFieldEntry {...common} debounce={debounce} validate={validate} />;
  }
  return { id, component: Component, isEdited: select ? isSelectEntryEdited : isTextFieldEntryEdited };
}

const keepCurrent = (list, current) =>
  current && !list.some((o) => o.value === current) ? [...list, { value: current, label: `${current}（未知）` }] : list;

function fieldEntry(field) {
  const id = `sunhall-field-${field.name}`;
  function Component({ element }) {
    const modeling = useService("modeling");
    const bpmnFactory = useService("bpmnFactory");
    const bo = getBusinessObject(element);
    const getValue = () => (extensions(bo, "sunhall:Field").find((f) => f.get("name") === field.name) || { get: () => "" }).get("access") || "";
    const setValue = (value) => {
      const kept = extensions(bo, "sunhall:Field").filter((f) => f.get("name") !== field.name);
      if (value) {
        kept.push(bpmnFactory.create("sunhall:Field", { name: field.name, access: value }));
      }
      setExtensions(element, "sunhall:Field", kept, modeling, bpmnFactory);
    };
    return <SelectEntry element={element} id={id} label={`字段：${field.label}`} getValue={getValue} setValue={setValue}
      getOptions={() => options(ACCESS)} />;
  }
  return { id, component: Component, isEdited: isSelectEntryEdited };
}

const RISK = [["name", "风险点"], ["type", "风险类型"], ["description", "风险描述"], ["measure", "防控措施"]];

function riskEntry([key, label]) {
  const id = `sunhall-risk-${key}`;
  function Component({ element }) {
    const modeling = useService("modeling");
    const bpmnFactory = useService("bpmnFactory");
    const debounce = useService("debounceInput");
    const bo = getBusinessObject(element);
    const current = () => extensions(bo, "sunhall:RiskPoint")[0];
    const getValue = () => (current() ? current().get(key) || "" : "");
    const setValue = (value) => {
      const old = current();
      const attrs = {};
      RISK.forEach(([k]) => (attrs[k] = old ? old.get(k) : undefined));
      attrs[key] = value || undefined;
      const filled = Object.values(attrs).some((v) => v);
      setExtensions(element, "sunhall:RiskPoint", filled ? [bpmnFactory.create("sunhall:RiskPoint", attrs)] : [],
        modeling, bpmnFactory);
    };
    return <TextFieldEntry element={element} id={id} label={label} debounce={debounce} getValue={getValue} setValue={setValue} />;
  }
  return { id, component: Component, isEdited: isTextFieldEntryEdited };
}

// One checkpoint per step: its rule and its parameters as "name=value, name=value".
function checkpointEntry(part, meta) {
  const id = `sunhall-checkpoint-${part}`;
  function Component({ element }) {
    const modeling = useService("modeling");
    const bpmnFactory = useService("bpmnFactory");
    const debounce = useService("debounceInput");
    const bo = getBusinessObject(element);
    const current = () => extensions(bo, "sunhall:Checkpoint")[0];
    const params = (cp) => Object.entries((cp && cp.$attrs) || {}).filter(([k]) => !k.startsWith("xmlns"));
    const write = (rule, pairs) => {
      if (!rule) {
        setExtensions(element, "sunhall:Checkpoint", [], modeling, bpmnFactory);
        return;
      }
      const cp = bpmnFactory.create("sunhall:Checkpoint", { rule });
      pairs.forEach(([k, v]) => (cp.$attrs[k] = v));
      setExtensions(element, "sunhall:Checkpoint", [cp], modeling, bpmnFactory);
    };
    if (part === "rule") {
      return <SelectEntry element={element} id={id} label="监察检查点（规则）"
        getValue={() => (current() ? current().get("rule") || "" : "")}
        setValue={(rule) => write(rule, params(current()))}
        getOptions={() => [{ value: "", label: "（无）" }, ...(meta.rules || []).map((r) => ({ value: r.code, label: `${r.code} ${r.name}` }))]} />;
    }
    const parse = (text) => text.split(/[,，]/).map((s) => s.trim()).filter(Boolean).map((s) => s.split("=").map((x) => x.trim()));
    return <TextFieldEntry element={element} id={id} label="检查点参数" description="格式：参数名=值，多个用逗号分隔；参数名见监察规则库中该规则的说明"
      debounce={debounce}
      getValue={() => params(current()).map(([k, v]) => `${k}=${v}`).join(", ")}
      validate={(text) => (text && parse(text).some((p) => p.length !== 2 || !/^[A-Za-z][\w-]*$/.test(p[0])) ? "格式应为 名称=值，名称以字母开头" : null)}
      setValue={(text) => current() && write(current().get("rule"), parse(text || ""))} />;
  }
  return { id, component: Component, isEdited: isTextFieldEntryEdited };
}

function ConditionEntry({ element }) {
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  const bo = getBusinessObject(element);
  return <TextFieldEntry element={element} id="sunhall-condition" label="分支条件（表达式）"
    description="用表单字段名书写的判断表达式（如 字段名 > 100）；为空且不是默认分支时无法发布" debounce={debounce}
    getValue={() => (bo.get("conditionExpression") ? bo.get("conditionExpression").get("body") || "" : "")}
    setValue={(value) => modeling.updateProperties(element, {
      conditionExpression: value ? bpmnFactory.create("bpmn:FormalExpression", { body: value }) : undefined,
    })} />;
}

function stepEntries(element, meta) {
  const bo = getBusinessObject(element);
  const form = (meta.forms || {})[bo.get("camunda:formKey")];
  return [
    attrEntry("sunhall-post", "camunda:candidateGroups", "办理岗位（定岗）", {
      select: (cur) => keepCurrent([{ value: "", label: "（请选择岗位）" }, ...(meta.posts || []).map((p) => ({ value: p.code, label: p.name }))], cur),
    }),
    attrEntry("sunhall-department", "sunhall:department", "办理部门", {
      select: (cur) => keepCurrent([{ value: "", label: "（事项的办理部门）" }, ...(meta.departments || []).map((d) => ({ value: d.code, label: d.name }))], cur),
    }),
    attrEntry("sunhall-assignee", "camunda:assignee", "固定办理人（工号，可不填）"),
    attrEntry("sunhall-form", "camunda:formKey", "表单", {
      select: (cur) => keepCurrent([{ value: "", label: "（无表单）" }, ...Object.entries(meta.forms || {}).map(([key, f]) => ({ value: key, label: f.name }))], cur),
    }),
    ...((form && form.fields) || []).map(fieldEntry),
    attrEntry("sunhall-time-limit", "sunhall:timeLimit", "办理时限（定时间）", {
      description: "整数；0 表示当日办结",
      validate: (v) => (v && !/^\d+$/.test(v) ? "办理时限必须是非负整数" : null),
    }),
    attrEntry("sunhall-time-unit", "sunhall:timeUnit", "时限单位", { select: () => options(UNITS) }),
    attrEntry("sunhall-stage", "sunhall:stage", "环节类型", { select: () => options(STAGES) }),
    attrEntry("sunhall-special", "sunhall:specialProcedure", "特别程序（计时暂停）", {
      select: (cur) => keepCurrent([{ value: "", label: "（否）" }, ...SPECIAL.map((s) => ({ value: s, label: s }))], cur),
    }),
    attrEntry("sunhall-documents", "sunhall:documents", "产生文书", {
      description: "多个用逗号分隔：" + (meta.documents || []).join("、"),
    }),
    ...RISK.map(riskEntry),
    checkpointEntry("rule", meta),
    checkpointEntry("params", meta),
  ];
}

class SunhallPropertiesProvider {
  constructor(propertiesPanel, meta) {
    this.meta = meta || {};
    propertiesPanel.registerProvider(400, this);
  }

  getGroups(element) {
    return (groups) => {
      if (is(element, "bpmn:UserTask")) {
        groups.splice(1, 0, { id: "sunhall", label: "政务", entries: stepEntries(element, this.meta) });
      } else if (is(element, "bpmn:SequenceFlow")) {
        const source = element.businessObject.sourceRef;
        if (source && (is(source, "bpmn:ExclusiveGateway") || is(source, "bpmn:InclusiveGateway"))) {
          groups.splice(1, 0, { id: "sunhall", label: "政务", entries: [{ id: "sunhall-condition", component: ConditionEntry, isEdited: isTextFieldEntryEdited }] });
        }
      }
      return groups;
    };
  }
}
SunhallPropertiesProvider.$inject = ["propertiesPanel", "config.sunhall"];

export default {
  __init__: ["sunhallPropertiesProvider"],
  sunhallPropertiesProvider: ["type", SunhallPropertiesProvider],
};
