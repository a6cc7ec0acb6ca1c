"""在线解答 in the demo county: the unified category tree (统一分类) and the FAQ library
(常见问题解答库) loaded with the base demo, and a year of questions loaded with the history.

The library's answers are general public-service content; laws are cited only where the article
says what the answer says. The questions of the history are driven through the real services
(:mod:`engine.qa.service`, :mod:`engine.qa.faq`, :mod:`rules.complaints`) with the clock travelling,
so every turn, due date, late flag, forwarding reason and complaint is what the rules make of it
(云南省政务信息查询在线解答管理办法 arts. 4, 7, 8)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock, scheduler
from engine.calendar import WorkCalendar, load_calendar
from engine.db import Database
from engine.errors import SunhallError
from engine.models import Department, FaqCategory, FaqEntry, Item, Question, User
from engine.qa import faq
from engine.qa import service as qa
from engine.service.intake import WEB_APPLICANT
from rules import complaints

from .qa_texts import ASK, AUTHORS, CATEGORIES, FILL, LIBRARY, LIBRARY_FROM, LIBRARY_WRITTEN, TOPICS, Topic

log = logging.getLogger(__name__)

# --- the unified category tree and the library (base demo) --------------------------------------

def category_ids(session: Session) -> dict[tuple[str, str | None], int]:
    """The tree's nodes by (root, child) name; a root is (name, None)."""
    rows = list(session.scalars(select(FaqCategory)))
    names = {c.id: c.name for c in rows}
    return {((names.get(c.parent_id), c.name) if c.parent_id else (c.name, None)): c.id for c in rows}


def load_library(session: Session, departments: dict[str, Department]) -> int:
    """The unified tree and the library's entries, each once (found again by name and title); the
    caller's search rebuild publishes them. Returns how many entries were added."""
    ids = category_ids(session)
    for position, (root, children) in enumerate(CATEGORIES):
        if (root, None) not in ids:
            node = FaqCategory(name=root, parent_id=None, position=position)
            session.add(node)
            session.flush()
            ids[(root, None)] = node.id
        for child_position, child in enumerate(children):
            if (root, child) not in ids:
                node = FaqCategory(name=child, parent_id=ids[(root, None)], position=child_position)
                session.add(node)
                session.flush()
                ids[(root, child)] = node.id
    have = set(session.execute(select(FaqEntry.title, FaqEntry.department_id)).all())
    authors = {u.staff_no: u.id for u in session.scalars(select(User).where(User.staff_no.in_(AUTHORS.values())))}
    items = {i.code: i.id for i in session.scalars(select(Item).where(Item.code.in_({e.item for e in LIBRARY if e.item})))}
    added = 0
    for entry in LIBRARY:
        dept = departments[entry.department]
        if (entry.title, dept.id) in have:
            continue
        session.add(FaqEntry(title=entry.title, question=entry.question, answer=entry.answer,
                             category_id=ids[entry.category], department_id=dept.id, item_id=items.get(entry.item),
                             valid_from=LIBRARY_FROM, created_at=LIBRARY_WRITTEN,
                             created_by_id=authors.get(AUTHORS[entry.department])))
        added += 1
    session.flush()
    return added


# --- a year of questions (history) ----------------------------------------------------------------

STAFF = {  # 承办, 审核 (never the one who handled it: art. 5), 负责人 (zrzyj and rsj have none in the demo)
    "scjgj": ("sc003", "sc005", "sc006"), "wsjkj": ("ws002", "ws003", "ws004"), "zjj": ("zj002", "zj004", "zj003"),
    "zrzyj": ("zr002", "zr003", None), "rsj": ("rs002", "rs003", None), "zfb": ("zf002", "zf003", "zf004"),
}
REGISTRARS = {"phone": "zf001", "window": "xz001", "library": "zf001", "archive": "zf001"}  # who registers it
CHANNELS = [("web", 70), ("phone", 12), ("window", 9), ("library", 5), ("archive", 4)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "丽娟", "志强", "秀英", "伟", "芳", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]

