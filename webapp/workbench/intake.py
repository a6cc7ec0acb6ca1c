"""Intake at the window (收件): pick the item, the applicant with a certificate check, the
materials checklist; a 即办件 is handled on the spot, a 承诺件 goes on to 受理. A refused
application shows the form again exactly as typed, every problem beside its field; the same
form posted twice makes one case."""

from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from engine.certificates import CERT_TYPES
from engine.errors import InvalidInput, NotFound, PermissionDenied, SunhallError
from engine.models import Item
from engine.models.cases import APPLICANT_TYPES, CHANNELS
from engine.service import Applicant, authority
from engine.service.intake import current_definition
from forms.intake import (
    TOKEN,
    check_application,
    handle_instant,
    new_token,
    once,
    receive,
    require_not_duplicate,
)
from forms.service import writable_for_posts

from ..db import db_session
from . import bp
from .common import me
from .formdata import parse

# the applicant's attributes whose inputs are named differently on the page
INPUT_OF = {"name": "ap_applicant_name", "type": "ap_applicant_type", "cert_type": "ap_cert_type"}
FIELD_INPUTS = {"channel": "ap_channel", "subject": "ap_applicant_name", "cert_number": "ap_cert_number"}


def _receivable_items(session, user):
    """Items a window receives applications for: active ones of the clerk's departments (all, for
    the administrator), never an internal flow (督办 and 法制审核 start from their own pages)."""
    if user.has_role("admin"):
        items = session.scalars(select(Item).where(Item.status == "active").order_by(Item.code))
    else:
        depts = {p.department_id for p in user.posts if p.code == "window"}
        items = session.scalars(select(Item).where(Item.status == "active", Item.department_id.in_(depts))
                                .order_by(Item.code))
    return [item for item in items if not _internal(session, item)]


def _internal(session, item) -> bool:
    try:
        return authority.flow_kind(session, current_definition(session, item).id).internal
    except SunhallError:  # an item without a flow is refused at intake with its own message
        return False


@bp.get("/intake")
@login_required
def intake_items():
    items = _receivable_items(db_session(), me())
    return render_template("workbench/intake_items.html", items=items)


def _intake_context(session, item):
    version = item.current_version
    form, writable = None, []
    if version.case_type == "instant":
        form, writable = writable_for_posts(session, current_definition(session, item).id, {"window"})
    return dict(item=item, version=version, form=form, writable=writable, cert_types=CERT_TYPES,
                applicant_types=APPLICANT_TYPES, channels=CHANNELS)


def _input_name(field: str | None) -> str:
    """The page's input for an error's field (``applicant.phone`` -> ``ap_phone``)."""
    if field and field.startswith("applicant."):
        attribute = field.split(".", 1)[1]
        return INPUT_OF.get(attribute, f"ap_{attribute}")
    return FIELD_INPUTS.get(field, field or "form")


def _received(values: list[str], count: int) -> set[int]:
    positions = set()
    for value in values:
        if not re.fullmatch(r"\d{1,4}", value) or not 1 <= int(value) <= count:
            raise InvalidInput("勾选的材料不在本事项的材料清单中。", field="materials")
        positions.add(int(value))
    return positions


@bp.route("/intake/<code>", methods=["GET", "POST"])
@login_required
def intake(code: str):
    session = db_session()
    item = next((i for i in _receivable_items(session, me()) if i.code == code), None)
    if item is None:
        return render_template("error.html", message="您不能受理此事项，或事项不存在。", status=404), 404
    context = _intake_context(session, item)
    if request.method == "GET":
        return render_template("workbench/intake.html", values={}, field_errors={}, errors=[], token=new_token(),
                               **context)
    f = request.form
    instant = context["version"].case_type == "instant"
    try:
        applicant = Applicant(
            name=f.get("ap_applicant_name", ""), type=f.get("ap_applicant_type", "1"),
            cert_type=f.get("ap_cert_type", "111"), cert_number=f.get("ap_cert_number", ""),
            contact_name=f.get("ap_contact_name"), phone=f.get("ap_phone"), address=f.get("ap_address"),
            agent_name=f.get("ap_agent_name") or None, agent_cert_type="111" if f.get("ap_agent_cert_number") else None,
            agent_cert_number=f.get("ap_agent_cert_number") or None)
        received = _received(f.getlist("materials"), len(context["version"].materials or []))
        data = parse(context["form"].fields, context["writable"], f) if instant and context["form"] else {}

        def make_case():
            check_application(applicant, context["form"] if instant else None, context["writable"], data)
            require_not_duplicate(session, item.code, applicant, f.get("confirm_duplicate") == "1")
            if instant:
                return handle_instant(session, item.code, applicant, me(), data, received=received)
            return receive(session, item.code, applicant, me(), received=received, channel=f.get("ap_channel", "window"))

        case, first = once(session, f.get("intake_token"), me(), make_case)
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        errors = {_input_name(k): v for k, v in (exc.details.get("errors") or {}).items()}
        if not errors:
            errors = {_input_name(exc.details.get("field")): exc.message}
        status = exc.status if isinstance(exc, (PermissionDenied, NotFound)) else 400
        token = f.get("intake_token", "")
        summary = [(name if name.startswith("ap_") or name in ("materials", "intake_token", "confirm_duplicate") else f"field-{name}", message)
                   for name, message in errors.items()]
        return render_template("workbench/intake.html", values=f, field_errors=errors, errors=summary,
                               token=token if TOKEN.fullmatch(token) else new_token(), **context), status
    if not first:
        flash(f"此申请已收件，办件编号 {case.number}；重复提交未另行收件。")
    elif case.state == "finished":
        flash(f"即办件已当场办结：{case.number}。请打印办理结果。")
    else:
        flash(f"已收件，办件编号 {case.number}。请在下方完成受理并打印受理通知书。")
    return redirect(url_for("workbench.case_page", case_id=case.id))
