"""What the rules layer plugs into the engine: the checkpoint listener, the statistics rollups' listener
and the tick hook."""

from __future__ import annotations

from engine import listeners

from . import complaints, rollups
from .evaluate import on_transition
from .service import close_orders_on_finish
from .ticks import fire_due


def install() -> None:
    listeners.register(on_transition)
    listeners.register(close_orders_on_finish)
    listeners.register(rollups.on_transition)
    listeners.register_tick(fire_due)
    listeners.register_recompute(complaints.recompute)
