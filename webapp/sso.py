"""Single sign-on (统一身份认证) through an OpenID Connect provider, with Authlib."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask, surface: str) -> None:
    """Registers the OpenID Connect login for staff (and citizens, when configured)."""
