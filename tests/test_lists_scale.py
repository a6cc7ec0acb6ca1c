"""Lists at scale: keyset pages of the worklist cover every row once, a tampered cursor is a Chinese 4xx,
and the case-visibility check asks the database one question instead of reading the case's steps."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import event, insert, select

from engine.models import CaseTask, Department, User
from engine.paging import encode
from engine.service import can_see_case, department_scope, start_case
from engine.service.worklist import Filters, task_count, task_page

from .conftest import As
from .webhelpers import login


def _done_steps(database, case_id: int, staff_no: str, count: int) -> list[int]:
    """``count`` steps of the case completed by the user, several at the same moment (ties the order
    must break by id), newest first as 已办 lists them."""
    base = datetime(2026, 9, 1, 2, 0, tzinfo=timezone.utc)
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.staff_no == staff_no)).one()
        rows = [dict(case_id=case_id, spiff_id=f"s{i}", step_id="handle", step_name=f"第{i}步", post_code="handle",
                     department_id=user.department_id, state="completed", created_at=base, form_data={},
                     completed_at=base + timedelta(minutes=i // 3), completed_by_id=user.id) for i in range(count)]
        s.execute(insert(CaseTask), rows)
        return list(s.scalars(select(CaseTask.id).where(CaseTask.completed_by_id == user.id)
                              .order_by(CaseTask.completed_at.desc(), CaseTask.id.desc())))


def _listed_steps(html: str) -> list[str]:
    return re.findall(r"<td>(第\d+步)</td>", html)


def test_paging_through_a_clerk_s_done_tab_shows_every_row_once(client, run, database, frozen_clock, company):
    case = run(start_case, "015309300002", company, As("sc001"))
    expected = _done_steps(database, case.id, "sc001", 47)
    with database.transaction(write=False) as s:
        names = dict(s.execute(select(CaseTask.id, CaseTask.step_name).where(CaseTask.id.in_(expected))).all())
    login(client, "sc001")
    seen, pages, path = [], [], "/workbench?tab=done"
    while path:
        html = client.get(path).get_data(as_text=True)
        pages.append(html)
        seen += _listed_steps(html)
        found = re.search(r'<a href="([^"]+)" rel="next">', html)
        path = found.group(1).replace("&amp;", "&") if found else None
    assert seen == [names[i] for i in expected] and len(pages) == 3
    assert "共 47 件" in pages[0] and "首页" not in pages[0] and "首页" in pages[2]
    back = re.search(r'<a href="([^"]+)" rel="prev">', pages[2]).group(1).replace("&amp;", "&")
    assert _listed_steps(client.get(back).get_data(as_text=True)) == _listed_steps(pages[1])
    # the numbered pages are gone: an old ?page= is ignored, never an error
    assert _listed_steps(client.get("/workbench?tab=done&page=3").get_data(as_text=True)) == _listed_steps(pages[0])


def test_the_count_stops_at_its_cap(run, database, frozen_clock, company):
    case = run(start_case, "015309300002", company, As("sc001"))
    _done_steps(database, case.id, "sc001", 12)
    with database.transaction(write=False) as s:
        user = s.scalars(select(User).where(User.staff_no == "sc001")).one()
        assert task_count(s, user, "done", Filters(), cap=10) == 11
        assert task_count(s, user, "done", Filters()) == 12
        page = task_page(s, user, "done", Filters(), size=5)
        assert len(page.rows) == 5 and page.next and page.first


def test_a_tampered_cursor_is_a_chinese_4xx_not_a_server_error(client, run, database, frozen_clock, company):
    run(start_case, "015309300002", company, As("sc001"))
    login(client, "sc001")
    for bad in ("!!!", "A" * 600, encode(["x", 1]), encode([{"t": "2026-09-01T10:00:00"}, 1]), encode([1]),
                encode([{"d": "2026-13-01"}, 1]), "%00"):
        for tab in ("todo", "done", "overdue", "paused", "due_soon"):
            for name in ("after", "before"):
                r = client.get("/workbench", query_string={"tab": tab, name: bad})
                assert r.status_code == 422 and "翻页参数无效" in r.get_data(as_text=True), (tab, name, bad)


def test_can_see_case_refuses_outside_scope_without_reading_the_steps(run, database, frozen_clock, company):
    case = run(start_case, "015309300002", company, As("sc001"))  # 市场监管局's case
    with database.transaction(write=False) as s:
        outsider = s.scalars(select(User).where(User.staff_no == "ws001")).one()
        clerk = s.scalars(select(User).where(User.staff_no == "sc001")).one()
        assert case.department_id not in department_scope(s, outsider)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(s.connection(), "before_cursor_execute", listener)
        try:
            assert not can_see_case(s, outsider, case)
            assert can_see_case(s, clerk, case)
        finally:
            event.remove(s.connection(), "before_cursor_execute", listener)
        assert len(statements) == 2  # one question each
        assert not any(re.search(r"SELECT case_task\.id, case_task\.case_id", st) for st in statements)


def test_department_scope_follows_the_tree(database):
    with database.transaction(write=False) as s:
        user = s.scalars(select(User).where(User.staff_no == "sc001")).one()
        below = set(s.scalars(select(Department.id).where(Department.parent_id == user.department_id)))
        scope = department_scope(s, user)
        assert user.department_id in scope and below <= scope
        assert all(d in scope for d in s.scalars(select(Department.id).where(Department.parent_id.in_(below))))
