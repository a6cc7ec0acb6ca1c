"""归档办件 (the reader): archived cases searched by number or applicant within the user's scope, and
one archived case shown from its package (never from the case tables), with the package's
verification and every file of it, each served only after its SHA-256 matches the manifest."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import PurePosixPath

from flask import render_template, request, send_file
from flask_login import login_required
from sqlalchemy import select

from engine import archive, clock
from engine.models import Department
from engine.validation import control_character, half_width
from forms.archive import DATA_LABELS, EXTENSION_STATES, data_text

from ..db import db_session
from ..paging import cursor, links, shown_total
from . import bp
from .common import me

PAGE = 20
FILTERS = {"number": ("办件编号", 40), "applicant": ("申请人", 100)}


def _filters() -> tuple[dict[str, str], list[tuple[str, str]]]:
    values, errors = {}, []
    for name, (label, limit) in FILTERS.items():
        text = half_width(request.args.get(name, "")).strip()
        if len(text) > limit:
            errors.append((name, f"{label}不能超过 {limit} 个字符。"))
        elif control_character(text):
            errors.append((name, f"{label}含有控制字符，请删除后重试。"))
        values[name] = text
    return values, errors


@bp.get("/workbench/archive")
@login_required
def archive_cases():
    values, errors = _filters()
    if errors:
        return render_template("workbench/archive_list.html", rows=[], total="0", pages={}, values=values,
                               errors=errors, day=_day), 422
    page, total = archive.archived_cases(db_session(), me(), values["number"], values["applicant"], size=PAGE,
                                         **cursor())
    return render_template("workbench/archive_list.html", rows=page.rows, total=shown_total(total), pages=links(page),
                           values=values, errors=[], day=_day)


def _day(moment) -> str:
    return clock.local_date(moment).isoformat() if moment else ""


def _local(text) -> str:
    if not isinstance(text, str) or not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


@bp.get("/workbench/archive/<number>")
@login_required
def archive_case(number: str):
    session = db_session()
    row, case = archive.visible_archive(session, me(), number)
    check = archive.verify_recorded(session, row, case)
    record = check.record if isinstance(check.record, dict) else {}
    chain = check.chain if isinstance(check.chain, dict) else {}
    files = (check.manifest or {}).get("files", []) if isinstance(check.manifest, dict) else []
    case_row = record.get("case") if isinstance(record.get("case"), dict) else {}
    return render_template("workbench/archive_case.html", row=row, check=check, record=record,
                           case=case_row, labels=record.get("labels") or {}, fields=_fields(record, case_row),
                           events=chain.get("events") or [], files=files, actions=archive.ACTION_NAMES, local=_local,
                           extension_states=EXTENSION_STATES)


def _fields(record: dict, case_row: dict) -> list[tuple[str, str]]:
    """The form data as (label, value in words): as the package wrote them, or, for a package written
    before it carried them, in words from the raw values (never a Python repr)."""
    written = record.get("form_fields")
    if isinstance(written, list):
        return [(str(f.get("label", "")), str(f.get("text", ""))) for f in written if isinstance(f, dict)]
    data = case_row.get("data") if isinstance(case_row.get("data"), dict) else {}
    codes = dict(db_session().execute(select(Department.code, Department.name)).all())
    return [(DATA_LABELS.get(k, k), data_text(k, v, codes)) for k, v in data.items() if k != "external"]


@bp.get("/workbench/archive/<number>/files/<int:index>")
@login_required
def archive_file(number: str, index: int):
    row, _ = archive.visible_archive(db_session(), me(), number)
    entry, data = archive.read_file(row, index)
    name = PurePosixPath(entry["path"]).name
    return send_file(io.BytesIO(data), mimetype="application/octet-stream", as_attachment=True, download_name=name)
