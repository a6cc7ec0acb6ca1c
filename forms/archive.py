"""归档 of a finished case (seed 004 §4.3: 3 years online, then the permanent archive): what goes
into its package, the export that writes and verifies it, and the purge that removes the bulky
online detail once the package verifies.

Package contents (one ZIP per case, see engine.archive for the format and its verification):

- ``全案卷宗.docx`` and ``全案卷宗.html``: the whole case file as the product prints it (the
  ``case_file`` document; the one issued last is reused when nothing happened since, else a new
  numbered one is issued, recorded in the case's chain like any document);
- ``documents/``: every other document issued, as its .docx and as the printable page;
- ``materials/``: every version of every material, as uploaded;
- ``case.json``: the case record (the case row, its steps with opinions and form data, pauses,
  extensions, field changes, key facts, the list of materials and documents);
- ``events.json``: the event chain with the data that lets it be checked from the package alone.

The purge keeps every row that lists, statistics, search by number and supervision read (the case,
its steps, events, pauses, extensions, materials and documents as lines) and removes only: the
serialized workflow (``Case.workflow_state``), the files of the materials and documents (each
only when the verified package holds exactly its bytes) and the documents' fill-in data
(``CaseDocument.context``, also in ``case.json``).
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import archive, audit, clock, systemlog
from engine.disclosure.codes import ANSWER_TYPES, DELIVERIES
from engine.errors import InvalidState, NotFound
from engine.exchange import report
from engine.models import (
    Case,
    CaseArchive,
    CaseEvent,
    CaseExtension,
    CasePause,
    CaseTask,
    Department,
    Item,
    ItemVersion,
    User,
)
from engine.models.cases import APPLICANT_TYPES, CASE_STATES, CHANNELS, PAUSE_KINDS, TASK_STATES
from engine.service.common import lock_case, settings_of

from . import documents
from .materials import materials_of, versions_of
from .models import CaseDocument, CaseFact, CaseFieldChange
from .service import step_form

RECORD_FORMAT = "sunhall-case-record/1"
CASE_FILE = "全案卷宗"
EXTENSION_STATES = {"requested": "待审批", "approved": "已批准", "refused": "未批准"}
archive.ACTION_NAMES.update({**documents.ACTIONS, **report.ACTIONS})
#: case data kept by services outside the flow's forms (政府信息公开), labelled for the package
DATA_LABELS = {"office": "承办机关", "route": "审查结果", "bodies": "承办单位", "approved": "答复书审批",
               "proposed_type": "拟答复类型", "secrecy_reviewed": "保密审查", "delivered_by": "送达方式",
               "handler": "办理人"}


def _row(obj, skip: tuple[str, ...] = ()) -> dict:
    out = {}
    for attr in obj.__mapper__.column_attrs:
        if attr.key in skip:
            continue
        value = getattr(obj, attr.key)
        out[attr.key] = str(value) if isinstance(value, Decimal) else audit.canonical(value)
    return out


def _safe(name: str) -> str:
    """A piece of a file name inside the package: no folders, no control characters."""
    cleaned = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "_", str(name or "")).strip(" .")
    return cleaned[:80] or "未命名"


# --- the printable page of a document ------------------------------------------------------------

def _blocks(data: bytes) -> list[tuple[str, object]]:
    """The paragraphs and tables of a .docx, in order (as the print page of the workbench shows them)."""
    body = []
    for block in Document(io.BytesIO(data)).element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            body.append(("p", "".join(t.text or "" for t in block.iter() if t.tag.endswith("}t"))))
        elif tag == "tbl":
            rows = [["".join(t.text or "" for t in tc.iter() if t.tag.endswith("}t")) for tc in tr if tc.tag.endswith("}tc")]
                    for tr in block.iter() if tr.tag.endswith("}tr")]
            body.append(("table", rows))
    return body


PRINT_CSS = ("body{font-family:'Noto Serif CJK SC','SimSun',serif;margin:0;background:#eee}"
             ".paper{max-width:21cm;margin:1cm auto;padding:2cm;background:#fff;line-height:1.8}"
             ".title{font-size:1.5em;font-weight:bold;text-align:center}.center{text-align:center}"
             "table{border-collapse:collapse;width:100%;margin:1em 0}td{border:1px solid #000;padding:.3em .5em}"
             "@media print{body{background:#fff}.paper{margin:0;padding:0}}")


def print_page(data: bytes, title: str, number: str) -> bytes:
    """A self-contained printable HTML page of a .docx document (no script, no outside resource)."""
    parts = ['<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
             f"<title>{html.escape(title)} {html.escape(number)}</title><style>{PRINT_CSS}</style></head>",
             '<body><article class="paper">']
    for i, (kind, content) in enumerate(_blocks(data), start=1):
        if kind == "p":
            if content:
                cls = "title" if i == 2 else ("center" if i <= 3 else "")
                parts.append(f'<p class="{cls}">{html.escape(content)}</p>' if cls else f"<p>{html.escape(content)}</p>")
        else:
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in content)
            parts.append(f"<table>{rows}</table>")
    parts.append("</article></body></html>\n")
    return "".join(parts).encode("utf-8")


# --- what a package holds ------------------------------------------------------------------------

def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        raise InvalidState(f"{what}的文件缺失或无法读取（{path}），不能归档；请先恢复该文件。") from None


def _case_file(session: Session, case: Case, actor: User, document_dir: Path) -> CaseDocument:
    """The 全案卷宗 of the case as it stands: the last one issued when nothing happened since, else
    a new one (numbered and recorded like any document)."""
    last = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.seq == case.event_count)).first()
    if last is not None and last.action == "document" and (last.detail or {}).get("kind") == "case_file":
        doc = session.get(CaseDocument, (last.detail or {}).get("document"))
        if doc is not None and Path(doc.stored_path).is_file():
            return doc
    return documents.produce(session, case, "case_file", actor, document_dir)


def collect(session: Session, case: Case, case_file: CaseDocument) -> list[tuple[str, bytes, str]]:
    """Every file of the case's package except the manifest and README: (name, content, what it is)."""
    users = {u.id: f"{u.name}（{u.staff_no}）" for u in session.scalars(select(User))}
    departments = {d.id: d.name for d in session.scalars(select(Department))}
    files: list[tuple[str, bytes, str]] = []

    docx = _read(case_file.stored_path, f"{CASE_FILE} {case_file.number} ")
    files.append((f"{CASE_FILE}.docx", docx, f"{CASE_FILE} {case_file.number}（Word 文档）"))
    files.append((f"{CASE_FILE}.html", print_page(docx, case_file.title, case_file.number), f"{CASE_FILE} {case_file.number}（打印页）"))
    doc_rows = []
    for i, doc in enumerate(documents.documents_of(session, case.id), start=1):
        entry = {**_row(doc, skip=("stored_path",)), "created_by": users.get(doc.created_by_id, "")}
        if doc.id == case_file.id:
            entry.update(docx=f"{CASE_FILE}.docx", html=f"{CASE_FILE}.html")
        else:
            data = _read(doc.stored_path, f"文书“{doc.title} {doc.number}”")
            stem = f"documents/{i:02d}-{_safe(doc.title)}-{_safe(doc.number)}"
            files.append((f"{stem}.docx", data, f"{doc.title} {doc.number}（Word 文档）"))
            files.append((f"{stem}.html", print_page(data, doc.title, doc.number), f"{doc.title} {doc.number}（打印页）"))
            entry.update(docx=f"{stem}.docx", html=f"{stem}.html")
        doc_rows.append(entry)

    material_rows = []
    for m in materials_of(session, case.id):
        versions = []
        for v in sorted(versions_of(session, m.id), key=lambda v: v.version):
            data = _read(v.stored_path, f"材料“{m.name}”第 {v.version} 版")
            if hashlib.sha256(data).hexdigest() != v.sha256:
                raise InvalidState(f"材料“{m.name}”第 {v.version} 版的文件与登记的 SHA-256 不符，不能归档。")
            name = f"materials/{m.position:02d}-{_safe(m.name)}/v{v.version}-{_safe(v.file_name)}"
            files.append((name, data, f"{m.name} 第 {v.version} 版（{v.file_name}）"))
            versions.append({**_row(v, skip=("stored_path", "material_id")),
                             "uploaded_by": users.get(v.uploaded_by_id, ""), "path": name})
        material_rows.append({**_row(m, skip=("stored_path", "case_id")), "checked_by": users.get(m.checked_by_id, ""),
                              "versions": versions})

    record = case_record(session, case, users, departments)
    record.update(materials=material_rows, documents=doc_rows)
    files.append((archive.RECORD, json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"), "办件记录（JSON）"))
    chain = archive.chain_of(session, case)
    files.append((archive.CHAIN, json.dumps(chain, ensure_ascii=False, indent=2).encode("utf-8"), "办件日志链及其哈希（JSON）"))
    return files


def case_record(session: Session, case: Case, users: dict[int, str], departments: dict[int, str]) -> dict:
    """The case row and everything hung on it, as ``case.json`` holds it (with names beside ids)."""
    version = session.get(ItemVersion, case.item_version_id)
    item = session.get(Item, case.item_id)
    tasks = [{**_row(t), "department": departments.get(t.department_id, ""), "assignee": users.get(t.assignee_id, ""),
              "completed_by": users.get(t.completed_by_id, ""), "state_label": TASK_STATES.get(t.state, t.state)}
             for t in session.scalars(select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id))]
    pauses = [{**_row(p), "kind_label": PAUSE_KINDS.get(p.kind, p.kind), "started_by": users.get(p.started_by_id, ""),
               "ended_by": users.get(p.ended_by_id, "")}
              for p in session.scalars(select(CasePause).where(CasePause.case_id == case.id).order_by(CasePause.id))]
    extensions = [{**_row(x), "requested_by": users.get(x.requested_by_id, ""), "approver": users.get(x.approver_id, ""),
                   "state_label": EXTENSION_STATES.get(x.state, x.state)}
                  for x in session.scalars(select(CaseExtension).where(CaseExtension.case_id == case.id)
                                           .order_by(CaseExtension.id))]
    changes = [{**_row(c), "changed_by": users.get(c.changed_by_id, "")}
               for c in session.scalars(select(CaseFieldChange).where(CaseFieldChange.case_id == case.id)
                                        .order_by(CaseFieldChange.id))]
    facts = [_row(f) for f in session.scalars(select(CaseFact).where(CaseFact.case_id == case.id).order_by(CaseFact.id))]
    return {
        "format": RECORD_FORMAT,
        "case": _row(case, skip=("workflow_state", "query_code_hash")),
        "labels": {"item_code": item.code if item else "", "item_name": version.name if version else "",
                   "department": departments.get(case.department_id, ""), "state": CASE_STATES.get(case.state, case.state),
                   "applicant_type": APPLICANT_TYPES.get(case.applicant_type, case.applicant_type),
                   "channel": CHANNELS.get(case.channel, case.channel), "received_by": users.get(case.received_by_id, ""),
                   "accepted_by": users.get(case.accepted_by_id, "")},
        "tasks": tasks, "pauses": pauses, "extensions": extensions, "field_changes": changes, "facts": facts,
        "form_fields": form_fields(session, case),
    }


def form_fields(session: Session, case: Case) -> list[dict]:
    """The case's form data as the case page shows it: each field's label and its value in words,
    beside the raw value (``case.json`` keeps both, so the reader needs no form definition)."""
    sf = step_form(session, case, None)
    specs = {f["name"]: f for f in (sf.form.fields if sf.form else [])}
    codes = dict(session.execute(select(Department.code, Department.name)).all())
    out = []
    for name, value in (case.data or {}).items():
        if name == "external" or sf.access.get(name) == "hidden":
            continue
        spec = specs.get(name)
        label = spec["label"] if spec else DATA_LABELS.get(name, name)
        out.append({"name": name, "label": label, "value": audit.canonical(value),
                    "text": documents._display(spec, value) if spec else data_text(name, value, codes)})  # as the 全案卷宗
    return out


def data_text(name: str, value, departments: dict[str, str] | None = None) -> str:
    """A value of case data no form describes, in words (also for packages written without them)."""
    departments = departments or {}
    if value is None or value == "" or value == []:
        return "（未填写）"
    if name in ("office", "bodies"):
        return "、".join(departments.get(v, v) for v in (value if isinstance(value, list) else [value]))
    if name == "route":
        return {"assign": "交有关单位办理", "direct": "直接答复"}.get(value, str(value))
    if name == "approved":
        return "同意" if value is True else "不同意" if value is False else str(value)
    if name == "proposed_type":
        answer = ANSWER_TYPES.get(value)
        return answer.label if answer else str(value)
    if name == "secrecy_reviewed":
        return "已审查" if value is True else "未审查"
    if name == "delivered_by":
        return DELIVERIES.get(value, str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(data_text("", v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}：{data_text(k, v)}" for k, v in value.items())
    return str(value)


# --- export --------------------------------------------------------------------------------------

@dataclass
class Exported:
    number: str
    state: str  # written / rewritten / verified / failed
    path: Path | None = None
    files: int = 0
    bytes: int = 0
    findings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state != "failed"


def export_case(session: Session, case_id: int, actor: User, out_dir: Path | None = None,
                document_dir: Path | None = None) -> Exported:
    """Write the case's package and verify it before recording it (``verified_at``,
    ``Case.archived_at``). An archived case is verified again; its package is rewritten only when
    it is missing or the case has had events since."""
    archive.require_archivist(actor)
    case = lock_case(session, case_id)
    if case is None:
        raise NotFound("办件不存在。")
    if case.state not in archive.CLOSED_STATES or case.finished_at is None:
        raise InvalidState(f"办件 {case.number} 尚未办结，不能归档。")
    settings = settings_of(session)
    row = archive.archive_of(session, case.id)
    now = clock.now()
    state = "written"
    if row is not None:
        if Path(row.package_path).is_file():
            check = archive.verify_recorded(session, row, case)
            if not check.ok:
                return Exported(case.number, "failed", Path(row.package_path), findings=check.findings)
            if not check.outdated:
                row.verified_at = now
                case.archived_at = case.archived_at or now
                return Exported(case.number, "verified", Path(row.package_path), row.files, row.bytes)
        if row.purged_at is not None:
            raise InvalidState(f"办件 {case.number} 的在线数据已清理，归档包{'缺失' if not Path(row.package_path).is_file() else '已过时'}，"
                               f"无法重新生成；请从备份将归档包恢复到 {row.package_path}。")
        state = "rewritten"
    out = Path(out_dir) if out_dir is not None else (Path(row.package_path).parent if row else settings.archive_dir)
    case_file = _case_file(session, case, actor, Path(document_dir or Path(settings.instance_dir) / "documents"))
    session.flush()
    files = collect(session, case, case_file)
    written = archive.write_package(archive.package_path(out, case.number), case, files, actor)
    check = archive.verify_package(written.path, written.manifest_sha256)
    if check.ok and check.chain.get("last_event_hash") != case.last_event_hash:
        check.findings.append(archive.Finding(archive.CHAIN, "与系统中的办件日志不符。"))
    if not check.ok:
        written.path.unlink(missing_ok=True)
        raise InvalidState(f"办件 {case.number} 的归档包写入后校验失败：" + "；".join(map(str, check.findings)))
    if row is None:
        row = CaseArchive(case_id=case.id, case_number=case.number)
        session.add(row)
    row.package_path, row.manifest_sha256 = str(written.path.resolve()), written.manifest_sha256
    row.files, row.bytes = written.files, min(written.bytes, archive.INT_MAX)
    row.created_at, row.created_by_id, row.verified_at = now, actor.id, now
    case.archived_at = now
    session.flush()
    systemlog.record(session, actor=actor, action="archive.exported", target=case.number,
                     detail={"package": written.path.name, "manifest_sha256": written.manifest_sha256,
                             "files": written.files, "bytes": written.bytes, "kind": state})
    return Exported(case.number, state, written.path, written.files, written.bytes)


# --- purge ---------------------------------------------------------------------------------------

@dataclass
class Purged:
    number: str
    files: list[Path] = field(default_factory=list)  # to remove after the transaction commits
    already: bool = False


def purgeable(session: Session) -> list[Case]:
    """Archived cases past the retention period whose online detail is still there."""
    years = settings_of(session).retention_years
    rows = session.execute(select(CaseArchive, Case).join(Case, Case.id == CaseArchive.case_id)
                           .where(CaseArchive.purged_at.is_(None)).order_by(Case.finished_at, Case.id)).all()
    return [c for _, c in rows if archive.past_retention(c, years)]


def purge_case(session: Session, case_id: int, actor: User) -> Purged:
    """Remove the bulky online detail of a case finished longer ago than the retention period, only
    when its package exists and verifies now. Returns the files to delete once this commits."""
    archive.require_archivist(actor)
    case = lock_case(session, case_id)
    if case is None:
        raise NotFound("办件不存在。")
    years = settings_of(session).retention_years
    if not archive.past_retention(case, years):
        raise InvalidState(f"办件 {case.number} 办结未满 {years} 年（保存期），在线数据不予清理。")
    row = archive.archive_of(session, case.id)
    if row is None:
        raise InvalidState(f"办件 {case.number} 没有归档包，在线数据不予清理；请先执行 sunhall archive export。")
    check = archive.verify_recorded(session, row, case)
    if not check.ok:
        raise InvalidState(f"办件 {case.number} 的归档包校验失败，在线数据不予清理："
                           + "；".join(map(str, check.findings[:5])))
    if check.outdated:
        raise InvalidState(f"办件 {case.number} 归档后又有新的记录，归档包已过时，在线数据不予清理；请先重新导出。")
    packaged = {e["sha256"] for e in check.manifest["files"]}
    paths: set[str] = set()
    docs = documents.documents_of(session, case.id)
    for doc in docs:
        paths.add(doc.stored_path)
    for m in materials_of(session, case.id):
        paths.update(v.stored_path for v in versions_of(session, m.id))
        if m.stored_path:
            paths.add(m.stored_path)
    doomed = []
    for text in sorted(paths):
        path = Path(text)
        if not path.is_file():
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() not in packaged:
            raise InvalidState(f"办件 {case.number} 的在线文件 {path.name} 与归档包中的不一致，在线数据不予清理。")
        doomed.append(path)
    now = clock.now()
    already = row.purged_at is not None
    if not already:
        case.workflow_state = ""
        for doc in docs:
            doc.context = {}
        row.purged_at = now
        row.verified_at = now
        session.flush()
        systemlog.record(session, actor=actor, action="archive.purged", target=case.number,
                         detail={"files": len(doomed), "package": Path(row.package_path).name,
                                 "manifest_sha256": row.manifest_sha256})
    return Purged(case.number, doomed, already)


def remove_files(paths: list[Path]) -> int:
    """Delete the purged files (after the purge committed); empty case folders go too."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        try:
            path.parent.rmdir()
        except OSError:
            pass
    return removed
