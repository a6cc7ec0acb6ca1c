"""政府信息公开: the column's proactive publications, requests handled as the 条例 says, and the
figures of the annual report (seed 001; 政府信息公开条例 2019)."""

from __future__ import annotations

from .. import listeners
from . import codes, flow, publish, service

__all__ = ["codes", "flow", "publish", "service", "install"]


def install() -> None:
    listeners.register(flow.on_transition)
    listeners.register_tick(flow.tick)
