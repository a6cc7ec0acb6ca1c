"""Keyset paging: a page is the rows after (or before) a row already shown, never an OFFSET.

An OFFSET makes the database read and throw away every row before the page, so the hundredth page
of a clerk's 已办 costs a hundred pages. A keyset page starts at the last row shown, found through the
index of the list's order, and costs the same on every page. The cursor is that row's order values,
encoded for the address bar; a tampered or stale cursor is refused in Chinese, never a server error.

The order must be total (end with a unique column such as the id) and its expressions not NULL
(wrap a nullable column in ``coalesce``), because the page boundary compares them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Sequence

from sqlalchemy import TypeDecorator, and_, func, or_, select, tuple_, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from .errors import InvalidInput

BAD_CURSOR = "翻页参数无效，请回到第一页重新查看。"
MAX_CURSOR = 512
COUNT_CAP = 1000  # a list counts its rows up to here and shows "1000+" beyond (see capped_count)


@dataclass(frozen=True)
class Order:
    """One expression of a list's order, ascending unless ``desc``."""

    expr: ColumnElement
    desc: bool = False


@dataclass
class Page:
    rows: list
    next: str | None = None  # cursor of the page after this one
    prev: str | None = None  # cursor of the page before this one
    first: bool = True
    extra: dict = field(default_factory=dict)


def encode(values: Sequence[Any]) -> str:
    def tag(v):
        if isinstance(v, datetime):
            return {"t": v.isoformat()}
        if isinstance(v, date):
            return {"d": v.isoformat()}
        return v
    text = json.dumps([tag(v) for v in values], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str, order: Sequence[Order]) -> list:
    """The cursor's values, each of the type its order expression compares with."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR:
        raise InvalidInput(BAD_CURSOR)
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput(BAD_CURSOR) from None
    if not isinstance(values, list) or len(values) != len(order):
        raise InvalidInput(BAD_CURSOR)
    return [_typed(v, o.expr) for v, o in zip(values, order)]


def _python_type(expr: ColumnElement):
    kind = expr.type
    if isinstance(kind, TypeDecorator):  # e.g. engine.models.base.UTCDateTime: the type it stores as
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


def _typed(value, expr: ColumnElement):
    want = _python_type(expr)
    try:
        if isinstance(value, dict) and set(value) == {"t"} and want is datetime:
            parsed = datetime.fromisoformat(value["t"])
            if parsed.tzinfo is None:
                raise ValueError
            return parsed
        if isinstance(value, dict) and set(value) == {"d"} and want is date:
            return date.fromisoformat(value["d"])
    except (TypeError, ValueError):
        raise InvalidInput(BAD_CURSOR) from None
    if want is bool and isinstance(value, bool):
        return value
    if want is int and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2 ** 63:
        return value
    if want is str and isinstance(value, str) and len(value) <= 200:
        return value
    if want is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise InvalidInput(BAD_CURSOR)


def _beyond(order: Sequence[Order], values: Sequence[Any], backwards: bool) -> ColumnElement:
    """Rows strictly after the key in the list's order (before it when ``backwards``)."""
    descs = [o.desc != backwards for o in order]
    if len(set(descs)) == 1:  # one direction: a row comparison, which an index on the order columns serves
        left, right = tuple_(*[o.expr for o in order]), tuple_(*values)
        return left < right if descs[0] else left > right
    ors = []
    for i, o in enumerate(order):
        cmp = o.expr < values[i] if descs[i] else o.expr > values[i]
        ors.append(and_(*[order[j].expr == values[j] for j in range(i)], cmp))
    return or_(*ors)


def _union(stmt: Select, branches: Sequence[ColumnElement], ident: ColumnElement, directions=(), limit=None):
    """The ids of ``stmt``'s rows that meet one of ``branches``, each branch a query of its own (ordered
    and limited when given), so that each walks its own index instead of the whole OR being sorted."""
    parts = []
    for branch in branches:
        part = stmt.where(branch).with_only_columns(ident).order_by(*directions)
        parts.append(select(part.limit(limit).subquery().c[0]) if limit else part)
    return union_all(*parts) if len(parts) > 1 else parts[0]


def fetch(session: Session, stmt: Select, order: Sequence[Order], key: Callable[[Any], Sequence[Any]], *,
          after: str | None = None, before: str | None = None, size: int = 20, scalars: bool = False,
          branches: Sequence[ColumnElement] = (), ident: ColumnElement | None = None) -> Page:
    """One page of ``stmt`` in ``order``: the first, the one after cursor ``after`` or the one before ``before``.

    ``key(row)`` gives a row's values of the order expressions (for the cursors of the pages around it).
    With ``branches`` (the parts of an OR, each served by an index in the list's order) the page is
    the first rows of each branch's own page, ``ident`` (a unique column) naming them.
    """
    base, backwards = stmt, before is not None and after is None
    cursor = before if backwards else after
    if cursor is not None:
        stmt = stmt.where(_beyond(order, decode(cursor, order), backwards))
    directions = [(o.expr.desc() if o.desc != backwards else o.expr.asc()) for o in order]
    page = stmt.where(ident.in_(_union(stmt, branches, ident, directions, size + 1))) if branches else stmt
    result = session.execute(page.order_by(*directions).limit(size + 1))
    rows = list(result.scalars() if scalars else result.all())
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        if not rows:  # nothing before the cursor any more: the list's first page
            return fetch(session, base, order, key, size=size, scalars=scalars, branches=branches, ident=ident)
        rows.reverse()
        return Page(rows, next=encode(key(rows[-1])) if rows else None,
                    prev=encode(key(rows[0])) if more and rows else None, first=not more)
    return Page(rows, next=encode(key(rows[-1])) if more else None,
                prev=encode(key(rows[0])) if cursor is not None and rows else None, first=cursor is None)


def capped_count(session: Session, stmt: Select, cap: int = COUNT_CAP, branches: Sequence[ColumnElement] = (),
                 ident: ColumnElement | None = None) -> int:
    """How many rows ``stmt`` has (meeting one of ``branches``, as in :func:`fetch`), counted up to
    ``cap + 1``: a full count of a long list reads every row of it, which a page of twenty must not
    pay for; more than ``cap`` shows as "1000+"."""
    if branches:
        stmt = select(ident).where(ident.in_(_union(stmt, branches, ident, limit=cap + 1)))
    return session.scalar(select(func.count()).select_from(stmt.limit(cap + 1).subquery())) or 0
