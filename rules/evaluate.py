"""Checkpoints on every transition (run inside the engine's transaction): a blocking rule refuses
the command with a clear message and nothing is kept; a recording rule stores an alert together
with the transition it judged. Then the case's time-driven watches follow the transition."""

from __future__ import annotations

from engine.errors import CheckpointViolation
from engine.listeners import Transition

from .checks import CHECKS
from .context import Context, active_rules, invalidate, store_alert
from .watches import add_task_watches, plan_watches

__all__ = ["on_transition", "invalidate", "active_rules", "store_alert"]


def on_transition(t: Transition) -> None:
    c = Context(t)
    findings = [f for check in CHECKS for f in check(c)]
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise CheckpointViolation("监察规则不允许此操作：" + "；".join(f"{f.message}（{f.rule.code}）" for f in blocking),
                                  rules=[f.rule.code for f in blocking])
    risk_tags = [r.get("name") for r in (c.step.risk_points if c.step else ())]
    for f in findings:  # every alert at a risk-point step carries the risk points' names
        tags = list(dict.fromkeys([tag for tag in f.tags if tag != "non_blocking"] + risk_tags))
        store_alert(t.session, c.case, f.rule, f.message, f.task or t.task, f.level or f.rule.level, tags)
    # A finished step's watches stay until they fall due: the tick skips a step that is no longer
    # ready and sweeps its reminders (one round trip less per transition).
    b = t.before
    clock_changed = (not b or t.action == "recompute_deadlines" or b.get("state") != c.case.state or b.get("pause") != c.case.pause_kind
                     or b.get("deadline") != c.case.deadline)
    if clock_changed:
        plan_watches(t.session, c.case)
    elif t.new_tasks:
        add_task_watches(t.session, c.case, t.new_tasks)
