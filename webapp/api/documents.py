"""文书 and 材料 of a case, scoped like the case page: whoever may see the case (and, for a token,
its departments) lists and downloads them; a document is issued only by the handler of the step
that produces it (forms.documents.issue decides); a material is uploaded only by the holder of a
current step, streamed to disk with a cap and checked by content (forms.materials.attach)."""

from __future__ import annotations

from functools import wraps
from pathlib import Path

from flask import request, send_file, url_for
from flask_smorest.fields import Upload
from sqlalchemy import select

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.models import CaseTask
from engine.service.common import can_work
from forms import documents, materials
from forms.models import CaseDocument, CaseMaterial

from ..db import db_session
from ..instance import document_dir, upload_dir
from .auth import covers, current_actor, require
from .common import READ_PROBLEMS, WRITE_PROBLEMS, ApiBlueprint, require_case_department, visible_case
from .problems import abort_problem
from .schemas import DocumentIn, DocumentListOut, DocumentOut, MaterialOut, Schema

blp = ApiBlueprint("api_documents", __name__, url_prefix="", description="办件的文书和材料")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SLACK = 64 * 1024  # the multipart envelope around a file


def _doc_dict(doc: CaseDocument) -> dict:
    return {"id": doc.id, "case_id": doc.case_id, "kind": doc.kind, "title": doc.title, "number": doc.number,
            "created_at": doc.created_at, "download": url_for("api_documents.document_file", doc_id=doc.id)}


def _material_dict(row: CaseMaterial) -> dict:
    return {"id": row.id, "position": row.position, "name": row.name, "required": bool(row.required),
            "submitted": bool(row.submitted),
            "versions": [{"version": v.version, "file_name": v.file_name, "size": v.size, "mime": v.mime,
                          "sha256": v.sha256, "uploaded_at": v.uploaded_at,
                          "download": url_for("api_documents.material_file", case_id=row.case_id, material_id=row.id,
                                              version=v.version)}
                         for v in materials.versions_of(db_session(), row.id)]}


@blp.route("/cases/<int(max=2147483647):case_id>/documents", methods=["GET"])
@require("read")
@blp.response(200, DocumentListOut)
@blp.problems(*READ_PROBLEMS)
def case_documents(case_id: int):
    """办件的文书

    已出具的文书（受理通知书、补正材料告知书、准予许可决定书……），以及调用者现在可以出具的文书种类。"""
    session = db_session()
    case = visible_case(case_id)
    offered = documents.offered(session, case, current_actor())
    return {"documents": [_doc_dict(d) for d in documents.documents_of(session, case.id)],
            "offered": {kind: documents.KINDS[kind].title for kind in offered}}


