"""Behaviour of SpiffWorkflow 3.2.0 that Sunhall designs around. If an upgrade changes one of
these, read engine/runtime.py again."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import version

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine import clock, runtime
from engine.bpmn.parser import parse_specs
from engine.bpmn.xmlsafe import parse_xml
from engine.errors import FlowError

TIMER_FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:sunhall="urn:sunhall:bpmn:1.0" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="a" name="A" camunda:candidateGroups="window" sunhall:timeLimit="1"/>
    <bpmn:userTask id="b" name="B" camunda:candidateGroups="handle" sunhall:timeLimit="1"/>
    <bpmn:boundaryEvent id="t" attachedToRef="b" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT2S</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="remind" scriptFormat="python"><bpmn:script>reminded = True</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e2"/>
    <bpmn:endEvent id="e" name="done"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e"/>
    <bpmn:sequenceFlow id="f4" sourceRef="t" targetRef="remind"/>
    <bpmn:sequenceFlow id="f5" sourceRef="remind" targetRef="e2"/>
  </bpmn:process>
</bpmn:definitions>"""


def _ready(wf):
    return [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual]


def test_pinned_version():
    assert version("SpiffWorkflow") == "3.2.0"  # these pins were written against 3.2.0


def test_reset_leaves_removed_timer_in_event_manager_upstream():
    """Upstream bug: resetting past a waiting boundary timer crashes the next refresh_timers."""
    parser = CamundaParser()
    parser.add_bpmn_str(TIMER_FLOW.replace("PT2S", '"PT2S"').encode())
    wf = BpmnWorkflow(parser.get_spec("p"))
    wf.do_engine_steps()
    a = _ready(wf)[0]
    a.run()
    wf.do_engine_steps()
    wf.reset_from_task_id(a.id)
    with pytest.raises(AttributeError):
        wf.do_engine_steps()


def test_our_runtime_prunes_the_stale_timer_and_takes_bare_durations():
    specs = parse_specs(parse_xml(TIMER_FLOW.encode(), 1 << 20), "p")
    start = datetime(2026, 9, 28, 9, 0, tzinfo=clock.LOCAL_TZ)
    with clock.frozen(start):
        wf = runtime.new_workflow(specs, runtime.SunhallScriptEngine())
        runtime.run_engine(wf, 50)
        a = runtime.ready_user_tasks(wf)[0]
        a.run()
        runtime.run_engine(wf, 50)
        assert runtime.next_timer_at(wf) == start + timedelta(seconds=2)
        wf.reset_from_task_id(a.id)
        runtime.prune_event_manager(wf)
        runtime.run_engine(wf, 50)  # no crash
        assert [t.task_spec.bpmn_id for t in runtime.ready_user_tasks(wf)] == ["a"]


def test_state_round_trips_without_the_spec_and_timers_follow_our_clock():
    specs = parse_specs(parse_xml(TIMER_FLOW.encode(), 1 << 20), "p")
    start = datetime(2026, 9, 28, 9, 0, tzinfo=clock.LOCAL_TZ)
    with clock.frozen(start):
        engine = runtime.SunhallScriptEngine()
        wf = runtime.new_workflow(specs, engine)
        runtime.run_engine(wf, 50)
        runtime.ready_user_tasks(wf)[0].run()
        runtime.run_engine(wf, 50)
        text = runtime.dump_state(wf)
        assert '"spec"' not in text[:200] and "task_specs" not in text
        clock.travel(start + timedelta(seconds=5))
        wf2 = runtime.load_state(text, runtime.SERIALIZER_VERSION, specs, engine)
        wf2.refresh_timers()
        runtime.run_engine(wf2, 50)
        assert wf2.data.get("reminded") is True or any(t.data.get("reminded") for t in wf2.get_tasks())
        assert [t.task_spec.bpmn_id for t in runtime.ready_user_tasks(wf2)] == ["b"]


GATEWAY_FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="p"{executable}>
    <bpmn:startEvent id="s"/>
    <bpmn:exclusiveGateway id="g" name="是否现场核查" default="no"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e1">
      <bpmn:conditionExpression>x &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="e2"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("attribute,executable", [("", True), (' isExecutable="true"', True),
                                                  (' isExecutable="1"', False), (' isExecutable="false"', False)])
def test_spiff_reads_a_missing_is_executable_as_executable_and_only_the_word_true(attribute, executable):
    """validate.executable_processes follows the first; parser.parse_specs rewrites ``1`` for the second."""
    parser = CamundaParser()
    parser.add_bpmn_str(GATEWAY_FLOW.format(executable=attribute).encode())
    if executable:
        assert parser.get_spec("p") is not None
    else:
        with pytest.raises(ValidationException, match="is not executable"):
            parser.get_spec("p")
    ours = parse_xml(GATEWAY_FLOW.format(executable=attribute).encode(), 1 << 20)
    if executable or attribute == ' isExecutable="1"':  # xsd:boolean 1 is true: our parser says so
        assert parse_specs(ours, "p")[0] is not None