FORWARD_REASONS = [
    "咨询内容为{subject}，不属于本局职责范围，本局无法确定具体受理部门，申请转县政府办分发。",
    "{subject}不属于本局职权范围，经初步了解可能涉及其他部门，无法明确受理部门，转县政府办分发。",
]
DISPATCH_REASONS = [
    "{subject}属于{dept}职责，转该局答复。",
    "经核实，{subject}由{dept}负责，转该局按期答复。",
]
WEAK_DISPATCH = "转{dept}答复。"
DISPATCH_RETURN = "转发理由未写明该事项的职责依据，请补充后重新提交。"
KEEP_REASON = "该咨询的主要内容为{subject}，属于本局职责，应由本局答复，不同意转发。"
RETURN_REASONS = ["答复未写明办理地点和所需材料，请补充完善后重新提交。", "答复内容过于简单，请结合提问人的具体情况作出说明。",
                  "答复引用的法规条款需要核对，请修改后重新提交。"]
COMPLEX_REASONS = ["咨询涉及多项政策的衔接适用，需要查阅原始档案并会同相关股室研究，认定为重要复杂问题。",
                   "需要到现场核实有关情况后才能答复，认定为重要复杂问题。"]
EXTEND_REASONS = ["咨询涉及的历史遗留问题需要向市级主管部门请示政策口径，经局负责人同意延长答复期限。",
                  "需要调取多年前的审批档案并会同乡镇核实，经负责人同意延长答复期限。"]
LATE_REASONS = ["因咨询涉及的历史档案需要调阅核实，未能在规定期限内答复，现已答复。对由此给您带来的不便深表歉意。",
                "因需向上级主管部门请示政策适用口径，答复超过了规定期限，特此说明。",
                "承办人员参加集中执法检查，工作衔接不及时，导致答复逾期。我局已调整在线解答值守安排，确保今后按期答复。"]
PENDING_REASONS = ["该咨询需要会同相关股室现场核实，正在办理中，将尽快答复，特此说明。",
                   "因需向上级主管部门请示政策适用口径，未能在规定期限内答复，我局将在取得答复后及时回复，特此说明。"]


@dataclass(frozen=True)
class Grievance:
    """A complaint about an answer (art. 8) and how the supervision office ends it."""

    content: str
    outcome: str | None  # the answer; None: not decided yet
    refused: str | None = None  # 不予受理 and why


COMPLAINTS = {
    "explained": Grievance("答复只引用了政策条文，没有说明像我这种情况能不能办、要准备什么材料。",
                           "经核查，{dept}的答复符合现行规定，但对您的具体情况说明不够。我委已督促该局与您电话联系作进一步解释，"
                           "并提供了办理所需的材料清单。"),
    "late": Grievance("提问后超过规定期限才收到答复，也没有看到任何逾期说明。",
                      "经核查，{dept}答复确已超过规定期限且未公开说明情况。根据《云南省政务信息查询在线解答管理办法》第十条，已责令"
                      "该局作出书面说明，并纳入本季度在线解答办理情况通报。"),
    "wrong": Grievance("按答复去窗口办理时，窗口又要求提交答复里没有提到的材料，白跑了一趟。",
                       "经核查，窗口要求提供的材料超出了办事指南所列清单，已责成{dept}整改并向您致歉。您可以按办事指南所列材料办理。"),
    "refused": Grievance("我认为这项规定本身不合理，应该取消，请纪委监委督促修改。", None,
                         refused="投诉反映的是对政策规定本身的意见，不属于对咨询答复办理情况的投诉。您可以通过12345政务服务便民热线或"
                                 "“在线咨询”提出意见建议。"),
    "pending": Grievance("答复说会尽快处理，但过了很久情况仍然没有改变。", None),
}


