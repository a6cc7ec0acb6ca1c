"""The item form: every field of an item version as a designer edits it, and back. Lists are one
entry per line with ``|`` between columns; category-specific fields (处罚, 征收, 强制) have their own inputs."""

from __future__ import annotations

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
    "service_forms": (("code", "name", "note"), "每行一张：表格编号|表格名称|填写说明"),
    "faq": (("q", "a"), "每行一问：问题|解答"),
}


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
        if "count" in row:
            row["count"] = int(row["count"]) if row["count"].isdigit() else 1
        if "required" in row:
            row["required"] = row["required"] not in ("否", "no", "0", "false")
        rows.append(row)
    return rows


def to_form(fields: dict) -> dict:
    """Field values as the form shows them."""
    values = {k: fields.get(k) if fields.get(k) is not None else "" for k in TEXT + NUMBERS}
    values["charges_fee"] = bool(fields.get("charges_fee"))
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


def _int(text: str):
    text = (text or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _number(text: str):
    text = (text or "").strip()
    try:
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        return None


def from_form(form) -> dict:
    """The form's values as item fields (the completeness check then says what is missing)."""
    fields = {k: (form.get(k) or "").strip() for k in TEXT}
    fields["entrusting_unit"] = fields["entrusting_unit"] or None
    fields["process_key"] = fields["process_key"] or None
    fields["correction_stops_clock_basis"] = fields["correction_stops_clock_basis"][:300] or None
    if fields["clock_start"] not in CLOCK_STARTS:
        fields["clock_start"] = "acceptance"
    for k in NUMBERS:
        fields[k] = _int(form.get(k))
    fields["extension_limit"] = fields["extension_limit"] or 0
    if fields["correction_notice_limit"] is None:
        fields["correction_notice_limit"] = 5
    fields["correction_answer_days"] = max(0, min(fields["correction_answer_days"] or 0, 60))
    fields["charges_fee"] = form.get("charges_fee") == "on"
    for name, (columns, _) in LISTS.items():
        fields[name] = _rows(form.get(name), columns)
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
            low, high = _number(form.get(f"extra_裁量_{s}_min")), _number(form.get(f"extra_裁量_{s}_max"))
            if low is not None and high is not None:
                ranges[s] = [low, high]
        if ranges:
            extra["裁量基准"] = ranges
    for name in ("处罚程序", "实施主体", "征收标准", "征收程序", "强制程序"):
        if name in wanted and (form.get(f"extra_{name}") or "").strip():
            extra[name] = form.get(f"extra_{name}").strip()
    fields["extra"] = extra
    return fields


def range_problems(fields: dict) -> list[str]:
    """裁量基准 ranges must be ordered: each severity's lower bound at most its upper bound."""
    return [f"裁量基准“{s}”的下限大于上限" for s, (low, high) in (fields.get("extra", {}).get("裁量基准") or {}).items()
            if low > high]
