"""Shared by the workbench views: the current user in the request's session, the case a user may see."""

from __future__ import annotations

import re

from flask import abort
from flask_login import current_user

from engine.errors import InvalidInput, PermissionDenied
from engine.models import Case
from engine.service import can_see_case
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
