"""Materials on the case page: uploading a file (a replacement is a new version, the old one
kept) and opening any version of it (在线审阅) for whoever may see the case."""

from __future__ import annotations

from pathlib import Path

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import select

from engine.errors import InvalidInput, NotFound, PermissionDenied, SunhallError
from engine.models import CaseTask
from engine.service.common import can_work
from forms import materials
from forms.models import CaseMaterial

from ..db import db_session
from ..instance import upload_dir
from . import bp
from .cases import _page
from .common import me, purged_to_archive, visible_case

SLACK = 64 * 1024  # the multipart envelope around the file


def _handler_of(session, case) -> bool:
    ready = session.scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready"))
    return any(can_work(me(), t) for t in ready)


@bp.post("/cases/<int:case_id>/materials/<int:material_id>")
@login_required
def upload_material(case_id: int, material_id: int):
    """Only the holder of a current step uploads; the file is streamed to disk with a cap (never
    read whole into memory) and checked before it becomes the material's next version."""
    session = db_session()
    case = visible_case(case_id)
    try:
        if not _handler_of(session, case):
            raise PermissionDenied("只有当前环节的办理人可以上传材料。")
        row = session.get(CaseMaterial, material_id)
        if row is None or row.case_id != case.id:
            raise NotFound("材料不属于本办件。")
        if (request.content_length or 0) > materials.MAX_BYTES + SLACK:
            raise InvalidInput(f"文件超过 {materials.MAX_BYTES // 1024 // 1024} MB 的上传限制。", field="file")
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInput("请选择要上传的文件。", field="file")
        replacing = row.stored_path is not None
        row = materials.attach(session, material_id, upload.filename, upload.stream, me(), upload_dir())
    except SunhallError as exc:
        g.db_rollback = True
        session.rollback()
        status = exc.status if isinstance(exc, (PermissionDenied, NotFound)) else 400
        return _page(visible_case(case_id), exc.message, request.form, status)
    if replacing:
        flash(f"已上传“{row.name}”的新版本（第 {row.versions[0].version} 版），原文件作为历史版本保留。")
    else:
        flash("材料已上传。")
    return redirect(url_for("workbench.case_page", case_id=case_id, _anchor="materials"))


@bp.get("/cases/<int:case_id>/materials/<int:material_id>/versions/<int:version>")
@login_required
def material_file(case_id: int, material_id: int, version: int):
    """One version of a material, for whoever may see the case: PDF and images shown in the
    browser, other types downloaded; never sniffed into anything else."""
    session = db_session()
    case = visible_case(case_id)
    archived = purged_to_archive(case)
    if archived is not None:
        return archived
    try:
        _row, file = materials.version_of(session, case.id, material_id, version)
    except NotFound:
        abort(404)
    path = Path(file.stored_path).resolve()
    if not path.is_relative_to(upload_dir().resolve()) or not path.is_file():
        abort(404)
    inline = materials.is_inline(file.mime)
    response = send_file(path, mimetype=file.mime, as_attachment=not inline, download_name=file.file_name,
                         conditional=True, etag=file.sha256, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if file.mime.startswith("image/"):
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
