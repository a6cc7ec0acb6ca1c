"""`sunhall demo --history`: a year of realistic cases driven through the real case service with
the clock travelling (steps done on time, a share late, corrections, returns, refusals, complaints),
and the scheduler ticking in between, so dashboards and performance figures are true to the rules."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from engine import clock, scheduler
from engine.calendar import load_calendar
from engine.certificates import id_check_char, uscc_check_char
from engine.db import Database
from engine.errors import SunhallError
from engine.models import CaseTask, Department, Item, SchedulerLease, User
from engine.service import (
    Applicant,
    complete_task,
    reject,
    request_correction,
    resume,
    return_to_step,
    start_case,
)
from rules import complaints

MARKER = "demo-history"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "丽娟", "志强", "秀英", "伟", "芳", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]
SHOPS = ["好味道餐饮", "云岭茶叶", "阳光超市", "福满楼酒店", "康乐足浴", "青松宾馆", "百味面馆", "临翔建材", "丰收农资",
         "锦绣美发", "金色年华歌舞厅", "绿源食品"]
DATA = {
    "015309300002": lambda r: {"prepackaged_only": r.random() < 0.25},
    "015309300004": lambda r: {"contract_amount": r.choice([200000, 1500000, 8600000]), "floor_area": r.choice([180, 1200, 5600])},
    "205309300006": lambda r: {"not_ours": r.random() < 0.15},
    "025309300005": lambda r: {"hearing_requested": r.random() < 0.2},
}
WEIGHTS = [("075309300001", 30), ("015309300002", 25), ("015309300003", 12), ("015309300004", 10),
           ("205309300006", 13), ("025309300005", 10)]


def _person(r: random.Random) -> Applicant:
    first17 = f"530930{r.randint(1960, 2000)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(100, 999)}"
    return Applicant(name=r.choice(SURNAMES) + r.choice(GIVEN), type="1", cert_type="111",
                     cert_number=first17 + id_check_char(first17), phone=f"139{r.randint(10000000, 99999999)}")


def _company(r: random.Random) -> Applicant:
    body = f"91530930MA{r.randint(1000000, 9999999)}"
    return Applicant(name=f"阳光县{r.choice(SHOPS)}有限公司", type="2", cert_type="001", cert_number=body + uscc_check_char(body),
                     contact_name=r.choice(SURNAMES) + r.choice(GIVEN), phone=f"138{r.randint(10000000, 99999999)}")


def _at(day, r: random.Random) -> datetime:
    return datetime.combine(day, datetime.min.time(), clock.LOCAL_TZ).replace(hour=r.randint(9, 16), minute=r.randint(0, 59))


def load_history(db: Database, count: int = 300, seed: int = 2026) -> int:
    """Create ``count`` cases over the past year once per database; returns how many were made."""
    with db.transaction() as s:
        if s.get(SchedulerLease, MARKER) is not None:
            return 0
        s.add(SchedulerLease(name=MARKER, holder="demo", expires_at=clock.now()))
        users = {u.staff_no: u for u in s.scalars(select(User))}
        calendar = load_calendar(s)
        depts = list(s.scalars(select(Department)))
    r = random.Random(seed)
    today = clock.today()
    starts = sorted(calendar.add_workdays(today - timedelta(days=365), r.randint(0, 245)) for _ in range(count))
    made = 0
    for day in starts:
        if day >= today:
            continue
        code = r.choices([c for c, _ in WEIGHTS], [w for _, w in WEIGHTS])[0]
        applicant = _person(r) if code in ("075309300001", "205309300006") or r.random() < 0.2 else _company(r)
        moment = _at(day, r)
        if moment > clock.now():
            continue
        try:
            with clock.frozen(moment):
                with db.transaction() as s:
                    clerk = _holder(s, users, code, "window") or _holder(s, users, code, "approve")
                    case_id = start_case(s, code, applicant, clerk, data=DATA.get(code, lambda _: {})(r)).id
            _drive(db, case_id, moment, r, users, calendar)
            made += 1
        except SunhallError:
            continue
    _complaints(db, r, users, depts, today)
    with clock.frozen(clock.now()):
        scheduler.tick(db)
    return made


def _holder(session, users, code, post):
    item = session.scalars(select(Item).where(Item.code == code)).one()
    return next((u for u in users.values() if u.holds(post, item.department_id)), None)


def _drive(db: Database, case_id: int, moment: datetime, r: random.Random, users, calendar) -> None:
    """Work the case step by step; recent cases stay open where their time has not come."""
    for _ in range(30):
        with db.transaction(write=False) as s:
            task = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")
                             .order_by(CaseTask.id)).first()
        if task is None:
            return
        late = r.random() < 0.12
        used = (task.time_limit + r.randint(1, 3)) if late else r.randint(0, max(0, task.time_limit - 1))
        try:
            day = calendar.add_period(clock.local_date(moment), used, task.limit_unit)
        except SunhallError:
            return
        moment = max(moment + timedelta(minutes=20), _at(day, r))
        if moment > clock.now():
            return  # this step's time has not come yet: the case stays open
        actor = next(u for u in users.values() if u.holds(task.post_code, task.department_id))
        with clock.frozen(moment):
            scheduler.tick(db)
            try:
                with db.transaction() as s:
                    if task.step_id == "accept" and r.random() < 0.08:
                        request_correction(s, case_id, actor, ["申请书签字页"])
                        return_later = True
                    else:
                        return_later = False
                        decision = r.random() > 0.1 if task.step_id in ("decide", "approve_reply") else True
                        if task.step_id in ("audit", "review") and r.random() < 0.05:
                            earlier = s.scalars(select(CaseTask.step_id).where(
                                CaseTask.case_id == case_id, CaseTask.state == "completed")).first()
                            if earlier:
                                return_to_step(s, task.id, actor, earlier, "材料需要核实，请重新审查")
                                continue
                        data = _step_data(task.step_id, r)
                        complete_task(s, task.id, actor, data=data, opinion="同意。" if decision else "不同意。",
                                      approved=decision, reason=None if decision else "不符合法定条件")
                if return_later:
                    moment = moment + timedelta(days=r.randint(2, 6))
                    if moment > clock.now():
                        return
                    with clock.frozen(moment), db.transaction() as s:
                        resume(s, case_id, actor, "申请人已补正")
            except SunhallError:
                if task.step_id == "accept" and r.random() < 0.5:
                    with db.transaction() as s:
                        reject(s, case_id, actor, "申请事项不属于本机关职权范围")
                return


def _step_data(step_id: str, r: random.Random) -> dict:
    if step_id == "decide" and r.random() < 0.5:
        severity = r.choice(["轻微", "一般", "严重"])
        amount = {"轻微": 3000, "一般": 12000, "严重": 50000}[severity]
        return {"penalty_kind": ["罚款"], "severity": severity, "fine_amount": amount}
    return {}


def _complaints(db: Database, r: random.Random, users, depts, today) -> None:
    supervisor = users["jw001"]
    for i in range(18):
        moment = _at(today - timedelta(days=r.randint(5, 330)), r)
        dept = r.choice([d for d in depts if d.code not in ("jwjw", "xzfwzx", "sfj")])
        with clock.frozen(moment), db.transaction() as s:
            c = complaints.receive(s, supervisor, channel=r.choice(["phone", "window", "online"]),
                                   complainant=r.choice(SURNAMES) + r.choice(GIVEN), contact=f"137{r.randint(10000000, 99999999)}",
                                   content=r.choice(["窗口人员态度生硬", "办理时间超过承诺期限", "要求提交清单以外的材料",
                                                     "网上申请长时间无人受理"]), department_id=dept.id)
            complaints.accept(s, c.id, supervisor)
            if i % 3:
                complaints.answer(s, c.id, supervisor, "经核查，已责成相关单位整改并向您致歉。")
