"""Intake at the window (收件): pick the item, the applicant with a certificate check, the
materials checklist; a 即办件 is handled on the spot, a 承诺件 goes on to 受理."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from engine.certificates import CERT_TYPES
from engine.errors import SunhallError
from engine.models import Item
from engine.models.cases import APPLICANT_TYPES, CHANNELS
from engine.service import Applicant
from engine.service.intake import current_definition
from forms.intake import handle_instant, receive
from forms.service import writable_for_posts

from ..db import db_session
from . import bp
from .common import me
from .formdata import parse


def _receivable_items(session, user):
    if user.has_role("admin"):
        return list(session.scalars(select(Item).where(Item.status == "active").order_by(Item.code)))
    depts = {p.department_id for p in user.posts if p.code == "window"}
    return list(session.scalars(select(Item).where(Item.status == "active", Item.department_id.in_(depts))
                                .order_by(Item.code)))


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


@bp.route("/intake/<code>", methods=["GET", "POST"])
@login_required
def intake(code: str):
    session = db_session()
    item = next((i for i in _receivable_items(session, me()) if i.code == code), None)
    if item is None:
        return render_template("error.html", message="您不能受理此事项，或事项不存在。", status=404), 404
    context = _intake_context(session, item)
    if request.method == "GET":
        return render_template("workbench/intake.html", values={}, error=None, **context)
    f = request.form
    applicant = Applicant(
        name=f.get("ap_applicant_name", ""), type=f.get("ap_applicant_type", "1"), cert_type=f.get("ap_cert_type", "111"),
        cert_number=f.get("ap_cert_number", ""), contact_name=f.get("ap_contact_name") or None, phone=f.get("ap_phone") or None,
        address=f.get("ap_address") or None, agent_name=f.get("ap_agent_name") or None,
        agent_cert_type="111" if f.get("ap_agent_cert_number") else None, agent_cert_number=f.get("ap_agent_cert_number") or None)
    received = {int(p) for p in f.getlist("materials") if p.isdigit()}
    try:
        if context["version"].case_type == "instant":
            data = parse(context["form"].fields, context["writable"], f) if context["form"] else {}
            case = handle_instant(session, item.code, applicant, me(), data, received=received)
            flash(f"即办件已当场办结：{case.number}。请打印办理结果。")
        else:
            case = receive(session, item.code, applicant, me(), received=received, channel=f.get("ap_channel", "window"))
            flash(f"已收件，办件编号 {case.number}。请在下方完成受理并打印受理通知书。")
    except SunhallError as exc:
        g.db_rollback = True
        return render_template("workbench/intake.html", values=f, error=exc.message, **context), exc.status
    return redirect(url_for("workbench.case_page", case_id=case.id))
