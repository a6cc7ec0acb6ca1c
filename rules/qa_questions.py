"""The supervisors' list of questions (电子监察 › 在线解答): filters by department, state, lateness,
forwarding and a 咨询编号 or title words, newest first; the forwarding reasons are shown with each
question as evidence (云南省政务信息查询在线解答管理办法 art. 4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import Session, selectinload

from engine import clock, querycode
from engine.errors import InvalidInput
from engine.models import Department, Question, QuestionTurn
from engine.models.qa import QUESTION_STATES
from engine.paging import Order, Page, capped_count, fetch
from engine.validation import half_width, sentences

from .qa_report import PER_PAGE, _whole

KEYWORD_MAX = 50


def matching(keyword: str):
    """咨询编号 or words of the title, as typed: a number with spaces, in lower case or full-width
    is found (part of a number too); each word of the title must appear."""
    keyword = re.sub(r"[\x00-\x1f\x7f]", " ", keyword)  # no one types them; PostgreSQL refuses NUL
    number = querycode.normalize_number(keyword)
    words = half_width(keyword).split()
    title = and_(*(Question.title.contains(word, autoescape=True) for word in words)) if words else false()
    return or_(Question.number.contains(number, autoescape=True), title) if number else title


@dataclass
class QuestionFilter:
    keyword: str = ""
    department_id: int | None = None
    state: str | None = None
    overdue: bool = False
    forwarded: bool = False
    unexplained: bool = False


FLAG_VALUES = {"": False, "0": False, "1": True, "on": True, "true": True}


def parse_filter(session: Session, args) -> QuestionFilter:
    """The list's filters from a query string; a value that is not one of the offered ones is a
    Chinese message on its field."""
    errors: dict[str, str] = {}
    f = QuestionFilter()
    keyword = (args.get("q") or "").strip()
    if len(keyword) > KEYWORD_MAX:
        errors["q"] = f"咨询编号或标题关键词不能超过 {KEYWORD_MAX} 个字。"
    else:
        f.keyword = keyword
    dept = (args.get("department") or "").strip()
    if dept:
        dept_id = _whole(dept, 1, 10**9)
        if dept_id is None or session.get(Department, dept_id) is None:
            errors["department"] = "所选单位不存在，请重新选择。"
        else:
            f.department_id = dept_id
    state = (args.get("state") or "").strip()
    if state:
        if state in QUESTION_STATES:
            f.state = state
        else:
            errors["state"] = "状态只能是" + "、".join(QUESTION_STATES.values()) + "之一。"
    for name, label in (("overdue", "逾期"), ("forwarded", "经转发或移交"), ("unexplained", "逾期未说明")):
        value = (args.get(name) or "").strip().lower()
        if value in FLAG_VALUES:
            setattr(f, name, FLAG_VALUES[value])
        else:
            errors[name] = f"“{label}”筛选条件无效。"
    if errors:
        raise InvalidInput(sentences(errors.values()), field=next(iter(errors)), errors=errors)
    return f


def _late_turn(today: date):
    return or_(QuestionTurn.late.is_(True), and_(QuestionTurn.finished_at.is_(None), QuestionTurn.due_date < today))


NEWEST_FIRST = (Order(Question.asked_at, desc=True), Order(Question.id, desc=True))


def find_questions(session: Session, f: QuestionFilter, per_page: int | None = None, *, after: str | None = None,
                   before: str | None = None) -> tuple[Page, int]:
    """One page of questions, newest first, with their turns, after or before a cursor; and how many
    match, counted up to engine.paging.COUNT_CAP + 1 (the questions grow with the years).
    逾期: a turn finished late or open past its due date today; 经转发或移交: a turn at the 政府办 for
    forwarding, forwarded to it, or answered and passed on."""
    today, per_page = clock.today(), per_page or PER_PAGE
    of_question = QuestionTurn.question_id == Question.id
    q = select(Question)
    if f.keyword:
        q = q.where(matching(f.keyword))
    if f.department_id:
        q = q.where(or_(Question.department_id == f.department_id,
                        exists().where(of_question, QuestionTurn.department_id == f.department_id)))
    if f.state:
        q = q.where(Question.state == f.state)
    if f.overdue:
        q = q.where(exists().where(of_question, _late_turn(today)))
    if f.unexplained:
        q = q.where(exists().where(of_question, _late_turn(today),
                                   or_(QuestionTurn.explanation.is_(None), QuestionTurn.explanation == "")))
    if f.forwarded:
        q = q.where(exists().where(of_question, or_(QuestionTurn.kind == "dispatch",
                                                    QuestionTurn.outcome.in_(("forwarded", "passed")))))
    total = capped_count(session, q.with_only_columns(Question.id))
    page = fetch(session, q.options(selectinload(Question.turns).selectinload(QuestionTurn.department),
                                    selectinload(Question.turns).selectinload(QuestionTurn.to_department),
                                    selectinload(Question.department)),
                 NEWEST_FIRST, lambda row: [row.asked_at, row.id], size=per_page, scalars=True, after=after, before=before)
    return page, total
