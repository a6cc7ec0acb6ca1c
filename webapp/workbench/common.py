"""Shared by the workbench views: the current user in the request's session, the case a user may see."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from engine.errors import InvalidInput, PermissionDenied
from engine.models import Case
from engine.service import can_see_case

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


def form_int(value, field: str, label: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{label}必须是整数。", field=field) from None
