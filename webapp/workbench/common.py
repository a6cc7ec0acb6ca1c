"""Shared by the workbench views: the current user in the request's session, the case a user may see."""

from __future__ import annotations

import re

from flask import abort, redirect, url_for
from flask_login import current_user
from sqlalchemy import select

from engine.errors import InvalidInput, PermissionDenied
from engine.models import Case, CaseArchive, CaseTask
from engine.service import can_see_case
from engine.service.common import can_work
from engine.service.intake import half_width

from ..db import db_session


def me():
    return current_user._get_current_object()


def visible_case(case_id: int) -> Case:
    session = db_session()
    case = session.get(Case, case_id)
    if case is None:
        abort(404)
    if not can_see_case(session, me(), case):
        raise PermissionDenied("此办件不属于您的部门，您无权查看。")
    return case


def purged_to_archive(case: Case):
    """A case whose online detail was removed after its archive package verified (``sunhall archive
    purge``) is read from its package: a redirect there, else None."""
    if case.archived_at is None:
        return None
    row = db_session().scalars(select(CaseArchive).where(CaseArchive.case_id == case.id)).first()
    if row is None or row.purged_at is None:
        return None
    return redirect(url_for("workbench.archive_case", number=case.number))


def form_int(value, field: str, label: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number typed into a form: full-width digits accepted, anything else (decimals,
    1e3, ２³, a hundred digits) refused with the field's name; within the database's integer
    range and the bounds given."""
    text = half_width(value).strip() if isinstance(value, str) else ""
    if not re.fullmatch(r"[+-]?[0-9]{1,10}", text):
        raise InvalidInput(f"{label}必须是整数。", field=field)
    number = int(text)
    low = -(2**31) if minimum is None else minimum
    high = 2**31 - 1 if maximum is None else maximum
    if not low <= number <= high:
        raise InvalidInput(f"{label}应在 {low} 到 {high} 之间。", field=field)
    return number


def workable(session, user, model) -> dict[int, CaseTask]:
    """Id of a row of ``model`` (a question, a request: anything with a ``case_id``) -> the ready
    step of its case the user may work (待我办理)."""
    departments = {p.department_id for p in user.posts}
    if not departments:
        return {}
    rows = session.execute(select(model.id, CaseTask).join(CaseTask, CaseTask.case_id == model.case_id)
                           .where(CaseTask.state == "ready", CaseTask.department_id.in_(departments))
                           .order_by(CaseTask.id))
    found: dict[int, CaseTask] = {}
    for row_id, task in rows:
        if row_id not in found and can_work(user, task):
            found[row_id] = task
    return found
