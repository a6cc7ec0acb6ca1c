"""Materials (申请材料): the item's list becomes a checklist at intake; uploads are checked for
size and type, stored outside the database by checksum, and acceptance waits until every
required material is in (or a 补正 notice lists exactly what is missing)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidInput, NotFound
from engine.models import Case, User

from .models import CaseMaterial

MAX_BYTES = 20 * 1024 * 1024
SIGNATURES = {
    ".pdf": (b"%PDF",), ".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",), ".ofd": (b"PK\x03\x04",),
}
MIME = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".ofd": "application/ofd"}


def init_materials(session: Session, case: Case) -> list[CaseMaterial]:
    """The item version's materials list as this case's checklist (once)."""
    existing = materials_of(session, case.id)
    if existing:
        return existing
    rows = []
    for i, m in enumerate(case.item_version.materials or [], start=1):
        row = CaseMaterial(case_id=case.id, position=i, name=m["name"], required=bool(m.get("required", True)),
                           original=m.get("original", "原件"), count=int(m.get("count", 1)), submitted=False)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def materials_of(session: Session, case_id: int) -> list[CaseMaterial]:
    return list(session.scalars(select(CaseMaterial).where(CaseMaterial.case_id == case_id)
                                .order_by(CaseMaterial.position)))


def check_in(session: Session, case: Case, submitted_ids: set[int], actor: User) -> list[CaseMaterial]:
    """Record which paper materials the clerk has received and checked."""
    rows = materials_of(session, case.id)
    known = {r.id for r in rows}
    unknown = set(submitted_ids) - known
    if unknown:
        raise InvalidInput("勾选的材料不属于本办件。", field="materials")
    now = clock.now()
    for row in rows:
        received = row.id in submitted_ids or row.stored_path is not None
        if received and not row.submitted:
            row.checked_at, row.checked_by_id = now, actor.id
        row.submitted = received
    session.flush()
    return rows


def missing(session: Session, case_id: int) -> list[str]:
    return [m.name for m in materials_of(session, case_id) if m.required and not m.submitted]


def attach(session: Session, material_id: int, file_name: str, content: bytes, actor: User, upload_dir: Path) -> CaseMaterial:
    """Store an uploaded file for a material: size and type checked by content, kept by checksum."""
    row = session.get(CaseMaterial, material_id)
    if row is None:
        raise NotFound("材料不存在。")
    suffix = Path(file_name or "").suffix.lower()
    if suffix not in SIGNATURES:
        raise InvalidInput(f"“{file_name}”的文件类型不允许；请上传 PDF、JPG、PNG、OFD 或 DOCX 文件。", field="file")
    if not content:
        raise InvalidInput(f"“{file_name}”是空文件。", field="file")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"“{file_name}”超过 {MAX_BYTES // 1024 // 1024} MB 的上传限制。", field="file")
    if not content.startswith(SIGNATURES[suffix]):
        raise InvalidInput(f"“{file_name}”的内容与扩展名 {suffix} 不符。", field="file")
    digest = hashlib.sha256(content).hexdigest()
    folder = Path(upload_dir) / str(row.case_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    row.file_name, row.stored_path, row.sha256 = Path(file_name).name, str(path), digest
    row.size, row.mime = len(content), MIME[suffix]
    row.submitted, row.checked_at, row.checked_by_id = True, clock.now(), actor.id
    session.flush()
    return row
