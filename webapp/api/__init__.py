"""REST API ``/api/v1`` (flask-smorest on marshmallow) for department systems and scripts."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the API on the staff surface (filled in by the API work)."""
