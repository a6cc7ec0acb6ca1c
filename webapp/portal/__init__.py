"""政务服务专栏: the public column (seed 002 §7.3; domain.md §6). Anonymous, no staff route, every
page readable without JavaScript; personal data only ever through engine.masking."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from engine import masking
from engine.models import Department, Item, ProcessDefinition
from engine.models.cases import CASE_STATES, CHANNELS
from engine.models.items import AUDIENCES, CASE_TYPES, ITEM_CATEGORIES, LIMIT_UNITS, THEMES
from engine.publicflow import diagram_svg, public_steps
from engine.service import public
from forms.online import EX_OFFICIO

from ..db import db_session

bp = Blueprint("portal", __name__)
PER_PAGE = 20
ELDER_COOKIE = "elder"
#: what a period counts from, as the guide says it (ItemVersion.clock_start)
CLOCK_STARTS = {"acceptance": "受理", "receipt": "收到申请", "filing": "立案"}


@bp.app_template_filter("mask_name")
def _mask_name(value, applicant_type="1"):
    return masking.mask_name(value, applicant_type)


@bp.app_template_filter("mask_cert")
def _mask_cert(value):
    return masking.mask_cert(value)


@bp.app_template_filter("mask_phone")
def _mask_phone(value):
    return masking.mask_phone(value)


#: paths of the column (a page not found under them is answered in the column's layout)
PUBLIC_PREFIXES = ("/items", "/application", "/progress", "/results", "/hall", "/search", "/elder", "/questions", "/faq",
                   "/complaints", "/gk", "/my")


def is_public_page() -> bool:
    if current_app.extensions.get("sunhall_surface") == "public" or request.blueprint in ("portal", "citizen"):
        return True
    if request.blueprint is not None:
        return False
    # a page that does not exist: the column's layout, unless a member of staff is signed in
    return request.path == "/" or request.path.startswith(PUBLIC_PREFIXES) or not current_user.is_authenticated


def _region_name() -> str:
    """The column's region, read at most once a minute per process."""
    cached = current_app.extensions.get("sunhall_region")
    now = time.monotonic()
    if cached is None or now - cached[1] > 60:
        region = public.home_region(db_session())
        cached = (region.name if region else "", now)
        current_app.extensions["sunhall_region"] = cached
    return cached[0]


@bp.app_context_processor
def _portal_globals():
    """What every page of the column's layout reads (error.html chooses its layout by public_page)."""
    if not is_public_page():
        return {"public_page": False}
    return {"public_page": True, "region_name": _region_name(), "elder": request.cookies.get(ELDER_COOKIE) == "1",
            "CATEGORIES": ITEM_CATEGORIES, "AUDIENCES": AUDIENCES, "CASE_TYPES": CASE_TYPES,
            "LIMIT_UNITS": LIMIT_UNITS, "CASE_STATES": CASE_STATES, "CHANNELS": CHANNELS, "CLOCK_STARTS": CLOCK_STARTS,
            "EX_OFFICIO": EX_OFFICIO}


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


def _row_id(raw: str | None) -> str | None:
    """A posted row id as the services take it: digits a database integer can hold, "0" (no such
    row) for anything else that was typed, None when nothing was."""
    if not raw:
        return None
    return raw if raw.isascii() and raw.isdigit() and len(raw) <= 18 else "0"


def _back_to(target: str | None) -> str:
    """A path on this site only (never an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("portal.index")
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.get("/elder")
def elder_mode():
    """长者模式 on or off (large type, high contrast, simpler layout), kept for a year."""
    on = request.args.get("on") == "1"
    response = redirect(_back_to(request.args.get("next")))
    if on:
        response.set_cookie(ELDER_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(ELDER_COOKIE)
    return response


def _public_items(session) -> list[Item]:
    return list(session.scalars(public.public_items_query(session)).unique())


@bp.get("/")
def index():
    session = db_session()
    items = _public_items(session)
    by_category: dict[str, int] = {}
    for item in items:
        by_category[item.current_version.category] = by_category.get(item.current_version.category, 0) + 1
    themes = {aud: [(t, sum(1 for i in items if aud in i.current_version.audiences and t in i.current_version.themes))
                    for t in THEMES[aud]] for aud in AUDIENCES}
    return render_template("portal/index.html", tree=public.directory_tree(session, items), total=len(items),
                           by_category=by_category, themes=themes)


def _filters() -> dict:
    """The list's filters as given, each checked against what exists (an unknown value is ignored)."""
    args = request.args
    chosen = {}
    if args.get("category") in ITEM_CATEGORIES:
        chosen["category"] = args["category"]
    if args.get("audience") in AUDIENCES:
        chosen["audience"] = args["audience"]
        if args.get("theme") in THEMES[args["audience"]]:
            chosen["theme"] = args["theme"]
    department = args.get("department", "")
    if public.ITEM_CODE.fullmatch(department):  # codes only: a NUL byte never reaches PostgreSQL
        chosen["department"] = department
        section = args.get("section", "")
        if section and len(section) <= 100 and section.isprintable():
            chosen["section"] = section
    return chosen


