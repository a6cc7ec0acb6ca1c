"""What the rules look at: the cached rule catalogue and item facts, the context of one
transition, findings, and storing an alert."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from time import monotonic

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from engine import clock
from engine.listeners import Transition
from engine.models import Case, CaseTask, Item, ItemVersion
from engine.service.common import step_config

from .models import Alert, Rule


@dataclass(frozen=True)
class RuleData:
    id: int
    code: str
    type: str
    name: str
    level: str
    blocking: bool
    params: dict
    scope_kind: str
    scope_value: str | None

    def applies(self, item_code: str, category: str, step_id: str | None) -> bool:
        if self.scope_kind == "all":
            return True
        if self.scope_kind == "category":
            return category == self.scope_value
        if self.scope_kind == "item":
            return item_code == self.scope_value
        return step_id is not None and f"{item_code}:{step_id}" == self.scope_value


_lock = threading.Lock()
_cache: dict[str, tuple[tuple, dict[str, RuleData], float]] = {}
_items: dict[tuple[str, int], tuple[float, str, str, str]] = {}
RECHECK_SECONDS = 2.0  # how soon another process's rule change is seen here (this process: at once)


def invalidate() -> None:
    with _lock:
        _cache.clear()
        _items.clear()


@event.listens_for(Session, "after_commit")
def _rules_committed(session: Session) -> None:
    if session.info.pop("rules_changed", False) | session.info.pop("items_changed", False):
        invalidate()


def active_rules(session: Session) -> dict[str, RuleData]:
    """Enabled rules by type; changes made here are seen at once, changes made by another process
    within RECHECK_SECONDS (then a cheap stamp query tells whether to re-read)."""
    key = str(session.get_bind().url)
    with _lock:
        hit = _cache.get(key)
        if hit and monotonic() - hit[2] < RECHECK_SECONDS:
            return hit[1]
    stamp = tuple(session.execute(select(func.count(Rule.id), func.max(Rule.updated_at), func.sum(Rule.version))).one())
    with _lock:
        if hit and hit[0] == stamp:
            _cache[key] = (stamp, hit[1], monotonic())
            return hit[1]
    rules = {}
    for r in session.scalars(select(Rule).where(Rule.enabled)):
        rules.setdefault(r.type, [])
        rules[r.type].append(RuleData(r.id, r.code, r.type, r.name, r.level, r.blocking, dict(r.params or {}),
                                      r.scope_kind, r.scope_value))
    rules = {t: tuple(v) for t, v in rules.items()}
    with _lock:
        _cache[key] = (stamp, rules, monotonic())
    return rules


def item_facts(session: Session, item_id: int) -> tuple[str, str, str]:
    """(code, status, category of the current version), re-read at most every RECHECK_SECONDS."""
    key = (str(session.get_bind().url), item_id)
    with _lock:
        hit = _items.get(key)
    if hit and monotonic() - hit[0] < RECHECK_SECONDS:
        return hit[1:]
    code, status, category = session.execute(
        select(Item.code, Item.status, ItemVersion.category).join(ItemVersion, ItemVersion.id == Item.current_version_id)
        .where(Item.id == item_id)).one()
    with _lock:
        _items[key] = (monotonic(), code, status, category)
    return code, status, category


@dataclass
class Finding:
    rule: RuleData
    message: str
    task: CaseTask | None = None
    tags: list = field(default_factory=list)
    level: str | None = None
    block: bool | None = None  # None: as the rule says

    @property
    def blocking(self) -> bool:
        if self.block is not None:
            return self.block
        return self.rule.blocking and "non_blocking" not in self.tags


class Context:
    """What the rules look at for one transition."""

    def __init__(self, t: Transition):
        self.t = t
        self.session = t.session
        self.case = t.case
        self.item_code, self.item_status, self.category = item_facts(self.session, t.case.item_id)
        self.step = step_config(self.session, t.case, t.task.step_id) if t.task is not None else None
        self._version = None

    @property
    def version(self) -> ItemVersion:  # loaded only by the rules that need the item's content
        if self._version is None:
            self._version = self.session.get(ItemVersion, self.case.item_version_id)
        return self._version

    def rules(self, rule_type: str):
        step_id = self.t.task.step_id if self.t.task is not None else None
        for rule in active_rules(self.session).get(rule_type, ()):
            if rule.applies(self.item_code, self.category, step_id):
                yield rule

    @property
    def data(self) -> dict:
        return self.case.data or {}


def store_alert(session: Session, case: Case, rule: RuleData, message: str, task: CaseTask | None, level: str,
                tags: list, now: datetime | None = None) -> bool:
    """Store an alert unless the same rule already has an open one for this case and step."""
    exists = session.scalar(select(Alert.id).where(
        Alert.rule_code == rule.code, Alert.case_id == case.id, Alert.state.in_(("open", "acknowledged", "supervising")),
        Alert.task_id == task.id if task is not None else Alert.task_id.is_(None)).limit(1))
    if exists:
        return False
    session.execute(insert(Alert), [dict(
        rule_id=rule.id, rule_code=rule.code, level=level, case_id=case.id, task_id=task.id if task else None,
        step_id=task.step_id if task else None, item_id=case.item_id,
        department_id=task.department_id if task else case.department_id, message=message, tags=list(tags),
        state="open", created_at=now or clock.now())])
    return True
