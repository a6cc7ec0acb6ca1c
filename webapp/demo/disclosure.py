"""政府信息公开 in the demo county: each body's 指南 with the base demo, and with the history a year
of proactive publications, requests, 行政复议 / 行政诉讼 and the annual report's words.

Everything of the history goes through the real commands (:mod:`engine.disclosure.publish`,
:mod:`engine.disclosure.service`, :mod:`engine.service.operations`) as the staff holding the posts,
the clock travelling, one transaction per command; lapsed 补正 and third-party silences are ended by
the scheduler's own jobs at the day after their period. The requests of :data:`ASKS` marked
``year`` are answered in the report year (:func:`report_year`), so that year's annual report of the
county government's office fills every row of the national template."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock, scheduler
from engine.calendar import WorkCalendar, load_calendar
from engine.certificates import id_check_char, uscc_check_char
from engine.db import Database
from engine.disclosure import admin, publish
from engine.disclosure import flow as disclosure_flow
from engine.disclosure import service as gk
from engine.errors import SunhallError
from engine.models import (
    Department,
    InfoEntry,
    InfoGuide,
    InfoReportText,
    InfoRequest,
    SchedulerLease,
    User,
)
from engine.service import operations
from engine.service.intake import WEB_APPLICANT

from .disclosure_texts import (
    ANSWER_TEXTS,
    APPEALS,
    ASKS,
    BODY_OPINION,
    CHARGES,
    COMPLAIN,
    EMAIL,
    FILED,
    GUIDE,
    HOURS,
    NOTES,
    OFFICES,
    ORGANISATIONS,
    POSTCODE,
    PUBS,
    REPORTS,
    SECRECY_OK,
    SECRECY_REQUEST,
    SECRECY_SECRET,
    Ask,
    Pub,
)

log = logging.getLogger(__name__)

MARKER = "demo-disclosure"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "丽娟", "志强", "秀英", "伟", "芳", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]
CHANNELS = [("web", 55), ("counter", 15), ("mail", 10), ("email", 10), ("fax", 5), ("other", 5)]
DELIVERY = {"web": ["email", "email", "post", "pickup"], "counter": ["pickup", "inspect"], "mail": ["post"],
            "email": ["email"], "fax": ["fax"], "other": ["post"]}
OFFICE_POSTS = ("window", "handle", "review", "approve")


# --- 指南 (base demo) ----------------------------------------------------------------------------

def load_guides(session: Session) -> int:
    """A 指南 for every body with a disclosure office, once (an edited one stays). Returns how many
    were added."""
    added = 0
    for dept in gk.bodies(session):
        if session.get(InfoGuide, dept.id) is not None:
            continue
        office, room, fax = OFFICES.get(dept.code, (f"{dept.name}办公室", "", None))
        session.add(InfoGuide(department_id=dept.id, office=office, address=f"{dept.address or ''}{room}", hours=HOURS,
                              phone=dept.phone or "", fax=fax, email=EMAIL.format(code=dept.code), postcode=POSTCODE,
                              text=GUIDE.format(name=dept.name, office=office,
                                                complain=COMPLAIN.get(dept.code, COMPLAIN[None])),
                              updated_at=clock.now()))
        added += 1
    session.flush()
    return added


# --- the history ----------------------------------------------------------------------------------

@dataclass
class DisclosureResult:
    publications: int = 0  # informations drafted (first versions)
    published: int = 0  # of which published
    requests: int = 0
    answered: int = 0  # requests answered and delivered
    appeals: int = 0


class _Stop(Exception):
    """The history's end is reached: what remains stays open."""


