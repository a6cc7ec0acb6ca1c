"""Transition listeners: how rules/ (and anything else) watch every command without the engine
importing them. Listeners run inside the command's transaction, after the state change and
before commit; one that raises aborts the whole command."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.orm import Session

from .models import Case, CaseTask, User


@dataclass
class Transition:
    session: Session
    case: Case
    action: str  # start, accept, complete, return, suspend, resume, correction, reject, withdraw, extend, finish, …
    actor: User | None
    task: CaseTask | None = None
    new_tasks: list[CaseTask] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    reason: str | None = None
    before: dict = field(default_factory=dict)  # state, pause, deadline and open steps before the command


Listener = Callable[[Transition], None]
_listeners: list[Listener] = []


def register(listener: Listener) -> Listener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unregister(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def notify(transition: Transition) -> None:
    for listener in list(_listeners):
        listener(transition)


# --- definition checks: plugged-in validation at deployment (e.g. forms/ checks formKey and fields) ---

DefinitionCheck = Callable[[Session, object], list]
_definition_checks: list[DefinitionCheck] = []


def register_definition_check(check: DefinitionCheck) -> DefinitionCheck:
    if check not in _definition_checks:
        _definition_checks.append(check)
    return check


def definition_problems(session: Session, validated) -> list:
    problems = []
    for check in list(_definition_checks):
        problems.extend(check(session, validated))
    return problems


# --- tick hooks: time-driven work the scheduler runs on every tick (e.g. rules/ watches) ---

TickHook = Callable[[object], int]
_tick_hooks: list[TickHook] = []


def register_tick(hook: TickHook) -> TickHook:
    if hook not in _tick_hooks:
        _tick_hooks.append(hook)
    return hook


def tick_hooks() -> list[TickHook]:
    return list(_tick_hooks)


# --- recompute hooks: dates other layers keep (e.g. complaints) made definite after a year is entered ---

RecomputeHook = Callable[[Session, object, bool], list]
_recompute_hooks: list[RecomputeHook] = []


def register_recompute(hook: RecomputeHook) -> RecomputeHook:
    if hook not in _recompute_hooks:
        _recompute_hooks.append(hook)
    return hook


def recompute_hooks() -> list[RecomputeHook]:
    return list(_recompute_hooks)


@contextmanager
def suspended():
    """No transition listener runs inside the block (the engine measured on its own)."""
    saved = _listeners[:]
    _listeners.clear()
    try:
        yield
    finally:
        _listeners[:] = saved
