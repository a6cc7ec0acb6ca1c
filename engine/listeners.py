"""Transition listeners: how rules/ (and anything else) watch every command without the engine
importing them. Listeners run inside the command's transaction, after the state change and
before commit; one that raises aborts the whole command."""

from __future__ import annotations

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