@dataclass
class Plan:
    """One question of the history: what happens to it, decided before it is asked."""

    topic: Topic
    asked: datetime
    channel: str = "web"
    route: str = "direct"  # direct / unclear (不清楚) / forwarded (asked a wrong department) / kept (a forward refused)
    joint: bool = False
    complex: bool = False
    extended: bool = False
    late: str | None = None  # explained (before answering) / explained_after / silent
    returned: bool = False  # the reviewer sends the reply back once
    dispatch_returned: bool = False
    stuck: str | None = None  # never answered in the history: open / explained
    consent: bool = True
    private: bool = False  # the department keeps the reply private
    complaint: str | None = None
    promote: bool = False
    fill: dict = field(default_factory=dict)


# each must happen in every history, however small (tests load one of 40 cases)
MUST = [
    dict(route="unclear"), dict(route="unclear", channel="phone"), dict(route="unclear", late="explained"),
    dict(route="forwarded"), dict(route="forwarded", dispatch_returned=True), dict(route="kept"),
    dict(joint=True), dict(joint=True, late="explained"),
    dict(complex=True), dict(complex=True, late="explained_after"),
    dict(extended=True), dict(complex=True, extended=True),
    dict(late="explained"), dict(late="silent", complaint="late"), dict(late="silent"),
    dict(returned=True), dict(complaint="explained"), dict(complaint="wrong"), dict(complaint="refused"),
    dict(complaint="pending", recent=(30, 40)), dict(promote=True), dict(promote=True), dict(promote=True),
    dict(stuck="explained", recent=(12, 20)), dict(stuck="open", recent=(14, 24)), dict(recent=(1, 2)),
    dict(consent=False), dict(private=True), dict(channel="window"), dict(channel="library"), dict(channel="archive"),
]


def _fits(topic: Topic, spec: dict) -> bool:
    if spec.get("joint") and topic.joint is None:
        return False
    if spec.get("route") in ("forwarded", "kept") and topic.confused is None:
        return False
    if spec.get("extended") and STAFF[topic.department][2] is None:
        return False
    if (spec.get("promote") or spec.get("complaint")) and (topic.personal or not spec.get("consent", True)):
        return False
    if spec.get("promote") and not topic.general:
        return False
    if spec.get("route") == "unclear" and topic.department == "zfb":
        return False
    return not (spec.get("private") and topic.personal)


def _moment(r: random.Random, day: date, channel: str, calendar: WorkCalendar) -> datetime:
    """Online questions come at any hour of any day; the other channels in office hours."""
    if channel != "web":
        day = calendar.roll_over(day)
        return datetime.combine(day, datetime.min.time(), clock.LOCAL_TZ).replace(hour=r.randint(9, 16), minute=r.randint(0, 59))
    return datetime.combine(day, datetime.min.time(), clock.LOCAL_TZ).replace(hour=r.choice([8, 9, 10, 11, 14, 15, 16, 20, 21, 22]),
                                                                               minute=r.randint(0, 59))


def _plans(r: random.Random, count: int, calendar: WorkCalendar, today: date) -> list[Plan]:
    plans = []
    for spec in MUST:
        low, high = spec.get("recent", (50, 340))
        topic = r.choice([t for t in TOPICS if _fits(t, spec)])
        channel = spec.get("channel", "web")
        plan = Plan(topic, _moment(r, today - timedelta(days=r.randint(low, high)), channel, calendar), channel=channel,
                    **{k: v for k, v in spec.items() if k not in ("recent", "channel")})
        plans.append(plan)
    while len(plans) < count:
        topic = r.choice(TOPICS)
        channel = r.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        plan = Plan(topic, _moment(r, today - timedelta(days=r.randint(1, 364)), channel, calendar), channel=channel)
        roll = r.random()
        plan.route = "unclear" if roll < 0.1 and topic.department != "zfb" else "forwarded" if roll < 0.16 and topic.confused else "direct"
        plan.joint = topic.joint is not None and r.random() < 0.4
        plan.complex = r.random() < 0.05
        plan.late = r.choices([None, "explained", "explained_after", "silent"], [90, 4, 2, 4])[0]
        plan.returned = r.random() < 0.04
        plan.consent = r.random() < 0.85
        plan.promote = topic.general and plan.consent and r.random() < 0.03
        plans.append(plan)
    for plan in plans:
        plan.fill = {key: r.choice(values) for key, values in FILL.items()}
    return sorted(plans, key=lambda p: p.asked)


