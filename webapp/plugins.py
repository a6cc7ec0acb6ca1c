"""Plug the forms and rules layers, and the catalogue's publication on legal approval, into the
engine; called when the app or the CLI is built."""

from __future__ import annotations

import forms.online
import forms.plugin
import rules.plugin
from engine import catalogue, listeners


def install() -> None:
    forms.plugin.install()
    forms.online.install()
    rules.plugin.install()
    listeners.register(catalogue.publish_on_approval)
