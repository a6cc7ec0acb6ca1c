"""Plug the forms and rules layers, and the catalogue's publication on legal approval, into the
engine; called when the app or the CLI is built."""

from __future__ import annotations

import forms.online
import forms.plugin
import rules.plugin
from engine import catalogue, disclosure, exchange, listeners, notices, notify, partitions, qa


def install() -> None:
    forms.plugin.install()
    forms.online.install()
    qa.install()  # before the rules: a question's turn times its steps before their watches are planned
    disclosure.install()  # before the rules, like 在线解答: its listener refuses generic step completions
    rules.plugin.install()
    listeners.register_tick(notify.tick)
    listeners.register_tick(partitions.tick)
    listeners.register(catalogue.publish_on_approval)
    notices.install()
    exchange.install()