@dataclass
class _Run:
    db: Database
    r: random.Random
    calendar: WorkCalendar
    end: datetime
    users: dict[str, int]
    holders: dict[tuple[str, str], list[str]]  # (body code, post) -> 工号 of its holders
    depts: dict[str, int]
    drafted: list[tuple[str, date]] = field(default_factory=list)  # publications: (title, the day drafted)

    def at(self, day: date, after: datetime | None = None) -> datetime:
        """A moment in office hours of the working day ``day`` (or the next), after ``after``."""
        day = self.calendar.roll_over(day)
        moment = datetime.combine(day, time(self.r.randint(9, 16), self.r.randint(0, 59)), clock.LOCAL_TZ)
        if after is not None:
            moment = max(moment, after + timedelta(minutes=self.r.randint(20, 90)))
        if moment > self.end:
            raise _Stop
        return moment

    def later(self, moment: datetime, low: int, high: int) -> datetime:
        return self.at(self.calendar.add_workdays(clock.local_date(moment), self.r.randint(low, high)), moment)

    def act(self, moment: datetime, fn):
        with clock.frozen(moment), self.db.transaction() as s:
            return fn(s)

    def staff(self, code: str, post: str, avoid: str | None = None) -> str:
        """The 工号 of a holder of ``post`` in body ``code``; another than ``avoid`` where there is one
        (the secrecy review is not done by the one who drafted)."""
        found = self.holders.get((code, post), [])
        return next((n for n in found if n != avoid), found[0])

    def user(self, s: Session, code: str, post: str, avoid: str | None = None) -> User:
        return s.get(User, self.users[self.staff(code, post, avoid)])

    def staffed(self, code: str) -> bool:
        return code in self.depts and all(self.holders.get((code, p)) for p in OFFICE_POSTS)


def report_year(today: date) -> int:
    """The year whose annual report the history fills: this year from June on, else the last."""
    return today.year if today.month >= 6 else today.year - 1


def load_disclosure(db: Database, seed: int = 2026, until: date | None = None) -> DisclosureResult:
    """The year of 政府信息公开 before ``until`` (default: now), once per database."""
    if until is not None:
        with clock.frozen(datetime.combine(until - timedelta(days=1), time(18, 0), clock.LOCAL_TZ)):
            return load_disclosure(db, seed)
    with db.transaction() as s:
        if s.get(SchedulerLease, MARKER) is not None or not gk.bodies(s):
            return DisclosureResult()
        s.add(SchedulerLease(name=MARKER, holder="demo", expires_at=clock.now()))
        codes = {d.id: d.code for d in s.scalars(select(Department))}
        holders: dict[tuple[str, str], list[str]] = {}
        for user in s.scalars(select(User).where(User.active.is_(True)).order_by(User.staff_no)):
            for post in user.posts:
                holders.setdefault((codes[post.department_id], post.code), []).append(user.staff_no)
        run = _Run(db, random.Random(seed), load_calendar(s), clock.now(),
                   {u.staff_no: u.id for u in s.scalars(select(User))}, holders,
                   {d.code: d.id for d in gk.bodies(s)})
    result = DisclosureResult()
    _publications(run, result)
    ids = _requests(run, result)
    result.appeals = _appeals_and_reports(run, ids)
    return result


# --- 主动公开 --------------------------------------------------------------------------------------

@dataclass
class _Plan:
    pub: Pub
    start: date  # the day it is drafted
    written: date  # 成文日期
    title: str = ""
    text: str = ""
    number: str | None = None
    entry_id: int | None = None
    published: datetime | None = None


def _fill(text: str, day: date, k: int = 1) -> str:
    return text.format(year=day.year, prev=day.year - 1, next=day.year + 1, m=day.month, k=k)