# --- driving one question through the services ---------------------------------------------------

class _Stop(Exception):
    """The history's end is reached: what remains stays open."""


@dataclass
class _Run:
    db: Database
    r: random.Random
    calendar: WorkCalendar
    end: datetime
    users: dict[str, int]
    depts: dict[str, int]
    phones: dict[str, str]
    names: dict[str, str]
    categories: dict[tuple[str, str | None], int]

    def at(self, day: date, after: datetime) -> datetime:
        """A moment in office hours of ``day``, after ``after``; past the history's end: stop."""
        moment = datetime.combine(day, datetime.min.time(), clock.LOCAL_TZ).replace(
            hour=self.r.randint(9, 16), minute=self.r.randint(0, 59))
        moment = max(moment, after + timedelta(minutes=self.r.randint(20, 90)))
        if moment > self.end:
            raise _Stop
        return moment

    def act(self, moment: datetime, fn, *args, tick: bool = False):
        """One command at ``moment`` in its own transaction; with ``tick``, after the scheduler's
        tick there (before a step late in its turn, so the supervision alerts fire when due)."""
        with clock.frozen(moment):
            if tick:
                scheduler.tick(self.db)
            with self.db.transaction() as s:
                return fn(s, *args)

    def user(self, s: Session, staff_no: str) -> User:
        return s.get(User, self.users[staff_no])


def load_questions(db: Database, count: int = 200, seed: int = 2026) -> int:
    """``count`` questions (at least one of each kind in :data:`MUST`) over the year before now
    (the history's clock), each once per call: the caller (``load_history``) runs once per
    database. Returns how many went as planned (a failure is logged, never raised)."""
    r = random.Random(seed)
    end = clock.now()
    with db.transaction(write=False) as s:
        calendar = load_calendar(s)
        depts = list(s.scalars(select(Department)))
        run = _Run(db, r, calendar, end, {u.staff_no: u.id for u in s.scalars(select(User))},
                   {d.code: d.id for d in depts}, {d.code: d.phone or "" for d in depts}, {d.code: d.name for d in depts},
                   category_ids(s))
    if not run.categories:
        return 0  # the base demo's tree is not there
    asked = 0
    for plan in _plans(r, max(count, len(MUST)), calendar, clock.local_date(end)):
        if plan.asked > end:
            continue
        try:
            _question(run, plan)
        except _Stop:
            pass
        except SunhallError as exc:  # a rule the plan did not foresee: this question stops, the others go on
            log.warning("演示咨询“%s”未能按计划办理：%s", plan.topic.subject, exc.message)
            continue
        asked += 1
    return asked


def _question(run: _Run, plan: Plan) -> None:
    r, topic = run.r, plan.topic
    on_paper = plan.channel != "web"
    name = r.choice(SURNAMES) + (r.choice(["先生", "女士"]) if on_paper and r.random() < 0.6 else r.choice(GIVEN))
    phone = f"13{r.randint(5, 9)}{r.randint(10000000, 99999999)}"
    email = f"{r.randint(100000, 99999999)}@qq.com" if not on_paper and r.random() < 0.25 else None
    if email and r.random() < 0.5:
        phone = None
    asked_at = None if plan.route == "unclear" else topic.confused if plan.route == "forwarded" else topic.department
    item = topic.item if asked_at == topic.department and topic.item and not on_paper and r.random() < 0.6 else None
    asking = qa.Asking(title=r.choice(topic.titles), content=topic.content.format(**plan.fill), name=name, phone=phone,
                       email=email, consent_public=plan.consent, item_code=item, channel=plan.channel,
                       department_id=None if item or asked_at is None else run.depts[asked_at])

    def ask(s):
        actor = WEB_APPLICANT if not on_paper else run.user(s, REGISTRARS[plan.channel])
        question, code = qa.ask(s, asking, actor)
        return question.id, question.number, code

    qid, number, code = run.act(plan.asked, ask)
    moment, visits = plan.asked, set()
    for _ in range(8):
        with run.db.transaction(write=False) as s:
            question = s.get(Question, qid)
            if question.state == "closed":
                break
            turn = qa.current_turn(question)
            where = next(c for c, i in run.depts.items() if i == turn.department_id)
            steps = _steps(run, plan, turn.kind, where, (where, turn.kind) in visits)
            visits.add((where, turn.kind))
            turn_id, started_on = turn.id, turn.started_on
        moment = _work(run, plan, qid, turn_id, where, started_on, steps, moment)
    else:
        return
    if plan.complaint:
        _complain(run, plan, number, code, name, phone or email, moment, qid)
    if plan.promote:
        _promote(run, qid, moment)


