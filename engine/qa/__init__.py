"""在线解答: the public asks, departments answer on time, supervisors see it all (seed 000)."""

from __future__ import annotations

from .. import listeners
from . import faq, flow, service, turns
from .service import Asking

__all__ = ["Asking", "faq", "flow", "service", "turns", "install"]


def install() -> None:
    """Before the rules layer: the turn's clock times a step before the watches are planned from it."""
    listeners.register(flow.on_transition)
    listeners.register_recompute(turns.recompute)