def _pub_plans(run: _Run) -> list[_Plan]:
    r, cal = run.r, run.calendar
    today = clock.local_date(run.end)
    first = today - timedelta(days=365)
    plans = []
    for pub in PUBS:
        if not run.staffed(pub.body):
            continue  # a body nobody could publish for (no holder of a post of its flow)
        if isinstance(pub.when, tuple):
            day = date(today.year, *pub.when)
            if day > today - timedelta(days=25):
                day = date(today.year - 1, *pub.when)
        else:
            day = first + timedelta(days=int(pub.when * 330) + r.randint(0, 6))
        start = cal.roll_over(max(day, first + timedelta(days=2)))
        back = r.randint(18, 26) if pub.fate == "late" else r.randint(0, 2)
        written = max(cal.sub_workdays(start, back), first + timedelta(days=1))
        plans.append(_Plan(pub, start, written))
    plans.sort(key=lambda p: (p.written, p.start))
    serials: dict[tuple[str, int], int] = {}
    ordinals: dict[tuple[str, int], int] = {}
    for plan in plans:
        pub, year = plan.pub, plan.written.year
        ordinals[(pub.title, year)] = k = ordinals.get((pub.title, year), 0) + 1
        plan.title, plan.text = _fill(pub.title, plan.written, k), _fill(pub.text, plan.written, k)
        if pub.number:
            key = (pub.number, year)
            serials[key] = serials.get(key, r.randint(1, 4)) + r.randint(1, 6)
            plan.number = f"{pub.number}〔{year}〕{serials[key]}号"
    return plans


def _drafting(run: _Run, plan: _Plan, text: str, written: date) -> publish.Drafting:
    pub = plan.pub
    return publish.Drafting(department_id=run.depts[pub.body], title=plan.title, category=pub.category, theme=pub.theme,
                            written_on=written, body=text, doc_kind=pub.kind, doc_number=plan.number,
                            channels=list(pub.channels), third_party=pub.third_party)


def _publications(run: _Run, result: DisclosureResult) -> None:
    plans = _pub_plans(run)
    run.drafted = [(p.title, p.start) for p in plans]
    for plan in plans:
        try:
            _publication(run, plan, result)
        except _Stop:
            pass
        except SunhallError as exc:  # a rule the plan did not foresee: this one stops, the others go on
            log.warning("演示主动公开“%s”未能按计划办理：%s", plan.title, exc.message)
    for plan in plans:  # 废止: when the publication replacing it is out
        replacement = next((p for p in plans if plan.pub.replaced_by and plan.pub.replaced_by in p.title), None)
        if plan.pub.fate != "abolished" or plan.published is None or replacement is None or replacement.published is None:
            continue
        try:
            moment = run.later(replacement.published, 0, 1)
            run.act(moment, lambda s, plan=plan, replacement=replacement: publish.abolish(
                s, s.get(InfoEntry, plan.entry_id), run.user(s, plan.pub.body, "approve"), plan.pub.note,
                abolished_on=clock.local_date(replacement.published)))
        except _Stop:
            pass


def _publication(run: _Run, plan: _Plan, result: DisclosureResult) -> None:
    pub = plan.pub
    drafter = run.users[run.staff(pub.body, "handle")]
    moment = run.at(plan.start)
    plan.entry_id = run.act(moment, lambda s: publish.start(s, s.get(User, drafter),
                                                            _drafting(run, plan, plan.text, plan.written)).id)
    result.publications += 1
    moment = _through_flow(run, plan, plan.entry_id, plan.text, plan.written, moment)
    if moment is None:
        return
    plan.published = moment
    result.published += 1
    if pub.fate == "changed":  # 变更: a second version through the same flow
        text, reason = _fill(pub.change[0], plan.written), pub.change[1]
        moment = run.later(moment, 15, 40)
        changed_on = clock.local_date(moment)
        new_id = run.act(moment, lambda s: publish.change(s, s.get(InfoEntry, plan.entry_id), s.get(User, drafter),
                                                          _drafting(run, plan, text, changed_on), reason).id)
        _through_flow(run, plan, new_id, text, changed_on, moment)
    elif pub.fate == "withdrawn":
        moment = run.later(moment, 8, 20)
        run.act(moment, lambda s: publish.withdraw(s, s.get(InfoEntry, plan.entry_id), run.user(s, pub.body, "approve"),
                                                   pub.note))


