"""Settings read from the environment (``SUNHALL_*``), with defaults for the embedded setup."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROCESSES_DIR = REPO_ROOT / "processes"
MIGRATIONS_DIR = REPO_ROOT / "migrations"


def _instance_dir() -> Path:
    return Path(os.environ.get("SUNHALL_INSTANCE_DIR", REPO_ROOT / "instance"))


def default_database_url() -> str:
    return f"sqlite:///{_instance_dir() / 'sunhall.sqlite'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    secret_key: str = ""
    timezone: str = "Asia/Shanghai"
    max_loops: int = 50
    bpmn_max_bytes: int = 2 * 1024 * 1024
    expression_timeout: float = 0.5
    instance_dir: Path = field(default_factory=_instance_dir)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        values = dict(
            database_url=env.get("SUNHALL_DATABASE_URL") or default_database_url(),
            secret_key=env.get("SUNHALL_SECRET_KEY", ""),
            timezone=env.get("SUNHALL_TIMEZONE", "Asia/Shanghai"),
            max_loops=int(env.get("SUNHALL_MAX_LOOPS", "50")),
            bpmn_max_bytes=int(env.get("SUNHALL_BPMN_MAX_BYTES", str(2 * 1024 * 1024))),
            expression_timeout=float(env.get("SUNHALL_EXPRESSION_TIMEOUT", "0.5")),
            instance_dir=_instance_dir(),
        )
        values.update(overrides)
        return cls(**values)
