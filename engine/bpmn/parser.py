"""Sunhall's reading of a BPMN file.

Standard Camunda attributes where they exist (``camunda:candidateGroups`` = the post,
``camunda:assignee``, ``camunda:formKey``) and our own namespace for what BPMN lacks; the
attributes are documented in ``docs/bpmn.md``. SpiffWorkflow's Camunda parser does not keep
candidateGroups or assignee, so the user-task parser is subclassed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.camunda.parser.CamundaParser import NSMAP as CAMUNDA_NSMAP
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask as CamundaUserTask

from ..errors import InvalidInput

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SUNHALL_NS = "urn:sunhall:bpmn:1.0"
TIME_UNITS = ("workday", "day")
STAGES = ("accept", "decide", "deliver")
FIELD_ACCESS = ("write", "read", "hidden")


@dataclass(frozen=True)
class StepConfig:
    """What the designer set on one step (定岗、定人、定责、定时间)."""

    post: str | None = None
    assignee: str | None = None
    form_key: str | None = None
    time_limit: int | None = None
    time_unit: str = "workday"
    department: str | None = None
    stage: str | None = None
    special_procedure: str | None = None
    documents: tuple[str, ...] = ()
    risk_points: tuple[dict, ...] = ()
    checkpoints: tuple[dict, ...] = ()
    fields: dict = field(default_factory=dict)


def _camunda_properties(node) -> dict:
    """Camunda Modeler's "Extension properties" (camunda:properties): a designer without Sunhall's
    designer can set ``timeLimit`` and the other Sunhall attributes there."""
    path = f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property"
    return {p.get("name", "").removeprefix("sunhall:"): p.get("value", "") for p in node.iterfind(path)}


def read_step_config(node) -> StepConfig:
    """Read a userTask element's Sunhall configuration: ``sunhall:`` attributes first, then Camunda
    extension properties of the same name. Raises InvalidInput on a malformed value."""
    c = f"{{{CAMUNDA_NS}}}"
    properties = _camunda_properties(node)

    def attr(name):
        value = node.get(f"{{{SUNHALL_NS}}}{name}")
        return value if value not in (None, "") else properties.get(name)

    s = f"{{{SUNHALL_NS}}}"
    raw_limit = attr("timeLimit")
    time_limit = None
    if raw_limit not in (None, ""):
        try:
            time_limit = int(raw_limit)
        except ValueError:
            raise InvalidInput(f"办理时限 sunhall:timeLimit=\"{raw_limit}\" 不是整数。") from None
        if time_limit < 0:
            raise InvalidInput("办理时限不能为负数。")
    unit = attr("timeUnit") or "workday"
    if unit not in TIME_UNITS:
        raise InvalidInput(f"时限单位 sunhall:timeUnit=\"{unit}\" 无效，只能是 workday（工作日）或 day（自然日）。")
    stage = attr("stage") or None
    if stage is not None and stage not in STAGES:
        raise InvalidInput(f"环节类型 sunhall:stage=\"{stage}\" 无效，只能是 {'/'.join(STAGES)}。")
    risk_points, checkpoints, fields = [], [], {}
    for ext in node.iterfind(f"{{{BPMN_NS}}}extensionElements"):
        for child in ext:
            if child.tag == f"{s}riskPoint":
                risk_points.append(dict(child.attrib))
            elif child.tag == f"{s}checkpoint":
                checkpoints.append(dict(child.attrib))
            elif child.tag == f"{s}field":
                access = child.get("access", "read")
                if access not in FIELD_ACCESS:
                    raise InvalidInput(f"表单字段 {child.get('name')} 的权限 \"{access}\" 无效，只能是 write/read/hidden。")
                fields[child.get("name")] = access
    documents = tuple(d.strip() for d in (attr("documents") or "").split(",") if d.strip())
    return StepConfig(
        post=(node.get(f"{c}candidateGroups") or "").strip() or None,
        assignee=node.get(f"{c}assignee") or None,
        form_key=node.get(f"{c}formKey") or None,
        time_limit=time_limit, time_unit=unit,
        department=attr("department") or None,
        stage=stage,
        special_procedure=attr("specialProcedure") or None,
        documents=documents, risk_points=tuple(risk_points), checkpoints=tuple(checkpoints), fields=fields,
    )


class SunhallUserTask(CamundaUserTask):
    """A user task that knows its post, time limit and the rest of :class:`StepConfig`."""

    def __init__(self, wf_spec, name, form, step: StepConfig | None = None, **kwargs):
        super().__init__(wf_spec, name, form, **kwargs)
        self.step = step or StepConfig()


class SunhallUserTaskParser(UserTaskParser):
    def create_task(self):
        try:
            step = read_step_config(self.node)
        except InvalidInput as exc:
            self.raise_validation_exception(exc.message)
        return self.spec_class(self.spec, self.bpmn_id, form=self.get_form(), step=step, **self.bpmn_attributes)


NSMAP = dict(CAMUNDA_NSMAP, sunhall=SUNHALL_NS)


class SunhallParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = dict(CamundaParser.OVERRIDE_PARSER_CLASSES)
    OVERRIDE_PARSER_CLASSES[f"{{{BPMN_NS}}}userTask"] = (SunhallUserTaskParser, SunhallUserTask)

    def __init__(self):
        super().__init__(namespaces=NSMAP)


def parse_specs(tree, process_id: str, filename: str | None = None):
    """Build (spec, subprocess_specs) for ``process_id`` from an already validated lxml tree.

    ``isExecutable`` is an xsd:boolean, so ``1``/``0`` are as valid as ``true``/``false``, but
    SpiffWorkflow only understands the words (and reads a missing attribute as executable)."""
    for process in tree.getroot().iterfind(f"{{{BPMN_NS}}}process"):
        flag = (process.get("isExecutable") or "").strip()
        if flag in ("1", "0"):
            process.set("isExecutable", "true" if flag == "1" else "false")
    parser = SunhallParser()
    parser.add_bpmn_xml(tree, filename)
    spec, subprocess_specs = parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
    for each in (spec, *subprocess_specs.values()):
        connect_instances(each)
    return spec, subprocess_specs


def connect_instances(spec) -> None:
    """SpiffWorkflow wires a multi-instance step to its instances' completion only when it creates
    them, by connecting an event of the *spec*: a spec parsed afresh (another worker process, a
    restart) would never see the instances finish and the case would stop after them. Wire every
    one at parse time (tests/test_spiff_pins.py)."""
    for task_spec in spec.task_specs.values():
        child_name, merge = getattr(task_spec, "task_spec", None), getattr(task_spec, "merge_child", None)
        if isinstance(child_name, str) and merge is not None and child_name in spec.task_specs:
            event = spec.task_specs[child_name].completed_event
            if not event.is_connected(merge):
                event.connect(merge)
