"""批量导入: upload a workbook → the dry run's report (行, 列, 问题) → 确认导入. The checked file is
kept under the instance directory with a random name and its SHA-256; 确认导入 names it by that id
and the import refuses a file whose digest changed — never a path from the browser."""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from flask import Response, current_app, g, render_template, request

from engine import imports
from engine.errors import InvalidInput, NotFound

from ..db import db_session
from . import admin_only, bp, me

UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


def _folder() -> Path:
    folder = Path(current_app.extensions["sunhall_settings"].instance_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page(errors=(), status: int = 200, **context):
    if errors or status >= 400:
        g.db_rollback = True
    return render_template("admin/import.html", errors=list(errors), sheets=imports.SHEETS,
                           max_mb=imports.MAX_BYTES // 1024 // 1024, max_rows=imports.MAX_ROWS, **context), status


@bp.get("/import")
@admin_only
def import_form():
    return _page()


@bp.get("/import/template.xlsx")
@admin_only
def import_template():
    return Response(imports.template(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=\"sunhall-import.xlsx\"; "
                                                    "filename*=UTF-8''%E6%89%B9%E9%87%8F%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"})


@bp.post("/import")
@admin_only
def import_check():
    """The dry run: nothing is written to the database; the file is kept for 确认导入."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page([("file", "请选择要导入的 .xlsx 文件。")], 422)
    data = upload.read(imports.MAX_BYTES + 1)
    name = Path(upload.filename).name[:100]
    if not name.lower().endswith(".xlsx"):
        return _page([("file", f"文件“{name}”不是 .xlsx 工作簿，请用 Excel 另存为 .xlsx 后上传。")], 422)
    g.db_rollback = True  # a dry run writes nothing
    plan = imports.check(db_session(), me(), data)
    upload_id = None
    if plan.ok:
        upload_id = secrets.token_hex(16)
        (_folder() / f"{upload_id}.xlsx").write_bytes(data)
    return _page(status=200 if plan.ok else 422, plan=plan, filename=name, upload_id=upload_id)


@bp.post("/import/confirm")
@admin_only
def import_confirm():
    upload_id = request.form.get("upload_id", "")
    sha256 = request.form.get("sha256", "")
    name = request.form.get("filename", "")[:100]
    if not UPLOAD_ID.fullmatch(upload_id) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise InvalidInput("导入编号无效，请重新上传文件并检查。")
    path = _folder() / f"{upload_id}.xlsx"
    if not path.is_file():
        raise NotFound("要导入的文件已不在服务器上（可能已导入），请重新上传并检查。")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InvalidInput("文件与检查时不一致，请重新上传并检查。")
    try:
        result = imports.load(db_session(), me(), data, filename=name)
    except InvalidInput as exc:
        plan = exc.details.get("plan")
        if plan is None:
            raise
        return _page(status=422, plan=plan, filename=name, upload_id=None)  # the data changed since the check
    path.unlink(missing_ok=True)
    return _page(result=result, filename=name)