def _steps(run: _Run, plan: Plan, kind: str, where: str, again: bool) -> list[tuple[int, str]]:
    """What the department does in this turn, each on a working day counted from the turn's start."""
    r, topic = run.r, plan.topic
    if kind == "dispatch":
        k = r.choice([0, 1, 1, 2])
        if plan.dispatch_returned and not again:
            return [(k, "dispatch"), (k, "dispatch_return"), (k + 1, "dispatch"), (k + 1, "dispatch_ok")]
        return [(k, "dispatch"), (k + r.choice([0, 0, 1]), "dispatch_ok")]
    if plan.route == "forwarded" and where == topic.confused and not again:
        k = r.randint(1, 2)
        return [(k, "forward"), (k + r.choice([0, 1]), "forward_ok")]
    if where != topic.department or again:  # the next department of a joint question
        k = r.randint(1, 3)
        return [(k, "answer"), (k + r.choice([0, 0, 1]), "review")]
    steps, limit, earlier = [], 5, 1
    if plan.route == "kept":
        steps += [(1, "forward"), (1, "keep")]
    if plan.complex:
        steps.append((r.randint(1, 3), "complex"))
        limit, earlier = 10, 5
    if plan.extended:
        steps.append((r.randint(limit - 2, limit - 1), "extend"))
        limit, earlier = 20, limit
    if plan.stuck:
        return steps + ([(limit + 1, "explain_pending")] if plan.stuck == "explained" else []) + [(limit + 1, "stop")]
    if plan.late:
        k = limit + r.randint(2, 4)
        steps += [(limit + 1, "explain_pending")] if plan.late == "explained" else []
        steps += [(k, "answer"), (k + r.choice([0, 1]), "review")]
        return steps + ([(k + 1, "explain_late")] if plan.late == "explained_after" else [])
    low = max(earlier, steps[-1][0] + 1 if steps else 1)
    k = r.choice([low, low, low + 1, low + 2]) if limit == 5 else r.randint(low, limit - 2)
    k = min(k, limit - 1)
    if plan.returned:
        return steps + [(k, "answer"), (k, "return"), (k + 1, "answer"), (k + 1, "review")]
    return steps + [(k, "answer"), (min(limit, k + r.choice([0, 0, 1])), "review")]


