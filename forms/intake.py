"""Intake at the window with the form registry: the applicant, the materials checklist, and a
即办件 handled through each step's form in one transaction. Each intake form carries a one-time
token, so the same application posted twice (a double click, a retried request) is one case."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Conflict, InvalidInput, InvalidState
from engine.models import Case, Item, User
from engine.service import Applicant, authority, start_case
from engine.service.intake import finish_on_the_spot
from engine.validation import sentences

from . import materials
from .models import IntakeToken
from .registry import Form, validate_step_data
from .service import step_form, submit_step

TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_token() -> str:
    """A token for one intake form as it is shown."""
    return secrets.token_urlsafe(32)


def once(session: Session, token, actor: User, make_case: Callable[[], Case]) -> tuple[Case, bool]:
    """Make the case of an intake form once: ``(case, True)`` the first time this token is
    posted, ``(the case made then, False)`` after. The token is claimed before any work with an
    insert that, on PostgreSQL, waits for a concurrent claim of the same token to commit and then
    does nothing (on SQLite writers queue); a refused submission rolls its claim back with
    everything else, so the corrected form can be posted with the same token."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise InvalidInput("收件页面已过期，请重新打开收件页面后再提交。", field="intake_token")
    table = IntakeToken.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    claimed = session.execute(insert(table).values(token=token, user_id=actor.id, created_at=clock.now())
                              .on_conflict_do_nothing(index_elements=[table.c.token]).returning(table.c.token)).first()
    if claimed is None:
        row = session.get(IntakeToken, token, populate_existing=True)
        if row is None or row.user_id != actor.id or row.case_id is None:
            raise InvalidInput("收件页面已过期，请重新打开收件页面后再提交。", field="intake_token")
        return session.get(Case, row.case_id), False
    case = make_case()
    session.execute(table.update().where(table.c.token == token).values(case_id=case.id))
    return case, True


DUPLICATE_WINDOW = timedelta(minutes=30)


def require_not_duplicate(session: Session, item_code: str, applicant: Applicant, confirmed: bool) -> None:
    """The same applicant received for the same item a moment ago is most likely the same paper
    posted twice (a browser's 后退 brings the form back with a fresh token and everything typed):
    the clerk confirms before a second case is made."""
    if confirmed:
        return
    since = clock.now() - DUPLICATE_WINDOW
    earlier = session.scalars(select(Case).join(Item, Item.id == Case.item_id).where(
        Item.code == item_code, Case.cert_number == applicant.cert_number.strip().upper(),
        Case.received_at >= since).order_by(Case.received_at.desc())).first()
    if earlier is not None:
        minutes = max(int((clock.now() - earlier.received_at).total_seconds() // 60), 1)
        message = (f"同一申请人 {minutes} 分钟内已收件过此事项（办件编号 {earlier.number}）。"
                   "如确为另一份申请，请勾选“确认再次收件”后提交。")
        raise Conflict(message, field="confirm_duplicate", errors={"confirm_duplicate": message})


def check_application(applicant: Applicant, form: Form | None, writable: list[str], data: dict) -> None:
    """Every problem of an application at once, each by field (``applicant.<attribute>`` for the
    applicant's, the form field's name for the form's), before anything is stored: the window
    shows them all beside their fields."""
    errors = {f"applicant.{name}": message for name, message in applicant.problems().items()}
    if form is not None and writable:
        access = {name: ("write" if name in writable else "hidden") for name in form.names}
        try:
            validate_step_data(form, access, {}, data)
        except InvalidInput as exc:
            errors.update(exc.details.get("errors") or {exc.details.get("field") or "form": exc.message})
    if errors:
        raise InvalidInput(sentences(errors.values()), field=next(iter(errors)), errors=errors)


def receive(session: Session, item_code: str, applicant: Applicant, actor: User, *, received: set[int] = frozenset(),
            channel: str = "window", subject: str | None = None, case_type: str | None = None) -> Case:
    """收件: register the application and check in the materials the clerk received (by their
    position in the item's list)."""
    case = start_case(session, item_code, applicant, actor, channel=channel, subject=subject, case_type=case_type)
    if authority.is_internal(session, case):  # 督办 and 法制审核 start from their own pages, never at a window
        raise InvalidState(f"“{case.item_version.name}”是内部流程，不能在窗口收件。")
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

