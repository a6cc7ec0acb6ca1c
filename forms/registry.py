"""The form registry: definitions shipped as JSON under ``forms/definitions`` (versions kept in
the database), per-step access (write / read / hidden) and the marshmallow schema of a step."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import RAISE, Schema, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidInput, NotFound
from engine.validation import sentences

from .fields import LICENCE_FORMATS, TYPES, FormSchema, build_field, describe, required_field
from .models import FormVersion

DEFINITIONS = Path(__file__).parent / "definitions"
ACCESS = ("write", "read", "hidden")


@dataclass(frozen=True)
class Form:
    key: str
    version: int
    name: str
    fields: tuple[dict, ...]
    groups: dict = field(default_factory=dict)

    def spec(self, name: str) -> dict:
        for f in self.fields:
            if f["name"] == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def access(self, step_fields: dict | None) -> dict[str, str]:
        """Each field's access at a step: the flow chart's setting, else the field's default."""
        step_fields = step_fields or {}
        return {f["name"]: step_fields.get(f["name"], f.get("default_access", "read")) for f in self.fields}

    def visible(self, access: dict[str, str], data: dict) -> list[tuple[dict, object, str]]:
        """(field spec, value, access) for every field the step may see; hidden ones never leave."""
        return [(f, data.get(f["name"]), access[f["name"]]) for f in self.fields if access[f["name"]] != "hidden"]

    def countable(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("countable")]


def check_definition(definition: dict) -> None:
    names = set()
    for f in definition.get("fields", []):
        if f.get("type") not in TYPES:
            raise InvalidInput(f"表单 {definition.get('key')} 的字段 {f.get('name')} 类型 {f.get('type')} 无效。")
        if f["name"] in names:
            raise InvalidInput(f"表单 {definition.get('key')} 的字段名 {f['name']} 重复。")
        if f.get("format") is not None and f.get("format") not in LICENCE_FORMATS:
            raise InvalidInput(f"字段 {f['name']} 的编号格式 {f.get('format')} 无效。")
        if f.get("default_access", "read") not in ACCESS:
            raise InvalidInput(f"字段 {f['name']} 的默认权限无效。")
        names.add(f["name"])


def sync_definitions(session: Session, directory: Path = DEFINITIONS) -> list[str]:
    """Store each shipped definition as a new version when it changed (idempotent)."""
    stored = []
    for path in sorted(directory.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        definition = json.loads(text)
        check_definition(definition)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        latest = session.scalars(select(FormVersion).where(FormVersion.key == definition["key"])
                                 .order_by(FormVersion.version.desc())).first()
        if latest is not None and latest.sha256 == digest:
            continue
        version = (session.scalar(select(func.max(FormVersion.version))
                                  .where(FormVersion.key == definition["key"])) or 0) + 1
        session.add(FormVersion(key=definition["key"], version=version, name=definition["name"],
                                definition=definition, sha256=digest, created_at=clock.now()))
        stored.append(f"{definition['key']} v{version}")
    session.flush()
    _cache.clear()
    return stored


_cache: dict[tuple[str, str], Form] = {}
_lock = threading.Lock()


def get_form(session: Session, key: str) -> Form:
    """The newest version of a form."""
    row = session.scalars(select(FormVersion).where(FormVersion.key == key).order_by(FormVersion.version.desc())).first()
    if row is None:
        raise NotFound(f"表单 {key} 不存在。")
    cache_key = (str(session.get_bind().url), f"{key}:{row.version}")
    with _lock:
        if cache_key in _cache:
            return _cache[cache_key]
    d = row.definition
    form = Form(key=key, version=row.version, name=d["name"], fields=tuple(d["fields"]))
    with _lock:
        _cache[cache_key] = form
    return form


def step_schema(form: Form, access: dict[str, str], current: dict) -> Schema:
    """The schema of what a step may write: only writable fields; unknown keys are refused by
    :func:`validate_step_data` before this runs."""
    attrs = {f["name"]: required_field(build_field(f), f, current) for f in form.fields if access[f["name"]] == "write"}
    return FormSchema.from_dict(attrs, name=f"{form.key}_step")(unknown=RAISE)


def validate_step_data(form: Form, access: dict[str, str], current: dict, raw: dict) -> dict:
    """Validate what a step submits. Writes to read-only or hidden fields are refused, naming the
    field; every other problem names its field too (``errors``: field name -> Chinese message, for
    the page to show beside each field). Returns the clean values."""
    if not isinstance(raw, dict):
        raise InvalidInput("提交的表单数据格式不正确。")
    for name in raw:
        if name not in access:
            raise InvalidInput(f"表单中没有字段“{str(name)[:60]}”。", field=str(name)[:60])
        if access[name] != "write":
            label = form.spec(name)["label"]
            what = "只读" if access[name] == "read" else "不可见"
            raise InvalidInput(f"字段“{label}”在本环节{what}，不能修改。", field=name,
                               errors={name: f"{label}：本环节{what}，不能修改。"})
    try:
        return step_schema(form, access, current).load(raw)
    except ValidationError as exc:
        errors = {name: f"{form.spec(name)['label']}：{describe(form.spec(name), problems)}"
                  for name, problems in exc.messages.items() if name in access}
        message = sentences(errors.values())
        raise InvalidInput(message or "提交的表单数据格式不正确。", field=next(iter(errors), None), errors=errors) from None
