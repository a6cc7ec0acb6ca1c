"""Keyset paging (engine/paging.py): every row once, in order, forwards and back, and no OFFSET."""

from datetime import date, timedelta

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, func, insert, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.paging import Order, decode, encode, fetch

meta = MetaData()
rows = Table("paged", meta, Column("id", Integer, primary_key=True), Column("due", Date), Column("name", String(20)))


@pytest.fixture()
def session():
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with Session(engine) as s:
        start = date(2026, 12, 1)
        # ties on the due date and missing due dates: the boundary must still be exact
        s.execute(insert(rows), [{"id": i, "due": None if i % 7 == 0 else start + timedelta(days=i % 5),
                                  "name": f"第{i}件"} for i in range(1, 58)])
        yield s


ORDERS = {
    "ascending": lambda: [Order(func.coalesce(rows.c.due, date(9999, 12, 31))), Order(rows.c.id)],
    "mixed": lambda: [Order(func.coalesce(rows.c.due, date(1, 1, 1)), desc=True), Order(rows.c.id)],
}


@pytest.mark.parametrize("kind", ORDERS)
def test_pages_forwards_and_back_cover_every_row_once_in_order(session, kind):
    order = ORDERS[kind]()
    stmt = select(rows)
    expected = [r.id for r in session.execute(stmt.order_by(*[o.expr.desc() if o.desc else o.expr for o in order]))]

    def key(r):
        return [r.due or (date(9999, 12, 31) if kind == "ascending" else date(1, 1, 1)), r.id]

    seen, pages, page = [], [], fetch(session, stmt, order, key, size=10)
    assert page.first and page.prev is None
    while True:
        pages.append([r.id for r in page.rows])
        seen += pages[-1]
        if page.next is None:
            break
        page = fetch(session, stmt, order, key, after=page.next, size=10)
        assert not page.first and page.prev
    assert seen == expected and len(pages) == 6
    back = []
    while page.prev:
        page = fetch(session, stmt, order, key, before=page.prev, size=10)
        back.insert(0, [r.id for r in page.rows])
    assert back == pages[:-1] and page.first


def test_a_tampered_cursor_is_refused_in_chinese(session):
    order = ORDERS["ascending"]()
    for bad in ("!!!", encode([1]), encode(["x", 1]), encode([{"d": "2026-13-01"}, 1]), "A" * 600,
                encode([{"d": "2026-12-01"}, True])):
        with pytest.raises(InvalidInput, match="翻页参数无效"):
            fetch(session, select(rows), order, lambda r: [r.due, r.id], after=bad)
    assert decode(encode([date(2026, 12, 1), 3]), order) == [date(2026, 12, 1), 3]
