// The lint rules the designer runs in the browser (bpmnlint, packed by hand for esbuild): the
// standard rules that find real problems in a flow Sunhall runs (docs/bpmn.md), plus Sunhall's own
// check that every step has a name, a post and a time limit. Left out on purpose: label-required
// (a conditional branch needs no name), fake-join (a step that a "退回" loop returns to has two
// incoming flows, which SpiffWorkflow runs as intended). The server's validation on save remains
// the authority.
import { is } from "bpmnlint-utils";
import conditionalFlows from "bpmnlint/rules/conditional-flows";
import endEventRequired from "bpmnlint/rules/end-event-required";
import noComplexGateway from "bpmnlint/rules/no-complex-gateway";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import singleBlankStartEvent from "bpmnlint/rules/single-blank-start-event";
import startEventRequired from "bpmnlint/rules/start-event-required";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway";

function stepConfig() {
  function check(node, reporter) {
    if (!is(node, "bpmn:UserTask")) {
      return;
    }
    const props = {};
    ((node.extensionElements && node.extensionElements.values) || [])
      .filter((e) => e.$type === "camunda:Properties")
      .forEach((p) => (p.values || []).forEach((v) => (props[(v.name || "").replace("sunhall:", "")] = v.value)));
    if (!(node.name || "").trim()) {
      reporter.report(node.id, "环节没有名称");
    }
    if (!(node.get("camunda:candidateGroups") || "").trim()) {
      reporter.report(node.id, "环节没有指定办理岗位");
    }
    const limit = node.get("sunhall:timeLimit") || props.timeLimit;
    if (limit === undefined || limit === "") {
      reporter.report(node.id, "环节没有设置办理时限");
    } else if (!/^\d+$/.test(String(limit))) {
      reporter.report(node.id, "办理时限必须是非负整数");
    }
  }
  return { check };
}

const rules = {
  "bpmnlint/conditional-flows": conditionalFlows,
  "bpmnlint/end-event-required": endEventRequired,
  "bpmnlint/no-complex-gateway": noComplexGateway,
  "bpmnlint/no-disconnected": noDisconnected,
  "bpmnlint/no-duplicate-sequence-flows": noDuplicateSequenceFlows,
  "bpmnlint/no-implicit-split": noImplicitSplit,
  "bpmnlint/single-blank-start-event": singleBlankStartEvent,
  "bpmnlint/start-event-required": startEventRequired,
  "bpmnlint/superfluous-gateway": superfluousGateway,
  "bpmnlint-plugin-sunhall/step-config": stepConfig,
};

const resolver = {
  resolveRule(pkg, name) {
    const rule = rules[`${pkg}/${name}`];
    if (!rule) {
      throw new Error(`unknown rule <${pkg}/${name}>`);
    }
    return rule;
  },
  resolveConfig(pkg, name) {
    throw new Error(`unknown config <${pkg}/${name}>`);
  },
};

export default {
  resolver,
  config: {
    rules: {
      "conditional-flows": "error",
      "end-event-required": "error",
      "no-complex-gateway": "error",
      "no-disconnected": "error",
      "no-duplicate-sequence-flows": "error",
      "no-implicit-split": "error",
      "single-blank-start-event": "error",
      "start-event-required": "error",
      "superfluous-gateway": "warn",
      "sunhall/step-config": "error",
    },
  },
};
