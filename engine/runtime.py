"""SpiffWorkflow behind one small module: parsed specs cached per definition version, the
sandboxed script engine, and workflow state serialized without the spec.

Everything about SpiffWorkflow's surprises lives here (see tests/test_spiff_pins.py):
- timer text is evaluated as Python, so bare ISO durations (``PT2S``) are passed through;
- ``reset_from_task_id`` leaves removed timer tasks in the event manager; they are pruned;
- timers read the wall clock; the timer module is pointed at :mod:`engine.clock`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import OrderedDict
from datetime import date as _date
from datetime import datetime as _datetime
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import clock, sandbox
from .bpmn.parser import SunhallUserTask, parse_specs
from .bpmn.xmlsafe import parse_xml
from .errors import FlowError, LoopLimitExceeded, SunhallError


class _ClockDatetime(_datetime):
    """SpiffWorkflow's timers call ``datetime.now(timezone.utc)``; answer from engine.clock."""

    @classmethod
    def now(cls, tz=None):
        moment = clock.now()
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


spiff_timer.datetime = _ClockDatetime
log = logging.getLogger(__name__)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, calendar=None, timeout: float = 0.5):
        super().__init__(sandbox.helpers(calendar))
        self.timeout = timeout

    def evaluate(self, expression, context, external_context=None):
        extra = dict(self.globals, **(external_context or {}))
        return sandbox.evaluate(expression, context, extra, self.timeout)

    def execute(self, script, context, external_context=None):
        extra = dict(self.globals, **(external_context or {}))
        sandbox.execute(script, context, extra, self.timeout)
        return True

    def call_service(self, context, **kwargs):
        raise FlowError("Sunhall 不支持服务任务。")


class SunhallScriptEngine(PythonScriptEngine):
    """Evaluates through the sandbox. A failure becomes a FlowError that names the element by its
    name and id and says the cause in Chinese; SpiffWorkflow's English wrapper never forms."""

    def __init__(self, calendar=None, timeout: float = 0.5):
        super().__init__(environment=SandboxEnvironment(calendar, timeout))

    def evaluate(self, task, expression, external_context=None):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, spiff_timer.TimerEventDefinition) and sandbox.is_iso_timer(expression):
            return expression.strip()
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except Exception as exc:
            raise FlowError(expression_failure(task.task_spec, expression, exc), code=_code(exc),
                            element=task.task_spec.bpmn_id) from exc

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except Exception as exc:
            raise FlowError(expression_failure(task.task_spec, None, exc), code=_code(exc),
                            element=task.task_spec.bpmn_id) from exc


def element_label(spec) -> str:
    """“是否现场核查”（g_check）: an element by its name, with its id for the designer."""
    kind = next((label for cls, label in _KINDS if isinstance(spec, cls)), "环节")
    name, bpmn_id = getattr(spec, "bpmn_name", None), getattr(spec, "bpmn_id", None) or spec.name
    return f"{kind}“{name}”（{bpmn_id}）" if name else f"{kind} {bpmn_id}"


_KINDS = ((ExclusiveGateway, "网关"), (InclusiveGateway, "网关"), (ScriptTask, "脚本任务"),
          (BoundaryEvent, "定时器"), (IntermediateCatchEvent, "定时器"), (SunhallUserTask, "环节"))


def expression_failure(spec, expression: str | None, exc: BaseException) -> str:
    """网关“是否现场核查”（g）的条件表达式“x > 1”出错：未定义的变量 x."""
    cause = sandbox.explain(exc)
    if expression is None:
        line = exc.details.get("line") if isinstance(exc, SunhallError) else None
        return f"{element_label(spec)}的脚本出错{f'（第 {line} 行）' if line else ''}：{cause}"
    shown = " ".join(expression.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "…"
    if isinstance(getattr(spec, "event_definition", None), spiff_timer.TimerEventDefinition):
        what = "时间表达式"
    elif isinstance(spec, (ExclusiveGateway, InclusiveGateway)):
        what = "条件表达式"
    else:
        what = "表达式"
    return f"{element_label(spec)}的{what}“{shown}”出错：{cause}"


def _code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, SunhallError) else "expression_failed"


# --- state without the spec ----------------------------------------------------------------

