"""`sunhall demo --history`: a year of realistic cases driven through the real case service with
the clock travelling (steps done on time, a share late, corrections, returns, refusals, complaints),
and the scheduler ticking in between, so dashboards and performance figures are true to the rules."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from engine import clock, scheduler
from engine.calendar import load_calendar
from engine.certificates import id_check_char, uscc_check_char
from engine.db import Database
from engine.errors import SunhallError
from engine.models import Case, CaseTask, Department, Item, SchedulerLease, User
from engine.service import (
    Applicant,
    complete_task,
    reject,
    request_correction,
    resume,
    return_to_step,
    start_case,
    withdraw,
)
from rules import complaints

from .disclosure import load_disclosure
from .exchange import load_external
from .qa import load_questions

MARKER = "demo-history"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建华", "丽娟", "志强", "秀英", "伟", "芳", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]
SHOPS = ["好味道餐饮", "云岭茶叶", "阳光超市", "福满楼酒店", "康乐足浴", "青松宾馆", "百味面馆", "临翔建材", "丰收农资",
         "锦绣美发", "金色年华歌舞厅", "绿源食品"]
PENALTY = "025309300005"
DATA = {
    "015309300002": lambda r: {"prepackaged_only": r.random() < 0.25},
    "015309300004": lambda r: {"contract_amount": r.choice([200000, 1500000, 8600000]), "floor_area": r.choice([180, 1200, 5600])},
}
# 政府信息公开申请 run through their own service (webapp/demo/disclosure.py), not the generic steps
WEIGHTS = [("075309300001", 30), ("015309300002", 25), ("015309300003", 12), ("015309300004", 10), (PENALTY, 10)]
# 经营超过保质期的食品 (食品安全法 art. 124 ①(五)); 货值金额不足一万元: 并处五万元以上十万元以下罚款, within
# the item's 裁量基准 (webapp/demo/items.py) for the 情节 chosen
GOODS = ["袋装酸奶", "散装月饼", "瓶装饮料", "预包装糕点", "速冻水饺", "盒装牛奶"]
FINE_RANGE = {"轻微": (50000, 65000), "一般": (65000, 85000), "严重": (85000, 100000)}
VIOLATED = "《中华人民共和国食品安全法》第三十四条第十项"
BASIS = "《中华人民共和国食品安全法》第一百二十四条第一款第五项"


def _penalty_case(r: random.Random, party: Applicant, day: date) -> tuple[str, dict]:
    """立案: the subject names the suspected violation; the facts come from the inspection."""
    goods, count = r.choice(GOODS), r.randint(3, 40)
    value = count * r.choice([4, 6, 8, 12, 25])
    seen = day - timedelta(days=r.randint(1, 5))
    facts = (f"{seen.year}年{seen.month}月{seen.day}日，执法人员在监督检查中发现当事人在经营场所销售超过保质期的{goods}"
             f"{count}件，货值金额{value}元。")
    return (f"对{party.name}涉嫌经营超过保质期的食品立案调查",
            {"party_name": party.name, "case_source": r.choice(["监督检查", "监督检查", "投诉举报"]), "facts": facts,
             "goods_value": value, "event_date": seen.isoformat()})


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


def load_history(db: Database, count: int = 300, seed: int = 2026, until: date | None = None) -> int:
    """Create ``count`` cases over the year before ``until`` (default: today) once per database, the
    engine's clock travelling; returns how many were made. With ``until`` the history ends the evening
    before that day, so what falls due on it is left for the scheduler (``sunhall scheduler --once --at``)."""
    if until is not None:
        with clock.frozen(datetime.combine(until - timedelta(days=1), time(18, 0), clock.LOCAL_TZ)):
            return load_history(db, count, seed)
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
        applicant = _person(r) if code == "075309300001" or r.random() < 0.2 else _company(r)
        moment = _at(day, r)
        if moment > clock.now():
            continue
        subject, data = _penalty_case(r, applicant, day) if code == PENALTY else (None, DATA.get(code, lambda _: {})(r))
        try:
            with clock.frozen(moment):
                with db.transaction() as s:
                    clerk = _holder(s, users, code, "window") or _holder(s, users, code, "approve")
                    case_id = start_case(s, code, applicant, clerk, subject=subject, data=data).id
            _drive(db, case_id, code, moment, r, users, calendar)
            made += 1
        except SunhallError:
            continue
    _complaints(db, r, users, depts, today)
    made += _online_applications(db, r, users, calendar, today)
    load_questions(db, count=round(count * 2 / 3), seed=seed + 1)  # 在线解答: about two questions for three cases
    load_disclosure(db, seed=seed)  # 政府信息公开: a year of publications, requests and appeals
    load_external(db, seed=seed)  # 外部办件: the 住建审批系统 reports its cases, one late, one gone silent
    with clock.frozen(clock.now()):
        scheduler.tick(db)
    return made


def _holder(session, users, code, post):
    item = session.scalars(select(Item).where(Item.code == code)).one()
    return next((u for u in users.values() if u.holds(post, item.department_id)), None)


def _drive(db: Database, case_id: int, code: str, moment: datetime, r: random.Random, users, calendar) -> None:
    """Work the case step by step; recent cases stay open where their time has not come."""
    end = clock.now()  # the history's "now" (the clock is frozen at each step's moment below)
    for _ in range(30):
        with db.transaction(write=False) as s:
            task = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")
                             .order_by(CaseTask.id)).first()
            hearing_date = (s.get(Case, case_id).data or {}).get("hearing_date")
        if task is None:
            return
        late = r.random() < 0.12
        used = (task.time_limit + r.randint(1, 3)) if late else r.randint(0, max(0, task.time_limit - 1))
        if task.step_id == "statement":
            used = r.randint(0, 3)  # the party answers within the five working days, or not at all
        try:
            day = calendar.add_period(clock.local_date(moment), used, task.limit_unit)
        except SunhallError:
            return
        if task.step_id == "hearing" and hearing_date:
            day = max(day, date.fromisoformat(hearing_date))  # held on the day the notice named
        moment = max(moment + timedelta(minutes=20), _at(day, r))
        if moment > end:
            return  # this step's time has not come yet: the case stays open
        if task.step_id == "statement" and r.random() < 0.25:
            # no answer: the flow's timer ends the period after the fifth working day (行政处罚法 arts. 63, 85)
            moment = _at(calendar.add_workdays(clock.local_date(task.created_at), 6), r)
            if moment > end:
                return
            with clock.frozen(moment):
                scheduler.tick(db)
            continue
        actor = next(u for u in users.values() if u.holds(task.post_code, task.department_id))
        with clock.frozen(moment):
            scheduler.tick(db)
            try:
                with db.transaction() as s:
                    if task.step_id == "accept" and s.get(Case, case_id).accepted_at is None and r.random() < 0.08:
                        request_correction(s, case_id, actor, ["申请书签字页"])
                        return_later = True
                    else:
                        return_later = False
                        decision = r.random() > 0.1 if task.step_id == "decide" and code != PENALTY \
                            else True
                        if task.step_id in ("audit", "review") and r.random() < 0.05:
                            earlier = s.scalars(select(CaseTask.step_id).where(
                                CaseTask.case_id == case_id, CaseTask.state == "completed")).first()
                            if earlier:
                                return_to_step(s, task.id, actor, earlier, "材料需要核实，请重新审查")
                                continue
                        data = _step_data(code, task.step_id, moment, r, calendar)
                        complete_task(s, task.id, actor, data=data, opinion="同意。" if decision else "不同意。",
                                      approved=decision, reason=None if decision else "不符合法定条件")
                if return_later:
                    back = _after_correction(db, case_id, code, moment, end, r, actor)
                    if back is None:
                        return
                    moment = back
            except SunhallError:
                if task.step_id == "accept" and r.random() < 0.5:
                    with db.transaction() as s:
                        reject(s, case_id, actor, "申请事项不属于本机关职权范围")
                return


def _after_correction(db: Database, case_id: int, code: str, moment: datetime, end: datetime, r: random.Random,
                      actor) -> datetime | None:
    """Most applicants supply what was missing within days. The others (a licence application, whose
    law knows no lapse) withdraw the application.
    Returns the moment the case goes on, or None when it ends here (or waits, for recent cases)."""
    if r.random() < 0.8:
        back = moment + timedelta(days=r.randint(2, 6))
        if back > end:
            return None
        with clock.frozen(back), db.transaction() as s:
            resume(s, case_id, actor, "申请人已补正")
        return back
    gone = moment + timedelta(days=r.randint(15, 40))
    if gone <= end:
        with clock.frozen(gone), db.transaction() as s:
            withdraw(s, case_id, actor, "申请人未能补齐材料，书面申请撤回申请")
    return None


def _step_data(code: str, step_id: str, moment: datetime, r: random.Random, calendar) -> dict:
    """What each step of a penalty case writes; licence and other decisions carry no fines."""
    if code != PENALTY:
        return {}
    today = clock.local_date(moment)
    if step_id == "investigate":
        return {"evidence": "现场检查笔录、询问笔录、现场照片、涉案食品标签及进货凭证"}
    if step_id == "legal_review":
        return {"legal_opinion": "事实清楚，证据确凿，程序合法，适用依据正确，同意拟处罚意见。",
                "violated_provision": VIOLATED, "penalty_basis": BASIS}
    if step_id == "notify":
        return {"intended_penalty": "没收超过保质期的食品，并处罚款"}
    if step_id == "statement":
        roll = r.random()
        if roll < 0.45:
            return {"waived": True, "hearing_requested": False, "statement_received_on": today.isoformat()}
        if roll < 0.8:
            return {"defence_statement": "系初次违法，已主动下架销毁，请求从轻处罚。", "hearing_requested": False,
                    "statement_received_on": today.isoformat()}
        return {"hearing_requested": True, "statement_received_on": today.isoformat()}
    if step_id == "hearing_notice":  # at least seven working days ahead (行政处罚法 art. 64(二), 85)
        return {"hearing_date": calendar.add_workdays(today, r.randint(7, 10)).isoformat(),
                "hearing_place": "阳光县市场监督管理局三楼听证室", "hearing_officer": "法制股 李明"}
    if step_id == "hearing":
        return {"hearing_record": "当事人到场陈述申辩，调查人员出示证据并质证。"}
    if step_id == "decide":
        severity = r.choice(["轻微", "轻微", "一般", "严重"])
        low, high = FINE_RANGE[severity]
        amount = r.randrange(low, high + 1, 1000)
        return {"severity": severity, "penalty_kind": ["罚款", "没收违法所得"], "fine_amount": amount,
                "confiscated_amount": r.choice([36, 48, 96, 120, 240]),
                "defence_review": "经复核，当事人陈述申辩的事实属实，在裁量基准内确定罚款数额。"}
    if step_id == "deliver":
        return {"delivered_on": today.isoformat()}
    if step_id == "execute":
        return {"execution": "当事人已按期缴纳罚没款。"}
    return {}


def _demo_pdf(title: str) -> bytes:
    """A one-page PDF standing for a scanned material."""
    from io import BytesIO

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont("STSong-Light", 16)
    page.drawString(72, 760, title)
    page.save()
    return out.getvalue()


# online applications of 食品经营许可 at every stage of 预审 (forms/online.py), the latest days of the history
ONLINE_STAGES = ("waiting", "correction", "supplied", "accepted", "refused", "finished")


def _online_applications(db: Database, r: random.Random, users, calendar, today: date) -> int:
    from io import BytesIO

    from forms import materials, online

    code = "015309300002"
    upload_dir = Path(db.settings.instance_dir) / "uploads"
    made = 0
    for stage in ONLINE_STAGES:
        back = {"waiting": 1, "correction": 4, "supplied": 5, "accepted": 8, "refused": 6, "finished": 40}[stage]
        day = calendar.add_workdays(today - timedelta(days=back + 14), 10)
        moment = min(_at(day, r), clock.now() - timedelta(hours=2))
        applicant = _company(r)
        with db.transaction(write=False) as s:
            names = [m["name"] for m in s.scalars(select(Item).where(Item.code == code)).one().current_version.materials]
        lacking = 1 if stage in ("correction", "supplied") else None
        files = {i: (f"{name}.pdf", BytesIO(_demo_pdf(name))) for i, name in enumerate(names) if i != lacking}
        with clock.frozen(moment), db.transaction() as s:
            form = {"business_name": applicant.name, "credit_code": applicant.cert_number, "legal_rep": applicant.contact_name,
                    "legal_rep_id": _person(r).cert_number, "phone": applicant.phone,
                    "address": f"阳光县城关镇阳光大道{r.randint(1, 200)}号", "business_area": r.choice([45, 80, 120, 260]),
                    "categories": r.sample(["预包装食品销售", "热食类食品制售", "冷食类食品制售", "自制饮品制售"], 2)}
            case, _ = online.submit(s, code, applicant, form, files, upload_dir)
            case_id = case.id
        if stage == "waiting":
            made += 1
            continue
        clerk = users["sc001"]
        step = moment + timedelta(hours=3)
        with clock.frozen(step), db.transaction() as s:
            task = s.scalars(select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.state == "ready")).first()
            if lacking is not None:
                request_correction(s, case_id, clerk, [names[lacking]])
            elif stage == "refused":
                reject(s, case_id, clerk, "申请的经营场所位于居民楼内，不符合食品经营许可的设立条件")
            else:
                complete_task(s, task.id, clerk, opinion="材料齐全，符合法定形式，予以受理。", approved=True)
        if stage == "supplied":
            with clock.frozen(step + timedelta(days=1)), db.transaction() as s:
                case = s.get(Case, case_id)
                row = next(m for m in materials.materials_of(s, case_id) if m.name == names[lacking])
                online.supply(s, case, {f"material-{row.id}": (f"{row.name}.pdf", BytesIO(_demo_pdf(row.name)))}, upload_dir)
        if stage == "finished":
            _drive(db, case_id, code, step, r, users, calendar)
        made += 1
    return made


def _complaints(db: Database, r: random.Random, users, depts, today) -> None:
    supervisor = users["jw001"]
    for i in range(18):
        moment = _at(today - timedelta(days=r.randint(5, 330)), r)
        dept = r.choice([d for d in depts if d.code not in ("jwjw", "xzfwzx", "sfj")])
        with clock.frozen(moment), db.transaction() as s:
            c = complaints.receive(s, supervisor, channel=r.choice(complaints.STAFF_CHANNELS),  # online: file_online
                                   complainant=r.choice(SURNAMES) + r.choice(GIVEN), contact=f"137{r.randint(10000000, 99999999)}",
                                   content=r.choice(["窗口人员态度生硬", "办理时间超过承诺期限", "要求提交清单以外的材料",
                                                     "网上申请长时间无人受理"]), department_id=dept.id)
            complaints.accept(s, c.id, supervisor)
            if i % 3:
                complaints.answer(s, c.id, supervisor, "经核查，已责成相关单位整改并向您致歉。")
