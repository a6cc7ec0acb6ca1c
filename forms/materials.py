"""Materials (申请材料): the item's list becomes a checklist at intake; uploads are checked for
size and type, stored outside the database by checksum, and acceptance waits until every
required material is in (or a 补正 notice lists exactly what is missing).

An upload is read as a stream and refused as soon as it passes the size limit, so a large file
never sits in memory. Its content must be what its name says (magic bytes) and nothing else
too: a PDF that is also a ZIP or a web page, an image with a ZIP appended, is refused. Files
built on ZIP (DOCX, XLSX, OFD) are opened and every entry decompressed with a running count,
so a zip bomb is refused by what it really expands to, not by what its directory claims.
Replacing a file adds a version with who and when, and an event in the case's log; no file is
ever overwritten.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit, clock
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.models import Case, User
from engine.service.intake import control_problem

from .models import CaseMaterial, CaseMaterialVersion

MAX_BYTES = 20 * 1024 * 1024
MAX_NAME = 100  # characters of a file name kept (the column holds 255)
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Kind:
    label: str
    mime: str
    magic: tuple[bytes, ...]
    inline: bool  # shown in the browser (在线审阅) rather than downloaded
    zip_entries: tuple[str, ...] = ()  # for ZIP-based formats: entries the format cannot do without


KINDS = {
    ".pdf": Kind("PDF", "application/pdf", (b"%PDF-",), True),
    ".png": Kind("PNG 图片", "image/png", (b"\x89PNG\r\n\x1a\n",), True),
    ".jpg": Kind("JPG 图片", "image/jpeg", (b"\xff\xd8\xff",), True),
    ".jpeg": Kind("JPG 图片", "image/jpeg", (b"\xff\xd8\xff",), True),
    ".docx": Kind("DOCX 文档", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  (b"PK\x03\x04",), False, ("[Content_Types].xml", "word/document.xml")),
    ".xlsx": Kind("XLSX 表格", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  (b"PK\x03\x04",), False, ("[Content_Types].xml", "xl/workbook.xml")),
    ".ofd": Kind("OFD 版式文件", "application/ofd", (b"PK\x03\x04",), False, ("OFD.xml",)),
}
SIGNATURES = {suffix: kind.magic for suffix, kind in KINDS.items()}
MIME = {suffix: kind.mime for suffix, kind in KINDS.items()}
ALLOWED = "PDF、JPG、PNG、OFD、DOCX 或 XLSX"

# ZIP containers: what a real document needs, with room to spare; a bomb needs far more
MAX_ENTRIES = 2000
MAX_EXPANDED = 200 * 1024 * 1024
MAX_RATIO = 100  # expanded size / stored size, over the whole file
HEAD = 1024  # PDF readers find "%PDF-" anywhere in the first KiB; browsers sniff HTML in the first 512 bytes
_HTML = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta)[\s>/]", re.I)


def _count(value) -> int:
    """份数 as published; a version stored before counts were bounded (10^30) still gives 1–99."""
    try:
        return min(max(int(value), 1), 99)
    except (TypeError, ValueError, OverflowError):
        return 1


def init_materials(session: Session, case: Case) -> list[CaseMaterial]:
    """The item version's materials list as this case's checklist (once)."""
    existing = materials_of(session, case.id)
    if existing:
        return existing
    rows = []
    for i, m in enumerate(case.item_version.materials or [], start=1):
        row = CaseMaterial(case_id=case.id, position=i, name=m["name"], required=bool(m.get("required", True)),
                           original=m.get("original", "原件"), count=_count(m.get("count", 1)), submitted=False)
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


def clean_file_name(file_name) -> str:
    """The name a person gave the file, made safe to keep and to send back: no folders (either
    slash), no control or format characters, none of ``"<>:*?|``, no leading dots, at most :data:`MAX_NAME` characters with its
    extension kept."""
    name = unicodedata.normalize("NFC", file_name if isinstance(file_name, str) else "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if not control_problem(ch) and unicodedata.category(ch) != "Cf"
                   and ch not in '"<>:*?|')
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, suffix = os.path.splitext(name)
    if len(suffix) > 10:
        stem, suffix = name, ""
    return (stem[:MAX_NAME - len(suffix)].rstrip(" .") or "未命名材料") + suffix.lower()


def attach(session: Session, material_id: int, file_name: str, content: bytes | BinaryIO, actor: User,
           upload_dir: Path) -> CaseMaterial:
    """Store an uploaded file for a material as its next version: size, type and structure
    checked by content, kept by checksum, the replacement recorded in the case's log."""
    row = session.get(CaseMaterial, material_id)
    if row is None:
        raise NotFound("材料不存在。")
    name = clean_file_name(file_name)
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise InvalidInput(f"“{name}”的文件类型不允许；请上传 {ALLOWED} 文件。", field="file")
    if not session.get(Case, row.case_id).is_open:
        raise InvalidState("办件已结束，不能再上传材料。")
    folder = Path(upload_dir) / str(row.case_id)
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".upload-{os.getpid()}-{os.urandom(8).hex()}.part"
    try:
        digest, size = _receive(content, part, name)
        inspect(part, KINDS[suffix], name)
        path = folder / f"{digest}{suffix}"
        if path.exists():
            part.unlink()
        else:
            part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    case = _lock_case(session, row.case_id)
    if not case.is_open:  # ended while the file was read
        raise InvalidState("办件已结束，不能再上传材料。")
    return _add_version(session, case, row, name, path, digest, size, KINDS[suffix].mime, actor)