def test_spiff_evaluates_a_gateway_condition_with_the_gateway_task_and_lets_our_error_through():
    """Our script engine names the element from the task it is given, and SpiffWorkflow re-raises
    a non-Spiff exception from a task unchanged (specs/base.py ``_run``)."""
    seen = []

    class Recording(runtime.SunhallScriptEngine):
        def evaluate(self, task, expression, external_context=None):
            seen.append((task.task_spec.bpmn_id, expression))
            return super().evaluate(task, expression, external_context)

    specs = parse_specs(parse_xml(GATEWAY_FLOW.format(executable="").encode(), 1 << 20), "p")
    wf = runtime.new_workflow(specs, Recording())
    with pytest.raises(FlowError) as failed:
        wf.do_engine_steps()
    assert seen == [("g", "x > 1")]
    assert failed.value.message == "网关“是否现场核查”（g）的条件表达式“x > 1”出错：未定义的变量 x（办件数据中还没有“x”）"


def test_spiff_serializer_knows_datetime_but_not_date_or_decimal_upstream():
    """Why runtime registers date and Decimal: upstream, json.dumps fails on them at save time."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    specs = parse_specs(parse_xml(GATEWAY_FLOW.format(executable="").encode(), 1 << 20), "p")
    wf = runtime.new_workflow(specs, runtime.SunhallScriptEngine())
    wf.data.update(due=date(2026, 10, 9), fee=Decimal("12.50"))
    with pytest.raises(TypeError):
        BpmnWorkflowSerializer().serialize_json(wf)
    restored = runtime.load_state(runtime.dump_state(wf), runtime.SERIALIZER_VERSION, specs,
                                  runtime.SunhallScriptEngine())
    assert restored.data["due"] == date(2026, 10, 9) and restored.data["fee"] == Decimal("12.50")


EACH_FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:sunhall="urn:sunhall:bpmn:1.0" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="a" name="A" camunda:candidateGroups="handle" sunhall:department="data:body">
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="bodies" camunda:elementVariable="body"/>
    </bpmn:userTask>
    <bpmn:userTask id="b" name="B" camunda:candidateGroups="review"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b"/>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _each_running(specs):
    wf = runtime.new_workflow(specs, runtime.SunhallScriptEngine(None, 0.5))
    wf.data["bodies"] = ["zjj", "zrzyj"]
    wf.get_tasks(spec_name="Start")[0].data.update(wf.data)
    runtime.run_engine(wf, 50)
    return wf


def test_a_multi_instance_step_wires_its_instances_through_the_spec_upstream():
    """SpiffWorkflow connects a multi-instance step to its instances' completion on the *spec* when
    it creates them: a state loaded against a spec parsed afresh (another worker) never finishes."""
    tree = parse_xml(EACH_FLOW.encode(), 1 << 20)
    specs = CamundaParser()
    specs.add_bpmn_xml(tree)
    spec = specs.get_spec("p")
    wf = BpmnWorkflow(spec, script_engine=runtime.SunhallScriptEngine(None, 0.5))
    wf.data["bodies"] = ["zjj", "zrzyj"]
    wf.get_tasks(spec_name="Start")[0].data.update(wf.data)
    wf.do_engine_steps()
    instances = wf.get_tasks(state=TaskState.READY)
    assert len(instances) == 2 and instances[0].data["body"] == "zjj"  # each instance holds its element
    fresh = CamundaParser()
    fresh.add_bpmn_xml(parse_xml(EACH_FLOW.encode(), 1 << 20))
    assert not fresh.get_spec("p").task_specs["a [child]"].completed_event.is_connected(
        fresh.get_spec("p").task_specs["a"].merge_child)


def test_our_parser_wires_the_instances_so_any_process_can_finish_them():
    wf = _each_running(parse_specs(parse_xml(EACH_FLOW.encode(), 1 << 20), "p"))
    runtime.run_task(runtime.ready_user_tasks(wf)[0])
    runtime.run_engine(wf, 50)
    again = runtime.load_state(runtime.dump_state(wf), runtime.SERIALIZER_VERSION,
                               parse_specs(parse_xml(EACH_FLOW.encode(), 1 << 20), "p"), runtime.SunhallScriptEngine(None, 0.5))
    runtime.run_task(runtime.ready_user_tasks(again)[0])
    runtime.run_engine(again, 50)
    assert [t.task_spec.bpmn_id for t in runtime.ready_user_tasks(again)] == ["b"]