def _through_flow(run: _Run, plan: _Plan, entry_id: int, text: str, written: date, moment: datetime) -> datetime | None:
    """拟稿 → 保密审查 → (第三方意见) → 审核发布 of one version, each by the holder of its post (the
    review by another than the drafter). Returns when it was published, None where it was stopped."""
    pub, first = plan.pub, entry_id == plan.entry_id
    drafter = run.staff(pub.body, "handle")

    def step(moment, post, fn):
        run.act(moment, lambda s: fn(s, s.get(InfoEntry, entry_id), run.user(s, pub.body, post, avoid=drafter)
                                     if post != "handle" else s.get(User, run.users[drafter])))

    moment = run.later(moment, 0, 1)
    step(moment, "handle", lambda s, e, a: publish.submit(s, e, a, _drafting(run, plan, text, written)))
    moment = run.later(moment, 1, 2)
    secret = first and pub.fate == "secret"
    step(moment, "review", lambda s, e, a: publish.review_secrecy(
        s, e, a, may_publish=not secret, opinion=pub.note if secret else run.r.choice(SECRECY_OK)))
    if secret:
        return None
    if pub.third_party:
        moment = run.later(moment, 2, 5)
        step(moment, "handle", lambda s, e, a: publish.record_third_party(
            s, e, a, agrees=pub.fate != "objected" and pub.fate != "overruled", opinion=pub.reply,
            publish_anyway_reason=pub.note if pub.fate == "overruled" else None))
        if pub.fate == "objected":
            return None
    moment = run.later(moment, 1, 2)
    step(moment, "approve", lambda s, e, a: publish.decide(s, e, a, approved=True))
    return moment


# --- 依申请公开 ------------------------------------------------------------------------------------

@dataclass
class _Request:
    ask: Ask
    received: datetime
    channel: str
    id: int | None = None
    answered: datetime | None = None


def _request_plans(run: _Run) -> list[_Request]:
    r, cal = run.r, run.calendar
    today = clock.local_date(run.end)
    year = report_year(today)
    asks = [a for a in ASKS if run.staffed(a.body) and all(c in run.depts for c in a.assign)]
    in_year = [a for a in asks if a.timing == "year"]
    r.shuffle(in_year)
    first, last = date(year, 1, 6), min(date(year, 12, 31), today) - timedelta(days=95)
    spacing = max((last - first).days, len(in_year)) / max(len(in_year), 1)
    days = {id(a): first + timedelta(days=int(i * spacing) + r.randint(0, max(int(spacing) - 1, 0)))
            for i, a in enumerate(in_year)}
    for ask in in_year:  # a repeated request comes after the one it repeats
        first_one = next((a for a in in_year if ask.after and a.description.startswith(ask.after)), None)
        if first_one is not None and days[id(first_one)] > days[id(ask)]:
            days[id(first_one)], days[id(ask)] = days[id(ask)], days[id(first_one)]
    back = {"open:review": 1, "open:body": 4, "open:correction": 5, "open:consult": 9, "open:extended": 24}
    plans = []
    for ask in asks:
        if ask.timing == "year":
            day = days[id(ask)]
        elif ask.timing == "carried":
            day = date(year - 1, 12, 15) + timedelta(days=r.randint(0, 4))
        elif ask.timing in back:
            day = cal.sub_workdays(today, back[ask.timing])
        else:
            day = today - timedelta(days=r.randint(60, 350))
        if ask.where:  # asking for what is already published: some weeks after it was
            out = min((d for title, d in run.drafted if ask.where in title), default=None)
            if out is not None and day < out + timedelta(days=25):
                day = min(out + timedelta(days=r.randint(25, 50)), last if ask.timing == "year" else today - timedelta(days=30))
        channel = ask.channel or r.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        if channel == "web":  # online at any hour of any day
            moment = datetime.combine(day, time(r.choice([8, 9, 10, 11, 14, 15, 16, 20, 21]), r.randint(0, 59)),
                                      clock.LOCAL_TZ)
        else:
            day = cal.roll_over(day)
            moment = datetime.combine(day, time(r.randint(9, 16), r.randint(0, 59)), clock.LOCAL_TZ)
        if moment < run.end:
            plans.append(_Request(ask, moment, channel))
    return sorted(plans, key=lambda p: p.received)