def _receive(content: bytes | BinaryIO, part: Path, name: str) -> tuple[str, int]:
    """Copy the upload to ``part`` in chunks, hashing as it goes; stop at the size limit."""
    sha, size = hashlib.sha256(), 0
    stream = content if hasattr(content, "read") else None
    with part.open("wb") as out:
        chunks = iter(lambda: stream.read(CHUNK), b"") if stream is not None else [content]
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_BYTES:
                raise InvalidInput(f"“{name}”超过 {MAX_BYTES // 1024 // 1024} MB 的上传限制。", field="file")
            sha.update(chunk)
            out.write(chunk)
    if size == 0:
        raise InvalidInput(f"“{name}”是空文件。", field="file")
    return sha.hexdigest(), size


def inspect(path: Path, kind: Kind, name: str) -> None:
    """Refuse content that is not what its name says, or is something else as well."""
    with path.open("rb") as f:
        head = f.read(HEAD)
    if not head.startswith(kind.magic):
        raise InvalidInput(f"“{name}”的内容与扩展名 {Path(name).suffix.lower()} 不符，不是 {kind.label}。", field="file")
    if kind.mime != "application/pdf" and b"%PDF-" in head:
        raise InvalidInput(f"“{name}”同时也是 PDF 文件（伪装文件），不予接收。", field="file")
    if _HTML.search(head):
        raise InvalidInput(f"“{name}”含有网页代码（伪装文件），不予接收。", field="file")
    if kind.zip_entries:
        _inspect_zip(path, kind, name)
    elif zipfile.is_zipfile(path):
        raise InvalidInput(f"“{name}”同时也是压缩包（伪装文件），不予接收。", field="file")


def _inspect_zip(path: Path, kind: Kind, name: str) -> None:
    """Open the container and expand every entry with a running count (never to disk): refuse
    too many entries, too much content, an expansion ratio no document has, encryption, macros,
    paths that climb out, and a container missing what its format needs."""
    stored = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as z:
            entries = z.infolist()
            if len(entries) > MAX_ENTRIES:
                raise InvalidInput(f"“{name}”内含 {len(entries)} 个文件，超过 {MAX_ENTRIES} 个的上限。", field="file")
            names = {e.filename for e in entries}
            lacking = [n for n in kind.zip_entries if n not in names]
            if lacking:
                raise InvalidInput(f"“{name}”不是有效的 {kind.label}（缺少 {lacking[0]}）。", field="file")
            expanded = 0
            for entry in entries:
                parts = entry.filename.replace("\\", "/").split("/")
                if entry.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                    raise InvalidInput(f"“{name}”内含非法路径的文件。", field="file")
                if entry.flag_bits & 0x1:
                    raise InvalidInput(f"“{name}”含有加密内容，不予接收。", field="file")
                if entry.filename.lower().endswith("vbaproject.bin"):
                    raise InvalidInput(f"“{name}”含有宏代码，不予接收；请另存为不含宏的文档。", field="file")
                with z.open(entry) as member:
                    while chunk := member.read(CHUNK):
                        expanded += len(chunk)
                        if expanded > MAX_EXPANDED or expanded > MAX_RATIO * stored:
                            raise InvalidInput(f"“{name}”解压后体积异常（压缩炸弹），不予接收。", field="file")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, OSError,
            RuntimeError):
        raise InvalidInput(f"“{name}”已损坏或不是有效的 {kind.label}。", field="file") from None


def _lock_case(session: Session, case_id: int) -> Case:
    """The case row, locked on PostgreSQL (its event log and version change here)."""
    stmt = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one()


def _add_version(session: Session, case: Case, row: CaseMaterial, name: str, path: Path, digest: str, size: int,
                 mime: str, actor: User) -> CaseMaterial:
    previous = versions_of(session, row.id)
    number = (session.scalar(select(func.max(CaseMaterialVersion.version))
                             .where(CaseMaterialVersion.material_id == row.id)) or 0) + 1
    now = clock.now()
    version = CaseMaterialVersion(material_id=row.id, version=number, file_name=name, stored_path=str(path),
                                  sha256=digest, size=size, mime=mime, uploaded_at=now, uploaded_by_id=actor.id)
    session.add(version)
    before = {"version": previous[0].version, "file_name": previous[0].file_name, "sha256": previous[0].sha256} \
        if previous else {}
    audit.record(session, case, actor, "material_replace" if previous else "material_upload",
                 before=before, after={"version": number, "file_name": name, "sha256": digest},
                 detail={"material": row.name, "position": row.position, "size": size}, at=now)
    row.file_name, row.stored_path, row.sha256, row.size, row.mime = name, str(path), digest, size, mime
    if not row.submitted and actor.id is not None:  # an applicant's upload is checked at 预审, not by its sender
        row.checked_at, row.checked_by_id = now, actor.id
    row.submitted = True
    session.flush()
    return row


def versions_of(session: Session, material_id: int) -> list[CaseMaterialVersion]:
    """Every file of a material, newest first."""
    return list(session.scalars(select(CaseMaterialVersion).where(CaseMaterialVersion.material_id == material_id)
                                .order_by(CaseMaterialVersion.version.desc())))


def version_of(session: Session, case_id: int, material_id: int, number: int) -> tuple[CaseMaterial,
                                                                                         CaseMaterialVersion]:
    """One version of one material of this case, or NotFound (never another case's file)."""
    row = session.get(CaseMaterial, material_id)
    if row is None or row.case_id != case_id:
        raise NotFound("材料不存在。")
    version = session.scalars(select(CaseMaterialVersion).where(CaseMaterialVersion.material_id == material_id,
                                                                CaseMaterialVersion.version == number)).first()
    if version is None:
        raise NotFound("该材料没有这个版本。")
    return row, version


def is_inline(mime: str) -> bool:
    """Whether the browser shows this type itself (PDF, images) rather than downloading it."""
    return any(kind.inline and kind.mime == mime for kind in KINDS.values())
