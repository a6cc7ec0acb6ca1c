"""Data exchange with other systems: cases reported by departments' own systems, and the feed
offered upward to the provincial platform (seed 004 §4.3)."""

from __future__ import annotations


def install() -> None:
    """Registers the feed's transition listener and the exchange's scheduler ticks."""