def _requesting(run: _Run, plan: _Request) -> gk.Requesting:
    r, ask = run.r, plan.ask
    phone = f"13{r.randint(5, 9)}{r.randint(10000000, 99999999)}"
    if ask.kind == "natural":
        first17 = f"530930{r.randint(1955, 2002)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(100, 999)}"
        name, cert_type, cert, contact = r.choice(SURNAMES) + r.choice(GIVEN), "111", first17 + id_check_char(first17), None
    else:
        names, prefix = ORGANISATIONS[ask.kind]
        body = f"{prefix}530930{r.randint(0, 999999999):09d}"
        name, cert_type, cert = r.choice(names), "001", body + uscc_check_char(body)
        contact = r.choice(SURNAMES) + r.choice(GIVEN)
    delivery = r.choice(DELIVERY[plan.channel])
    email = f"gk{r.randint(1000, 99999)}@example.com" if delivery == "email" or r.random() < 0.3 else None
    received_on = None
    if plan.channel == "mail":  # the letter was signed for the working day before it was registered
        received_on = run.calendar.sub_workdays(clock.local_date(plan.received), 1)
    return gk.Requesting(name=name, requester_kind=ask.kind, cert_type=cert_type, cert_number=cert, phone=phone,
                         description=_fill(ask.description, clock.local_date(plan.received)),
                         medium="electronic" if delivery in ("email", "fax") else "paper", delivery=delivery, email=email,
                         address=f"阳光县城关镇人民路{r.randint(1, 300)}号", postcode=POSTCODE, contact_name=contact,
                         purpose=ask.purpose, department_id=run.depts[ask.body], channel=plan.channel,
                         received_on=received_on)


def _requests(run: _Run, result: DisclosureResult) -> dict[str, _Request]:
    done = {}
    for plan in _request_plans(run):
        try:
            _request(run, plan, result)
        except _Stop:
            pass
        except SunhallError as exc:
            log.warning("演示政府信息公开申请“%s”未能按计划办理：%s", plan.ask.description[:30], exc.message)
        if plan.id is not None:
            done[plan.ask.description] = plan
    return done


def _request(run: _Run, plan: _Request, result: DisclosureResult) -> None:
    """One request from receipt to delivery, or to where its plan (or the history's end) stops it."""
    ask = plan.ask
    req = _requesting(run, plan)
    plan.id = run.act(plan.received, lambda s: gk.file_request(
        s, req, WEB_APPLICANT if plan.channel == "web" else run.user(s, ask.body, "window"))[0].id)
    result.requests += 1
    moment = _correction(run, plan, plan.received) if ask.correction else plan.received
    if moment is None or ask.timing == "open:review":
        return
    if ask.answer == "withdrawn":  # the applicant withdraws in writing
        _do(run, plan, run.later(moment, 1, 3), lambda s, q, a: operations.withdraw(s, q.case_id, a, ask.note))
        return
    moment = _hand_out(run, plan, moment)
    if moment is None:
        return
    if ask.answer == "unpaid":
        _unpaid(run, plan, moment)
        return
    for stage in (_extend, _consult) if ask.extend or ask.consult else ():
        moment = stage(run, plan, moment)
        if moment is None:
            return
    _answer_steps(run, plan, moment)
    result.answered += 1


def _do(run: _Run, plan: _Request, moment: datetime, fn, code: str | None = None, post: str = "handle",
        avoid: str | None = None):
    """One command on the request at ``moment`` by a holder of ``post`` in body ``code`` (the office)."""
    return run.act(moment, lambda s: fn(s, s.get(InfoRequest, plan.id), run.user(s, code or plan.ask.body, post, avoid)))


