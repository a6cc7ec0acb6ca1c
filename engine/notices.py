"""Notices to applicants about their cases (受理, 补正, 办结), queued in the command's transaction
and sent after commit by engine.notify (seed 002 §8.4)."""

from __future__ import annotations


def install() -> None:
    """Registers the notices' transition listener."""
