"""Intake at the window with the form registry: the applicant, the materials checklist, and a
即办件 handled through each step's form in one transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.errors import InvalidInput, InvalidState
from engine.models import Case, User
from engine.service import Applicant, start_case
from engine.service.intake import finish_on_the_spot

from . import materials
from .service import step_form, submit_step


def receive(session: Session, item_code: str, applicant: Applicant, actor: User, *, received: set[int] = frozenset(),
            channel: str = "window", subject: str | None = None, case_type: str | None = None) -> Case:
    """收件: register the application and check in the materials the clerk received (by their
    position in the item's list)."""
    case = start_case(session, item_code, applicant, actor, channel=channel, subject=subject, case_type=case_type)
    rows = materials.init_materials(session, case)
    by_position = {r.position: r.id for r in rows}
    unknown = set(received) - set(by_position)
    if unknown:
        raise InvalidInput("勾选的材料不在本事项的材料清单中。", field="materials")
    materials.check_in(session, case, {by_position[p] for p in received}, actor)
    return case


def handle_instant(session: Session, item_code: str, applicant: Applicant, actor: User, data: dict, *,
                   received: set[int] = frozenset(), opinion: str = "材料齐全，符合法定形式，当场办结。") -> Case:
    """即办件: receive, then every step the clerk may do, each writing only the fields it may write;
    the case must end here. Anything missing or refused leaves nothing behind (the caller's
    transaction rolls back)."""
    case = receive(session, item_code, applicant, actor, received=received, case_type="instant")
    lacking = materials.missing(session, case.id)
    if lacking:
        raise InvalidState("材料不齐全，不能当场办结：缺少" + "、".join(lacking) + "。")
    remaining = dict(data)

    def complete(task):
        writable = set(step_form(session, case, task).writable)
        step_data = {k: remaining.pop(k) for k in list(remaining) if k in writable}
        submit_step(session, task.id, actor, step_data, opinion=opinion, approved=True)

    finish_on_the_spot(session, case, actor, complete)
    if remaining:
        names = "、".join(remaining)
        raise InvalidInput(f"以下字段不属于任何环节可填写的内容：{names}。", field=next(iter(remaining)))
    return case