def _correction(run: _Run, plan: _Request, moment: datetime) -> datetime | None:
    """补正 (art. 30) asked within days; supplied, or never: then the scheduler closes the request the
    day after the period (视为放弃申请). None where the request stops here."""
    points, supplied = plan.ask.correction
    days = 10 if supplied is None else 15
    moment = run.later(moment, 1, 3)
    _do(run, plan, moment, lambda s, q, a: gk.request_correction(s, q, a, points=[points], days=days))
    if plan.ask.timing == "open:correction":
        return None
    if supplied is None:
        cal = run.calendar
        moment = run.at(cal.add_workdays(cal.add_workdays(clock.local_date(moment), days), 1), moment)
        with clock.frozen(moment):
            scheduler.fire_lapses(run.db)
        return None
    moment = run.later(moment, 2, 6)
    run.act(moment, lambda s: gk.supply_correction(
        s, s.get(InfoRequest, plan.id), supplied,
        WEB_APPLICANT if plan.channel == "web" else run.user(s, plan.ask.body, "window")))
    return moment


def _hand_out(run: _Run, plan: _Request, moment: datetime) -> datetime | None:
    """审查: answered directly, or handed to the bodies holding the information, which answer in
    writing; then the office's secrecy review."""
    ask, slow = plan.ask, plan.ask.timing == "carried"
    bodies = [run.depts[c] for c in ask.assign]
    moment = run.later(moment, 2, 3) if slow else run.later(moment, 1, 2)
    _do(run, plan, moment, lambda s, q, a: gk.review(s, q, a, route="assign" if bodies else "direct", body_ids=bodies,
                                                     note=run.r.choice(NOTES) if bodies else None))
    if ask.timing == "open:body":
        return None
    proposed = "disclosed" if ask.answer == "unpaid" else ask.answer
    for code in ask.assign:
        moment = run.later(moment, 2, 4) if slow else run.later(moment, 1, 3)
        _do(run, plan, moment, lambda s, q, a: gk.body_answer(
            s, q, a, proposed_type=proposed, opinion=ask.opinion or BODY_OPINION.get(proposed, "")), code)
    if bodies:
        moment = run.later(moment, 1, 2)
        opinion = SECRECY_SECRET if ask.ground == "state_secret" else SECRECY_REQUEST
        _do(run, plan, moment, lambda s, q, a: gk.secrecy_review(s, q, a, opinion=opinion), post="review",
            avoid=run.staff(ask.body, "handle"))
    return moment


def _unpaid(run: _Run, plan: _Request, moment: datetime) -> None:
    """收费通知 sent while the answer is drafted; nothing paid within its 20 working days: the
    scheduler ends the request the day after (视为放弃申请; the notice's time was not counted)."""
    moment = run.later(moment, 1, 2)
    _do(run, plan, moment, lambda s, q, a: gk.notify_fee(s, q, a, pages=plan.ask.pages))
    lapse = run.at(run.calendar.add_workdays(run.calendar.add_workdays(clock.local_date(moment), gk.FEE_PAY_DAYS), 1),
                   moment)
    with clock.frozen(lapse):
        disclosure_flow.tick(run.db)


def _extend(run: _Run, plan: _Request, moment: datetime) -> datetime | None:
    """延期 (art. 33): +20 working days, asked by the handler, approved by the office's head."""
    if not plan.ask.extend:
        return moment
    head = run.users[run.staff(plan.ask.body, "approve")]
    moment = run.later(moment, 2, 4)
    extension = _do(run, plan, moment, lambda s, q, a: operations.request_extension(
        s, q.case_id, a, 20, head, plan.ask.extend).id)
    moment = run.later(moment, 0, 1)
    _do(run, plan, moment, lambda s, q, a: operations.decide_extension(s, extension, a, True, "同意延长答复期限20个工作日。"),
        post="approve")
    return None if plan.ask.timing == "open:extended" else run.later(moment, 8, 14)