@bp.get("/items")
def items():
    """事项目录: by department (the tree) and its sections, audience and life event, or category;
    paged. A county publishes hundreds of items: read once, filtered here (JSON lists alike on
    SQLite and PostgreSQL)."""
    session = db_session()
    chosen = _filters()
    everything = _public_items(session)
    found = everything
    department = None
    if "department" in chosen:
        department = session.scalars(select(Department).where(Department.code == chosen["department"])).first()
        if department is None:
            chosen.pop("department")
            chosen.pop("section", None)
        else:
            ids = {department.id, *session.scalars(select(Department.id).where(Department.parent_id == department.id))}
            found = [i for i in found if i.department_id in ids]
    wanted = {"category": lambda v: v.category == chosen["category"],
              "audience": lambda v: chosen["audience"] in (v.audiences or []),
              "theme": lambda v: chosen["theme"] in (v.themes or []),
              "section": lambda v: v.section == chosen["section"]}
    for key, test in wanted.items():
        if key in chosen:
            found = [i for i in found if test(i.current_version)]
    page = _page_number()
    pages = max((len(found) + PER_PAGE - 1) // PER_PAGE, 1)
    page = min(page, pages)
    themes = []
    if "audience" in chosen:  # the life events of this audience that have items
        audience = chosen["audience"]
        themes = [t for t in THEMES[audience] if any(audience in i.current_version.audiences
                                                    and t in i.current_version.themes for i in everything)]
    return render_template("portal/items.html", themes=themes, items=found[(page - 1) * PER_PAGE: page * PER_PAGE],
                           total=len(found), page=page, pages=pages, chosen=chosen, department=department,
                           tree=public.directory_tree(session, everything), THEMES=THEMES)


def item_or_404(code: str) -> Item:
    item = public.public_item(db_session(), code)
    if item is None:
        abort(404)
    return item


def flow_of(item: Item) -> tuple[list, Markup]:
    """The public steps and the diagram of the item's running flow chart (the latest deployed version)."""
    key = item.current_version.process_key
    definition = db_session().scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == key)
                                      .order_by(ProcessDefinition.version.desc())).first() if key else None
    if definition is None:
        return [], Markup("")
    title = f"{item.current_version.name}办理流程图"
    # every text in the SVG is escaped by diagram_svg, so it is safe markup
    applied = item.current_version.category not in EX_OFFICIO  # a penalty starts with 立案, not an application
    return public_steps(definition.bpmn_xml, key, applied), Markup(diagram_svg(definition.bpmn_xml, key, title))


@bp.get("/items/<code>")
def item(code: str):
    """办事指南: every public field the item's category requires (seed 004 §4.2)."""
    item = item_or_404(code)
    steps, diagram = flow_of(item)
    return render_template("portal/item_guide.html", item=item, v=item.current_version, steps=steps, diagram=diagram,
                           tab="guide", ex_officio=item.current_version.category in EX_OFFICIO)


#: the column's forms: each POST counts against the client address's public limit
LIMITED = ("portal.item_apply", "portal.progress", "portal.my_application", "portal.supply_correction",
           "portal.question_ask", "portal.question_lookup", "portal.complaint_new", "portal.complaint_lookup",
           "portal.gk_apply", "portal.gk_lookup", "portal.gk_correction")


def install_rate_limits(app, limiter, settings) -> None:
    """网上申请, 在线咨询, 投诉, 结果反馈 and 查询码 look-ups are limited per client address (guessing a 查询码 or
    trying certificate numbers against a 办件编号 is refused long before it could succeed)."""
    for endpoint in LIMITED:
        view = app.view_functions.get(endpoint)
        if view is not None:
            app.view_functions[endpoint] = limiter.limit(settings.public_rate_limit, methods=["POST"])(view)


from . import apply, complaints, disclosure, downloads, faq, hall, questions, results, search, track  # noqa: E402,F401  (routes of the column)