def _work(run: _Run, plan: Plan, qid: int, turn_id: int, where: str, started_on: date, steps, moment: datetime) -> datetime:
    """Do the turn's steps in order; a step past the history's end stops the question there."""
    topic, r = plan.topic, run.r
    handler, reviewer, leader = STAFF[where]
    public = plan.consent and not plan.private and not topic.personal
    passing = plan.joint and where == topic.department and topic.joint is not None
    if where == topic.department:
        text = topic.answer.format(then=topic.then[0] if passing else topic.then[1])
    else:
        text = topic.joint[2] if topic.joint and where == topic.joint[0] else topic.answer.format(then=topic.then[1])
    text += ASK.format(phone=run.phones[where])
    subject, target = topic.subject, run.names[topic.department]

    sent_back = [what for _, what in steps].count("dispatch_return")

    def do(s, what):
        nonlocal sent_back
        question = s.get(Question, qid)
        me = run.user(s, handler)
        if what == "dispatch":  # before a 退回, the reason the reviewer finds too thin
            reason = WEAK_DISPATCH if sent_back else r.choice(DISPATCH_REASONS)
            qa.dispatch(s, question, me, department_id=run.depts[topic.department],
                        reason=reason.format(subject=subject, dept=target))
            sent_back = 0
        elif what in ("dispatch_ok", "forward_ok", "review"):
            qa.review(s, question, run.user(s, reviewer), approved=True)
        elif what == "dispatch_return":
            qa.review(s, question, run.user(s, reviewer), approved=False, reason=DISPATCH_RETURN)
        elif what == "forward":
            qa.forward(s, question, me, reason=r.choice(FORWARD_REASONS).format(subject=subject))
        elif what == "keep":
            qa.review(s, question, run.user(s, reviewer), approved=False, reason=KEEP_REASON.format(subject=subject))
        elif what == "return":
            qa.review(s, question, run.user(s, reviewer), approved=False, reason=r.choice(RETURN_REASONS))
        elif what == "complex":
            qa.mark_complex(s, question, me, r.choice(COMPLEX_REASONS))
        elif what == "extend":
            qa.extend(s, question, run.user(s, leader), r.choice(EXTEND_REASONS))
        elif what == "explain_pending":
            qa.explain_late(s, question, turn_id, me, r.choice(PENDING_REASONS))
        elif what == "explain_late":
            qa.explain_late(s, question, turn_id, me, r.choice(LATE_REASONS))
        elif what == "answer":
            nxt = topic.joint if passing else None
            qa.answer(s, question, me, text=text, public=public, category_id=run.categories[topic.category],
                      next_department_id=run.depts[nxt[0]] if nxt else None, pass_reason=nxt[1] if nxt else None)

    for k, what in steps:
        if what == "stop":  # never answered while the history runs
            raise _Stop
        day = run.calendar.add_workdays(started_on, k) if k else run.calendar.roll_over(started_on)
        moment = run.at(day, moment)
        run.act(moment, do, what, tick=k >= 4)  # a warning falls due at 4/5 of five working days
    return moment


def _complain(run: _Run, plan: Plan, number: str, code: str, name: str, contact: str, after: datetime, qid: int) -> None:
    """The asker complains about the answer with the 咨询编号 and 查询码 (art. 8); a supervisor
    accepts (or refuses) within 5 working days and answers within 15."""
    r, grievance = run.r, COMPLAINTS[plan.complaint]
    with run.db.transaction(write=False) as s:
        dept = s.get(Question, qid).department.name
    day = run.calendar.add_workdays(clock.local_date(after), r.randint(1, 4))
    moment = run.at(day, after)
    filing = complaints.Filing(complainant=name, contact=contact, content=grievance.content, question_number=number,
                               question_code=code)
    complaint_id = run.act(moment, lambda s: complaints.file_online(s, filing)[0].id)
    supervisor = r.choice(["jw001", "jw002"])
    day = run.calendar.add_workdays(day, r.randint(1, 3))
    moment = run.at(day, moment)
    if grievance.refused:
        run.act(moment, lambda s: complaints.refuse(s, complaint_id, run.user(s, supervisor), grievance.refused))
        return
    run.act(moment, lambda s: complaints.accept(s, complaint_id, run.user(s, supervisor)))
    if grievance.outcome:
        day = run.calendar.add_workdays(day, r.randint(4, 10))
        moment = run.at(day, moment)
        run.act(moment, lambda s: complaints.answer(s, complaint_id, run.user(s, supervisor),
                                                    grievance.outcome.format(dept=dept)))


def _promote(run: _Run, qid: int, after: datetime) -> None:
    """入库: the answering department files a published answer in the library, once per title."""
    moment = run.at(run.calendar.add_workdays(clock.local_date(after), run.r.randint(1, 8)), after)

    def promote(s):
        question = s.get(Question, qid)
        if not question.public or s.scalars(select(FaqEntry.id).where(FaqEntry.title == question.title)).first():
            return
        last = next(c for c, i in run.depts.items() if i == qa.replies(question)[-1].department_id)
        faq.promote(s, run.user(s, STAFF[last][1]), question)

    run.act(moment, promote)