class _StateConverter(BpmnWorkflowConverter):
    """Serializes the task tree and data only; the spec comes from the definition cache."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(CAMUNDA_CONFIG)
_config[BpmnWorkflow] = _StateConverter
_registry = BpmnWorkflowSerializer.configure(_config)
# Scripts may leave dates (add_workdays) and amounts (Decimal) in task data; SpiffWorkflow only
# knows datetime and timedelta, and json.dumps would fail on the others at save time.
_registry.register(_date, lambda v: {"value": v.isoformat()}, lambda v: _date.fromisoformat(v["value"]))
_registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
_serializer = BpmnWorkflowSerializer(_registry)


def dump_state(workflow: BpmnWorkflow) -> str:
    _registry._encoder_mode = True
    try:
        dct = _registry.convert(workflow)
    finally:
        _registry._encoder_mode = False
    return json.dumps(dct, cls=_serializer._encoder_cls, ensure_ascii=False, separators=(",", ":"))


def load_state(text: str, version: str, specs, script_engine) -> BpmnWorkflow:
    spec, subprocess_specs = specs
    dct = json.loads(text)
    if version != SERIALIZER_VERSION and version in MIGRATIONS:
        MIGRATIONS[version](dct)
    workflow = _registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = script_engine
    return workflow


def new_workflow(specs, script_engine) -> BpmnWorkflow:
    spec, subprocess_specs = specs
    return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)


# --- parsed specs, once per definition version --------------------------------------------

class SpecCache:
    def __init__(self, size: int = 256):
        self._size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def forget(self, definition_id: int) -> None:
        with self._lock:
            self._items.pop(definition_id, None)

    def peek(self, definition_id: int):
        with self._lock:
            return self._items.get(definition_id)

    def get(self, definition_id: int, process_key: str, bpmn_xml: str, max_bytes: int):
        with self._lock:
            hit = self._items.get(definition_id)
            if hit is not None:
                self._items.move_to_end(definition_id)
                return hit
        tree = parse_xml(bpmn_xml.encode("utf-8"), max_bytes)
        specs = parse_specs(tree, process_key)
        with self._lock:
            self._items[definition_id] = specs
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return specs


spec_cache = SpecCache()


# --- live workflows, kept between commands of this process -------------------------------------

class LiveWorkflows:
    """Workflows of recently worked cases, keyed by case id and the case version they match.

    A command *takes* the workflow out (so a failed command can never leave a half-run one
    behind) and it is put back only after the command's transaction commits. Any other writer
    changes the version, so a stale entry is never used: it just misses and the state is read
    from the database.
    """

    def __init__(self, size: int = 1000):
        self._size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def take(self, case_id: int, version: int):
        with self._lock:
            hit = self._items.pop(case_id, None)
        if hit is not None and hit[0] == version:
            return hit[1]
        return None

    def put(self, case_id: int, version: int, workflow) -> None:
        with self._lock:
            self._items[case_id] = (version, workflow)
            self._items.move_to_end(case_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


live_workflows = LiveWorkflows()


# --- reading the workflow -------------------------------------------------------------------

def ready_user_tasks(workflow: BpmnWorkflow):
    return [t for t in workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, SunhallUserTask)]


def reached_end_name(workflow: BpmnWorkflow) -> str | None:
    """The name of the end event the case reached last (准予许可, 不予许可 …)."""
    ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if isinstance(t.task_spec, EndEvent)
            and t.workflow is workflow]
    if not ends:
        return None
    return max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_name


def run_engine(workflow: BpmnWorkflow, max_runs: int) -> None:
    """Run automatic steps; a flow that loops on its own more than ``max_runs`` times per step
    within one command is stopped instead of spinning."""
    runs: dict[str, int] = {}

    def count(task):
        name = task.task_spec.name
        runs[name] = runs.get(name, 0) + 1
        if runs[name] > max_runs:
            raise LoopLimitExceeded(
                f"流程在“{task.task_spec.bpmn_name or name}”处自动循环超过 {max_runs} 次，已停止；请检查流程图的循环条件。")

    with flow_errors():
        workflow.do_engine_steps(will_complete_task=count)


def run_task(task) -> None:
    """Complete a user task and translate what SpiffWorkflow raises."""
    with flow_errors():
        task.run()


@contextlib.contextmanager
def flow_errors():
    try:
        yield
    except SunhallError:
        raise
    except WorkflowException as exc:
        raise FlowError(describe(exc)) from exc


def describe(exc: WorkflowException) -> str:
    """A Chinese sentence for the clerk and the designer; the English detail stays in the log."""
    task = getattr(exc, "task", None)
    spec = task.task_spec if task is not None else getattr(exc, "task_spec", None)
    where = f"{element_label(spec)}处" if spec is not None else ""
    cause = exc.__cause__ or getattr(exc, "exception", None)
    while cause is not None and isinstance(cause, WorkflowException) and cause.__cause__ is not None:
        cause = cause.__cause__
    log.warning("workflow stopped at %s: %s", where, exc)
    if isinstance(cause, SunhallError):
        return f"流程在{where}出错：{cause.message}"
    if cause is not None and not isinstance(cause, WorkflowException):
        return f"流程在{where}出错：{sandbox.explain(cause)}。请联系流程管理员检查流程图。"
    return f"流程在{where}无法继续（{type(exc).__name__}）。请联系流程管理员检查流程图。"


def prune_event_manager(workflow: BpmnWorkflow) -> None:
    """Drop waiting-event tasks that a reset removed from the tree (SpiffWorkflow 3.2.0 keeps them)."""
    manager = workflow.event_manager
    for task_id, task in list(manager.tasks.items()):
        try:
            alive = task.workflow.get_task_from_id(task_id) is task
        except Exception:
            alive = False
        if not alive:
            manager.tasks.pop(task_id, None)


def next_timer_at(workflow: BpmnWorkflow):
    """The earliest moment a waiting timer of this workflow is due, or None."""
    earliest = None
    for task in workflow.event_manager.tasks.values():
        if not isinstance(getattr(task.task_spec, "event_definition", None), spiff_timer.TimerEventDefinition):
            continue
        value = task._get_internal_data("event_value")
        if isinstance(value, dict):
            value = value.get("next")
        if not value:
            continue
        try:
            moment = spiff_timer.TimerEventDefinition.get_datetime(value)
        except (TypeError, ValueError):
            continue
        if earliest is None or moment < earliest:
            earliest = moment
    return earliest


__all__ = ["SERIALIZER_VERSION", "SunhallScriptEngine", "dump_state", "load_state", "new_workflow",
           "spec_cache", "ready_user_tasks", "run_engine", "prune_event_manager", "next_timer_at"]
