"""Working a step through its form: what the step may see, and submitting what it may write."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import NotFound
from engine.models import Case, CaseTask, User
from engine.service import complete_task
from engine.service.common import require_can_work, specs_for, step_config

from .models import CaseFact, CaseFieldChange
from .registry import Form, get_form, validate_step_data


@dataclass
class StepForm:
    form: Form | None
    access: dict[str, str]

    def visible(self, data: dict):
        return self.form.visible(self.access, data) if self.form else []

    @property
    def writable(self) -> list[str]:
        return [name for name, a in self.access.items() if a == "write"]


def step_form(session: Session, case: Case, task: CaseTask | None) -> StepForm:
    """The form of a step with each field's access. Without a step (someone only viewing the
    case), every field the form does not hide by default is read-only."""
    form_key = None
    step_fields = {}
    if task is not None:
        step = step_config(session, case, task.step_id)
        form_key, step_fields = step.form_key, step.fields
    if form_key is None:
        form_key = _case_form_key(session, case)
    if form_key is None:
        return StepForm(None, {})
    form = get_form(session, form_key)
    access = form.access(step_fields)
    if task is None:
        access = {k: ("hidden" if v == "hidden" else "read") for k, v in form.access({}).items()}
    return StepForm(form, access)


def _case_form_key(session: Session, case: Case) -> str | None:
    spec, _ = specs_for(session, case.definition_id)
    for task_spec in spec.task_specs.values():
        step = getattr(task_spec, "step", None)
        if step is not None and step.form_key:
            return step.form_key
    return None


def submit_step(session: Session, task_id: int, actor: User, raw: dict | None = None, *, opinion: str | None = None,
                approved: bool | None = None, reason: str | None = None,
                expected_version: int | None = None, sf: StepForm | None = None) -> CaseTask:
    """Validate the step's form data (refusing read-only and hidden fields by name), record every
    changed field and countable fact, then complete the step in the engine — one transaction.
    ``sf`` is the step's form when the caller has resolved it already (the page read the post with it)."""
    task = session.get(CaseTask, task_id)
    if task is None:
        raise NotFound(f"环节 {task_id} 不存在。")
    case = session.get(Case, task.case_id)
    if task.state == "ready":
        require_can_work(actor, task)  # who may act is settled before what they typed is judged
    if sf is None:
        sf = step_form(session, case, task)
    clean = {}
    if sf.form is not None:
        clean = validate_step_data(sf.form, sf.access, case.data or {}, raw or {})
    elif raw:
        clean = dict(raw)
    before = dict(case.data or {})
    done = complete_task(session, task_id, actor, data=clean, opinion=opinion, approved=approved, reason=reason,
                         expected_version=expected_version)
    record_changes(session, case, task, actor, before, clean, sf.form)
    return done


def record_changes(session: Session, case: Case, task: CaseTask | None, actor: User, before: dict, clean: dict,
                   form: Form | None) -> None:
    now = clock.now()
    for name, value in clean.items():
        if before.get(name) != value:
            session.add(CaseFieldChange(case_id=case.id, task_id=task.id if task else None, field=name,
                                        old=before.get(name), new=value, changed_by_id=actor.id, changed_at=now))
    if form is None:
        return
    countable = set(form.countable())
    for name, value in clean.items():
        if name in countable and value is not None:
            fact = session.scalars(select(CaseFact).where(CaseFact.case_id == case.id, CaseFact.field == name)).first()
            if fact is None:
                session.add(CaseFact(case_id=case.id, field=name, value=Decimal(str(value))))
            else:
                fact.value = Decimal(str(value))
    session.flush()


def field_history(session: Session, case_id: int) -> list[CaseFieldChange]:
    return list(session.scalars(select(CaseFieldChange).where(CaseFieldChange.case_id == case_id)
                                .order_by(CaseFieldChange.id)))


def writable_for_posts(session: Session, definition_id: int, posts: set[str]) -> tuple[Form | None, list[str]]:
    """The form of a flow and the fields its steps for these posts may write (for 即办件 intake)."""
    spec, _ = specs_for(session, definition_id)
    form_key, names = None, []
    for task_spec in spec.task_specs.values():
        step = getattr(task_spec, "step", None)
        if step is None or step.post not in posts or not step.form_key:
            continue
        form_key = form_key or step.form_key
        form = get_form(session, form_key)
        for name, access in form.access(step.fields).items():
            if access == "write" and name not in names:
                names.append(name)
    if form_key is None:
        return None, []
    form = get_form(session, form_key)
    return form, [f["name"] for f in form.fields if f["name"] in names]
