"""Behaviour of SpiffWorkflow 3.2.0 that Sunhall designs around. If an upgrade changes one of
these, read engine/runtime.py again."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib.metadata import version

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine import clock, runtime
from engine.bpmn.parser import parse_specs
from engine.bpmn.xmlsafe import parse_xml

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
