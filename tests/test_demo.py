"""`sunhall demo` builds the county once, with the FAQ category tree and library; running it again
duplicates nothing. The history's questions take every path of the 在线解答 rules."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine import clock, search
from engine.models import (
    CaseTask,
    Department,
    FaqCategory,
    FaqEntry,
    Item,
    ItemVersion,
    Post,
    ProcessDefinition,
    Question,
    Region,
    User,
)
from rules.models import Complaint
from webapp.cli import main
from webapp.demo.qa import CATEGORIES, LIBRARY, MUST, category_ids, load_library, load_questions

COUNTED = (Region, Department, Post, User, Item, ItemVersion, ProcessDefinition, FaqCategory, FaqEntry)


def _counts(database):
    with database.transaction(write=False) as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def test_demo_twice_changes_nothing(database, monkeypatch):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    before = _counts(database)
    out = CliRunner().invoke(main, ["demo"])
    assert out.exit_code == 0, out.output
    assert "sc001" in out.output and "Sunhall@2026" in out.output
    assert _counts(database) == before
    assert before["Department"] >= 8 and before["User"] >= 20 and before["Item"] >= 6


def test_demo_items_have_their_flows_and_promised_within_legal(database):
    with database.transaction(write=False) as s:
        for item in s.scalars(select(Item)):
            version = item.current_version
            assert version.promised_limit <= version.legal_limit
            assert s.scalar(select(ProcessDefinition).where(ProcessDefinition.process_key == version.process_key))
            assert version.legal_basis
            assert version.materials or version.process_key in ("supervise_order", "item_review", "online_question",
                                                                  "proactive_publication")  # internal items


# --- 在线解答: the unified category tree and the FAQ library (base demo), a year of questions (history)

def test_faq_tree_and_library_come_with_the_demo_once(database):
    with database.transaction(write=False) as s:
        ids = category_ids(s)
        for root, children in CATEGORIES:
            assert (root, None) in ids and all((root, child) in ids for child in children)
        parents = {c.id: c.parent_id for c in s.scalars(select(FaqCategory))}
        assert all(parent is None or parents[parent] is None for parent in parents.values())  # two levels
        entries = {e.title: e for e in s.scalars(select(FaqEntry).where(FaqEntry.source_question_id.is_(None)))}
        items = {i.code: i.id for i in s.scalars(select(Item))}
        depts = {d.id: d.code for d in s.scalars(select(Department))}
        assert len(LIBRARY) >= 40 and {e.title for e in LIBRARY} <= set(entries)
        mine = [entries[e.title] for e in LIBRARY]
        assert all(e.valid_from == date(2026, 1, 1) and e.valid_to is None for e in mine)
        assert {depts[e.department_id] for e in mine} == {"scjgj", "wsjkj", "zjj", "zrzyj", "rsj", "zfb"}
        assert any(e.item_id == items["075309300001"] for e in mine)  # 个体工商户设立登记
        assert any(e.item_id == items["015309300002"] and "开饭店" in e.title for e in mine)  # 食品经营许可
        assert all(e.question and e.answer and len(e.title) <= 100 for e in mine)
        hits = search.query(s, "开饭店", source="faq", per_page=50).hits
        assert f"/faq/{entries['开饭店需要办理食品经营许可证吗？'].id}" in {h.url for h in hits}
        assert load_library(s, {d.code: d for d in s.scalars(select(Department))}) == 0  # nothing twice


@pytest.fixture
def questions(database):
    """The history's questions alone (each kind at least once); the entries they add to the
    library go again with them."""
    with database.transaction(write=False) as s:
        before = set(s.scalars(select(FaqEntry.id)))
    asked = load_questions(database, count=0, seed=7)
    yield asked
    with database.transaction() as s:
        for entry in s.scalars(select(FaqEntry).where(FaqEntry.id.not_in(before))):
            search.withdraw(s, "faq", f"lib/{entry.id}")
            s.delete(entry)


def test_history_questions_show_every_path_of_the_rules(database, questions):
    with database.transaction(write=False) as s:
        asked = list(s.scalars(select(Question)))
        assert questions == len(asked) == len(MUST)
        turns = [t for q in asked for t in q.turns]
        assert {q.channel for q in asked} == {"web", "phone", "window", "library", "archive"}
        closed = [q for q in asked if q.state == "closed"]
        assert any(q.public for q in closed) and any(not q.public for q in closed)
        assert all(q.category_id for q in closed) and any(not q.consent_public for q in asked)
        unclear = [q for q in asked if q.asked_department_id is None]
        assert unclear and all(q.turns[0].kind == "dispatch" and q.turns[0].outcome == "dispatched" and q.turns[0].reason
                               for q in unclear if q.turns[0].finished_at)
        forwarded = [t for t in turns if t.outcome == "forwarded"]
        assert forwarded and all(t.reason and t.to_department.code == "zfb" for t in forwarded)
        refused = s.scalars(select(CaseTask).where(CaseTask.step_id.in_(("forward_review", "dispatch_review", "review")),
                                                   CaseTask.approved.is_(False))).all()
        assert {t.step_id for t in refused} == {"forward_review", "dispatch_review", "review"}
        joint = [t for t in turns if t.outcome == "passed"]
        assert joint and all(t.reason and t.to_department for t in joint)
        assert any(t.complex and t.limit_days == 10 for t in turns)
        extended = [t for t in turns if t.extended]
        assert extended and all(t.limit_days == 20 and s.get(User, t.extension_approver_id).has_role("leader")
                                for t in extended)
        assert any(t.late and t.explanation for t in turns) and any(t.late and not t.explanation for t in turns)
        assert all(not t.late or t.finished_at.date() > t.due_date for t in turns)
        still = [t for t in turns if t.finished_at is None]
        assert any(t.due_date < clock.today() for t in still) and any(t.explanation for t in still)
        assert [q for q in asked if q.state != "closed"]
        filed = s.scalars(select(Complaint).where(Complaint.question_id.is_not(None))).all()
        assert {c.state for c in filed} == {"answered", "not_accepted", "accepted"} and all(c.channel == "online" for c in filed)
        promoted = s.scalars(select(FaqEntry).where(FaqEntry.source_question_id.is_not(None))).all()
        assert promoted and all(s.get(Question, e.source_question_id).public for e in promoted)
