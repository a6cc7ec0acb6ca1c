"""Data exchange with other systems: cases reported by departments' own systems, and the feed
offered upward to the provincial platform (seed 004 §4.3)."""

from __future__ import annotations

from .. import listeners
from . import feed


def install() -> None:
    """Registers the feed's transition listener and the exchange's scheduler ticks."""
    listeners.register(feed.on_transition)
    listeners.register_tick(feed.send_due)
