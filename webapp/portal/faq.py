"""常见问题 (指导意见 三.3): the FAQ library by its unified categories, an entry's page, and the item
page's 网上咨询 (the item's own FAQ, the library's entries about it and the published questions)."""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import func, select

from engine.errors import InvalidInput
from engine.models import FaqCategory, FaqEntry, Item
from engine.paging import Order, Page, decode, fetch
from engine.qa import faq
from engine.service import public

from ..db import db_session
from ..paging import cursor, links
from . import PER_PAGE, bp, item_or_404

ITEM_QUESTIONS = 10  # the newest published questions shown on an item's 网上咨询
NEWEST_FIRST = (Order(FaqEntry.valid_from, desc=True), Order(FaqEntry.id, desc=True))  # engine.qa.faq.NEWEST_FIRST


def checked_cursor(order) -> dict:
    """The request's cursor (webapp.paging.cursor), or none, the first page, when it is not one of
    ours: the column ignores a malformed filter rather than refusing it."""
    given = cursor()
    try:
        for value in given.values():
            decode(value, order)
    except InvalidInput:
        return {}
    return given


def _entries_page(session, stmt) -> tuple[Page, int]:
    stmt = stmt.order_by(None)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return fetch(session, stmt, NEWEST_FIRST, lambda e: [e.valid_from, e.id], size=PER_PAGE, scalars=True,
                 **checked_cursor(NEWEST_FIRST)), total


def _shown(nodes: list[faq.Node]) -> list[faq.Node]:
    """The categories with valid entries at or below them (an empty one leads nowhere)."""
    for node in nodes:
        node.children = _shown(node.children)
    return [node for node in nodes if node.count]


def _library(category: FaqCategory | None):
    session = db_session()
    stmt = faq.entries_query(session, category_id=category.id if category else None)
    page, total = _entries_page(session, stmt)
    return render_template("portal/faq.html", tree=_shown(faq.tree(session, faq.counts_by_category(session))),
                           category=category, trail=faq.path(session, category.id) if category else [],
                           entries=page.rows, total=total, pages=links(page))


@bp.get("/faq")
def faq_library():
    """常见问题: every valid entry, newest first, beside the category tree."""
    return _library(None)


@bp.get("/faq/category/<int:category_id>")
def faq_category(category_id: int):
    """The valid entries of a category and its sub-categories, paged."""
    category = db_session().get(FaqCategory, category_id)
    if category is None:
        abort(404)
    return _library(category)


@bp.get("/faq/<int:entry_id>")
def faq_entry(entry_id: int):
    """One entry while it is valid (withdrawn and expired entries are not found)."""
    session = db_session()
    entry = session.scalars(faq.entries_query(session).where(FaqEntry.id == entry_id)).first()
    if entry is None:
        abort(404)
    item = session.get(Item, entry.item_id) if entry.item_id else None
    return render_template("portal/faq_entry.html", entry=entry, trail=faq.path(session, entry.category_id),
                           item=public.public_item(session, item.code) if item else None)


@bp.get("/items/<code>/faq")
def item_faq(code: str):
    """网上咨询: the item's own questions and answers, the library's entries about it, the published
    questions about it, and asking a question about it."""
    item = item_or_404(code)
    session = db_session()
    entries = list(session.scalars(faq.entries_query(session, item_id=item.id)))
    asked = list(session.scalars(faq.questions_about(session, item).limit(ITEM_QUESTIONS)))
    return render_template("portal/item_faq.html", item=item, v=item.current_version, tab="faq", entries=entries,
                           asked=asked)
