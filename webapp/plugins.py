"""Plug the forms (and later the rules) layer into the engine; called when the app or the CLI is built."""

from __future__ import annotations

import forms.plugin
import rules.plugin


def install() -> None:
    forms.plugin.install()
    rules.plugin.install()
