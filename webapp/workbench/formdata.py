"""Reading a posted HTML form into the values a form's fields expect."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

MAX_GROUP_ROWS = 10


def parse(fields: list[dict], names: list[str], form: MultiDict) -> dict:
    """Values of the named fields as posted (only those the page rendered as writable)."""
    specs = {f["name"]: f for f in fields}
    out = {}
    for name in names:
        spec = specs[name]
        kind = spec["type"]
        if kind == "multi_select":
            if f"{name}.present" in form:
                out[name] = form.getlist(name)
        elif kind == "date_range":
            start, end = form.get(f"{name}.start", ""), form.get(f"{name}.end", "")
            if start or end:
                out[name] = {"start": start, "end": end}
            elif f"{name}.start" in form:
                out[name] = None
        elif kind == "certificate":
            number = form.get(f"{name}.number", "").strip()
            if f"{name}.number" in form:
                out[name] = {"type": form.get(f"{name}.type", ""), "number": number} if number else None
        elif kind == "group":
            rows = []
            for i in range(MAX_GROUP_ROWS):
                row = {sub["name"]: form.get(f"{name}[{i}].{sub['name']}", "").strip() for sub in spec["fields"]}
                if any(row.values()):
                    rows.append(row)
            if f"{name}.present" in form:
                out[name] = rows
        elif kind == "file":
            continue
        elif name in form:
            out[name] = form.get(name, "").strip()
    return out
