"""Where the instance keeps files: uploaded materials and produced documents (one place for every view)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app


def upload_dir() -> Path:
    return Path(current_app.extensions["sunhall_settings"].instance_dir) / "uploads"


def document_dir() -> Path:
    return Path(current_app.extensions["sunhall_settings"].instance_dir) / "documents"
