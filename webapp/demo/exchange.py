"""外部办件 in the demo: 阳光县住房和城乡建设局 runs part of its 建筑工程施工许可 in its own approval system
(住建审批系统), which reports each case into Sunhall through the API (seed 004 §4.3). Most reports
arrive within hours; one step reaches us two days late (A051 关键数据延时报送) and one open case falls
silent past its step's deadline (A052 关键数据未报送, raised by the scheduler's tick)."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from engine import apitokens, clock
from engine.calendar import load_calendar
from engine.db import Database
from engine.exchange import report
from engine.models import ApiToken, Department, User
from engine.organisation import ensure_user

from . import credit_code

SYSTEM = "zjj-spxt"
ACCOUNT = "zjj-api"
ITEM = "015309300004"  # 建筑工程施工许可证核发
BUILDERS = [("阳光县城投建设开发有限公司", "91"), ("临沧市恒达房地产开发有限公司", "91"), ("阳光县第一中学", "12"),
            ("云南滇西建工集团有限公司", "91"), ("阳光县人民医院", "12"), ("阳光县茶乡农业开发有限公司", "91")]
PROJECTS = ["综合楼", "住宅小区二期", "教学楼改扩建", "城南安置房", "门诊医技楼", "茶叶初制所厂房"]


def _system_account(session) -> tuple[User, Department]:
    """The account the 住建审批系统's token acts as: no post, so it can work no step here."""
    dept = session.scalars(select(Department).where(Department.code == "zjj")).one()
    user, _ = ensure_user(session, ACCOUNT, "住建审批系统", dept, secrets.token_urlsafe(24))
    if session.scalars(select(ApiToken).where(ApiToken.system_code == SYSTEM)).first() is None:
        admin = session.scalars(select(User).where(User.staff_no == "admin")).one()
        apitokens.issue(session, admin, name="住建审批系统报送", user_id=user.id, department_ids=[dept.id],
                        verbs=["report", "read"], system_code=SYSTEM)
    return user, dept


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), clock.LOCAL_TZ)


def load_external(db: Database, seed: int = 2026) -> int:
    """Six cases of the last weeks, each reported as the department's system would: after acceptance,
    after each step and at the result. Returns how many cases were reported."""
    r = random.Random(seed + 14)
    with db.transaction() as s:
        user, dept = _system_account(s)
        reporter = report.Reporter(SYSTEM, (dept.id,))
        calendar = load_calendar(s)
        user_id = user.id
    today = clock.today()
    made = 0
    for n, ((name, prefix), project) in enumerate(zip(BUILDERS, PROJECTS)):
        credit = credit_code("530930", 7300 + n, prefix)
        received = calendar.add_workdays(today - timedelta(days=40), 3 * n)
        accepted = _at(received, 9, 30 + n)
        review_done = _at(calendar.add_workdays(received, 3), 16)
        decided = _at(calendar.add_workdays(received, 5), 11)
        data = {
            "external_id": f"JZSG-{today.year}-{n + 101:04d}", "item_code": ITEM,
            "subject": f"{name}{project}建筑工程施工许可", "channel": "window",
            "applicant": {"name": name, "type": "2" if prefix == "91" else "3", "cert_type": "001",
                          "cert_number": credit, "contact_name": r.choice(["杨光", "李明", "赵丽", "周强"]),
                          "phone": f"139{r.randint(10000000, 99999999)}"},
            "received_at": _at(received, 9), "accepted_at": accepted, "accepted_by": "马超",
            "materials": [{"name": "建筑工程施工许可申请表", "required": True, "submitted": True},
                          {"name": "建设工程规划许可证", "required": True, "submitted": True},
                          {"name": "施工合同", "required": True, "submitted": True}],
            "steps": [{"id": "review", "code": "review", "name": "审查", "post": "review", "handler": "朱琳",
                       "started_at": accepted, "time_limit": 3}],
        }
        moments = [accepted + timedelta(hours=1)]
        silent = n == len(BUILDERS) - 1  # the last one: its system stops reporting after acceptance
        if not silent:
            review = data["steps"][0]
            review.update(completed_at=review_done, opinion="材料齐全，符合发证条件，建议准予许可。", approved=True)
            data["steps"].append({"id": "decide", "code": "decide", "name": "决定", "post": "approve",
                                  "handler": "胡军", "started_at": review_done, "time_limit": 2,
                                  "completed_at": decided, "opinion": "同意。", "approved": True})
            data["result"] = {"state": "finished", "decision": "准予许可", "finished_at": decided,
                              "document_number": f"530930{today.year}{n + 101:04d}",
                              "detail": f"{project}，建设规模按规划许可执行。"}
            late = n == 2  # this one's review reaches us two days after it was done
            moments += [review_done + timedelta(hours=50 if late else 2), decided + timedelta(hours=3)]
        for moment in moments:
            if moment > clock.now():
                break
            with clock.frozen(moment), db.transaction() as s:
                report.report_case(s, s.get(User, user_id), reporter, _as_of(data, moment), now=moment)
        made += 1
    return made


def _as_of(data: dict, moment: datetime) -> dict:
    """What the department's system knew at ``moment``: facts that happened later are left out."""
    known = {k: v for k, v in data.items() if k not in ("steps", "result")}
    steps = []
    for step in data["steps"]:
        if step["started_at"] > moment:
            continue
        step = dict(step)
        if step.get("completed_at") and step["completed_at"] > moment:
            for key in ("completed_at", "opinion", "approved"):
                step.pop(key, None)
        steps.append(step)
    known["steps"] = steps
    result = data.get("result")
    if result and result["finished_at"] <= moment:
        known["result"] = result
    return known
