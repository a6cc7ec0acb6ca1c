"""结果公示 (seed 002 §7.3 rule 9, second half): for licences and the other items whose results the
law makes public, the list of every finished case: 办件编号, 办件名称, 办理结果, 办结时间.

The 办件名称 shown is the item's name with the applicant as a public page may show them (a natural
person masked by engine.masking, a legal person in full), never the case's own subject, which often
carries the applicant's full name ("张三申请食品经营许可"). The keyword searches 办件编号, the item's
name and legal persons' names only: a search by a natural person's name must not be able to confirm
that this person applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template, request
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import clock, masking
from engine.errors import InvalidInput
from engine.models import Case, Department, Item, ItemVersion
from engine.paging import Order, Page, capped_count, fetch
from engine.service import public
from engine.validation import normalize, unwanted_character

from ..db import db_session
from ..paging import cursor, links, shown_total
from . import PER_PAGE, bp

LICENCE = "01"  # 行政许可: results public by law (行政许可法 art. 40)
PARTY_CATEGORIES = ("02", "03", "06")  # 处罚, 强制, 检查: the authority's own cases have a 当事人, not an applicant
KEYWORD_MAX = 50


@dataclass
class Published:
    """One line of the list, already as the public may read it."""

    number: str
    name: str
    result: str
    finished_at: datetime  # local time


@dataclass(frozen=True)
class Version:
    """An item version whose cases' results are public (the catalogue side of the list)."""

    id: int
    item_code: str
    name: str
    category: str
    department_id: int


def publishes_results(version: ItemVersion) -> bool:
    return version.category == LICENCE or bool(version.results_public)


def publicity_items(session: Session) -> list[Item]:
    """The public items whose current version publishes its results (the item select)."""
    return [i for i in session.scalars(public.public_items_query(session)).unique() if publishes_results(i.current_version)]


def publicity_versions(session: Session) -> list[Version]:
    """Every version, of an item the column shows, that published its results when cases were handled
    under it (行政许可 always; other items when marked), and whose flow is not internal."""
    shown = select(public.public_items_query(session).subquery().c.id)
    stmt = (select(ItemVersion.id, Item.code, ItemVersion.name, ItemVersion.category, Item.department_id)
            .join(Item, Item.id == ItemVersion.item_id)
            .where(Item.id.in_(shown), or_(ItemVersion.category == LICENCE, ItemVersion.results_public.is_(True))))
    hidden = public.internal_keys(session)
    if hidden:  # a case's flow is its version's (engine.service.intake.current_definition)
        stmt = stmt.where(ItemVersion.process_key.is_(None) | ItemVersion.process_key.not_in(hidden))
    return [Version(*row) for row in session.execute(stmt)]


def _like(keyword: str) -> str:
    return "%" + keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _starting_with(digits: str) -> list:
    """办件编号 beginning with ``digits``, as a range of the number's index: [123, 124) holds 123 and
    1234…, and digits sort alike in every collation (a "123~" bound would not: PostgreSQL's zh_CN
    collation may ignore the ~)."""
    after = str(int(digits) + 1).zfill(len(digits))
    return [Case.number >= digits] + ([Case.number < after] if len(after) == len(digits) else [])


def published_conditions(versions: list[Version], keyword: str | None = None) -> list:
    """Finished cases handled under one of ``versions``; with a keyword of digits, those whose 办件编号
    starts with it; with any other keyword, those whose item name or legal-person applicant contains it
    (never a natural person's name)."""
    conditions = [Case.state == "finished", Case.item_version_id.in_([v.id for v in versions])]
    if keyword and keyword.isascii() and keyword.isdigit():  # a 办件编号 or its beginning, from the number's index
        conditions.append(Case.id.in_(select(Case.id).where(*_starting_with(keyword))))
    elif keyword:
        folded = keyword.casefold()
        named = [v.id for v in versions if folded in v.name.casefold()]
        # the applicants' names are read once, by themselves (a scan of the names, not of whole case rows)
        legal = select(Case.id).where(Case.applicant_type != masking.NATURAL_PERSON,
                                      Case.applicant_name.ilike(_like(keyword), escape="\\"))
        conditions.append(or_(Case.item_version_id.in_(named), Case.id.in_(legal)) if named else Case.id.in_(legal))
    return conditions


NEWEST_FIRST = (Order(Case.finished_at, desc=True), Order(Case.id, desc=True))  # a finished case has its finished_at


def published_page(session: Session, versions: list[Version], keyword: str | None, *, after: str | None = None,
                   before: str | None = None) -> tuple[list[Published], Page, int]:
    """One page of the list, newest first, after or before a cursor: (rows, page, total), the total
    counted up to engine.paging.COUNT_CAP + 1 (a count of every published result would read them all)."""
    if not versions:
        return [], Page([]), 0
    conditions = published_conditions(versions, keyword)
    total = capped_count(session, select(Case.id).where(*conditions))
    stmt = select(Case.id, Case.number, Case.applicant_name, Case.applicant_type, Case.result, Case.finished_at,
                  Case.item_version_id).where(*conditions)
    page = fetch(session, stmt, NEWEST_FIRST, lambda r: [r.finished_at, r.id], after=after, before=before, size=PER_PAGE)
    by_id = {v.id: v for v in versions}
    rows = []
    for _id, number, applicant, applicant_type, result, finished, version_id in page.rows:
        v = by_id[version_id]
        role = "当事人" if v.category in PARTY_CATEGORIES else "申请人"
        rows.append(Published(number, f"{v.name}（{role}：{masking.mask_name(applicant, applicant_type)}）", result or "",
                              finished.astimezone(clock.LOCAL_TZ)))
    return rows, page, total


def _keyword() -> str:
    """The keyword as typed (full-width letters and digits folded), or "" when it is not something a
    person could have meant: too long, or with control or invisible characters."""
    raw = request.args.get("q", "")
    keyword = normalize(raw).strip()
    if len(keyword) > KEYWORD_MAX or unwanted_character(keyword):
        return ""
    return keyword


@bp.get("/results")
def publicity():
    """结果公示: paged, by item, department (the item's 办理部门) and keyword; an unknown or malformed
    filter is ignored."""
    session = db_session()
    items = publicity_items(session)
    versions = publicity_versions(session)
    departments = list(session.scalars(select(Department).where(Department.id.in_({i.department_id for i in items}))
                                       .order_by(Department.id))) if items else []
    chosen = {}
    item = next((i for i in items if i.code == request.args.get("item")), None)
    if item is not None:
        chosen["item"] = item.code
        versions = [v for v in versions if v.item_code == item.code]
    department = next((d for d in departments if d.code == request.args.get("department")), None)
    if department is not None:
        chosen["department"] = department.code
        ids = {department.id, *session.scalars(select(Department.id).where(Department.parent_id == department.id))}
        versions = [v for v in versions if v.department_id in ids]
    keyword = _keyword()
    if keyword:
        chosen["q"] = keyword
    try:
        rows, page, total = published_page(session, versions, keyword, **cursor())
    except InvalidInput:  # a cursor that is not ours, like any malformed filter of the column: the first page
        rows, page, total = published_page(session, versions, keyword)
    return render_template("portal/publicity.html", rows=rows, total=shown_total(total), pages=links(page),
                           chosen=chosen, items=items, departments=departments)