def _consult(run: _Run, plan: _Request, moment: datetime) -> datetime | None:
    """征求第三方意见 (arts. 32–33): the reply, or silence ended by the scheduler after 15 working days."""
    if not plan.ask.consult:
        return moment
    party, matter, outcome, reply = plan.ask.consult
    moment = run.later(moment, 1, 2)
    _do(run, plan, moment, lambda s, q, a: gk.consult(s, q, a, party=party, matter=matter, contact="书面征求意见"))
    if plan.ask.timing == "open:consult":
        return None
    if outcome == "no_reply":
        cal = run.calendar
        moment = run.at(cal.add_workdays(cal.add_workdays(clock.local_date(moment), gk.CONSULTATION_DAYS), 1), moment)
        with clock.frozen(moment):
            disclosure_flow.tick(run.db)
        return moment
    moment = run.later(moment, 4, 10)
    _do(run, plan, moment, lambda s, q, a: gk.record_reply(s, q, a, outcome=outcome, reply=reply))
    return moment


def _answer_steps(run: _Run, plan: _Request, moment: datetime) -> None:
    """答复书 drafted, commented by the bodies, approved by the head (sent back once where the plan
    says), delivered as the applicant asked."""
    ask, cal = plan.ask, run.calendar
    if ask.timing == "carried":  # received in December: answered after New Year
        new_year = cal.roll_over(date(plan.received.year + 1, 1, 4))
        if clock.local_date(moment) < new_year:
            moment = run.at(cal.add_workdays(new_year, run.r.randint(0, 2)), moment)
    if ask.pages and not ask.waiver:  # a fee where the rules allow one: notified in writing, paid within days

        def notify(s, q, a):
            if gk.allowed_fee(s, q, ask.pages)[0] > 0:
                gk.notify_fee(s, q, a, pages=ask.pages)
                return True
            return False
        if _do(run, plan, run.later(moment, 1, 2), notify):
            moment = run.later(moment, 3, 6)
            _do(run, plan, moment, lambda s, q, a: gk.record_payment(s, q, a, note="申请人已通过银行转账缴纳。"))
    for attempt in range(2 if ask.returned else 1):
        moment = run.later(moment, 1, 2)
        _do(run, plan, moment, lambda s, q, a: gk.draft(s, q, a, _answer(s, q, ask)))
        for code in ask.assign:
            moment = run.later(moment, 0, 1)
            _do(run, plan, moment, lambda s, q, a: gk.comment(s, q, a, agrees=True, text="同意答复书意见。"), code)
        moment = run.later(moment, 0, 1)
        back = ask.returned if attempt == 0 else None
        _do(run, plan, moment, lambda s, q, a, back=back: gk.approve(s, q, a, approved=back is None, reason=back),
            post="approve")
    plan.answered = moment
    _do(run, plan, run.later(moment, 0, 2), lambda s, q, a: gk.deliver(s, q, a, method=q.delivery), post="window")


def _answer(s: Session, request: InfoRequest, ask: Ask) -> gk.Answer:
    where = None
    if ask.answer == "published":
        entry = s.scalars(select(InfoEntry).where(
            InfoEntry.current.is_(True), InfoEntry.state == "published", InfoEntry.title.contains(ask.where),
            InfoEntry.published_at <= clock.now()).order_by(InfoEntry.published_at.desc())).first()
        where = "阳光县人民政府门户网站“政府信息公开专栏”，可登录查阅、下载，也可到县档案馆政府信息查阅点免费查阅。"
        if entry is not None:
            day = clock.local_date(entry.published_at)
            where = (f"该信息已于{day.year}年{day.month}月{day.day}日在阳光县人民政府门户网站“政府信息公开专栏”主动公开"
                     f"（《{entry.title}》，索引号：{entry.index_no}），可登录查阅、下载，也可到县档案馆政府信息查阅点免费查阅。")
    competent, contact = ask.competent or (None, None)
    fee, waived = Decimal(0), None
    if ask.waiver:
        fee, _ = gk.allowed_fee(s, request, ask.pages)
        waived = fee
    text = ANSWER_TEXTS.get(ask.answer, "经审查，{detail}").format(where=where, items=ask.items, detail=ask.detail,
                                                                  competent=competent)
    return gk.Answer(answer_type=ask.answer, answer_text=text, ground=ask.ground, ground_detail=ask.detail,
                     published_where=where, competent_body=competent, competent_contact=contact,
                     disclosed_items=ask.items, pages=ask.pages, fee_waived=waived, fee_basis=ask.waiver)


