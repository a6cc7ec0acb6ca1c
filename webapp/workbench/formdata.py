"""Reading a posted HTML form into the values a form's fields expect. Nothing is judged here
beyond the form's shape (the registry's fields validate the values); what cannot be read as the
page offered it is refused by name."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from engine.errors import InvalidInput
from forms.fields import MAX_GROUP_ROWS


def parse(fields: list[dict], names: list[str], form: MultiDict) -> dict:
    """Values of the named fields as posted (only those the page rendered as writable): every
    ticked option of a multi-select, every row of a repeatable group."""
    specs = {f["name"]: f for f in fields}
    out = {}
    for name in names:
        spec = specs[name]
        kind = spec["type"]
        if kind == "multi_select":
            if f"{name}.present" in form:
                out[name] = form.getlist(name)
        elif kind == "date_range":
            start, end = _one(form, f"{name}.start", spec), _one(form, f"{name}.end", spec)
            if start or end:
                out[name] = {"start": start, "end": end}
            elif f"{name}.start" in form:
                out[name] = None
        elif kind == "certificate":
            number = _one(form, f"{name}.number", spec).strip()
            if f"{name}.number" in form:
                out[name] = {"type": _one(form, f"{name}.type", spec), "number": number} if number else None
        elif kind == "group":
            rows = group_rows(spec, form)
            if f"{name}.present" in form:
                out[name] = [row for row in rows if any(v.strip() for v in row.values())]
        elif kind == "file":
            continue
        elif name in form:
            out[name] = _one(form, name, spec)
    return out


def group_rows(spec: dict, form: MultiDict) -> list[dict]:
    """The rows of a group as posted (``name[i].column``), in order, blank ones included; a row
    past the group's limit is refused rather than dropped."""
    name = spec["name"]
    limit = spec.get("max_items", MAX_GROUP_ROWS)
    pattern = re.compile(re.escape(name) + r"\[(\d{1,4})\]\.(.+)")
    columns = {sub["name"] for sub in spec["fields"]}
    count = 0
    for key in form:
        m = pattern.fullmatch(key)
        if m and m.group(2) in columns:
            count = max(count, int(m.group(1)) + 1)
    if count > limit:
        raise InvalidInput(f"{spec['label']}：最多 {limit} 项。", field=name, errors={name: f"最多 {limit} 项。"})
    return [{sub["name"]: _one(form, f"{name}[{i}].{sub['name']}", spec) for sub in spec["fields"]}
            for i in range(count)]


def _one(form: MultiDict, key: str, spec: dict) -> str:
    """The single value of a key; the same key posted twice is not something the page sends."""
    values = form.getlist(key)
    if len(values) > 1:
        raise InvalidInput(f"{spec['label']}：只能填写一个值。", field=spec["name"],
                           errors={spec["name"]: "只能填写一个值。"})
    return values[0] if values else ""