def _issuer(view):
    """Someone who handles or handled a step of the case (forms.documents decides the kind)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        session, actor = db_session(), current_actor()
        case = visible_case(kwargs["case_id"])
        require_case_department(case)
        tasks = list(session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)))
        if not (any(t.state == "ready" and can_work(actor, t) for t in tasks)
                or any(t.completed_by_id == actor.id for t in tasks) or documents.offered(session, case, actor)):
            abort_problem(403, "permission_denied", None, "只有办理此办件的工作人员可以出具文书。")
        return view(*args, **kwargs)
    return wrapper


@blp.route("/cases/<int(max=2147483647):case_id>/documents", methods=["POST"])
@require("write")
@_issuer
@blp.arguments(DocumentIn)
@blp.response(201, DocumentOut)
@blp.problems(*WRITE_PROBLEMS)
def issue_document(args, case_id: int):
    """出具文书

    只有办理出具该文书环节的人员、在文书所证明的状态下可以出具；一项决定只编一个文号（再次出具返回同一份文书）。"""
    case = visible_case(case_id)
    require_case_department(case)
    if args["kind"] not in documents.KINDS:
        raise InvalidInput("文书种类不存在。", field="kind")
    doc = documents.issue(db_session(), case, args["kind"], current_actor(), document_dir())
    return _doc_dict(doc)


def _visible_document(doc_id: int) -> CaseDocument:
    doc = db_session().get(CaseDocument, doc_id)
    if doc is None:
        abort_problem(404, "not_found", None, "文书不存在。")
    visible_case(doc.case_id)
    return doc


@blp.route("/documents/<int(max=2147483647):doc_id>", methods=["GET"])
@require("read")
@blp.response(200, DocumentOut)
@blp.problems(*READ_PROBLEMS)
def get_document(doc_id: int):
    """一份文书的信息"""
    return _doc_dict(_visible_document(doc_id))


@blp.route("/documents/<int(max=2147483647):doc_id>/file", methods=["GET"])
@require("read")
@blp.response(200, {"type": "string", "format": "binary"}, content_type=DOCX, description="文书的 .docx 文件")
@blp.problems(*READ_PROBLEMS)
def document_file(doc_id: int):
    """下载文书（.docx）"""
    doc = _visible_document(doc_id)
    path = Path(doc.stored_path)
    if not path.is_file():
        abort_problem(404, "not_found", None, "文书文件已不在服务器上（可能已归档），请联系管理员。")
    response = send_file(path, mimetype=DOCX, as_attachment=True, download_name=f"{doc.title}-{doc.number}.docx")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/cases/<int(max=2147483647):case_id>/materials", methods=["GET"])
@require("read")
@blp.response(200, MaterialOut(many=True))
@blp.problems(*READ_PROBLEMS)
def case_materials(case_id: int):
    """办件的材料

    材料清单中的每一项：是否已收到，以及上传的每个版本（新版本在前）。"""
    case = visible_case(case_id)
    return [_material_dict(m) for m in materials.materials_of(db_session(), case.id)]


@blp.route("/cases/<int(max=2147483647):case_id>/materials/<int(max=2147483647):material_id>/versions/<int(max=2147483647):version>", methods=["GET"])
@require("read")
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
              description="材料文件（PDF、图片或其他允许的类型）")
@blp.problems(*READ_PROBLEMS)
def material_file(case_id: int, material_id: int, version: int):
    """下载材料的一个版本"""
    case = visible_case(case_id)
    try:
        _row, file = materials.version_of(db_session(), case.id, material_id, version)
    except NotFound:
        abort_problem(404, "not_found", None, "材料或版本不存在。")
    path = Path(file.stored_path).resolve()
    if not path.is_relative_to(upload_dir().resolve()) or not path.is_file():
        abort_problem(404, "not_found", None, "材料文件已不在服务器上（可能已归档），请联系管理员。")
    response = send_file(path, mimetype=file.mime, as_attachment=True, download_name=file.file_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


class UploadIn(Schema):
    file = Upload(required=True, metadata={"label": "文件", "description": "材料文件"})


def _uploader(view):
    """The holder of a current step (of the token's departments) uploads; checked before the file is read."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        case = visible_case(kwargs["case_id"])
        ready = db_session().scalars(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.state == "ready"))
        if not any(can_work(current_actor(), t) and covers(t.department_id) for t in ready):
            raise PermissionDenied("只有当前环节的办理人可以上传材料。")
        return view(*args, **kwargs)
    return wrapper


@blp.route("/cases/<int(max=2147483647):case_id>/materials/<int(max=2147483647):material_id>", methods=["POST"])
@require("write")
@_uploader
@blp.arguments(UploadIn, location="files")
@blp.response(201, MaterialOut)
@blp.problems(*WRITE_PROBLEMS)
def upload_material(args, case_id: int, material_id: int):
    """上传材料（multipart/form-data，字段名 file）

    只有当前环节的办理人可以上传；替换已有文件时作为新版本保存，原文件保留。"""
    session = db_session()
    case = visible_case(case_id)
    row = session.get(CaseMaterial, material_id)
    if row is None or row.case_id != case.id:
        abort_problem(404, "not_found", None, "材料不属于本办件。")
    if (request.content_length or 0) > materials.MAX_BYTES + SLACK:
        raise InvalidInput(f"文件超过 {materials.MAX_BYTES // 1024 // 1024} MB 的上传限制。", field="file")
    upload = args["file"]
    if not upload.filename:
        raise InvalidInput("请选择要上传的文件。", field="file")
    row = materials.attach(session, material_id, upload.filename, upload.stream, current_actor(), upload_dir())
    session.flush()
    return _material_dict(row)