# --- 行政复议、行政诉讼 and the annual report's words -------------------------------------------------

def _appeals_and_reports(run: _Run, requests: dict[str, _Request]) -> int:
    """The appeals about the requests, entered by the body's head when filed and when decided, and
    the office's report texts: last year's published in January, this year's drafted."""
    r, cal, today = run.r, run.calendar, clock.local_date(run.end)
    year = report_year(today)
    made, filed = 0, {}
    for code, start, kind, outcome, reference, note in APPEALS:
        plan = next((p for d, p in requests.items() if d.startswith(start)), None)
        if plan is None or plan.answered is None or code not in run.depts or not run.holders.get((code, "approve")):
            continue
        answered = clock.local_date(plan.answered)
        after = filed[plan.id] + timedelta(days=r.randint(60, 75)) if plan.id in filed \
            else answered + timedelta(days=r.randint(20, 45))
        day = cal.roll_over(min(after, today - timedelta(days=3)))
        if day.year != year or day <= answered or day >= today:
            continue
        filed[plan.id] = day
        decided = cal.add_workdays(day, r.randint(30, 45))
        try:
            _appeal(run, code, plan.id, kind, outcome if decided < today else "pending", reference, note, day, decided)
        except _Stop:
            continue
        except SunhallError as exc:
            log.warning("演示复议诉讼记录未能登记：%s", exc.message)
            continue
        made += 1
    if run.holders.get(("zfb", "approve")):
        head = run.staff("zfb", "approve")
        for y, amount, day in ((year - 1, CHARGES["published"], date(year, 1, 14)), (year, CHARGES["drafted"], today)):
            try:
                moment = run.at(cal.sub_workdays(day, 3) if y == year else day)
            except _Stop:
                continue

            def write(s, y=y, amount=amount):
                if s.get(InfoReportText, (run.depts["zfb"], y)) is not None:
                    return  # a database that already has the year's texts (the demo never overwrites them)
                text = admin.save_report_text(s, s.get(User, run.users[head]), run.depts["zfb"], y,
                                              overview=REPORTS["overview"].format(year=y), problems=REPORTS["problems"],
                                              other=REPORTS["other"], charges_amount=amount)
                if y < year:
                    text.published_at = clock.now()  # 公布 (no command publishes a report yet)
            run.act(moment, write)
    return made


def _appeal(run: _Run, code: str, request_id: int, kind: str, outcome: str, reference: str | None, note: str,
            day: date, decided: date) -> None:
    head = run.users[run.staff(code, "approve")]

    def entry(s, outcome, note, reference):
        return admin.AppealInput(kind=kind, filed_on=day, outcome=outcome, reference=reference, note=note,
                                 request_number=s.get(InfoRequest, request_id).number)

    appeal_id = run.act(run.at(day), lambda s: admin.add_appeal(
        s, s.get(User, head), run.depts[code], entry(s, "pending", note if outcome == "pending" else FILED[kind], None)).id)
    if outcome != "pending":
        run.act(run.at(decided), lambda s: admin.update_appeal(
            s, s.get(User, head), appeal_id, entry(s, outcome, note, reference.format(year=decided.year))))
