"""Time-driven checks: the scheduler's tick reads only the watches that are due (an indexed
range on ``fire_at``), so a tick costs what is due, not what is open."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from engine import clock, incidents
from engine.calendar import load_calendar
from engine.db import Database
from engine.errors import InvalidInput, SunhallError
from engine.exchange.report import system_label
from engine.models import Case, CaseEvent, CaseTask, Item, ItemVersion, SchedulerLease

from .context import active_rules
from .models import Alert, Rule, Watch
from .params import stored_problem
from .watches import next_report_due, resolve_done_reminders

CLOSES = {"step_overdue": ("step_warning", "reminder"), "case_overdue": ("case_warning",)}
BATCH = 500
log = logging.getLogger(__name__)
PROVISIONAL_TAG = "预计期限"
PROVISIONAL_NOTE = "（期限为预计日期）"
_DUE = select(Watch.id, Watch.case_id, Watch.task_id, Watch.rule_code, Watch.provisional)


def watch_key(rule_code: str, case_id: int, task_id: int | None) -> str:
    return f"watch:{rule_code}:case:{case_id}" + (f":task:{task_id}" if task_id else "")


def fire_due(db: Database) -> int:
    """Fire every due watch, a batch per transaction: the batch's cases, steps and open alerts are
    read in three queries, the new alerts written in one statement and the watches deleted in one.

    A batch that raises is rolled back and done again one watch per transaction: a watch that
    fails is an incident and stays in place (the next tick retries it, this one skips it), every
    other watch fires."""
    fired = 0
    failed: set[int] = set()  # watches that failed in this tick
    open_keys = None
    while True:
        due = None
        try:
            with db.transaction() as session:
                if open_keys is None:  # read once, in the first batch's transaction
                    open_keys = incidents.open_keys(session, "watch")
                now = clock.now()
                query = _DUE.where(Watch.fire_at <= now)
                if failed:
                    query = query.where(Watch.id.not_in(failed))
                due = session.execute(query.order_by(Watch.fire_at).limit(BATCH)).all()
                if not due:
                    resolve_done_reminders(session)
                    _resolve_gone(session, open_keys)
                    return fired + check_volume_monthly(session)
                fired += _fire_batch(session, due, now)
        except Exception:
            if not due:
                raise
            retry = True
        else:
            retry = False
        if retry:  # outside the handler, so that each watch's own error is logged on its own
            fired += _fire_one_by_one(db, due, now, failed, open_keys)
        elif open_keys:  # normally empty: the fast path pays nothing
            done = open_keys.intersection(watch_key(w.rule_code, w.case_id, w.task_id) for w in due)
            for key in done:
                incidents.resolve(db, key)
            open_keys -= done


fire_due.label = "监察规则到期检查"  # shown when the whole hook fails (engine.scheduler.run_tick)


def _fire_one_by_one(db: Database, due, now, failed: set[int], open_keys: set[str]) -> int:
    """The slow path after a failed batch: each watch in its own transaction."""
    fired = 0
    names = _names(db, due)
    for w in due:
        key = watch_key(w.rule_code, w.case_id, w.task_id)
        rule, step = names.get(("rule", w.rule_code)), names.get(("task", w.task_id))
        what = (f"监察规则 {w.rule_code}" + (f"（{rule}）" if rule else "") + "的到期检查"
                + (f"：环节“{step}”" if step else ""))

        def one(w=w):
            with db.transaction() as session:
                return _fire_batch(session, [w], now)

        result = incidents.guarded(db, key, "watch", what, w.case_id, one, resolve_keys=open_keys)
        if result is None:
            failed.add(w.id)
        else:
            fired += result
            open_keys.discard(key)
    return fired


def _names(db: Database, due) -> dict:
    """Rule and step names for the incidents of the slow path (best effort: ids when unreadable)."""
    try:
        with db.transaction(write=False) as session:
            rules = session.execute(select(Rule.code, Rule.name).where(Rule.code.in_({w.rule_code for w in due})))
            steps = session.execute(select(CaseTask.id, CaseTask.step_name).where(
                CaseTask.id.in_({w.task_id for w in due if w.task_id})))
            return {**{("rule", c): n for c, n in rules}, **{("task", i): n for i, n in steps}}
    except Exception:
        log.warning("could not read rule and step names", exc_info=True)
        return {}


def _resolve_gone(session: Session, open_keys: set[str]) -> None:
    """An open watch incident whose watch is gone (the step was done, the case re-planned or closed)
    has nothing left to retry."""
    for key in list(open_keys):
        parts = key.split(":")
        try:
            code, case_id = parts[1], int(parts[3])
            task_id = int(parts[5]) if len(parts) > 5 else None
        except (IndexError, ValueError):
            continue
        left = session.scalar(select(Watch.id).where(Watch.rule_code == code, Watch.case_id == case_id,
                                                     Watch.task_id.is_(None) if task_id is None
                                                     else Watch.task_id == task_id).limit(1))
        if left is None:
            incidents.resolve(session, key)
            open_keys.discard(key)


def _fire_batch(session: Session, due, now) -> int:
    rules = {r.code: r for group in active_rules(session).values() for r in group}
    case_ids = {w.case_id for w in due}
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    tasks = {t.id: t for t in session.scalars(select(CaseTask).where(CaseTask.id.in_({w.task_id for w in due if w.task_id})))}
    open_alerts = set(session.execute(select(Alert.rule_code, Alert.case_id, Alert.task_id).where(
        Alert.case_id.in_(case_ids), Alert.state.in_(("open", "acknowledged", "supervising")))).all())
    new_alerts, closes, later = [], [], []
    for w in due:
        rule, case = rules.get(w.rule_code), cases.get(w.case_id)
        task = tasks.get(w.task_id) if w.task_id else None
        if rule is None or case is None or not case.is_open or case.pause_kind:
            continue
        if w.task_id and (task is None or task.state != "ready"):
            continue
        text = _message(session, rule, case, task, now, later)
        if text is None or (rule.code, case.id, w.task_id) in open_alerts:
            continue
        open_alerts.add((rule.code, case.id, w.task_id))
        if w.provisional:
            text += PROVISIONAL_NOTE
        new_alerts.append(dict(rule_id=rule.id, rule_code=rule.code, level=rule.level, case_id=case.id,
                               task_id=w.task_id, step_id=task.step_id if task else None, item_id=case.item_id,
                               department_id=task.department_id if task else case.department_id, message=text,
                               tags=[PROVISIONAL_TAG] if w.provisional else [], state="open", created_at=now))
        for closed_type in CLOSES.get(rule.type, ()):
            for closed in active_rules(session).get(closed_type, ()):
                closes.append({"b_code": closed.code, "b_case": case.id, "b_task": w.task_id})
    session.execute(delete(Watch.__table__).where(Watch.__table__.c.id.in_([w.id for w in due])))
    if closes:
        session.execute(_CLOSE, [dict(c, now=now) for c in closes])
    if new_alerts:
        session.execute(insert(Alert.__table__), new_alerts)
    if later:
        session.execute(insert(Watch.__table__), later)
    return len(new_alerts)


_ALERTS = Alert.__table__
_CLOSE = (update(_ALERTS).where(_ALERTS.c.rule_code == bindparam("b_code"), _ALERTS.c.case_id == bindparam("b_case"),
                                or_(_ALERTS.c.task_id == bindparam("b_task"), bindparam("b_task").is_(None)),
                                _ALERTS.c.state == "open")
          .values(state="resolved", handled_at=bindparam("now"), handling_note="已转为超期报警"))


def _message(session: Session, rule, case: Case, task: CaseTask | None, now, later: list) -> str | None:
    reason = stored_problem(rule)
    if reason is not None:  # the watch stays, an incident says why; it fires once the rule is mended
        raise InvalidInput(f"监察规则 {rule.code} 的参数有误：{reason}")
    share = f"{float(rule.params.get('share', 0.8)):.0%}"
    if rule.type == "reminder":
        return f"环节“{task.step_name}”将于 {task.due_date} 到期，请抓紧办理。"
    if rule.type == "step_warning":
        return f"环节“{task.step_name}”已用去时限的 {share}，将于 {task.due_date} 到期。"
    if rule.type == "step_overdue":
        return f"环节“{task.step_name}”已超过办理期限（{task.due_date}）。"
    if rule.type == "case_warning":
        return f"办件已用去承诺时限的 {share}，承诺办结日期 {case.deadline}。"
    if rule.type == "case_overdue":
        return f"办件已超过承诺办结日期（{case.deadline}）仍未办结。"
    if rule.type == "report_missing":
        if not case.source:
            return None
        ready = session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready")).all()
        due = next_report_due(case, ready)
        if due is None or _at(due + timedelta(days=1)) > now:  # a report moved the deadline on: look again then
            if due is not None:
                later.append(dict(case_id=case.id, task_id=None, rule_code=rule.code, fire_at=_at(due + timedelta(days=1))))
            return None
        since = clock.local_date(case.reported_at or case.received_at)
        return (f"外部办件（{system_label(case)}，流水号 {case.external_id}）自 {since} 起没有新的报送，已超过下一期限 {due}"
                "（关键数据未报送）。")
    if rule.type == "inactivity":
        last = session.scalar(select(CaseEvent.at).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq.desc()))
        days = int(rule.params.get("days", 10))
        quiet_until = load_calendar(session).add_workdays(clock.local_date(last), days) + timedelta(days=1)
        if _at(quiet_until) > now:  # there was activity since: look again later instead of alerting
            later.append(dict(case_id=case.id, task_id=None, rule_code=rule.code, fire_at=_at(quiet_until)))
            return None
        return f"办件自 {clock.local_date(last)} 起已连续 {days} 个工作日没有任何操作。"
    return None


def check_volume(session: Session, month: date) -> int:
    """C001: an item's cases this month against last month and the same month last year."""
    rules = active_rules(session).get("volume", ())
    if not rules:
        return 0
    first = month.replace(day=1)
    prev = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
    year_ago = first.replace(year=first.year - 1)
    counts = {}
    for start in (first, prev, year_ago):
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        rows = session.execute(select(Case.item_id, func.count()).where(
            Case.received_at >= _at(start), Case.received_at < _at(end)).group_by(Case.item_id)).all()
        counts[start] = dict(rows)
    made = 0
    for rule in rules:
        reason = stored_problem(rule)
        if reason is not None:
            raise InvalidInput(f"监察规则 {rule.code} 的参数有误：{reason}")
        threshold, minimum = float(rule.params.get("threshold", 0.5)), int(rule.params.get("min_cases", 5))
        for item_id in set(counts[first]) | set(counts[prev]) | set(counts[year_ago]):
            now_count = counts[first].get(item_id, 0)
            for base, label in ((prev, "环比"), (year_ago, "同比")):
                before = counts[base].get(item_id, 0)
                if max(before, now_count) < minimum or before == 0:
                    continue
                change = (now_count - before) / before
                if abs(change) > threshold:
                    item = session.get(Item, item_id)
                    version = session.get(ItemVersion, item.current_version_id)
                    session.add(Alert(rule_id=rule.id, rule_code=rule.code, level=rule.level, item_id=item_id,
                                      department_id=item.department_id, state="open", created_at=clock.now(), tags=[],
                                      message=f"“{version.name}”{first:%Y年%m月}办件 {now_count} 件，{label}"
                                              f"{'增长' if change > 0 else '下降'} {abs(change):.0%}（{before} 件）。"))
                    made += 1
    return made


def check_volume_monthly(session: Session) -> int:
    """Once a month (a marker row), judge the month that just ended. A failure is an incident and
    is tried again on the next tick (the marker goes with the failed savepoint); the rest of the
    tick goes on."""
    today = clock.today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    marker = f"volume:{last_month:%Y-%m}"
    if session.get(SchedulerLease, marker) is not None:
        return 0
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=marker, holder="rules", expires_at=clock.now()))
            made = check_volume(session, last_month)
    except Exception as exc:
        log.error("volume check of %s failed: %s", last_month, incidents.describe(exc),
                  exc_info=not isinstance(exc, SunhallError))
        with session.begin_nested():
            incidents.record(session, marker, "rule", f"办件量异常检查（{last_month:%Y年%m月}）", None, exc)
        return 0
    incidents.resolve(session, marker)
    return made


def _at(day: date):
    return datetime.combine(day, time.min, clock.LOCAL_TZ)
