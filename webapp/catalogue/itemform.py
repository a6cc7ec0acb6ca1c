"""The item form: every field of an item version as a designer edits it, and back. Lists are one
entry per line with ``|`` between columns; category-specific fields (处罚, 征收, 强制) have their own inputs.
俗称 are one a line (or separated by commas); 面向对象, 办事主题 and 结果公示 are checkboxes, which a
browser does not send when none is ticked: the form carries ``PUBLIC_MARK`` so that "none ticked" is
told apart from a post that has no such section (then the item keeps what it had).

Reading the form never guesses: numbers and counts stay as typed (only blanks get their defaults)
and engine.catalogue.checked_fields refuses what is not a number or out of bounds, with the field's
Chinese label, so a typo is never silently turned into another value."""

from __future__ import annotations

import re

from engine.catalogue import CATEGORY_EXTRA

SEVERITIES = ("轻微", "一般", "严重")
TEXT = ("name", "category", "case_type", "subject_nature", "entrusting_unit", "section", "conditions", "fee_basis",
        "fee_standard", "limit_unit", "clock_start", "correction_stops_clock_basis", "place", "phone", "supervision_phone", "online_url", "process_key")
NUMBERS = ("legal_limit", "promised_limit", "extension_limit", "correction_notice_limit", "correction_answer_days")
CLOCK_STARTS = {"acceptance": "受理之日（行政许可法第四十二条）", "receipt": "收到申请之日（政府信息公开条例第三十三条）",
                "filing": "立案之日（行政处罚法第六十条）"}
LISTS = {  # field: (columns, help)
    "legal_basis": (("title", "article", "text"), "每行一条：法律法规名称|条款|条文内容（按效力层级从高到低）"),
    "materials": (("name", "format", "original", "count", "required"), "每行一种：材料名称|格式|原件或复印件|份数|是否必需（是/否）"),
    "service_forms": (("code", "name", "summary", "note"), "每行一张：表格编号|表格名称|简要说明|填写说明"),
    "faq": (("q", "a"), "每行一问：问题|解答"),
}


PUBLIC_MARK = "public_fields"
ALIAS_SEPARATORS = re.compile(r"[\n,，、;；]")
PUBLIC_DEFAULTS = {"audiences": [], "themes": [], "results_public": False}


def _lines(rows: list[dict], columns) -> str:
    out = []
    for row in rows or []:
        cells = []
        for c in columns:
            v = row.get(c, "")
            cells.append(("是" if v else "否") if c == "required" else str(v if v is not None else ""))
        out.append("|".join(cells))
    return "\n".join(out)


def _rows(text: str, columns) -> list[dict]:
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("|")] + [""] * len(columns)
        row = dict(zip(columns, cells))
        if "count" in row and not row["count"]:
            row["count"] = 1
        if "required" in row:
            row["required"] = row["required"] not in ("否", "no", "0", "false")
        rows.append(row)
    return rows


def to_form(fields: dict) -> dict:
    """Field values as the form shows them."""
    values = {k: fields.get(k) if fields.get(k) is not None else "" for k in TEXT + NUMBERS}
    values["charges_fee"] = bool(fields.get("charges_fee"))
    values["aliases"] = "\n".join(fields.get("aliases") or [])
    values["audiences"] = list(fields.get("audiences") or [])
    values["themes"] = list(fields.get("themes") or [])
    values["results_public"] = bool(fields.get("results_public"))
    for name, (columns, _) in LISTS.items():
        values[name] = _lines(fields.get(name), columns)
    extra = dict(fields.get("extra") or {})
    kinds = extra.pop("处罚种类", [])
    values["extra_处罚种类"] = "、".join(kinds) if isinstance(kinds, list) else str(kinds)
    ranges = extra.pop("裁量基准", {}) or {}
    for s in SEVERITIES:
        low, high = (ranges.get(s) or ["", ""])[:2]
        values[f"extra_裁量_{s}_min"], values[f"extra_裁量_{s}_max"] = low, high
    for name in ("处罚程序", "实施主体", "征收标准", "征收程序", "强制程序"):
        values[f"extra_{name}"] = extra.pop(name, "")
    values["extra_other"] = "\n".join(f"{k}|{v}" for k, v in extra.items())
    return values


def _text(value) -> str:
    return (value or "").strip()


def public_from_form(form, current: dict | None = None) -> dict:
    """俗称, 面向对象, 办事主题 and 结果公示 as typed and ticked; without ``PUBLIC_MARK`` the ticks
    are those of ``current`` (the item's fields before the change)."""
    out = {"aliases": [w.strip() for w in ALIAS_SEPARATORS.split(form.get("aliases") or "") if w.strip()]}
    if form.get(PUBLIC_MARK):
        out.update(audiences=form.getlist("audiences"), themes=form.getlist("themes"),
                   results_public=form.get("results_public") == "on")
    else:
        for name, default in PUBLIC_DEFAULTS.items():
            value = (current or {}).get(name)
            out[name] = default if value is None else value
    return out


def from_form(form, current: dict | None = None) -> dict:
    """The form's values as item fields (the completeness check then says what is missing)."""
    fields = {k: (form.get(k) or "").strip() for k in TEXT}
    fields["entrusting_unit"] = fields["entrusting_unit"] or None
    fields["process_key"] = fields["process_key"] or None
    fields["correction_stops_clock_basis"] = fields["correction_stops_clock_basis"] or None
    fields["clock_start"] = fields["clock_start"] or "acceptance"
    for k in NUMBERS:
        fields[k] = _text(form.get(k)) or None
    for k, default in (("extension_limit", 0), ("correction_notice_limit", 5), ("correction_answer_days", 0)):
        if fields[k] is None:
            fields[k] = default
    fields["charges_fee"] = form.get("charges_fee") == "on"
    for name, (columns, _) in LISTS.items():
        fields[name] = _rows(form.get(name), columns)
    fields.update(public_from_form(form, current))
    extra = {}
    for line in (form.get("extra_other") or "").splitlines():
        if "|" in line:
            k, v = (s.strip() for s in line.split("|", 1))
            if k:
                extra[k] = v
    category = fields["category"]
    wanted = CATEGORY_EXTRA.get(category, ())
    if "处罚种类" in wanted:
        kinds = [k.strip() for k in (form.get("extra_处罚种类") or "").replace(",", "、").split("、") if k.strip()]
        if kinds:
            extra["处罚种类"] = kinds
        ranges = {}
        for s in SEVERITIES:
            low, high = _text(form.get(f"extra_裁量_{s}_min")), _text(form.get(f"extra_裁量_{s}_max"))
            if low or high:  # one of the two alone is refused by the fields check
                ranges[s] = [low or None, high or None]
        if ranges:
            extra["裁量基准"] = ranges
    for name in ("处罚程序", "实施主体", "征收标准", "征收程序", "强制程序"):
        if name in wanted and (form.get(f"extra_{name}") or "").strip():
            extra[name] = form.get(f"extra_{name}").strip()
    fields["extra"] = extra
    return fields

