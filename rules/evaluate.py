"""Checkpoints on every transition (run inside the engine's transaction): a blocking rule refuses
the command with a clear message and nothing is kept; a recording rule stores an alert together
with the transition it judged. Then the case's time-driven watches follow the transition.

A rule that cannot be evaluated (its stored parameters are broken, or its check raises) is an
incident, not an outage: it is skipped, the incident is recorded in the same transaction (a
savepoint undoes whatever the failed check did first) and the transition goes on with the other
rules. A *blocking* rule that fails is skipped too (it does not block): one misconfigured rule must
not stop every intake and completion of the county (the outage the audit found). The incident
(closed when the rule is next saved) keeps the skipped check visible to the supervision office,
and when a blocking check breaks while judging a step the case also gets an alarm, so the cases
it let through can be reviewed. The checks treat malformed case data as a finding, not an
exception, so hostile input cannot switch a blocking check off."""

from __future__ import annotations

import logging

from engine import incidents
from engine.errors import CheckpointViolation
from engine.listeners import Transition

from .checks import CHECKS, CHECKS_BY_TYPE
from .context import Context, Finding, RuleData, active_rules, invalidate, store_alert
from .params import stored_problem
from .watches import add_task_watches, plan_watches

__all__ = ["on_transition", "invalidate", "active_rules", "store_alert", "incident_key", "broken_rules"]
log = logging.getLogger(__name__)


def incident_key(code: str) -> str:
    return f"rule:{code}"


_broken: list = [None, {}]  # the rule cache last checked and its broken rules


def broken_rules(rules: dict) -> dict[str, str]:
    """{code: Chinese reason} of the enabled rules whose stored parameters cannot be used (checked
    once per load of the rule cache: it hands out the same dict until a rule changes)."""
    cached, broken = _broken
    if cached is not rules:
        broken = {r.code: reason for group in rules.values() for r in group
                  if (reason := stored_problem(r)) is not None}
        _broken[:] = [rules, broken]
    return broken


class _Guarded(Context):
    """The transition's context without the broken rules, or with just one rule (the slow path).

    While ``guarded``, the first check that reaches for the session (to read the database) opens
    the savepoint that undoes what a failing check did; checks that judge only the transition and
    the case row in hand open none."""

    def __init__(self, t: Transition, skip: dict[str, str]):
        self.skip, self.only, self.guarded, self.savepoint = skip, None, False, None
        super().__init__(t)

    @property
    def session(self):
        if self.guarded and self.savepoint is None:
            self.savepoint = self.t.session.begin_nested()
        return self.t.session

    @session.setter
    def session(self, value):
        pass  # always the transition's (Context sets it)

    def rules(self, rule_type: str):
        step_id = self.t.task.step_id if self.t.task is not None else None
        for rule in active_rules(self.t.session).get(rule_type, ()):
            if rule.code not in self.skip and (self.only is None or rule.code == self.only) and \
                    rule.applies(self.item_code, self.category, step_id):
                yield rule


def on_transition(t: Transition) -> None:
    t.session.flush()  # a stale case is a conflict, never mistaken below for a failing rule
    rules = active_rules(t.session)
    c = _Guarded(t, broken_rules(rules))
    if c.skip:  # broken rules that apply here are skipped: an incident each
        step_id = t.task.step_id if t.task is not None else None
        for rule in (r for group in rules.values() for r in group if r.code in c.skip):
            if rule.applies(c.item_code, c.category, step_id):
                _failed(c, rule, "规则参数有误：" + c.skip[rule.code], alarm=False)
    findings = _findings(c)
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise CheckpointViolation("监察规则不允许此操作：" + "；".join(f"{f.message}（{f.rule.code}）" for f in blocking),
                                  rules=[f.rule.code for f in blocking])
    risk_tags = [r.get("name") for r in (c.step.risk_points if c.step else ())]
    for f in findings:  # every alert at a risk-point step carries the risk points' names
        tags = list(dict.fromkeys([tag for tag in f.tags if tag != "non_blocking"] + risk_tags))
        store_alert(t.session, c.case, f.rule, f.message, f.task or t.task, f.level or f.rule.level, tags)
    _plan_watches(t, c)


def _guarded(c: _Guarded, checks) -> list[Finding]:
    """The findings of ``checks``; whatever they did in the database is undone when one raises."""
    c.guarded = True
    try:
        findings = [f for check in checks for f in check(c)]
    except BaseException:
        if c.savepoint is not None:
            c.savepoint.rollback()
        raise
    else:
        if c.savepoint is not None:
            c.savepoint.commit()
        return findings
    finally:
        c.guarded, c.savepoint = False, None


def _findings(c: _Guarded) -> list[Finding]:
    """Every check at once (the normal path); when that raises, each applicable rule again on its
    own, so that only the failing rule is skipped."""
    try:
        return _guarded(c, CHECKS)
    except Exception:
        log.warning("a supervision check failed on case %s; checking rule by rule", c.case.id, exc_info=True)
    findings: list[Finding] = []
    for rule_type, check in CHECKS_BY_TYPE.items():
        for rule in list(c.rules(rule_type)):
            c.only = rule.code
            try:
                findings.extend(_guarded(c, (check,)))
            except Exception as exc:
                _failed(c, rule, exc, alarm=rule.blocking)
            finally:
                c.only = None
    return findings


def _failed(c: _Guarded, rule: RuleData, error: BaseException | str, alarm: bool) -> None:
    """Record that ``rule`` could not be evaluated on this transition; with ``alarm`` (a blocking
    rule whose check broke while judging this very step) the case gets an alarm too: the step went
    through without this check."""
    if isinstance(error, BaseException):
        log.error("rule %s failed on case %s", rule.code, c.case.id, exc_info=error)
    reason = incidents.describe(error) if isinstance(error, BaseException) else error
    what = f"监察规则 {rule.code}（{rule.name}）未能检查办件的此次操作，已跳过"
    with c.session.begin_nested():
        incidents.record(c.session, incident_key(rule.code), "rule", what, c.case.id, reason)
        if alarm:
            store_alert(c.session, c.case, rule, f"监察规则 {rule.code}（{rule.name}）未能检查此次操作（{reason}），"
                        "操作已放行，请修正规则后复核本办件。", c.t.task, "alarm", ["规则故障"])


def _plan_watches(t: Transition, c: _Guarded) -> None:
    """A finished step's watches stay until they fall due: the tick skips a step that is no longer
    ready and sweeps its reminders (one round trip less per transition). Planning that fails (a
    time-driven rule's parameters) keeps the case's earlier watches and is an incident."""
    b = t.before
    clock_changed = (not b or t.action in ("recompute_deadlines", "retime", "report") or b.get("state") != c.case.state
                     or b.get("pause") != c.case.pause_kind or b.get("deadline") != c.case.deadline)
    try:
        if clock_changed:
            with t.session.begin_nested():
                plan_watches(t.session, c.case)
        elif t.new_tasks:  # works them all out before its one INSERT: a failure leaves nothing to undo
            add_task_watches(t.session, c.case, t.new_tasks)
    except Exception as exc:
        log.warning("planning the watches of case %s failed", c.case.id, exc_info=True)
        with t.session.begin_nested():
            incidents.record(t.session, f"watches:case:{c.case.id}", "rule",
                             "办件的到期提醒、预警和超期检查未能重新安排（沿用原有安排）", c.case.id, exc)
