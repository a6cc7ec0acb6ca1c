"""归档 (retention and archive): the package of a finished case, its verification and the retention
period (seed 004 §4.3: finished cases stay fully online for 3 years, then are kept permanently in
the archive).

A package is one ZIP file per case, named by its 办件编号. It holds the files the forms layer
collects (全案卷宗, every document, every material version, the case record ``case.json``, the
event chain ``events.json``), a ``manifest.json`` listing every file with its SHA-256 and size,
and ``README.txt`` carrying the manifest's own SHA-256. The same SHA-256 is kept in the
``case_archive`` row, so that an edited manifest (even one whose README was edited to match) is
caught against the database.

Everything here is about the package as bytes: writing it, verifying it (every file re-read and
re-hashed, nothing added or missing, the event chain recomputed from ``events.json`` alone),
the retention date and who may archive. What goes into a package is the forms layer's business
(``forms.archive``), because documents and materials are its tables.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from . import clock
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .models import Case, CaseArchive, CaseEvent, CaseTask, User
from .paging import Order, Page, capped_count, fetch
from .service.authority import is_staff, sees_all
from .service.worklist import can_see_case, department_scope
from .validation import half_width

FORMAT = "sunhall-archive/1"
CHAIN_FORMAT = "sunhall-event-chain/1"
MANIFEST = "manifest.json"
SIGNATURE = "README.txt"
RECORD = "case.json"
CHAIN = "events.json"
#: the files every package has besides those its manifest lists
FRAME = (MANIFEST, SIGNATURE)
SIGNATURE_LINE = "manifest.json 的 SHA-256："
CLOSED_STATES = ("finished", "rejected", "withdrawn")
NUMBER = re.compile(r"[0-9A-Za-z_-]{1,40}")
CHUNK = 64 * 1024
INT_MAX = 2**31 - 1
#: the event fields the chain's hash covers (engine.audit._digest), in the order the README lists them
DIGEST_KEYS = ("case_id", "seq", "at", "actor_id", "actor_name", "action", "task_id", "step_id", "reason",
               "before", "after", "detail", "prev_hash")
#: the case log's actions in words, for packages written without ``action_name`` (the forms layer,
#: which owns the names, fills it: forms.archive)
ACTION_NAMES: dict[str, str] = {}
DIGEST_RULE = ("每条记录的 hash = SHA-256(UTF-8(JSON))，JSON 由该记录的 " + "、".join(DIGEST_KEYS) +
               " 组成（at 为 UTC 时间的 ISO 8601 字符串，精确到微秒），键按字典序排列，分隔符为“,”和“:”，"
               "不转义非 ASCII 字符；每条的 prev_hash 等于前一条的 hash，第一条为空字符串；"
               "最后一条的 hash 等于 last_event_hash，条数等于 event_count。")


# --- who, which cases, when ---------------------------------------------------------------------

def require_archivist(actor) -> None:
    """Only an administrator writes packages or removes online data (seed 002 §8.1: administrators
    run the platform)."""
    if not (is_staff(actor) and "admin" in (actor.roles or [])):
        raise PermissionDenied("只有系统管理员可以导出归档包或清理在线数据。")


def actor_by_staff_no(session: Session, staff_no) -> User:
    """The account named by ``--as`` on the command line."""
    text = half_width(staff_no).strip() if isinstance(staff_no, str) else ""
    if not text or len(text) > 40 or not text.isprintable():
        raise InvalidInput("工号无效：不能为空、不能超过 40 个字符，也不能含控制字符。", field="as")
    user = session.scalars(select(User).where(User.staff_no == text)).first()
    if user is None:
        raise NotFound(f"工号 {text} 不存在。")
    require_archivist(user)
    return user


def case_number(text) -> str | None:
    """A 办件编号 as typed (full-width digits accepted), or None when it cannot be one."""
    if not isinstance(text, str):
        return None
    value = half_width(text).strip()
    return value if NUMBER.fullmatch(value) else None


def retention_cutoff(today: date, years: int) -> date:
    """The day ``years`` years before ``today`` (29 February falls back to the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def past_retention(case: Case, years: int, today: date | None = None) -> bool:
    """Finished more than ``years`` years ago: the day it finished lies before the same day ``years``
    years back (a case finished on 2023-09-28 is still online on 2026-09-28, no longer on the 29th)."""
    if case.finished_at is None or case.state not in CLOSED_STATES:
        return False
    return clock.local_date(case.finished_at) < retention_cutoff(today or clock.today(), years)


def closed_cases(session: Session, numbers: list[str] | None = None, finished_before: date | None = None,
                 retention_years: int | None = None) -> list[Case]:
    """The closed cases to archive, oldest first; a number that is not a closed case is an error."""
    stmt = select(Case).where(Case.state.in_(CLOSED_STATES), Case.finished_at.is_not(None))
    if numbers:
        wanted = []
        for raw in numbers:
            number = case_number(raw)
            if number is None:
                raise InvalidInput(f"办件编号“{str(raw)[:40]}”格式不正确。", field="case")
            wanted.append(number)
        found = {c.number: c for c in session.scalars(select(Case).where(Case.number.in_(wanted)))}
        for number in wanted:
            if number not in found:
                raise NotFound(f"办件 {number} 不存在。")
            if found[number].state not in CLOSED_STATES or found[number].finished_at is None:
                raise InvalidInput(f"办件 {number} 尚未办结，不能归档。", field="case")
        stmt = stmt.where(Case.number.in_(wanted))
    if finished_before is not None:
        stmt = stmt.where(Case.finished_at < datetime.combine(finished_before, datetime.min.time(), clock.LOCAL_TZ))
    cases = list(session.scalars(stmt.order_by(Case.finished_at, Case.id)))
    if retention_years is not None:
        cases = [c for c in cases if past_retention(c, retention_years)]
    return cases


def archive_of(session: Session, case_id: int) -> CaseArchive | None:
    return session.scalars(select(CaseArchive).where(CaseArchive.case_id == case_id)).first()


# --- the event chain as a file ------------------------------------------------------------------

def _at(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def chain_of(session: Session, case: Case, action_names: dict[str, str] | None = None) -> dict:
    """The case's event chain as ``events.json`` holds it: every field its hashes cover, so that the
    chain can be checked from the package alone, and each action's name in words (``action_name``,
    outside the hash: the file's own SHA-256 in the manifest covers it)."""
    names = action_names or ACTION_NAMES
    events = []
    for ev in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)):
        events.append({"case_id": ev.case_id, "seq": ev.seq, "at": _at(ev.at), "actor_id": ev.actor_id,
                       "actor_name": ev.actor_name, "action": ev.action, "task_id": ev.task_id,
                       "step_id": ev.step_id, "reason": ev.reason, "before": ev.before or {},
                       "after": ev.after or {}, "detail": ev.detail or {}, "prev_hash": ev.prev_hash,
                       "hash": ev.hash, "action_name": names.get(ev.action, "其他操作")})
    return {"format": CHAIN_FORMAT, "case_number": case.number, "event_count": case.event_count,
            "last_event_hash": case.last_event_hash, "digest": DIGEST_RULE, "events": events}


def event_digest(entry: dict) -> str:
    """The hash of one event of ``events.json``, computed as engine.audit computes it."""
    body = {key: entry.get(key) for key in DIGEST_KEYS}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _action_name(entry: dict, names: dict[str, str]) -> str:
    """An event's action in words: as the package names it, else as ``names`` does, else 其他操作."""
    named = entry.get("action_name")
    if isinstance(named, str) and named and named.isprintable():
        return named[:40]
    return names.get(entry.get("action"), "其他操作") if isinstance(entry.get("action"), str) else "其他操作"


def check_chain(chain, action_names: dict[str, str] | None = None) -> list[str]:
    """Every break of a chain read from ``events.json``, in words (empty when it holds); an event is
    named by its action in words (``action_names`` for packages written without them)."""
    names = action_names or ACTION_NAMES
    if not isinstance(chain, dict) or not isinstance(chain.get("events"), list):
        return ["不是有效的办件日志链文件。"]
    problems, prev, expected = [], "", 1
    events = chain["events"]
    for entry in events:
        if not isinstance(entry, dict):
            problems.append("含有无法识别的记录。")
            continue
        seq = entry.get("seq")
        if seq != expected:
            problems.append(f"第 {expected} 条记录缺失或顺序被改动（此处为第 {seq} 条）。")
        if entry.get("prev_hash") != prev:
            problems.append(f"第 {seq} 条与前一条记录的链接断开（前一条被删除或篡改）。")
        if event_digest(entry) != entry.get("hash"):
            problems.append(f"第 {seq} 条内容与哈希不符（记录已被修改）：{_action_name(entry, names)}。")
        prev = entry.get("hash")
        expected = seq + 1 if isinstance(seq, int) else expected + 1
    if chain.get("event_count") != len(events):
        problems.append(f"记录条数 {len(events)} 与日志链声明的 {chain.get('event_count')} 条不符。")
    if chain.get("last_event_hash") != (events[-1].get("hash") if events and isinstance(events[-1], dict) else ""):
        problems.append("日志链末端的哈希与声明的 last_event_hash 不符。")
    return problems


# --- writing a package --------------------------------------------------------------------------

@dataclass
class Written:
    path: Path
    manifest_sha256: str
    files: int
    bytes: int


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_bytes(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def package_path(directory: Path, number: str) -> Path:
    if case_number(number) != number:
        raise InvalidInput(f"办件编号“{number[:40]}”不能用作归档包的文件名。")
    return Path(directory) / f"{number}.zip"


def write_package(path: Path, case: Case, files: list[tuple[str, bytes, str]], actor: User) -> Written:
    """Write the package atomically (a temporary file renamed into place): ``files`` are
    (name in the package, content, what it is); the manifest and README are added here."""
    names = [name for name, _, _ in files]
    if len(set(names)) != len(names) or set(names) & set(FRAME):
        raise ValueError("duplicate or reserved file name in an archive package")
    created = clock.now()
    manifest = {
        "format": FORMAT, "case_number": case.number, "created_at": _at(created),
        "created_by": f"{actor.name}（{actor.staff_no}）",
        "files": [{"path": name, "sha256": sha256_of(data), "size": len(data), "title": title}
                  for name, data, title in files],
    }
    manifest_bytes = _json_bytes(manifest)
    digest = sha256_of(manifest_bytes)
    readme = "\n".join([
        "阳光政务大厅 办件归档包", "",
        f"办件编号：{case.number}", f"办件名称：{case.subject}", f"申请人：{case.applicant_name}",
        f"办结时间：{case.finished_at.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}" if case.finished_at else "办结时间：",
        f"归档时间：{created.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}", f"归档人：{manifest['created_by']}",
        f"文件数：{len(files)}（不含 manifest.json 与本文件）", "",
        f"{SIGNATURE_LINE}{digest}", "",
        "如何校验：", "1. 计算 manifest.json 的 SHA-256，应与上一行及系统中登记的值相同；",
        "2. 包内除 manifest.json 与本文件外，文件应与 manifest.json 所列完全一致（不多不少），"
        "每个文件的 SHA-256 与大小应与所列相同；",
        f"3. events.json 为办件日志链：{DIGEST_RULE}", "",
        "可用 sunhall archive verify <本文件所在的归档包> 一次完成以上校验。", "",
    ]).encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.part")
    stamp = created.astimezone(clock.LOCAL_TZ).timetuple()[:6]
    try:
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in [(SIGNATURE, readme), (MANIFEST, manifest_bytes), *[(n, d) for n, d, _ in files]]:
                z.writestr(zipfile.ZipInfo(name, date_time=stamp), data, compress_type=zipfile.ZIP_DEFLATED)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    total = sum(len(d) for _, d, _ in files) + len(manifest_bytes) + len(readme)
    return Written(path, digest, len(files), total)


# --- verifying a package -------------------------------------------------------------------------

@dataclass
class Finding:
    """One problem of a package: the file it is in (or the package itself) and what is wrong."""

    file: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}：{self.problem}" if self.file else self.problem


@dataclass
class Verification:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    manifest: dict | None = None
    manifest_sha256: str | None = None
    chain: dict | None = None
    record: dict | None = None
    compared_with_database: bool = False
    outdated: bool = False  # the case has events the package does not hold (not a tampering)

    @property
    def ok(self) -> bool:
        return not self.findings

    def failed_files(self) -> list[str]:
        return sorted({f.file for f in self.findings if f.file})


def _hash_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with z.open(info) as member:
        while chunk := member.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            sha.update(chunk)
    return sha.hexdigest(), size


def _read_json(z: zipfile.ZipFile, name: str, limit: int = 64 * 1024 * 1024):
    info = z.getinfo(name)
    if info.file_size > limit:
        raise ValueError("too large")
    return json.loads(z.read(info).decode("utf-8"))


def verify_package(path: Path, expected_manifest_sha256: str | None = None) -> Verification:
    """Re-read every file of the package and say every way it differs from its manifest: a
    changed byte, a file added or removed, a manifest whose hash is not the recorded one, an
    event of the chain edited."""
    path = Path(path)
    result = Verification(path)
    add = result.findings.append
    if not path.is_file():
        add(Finding("", f"归档包不存在：{path}"))
        return result
    try:
        with zipfile.ZipFile(path) as z:
            _verify_open(z, result, expected_manifest_sha256)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
        add(Finding("", "归档包已损坏，无法作为 ZIP 文件读取。"))
    return result


def _verify_open(z: zipfile.ZipFile, result: Verification, expected: str | None) -> None:
    add = result.findings.append
    infos = z.infolist()
    names = [i.filename for i in infos]
    for name in sorted({n for n in names if names.count(n) > 1}):
        add(Finding(name, "包内有同名的重复文件（文件被添加）。"))
    if MANIFEST not in names:
        add(Finding(MANIFEST, "缺少清单文件。"))
        return
    manifest_bytes = z.read(MANIFEST)
    result.manifest_sha256 = sha256_of(manifest_bytes)
    if expected is not None and result.manifest_sha256 != expected:
        add(Finding(MANIFEST, "清单的 SHA-256 与系统登记的不符（清单被修改）。"))
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        listed = {e["path"]: e for e in manifest["files"]}
        if not all(isinstance(e.get("sha256"), str) and isinstance(e.get("size"), int) for e in listed.values()):
            raise ValueError
    except (ValueError, KeyError, TypeError, AttributeError):
        add(Finding(MANIFEST, "清单不是有效的 JSON 或缺少文件列表。"))
        return
    result.manifest = manifest
    if SIGNATURE not in names:
        add(Finding(SIGNATURE, "缺少签名说明文件。"))
    else:
        readme = z.read(SIGNATURE).decode("utf-8", "replace")
        stated = next((line[len(SIGNATURE_LINE):].strip() for line in readme.splitlines()
                       if line.startswith(SIGNATURE_LINE)), None)
        if stated != result.manifest_sha256:
            add(Finding(SIGNATURE, "记载的清单 SHA-256 与清单实际的不符（清单或签名说明被修改）。"))
    present = {i.filename: i for i in infos}
    for name in sorted(set(present) - set(listed) - set(FRAME)):
        add(Finding(name, "清单中没有这个文件（文件被添加）。"))
    for name, entry in listed.items():
        info = present.get(name)
        if info is None:
            add(Finding(name, "清单所列的文件缺失（文件被删除）。"))
            continue
        try:
            digest, size = _hash_member(z, info, entry["size"])
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
            add(Finding(name, "文件已损坏（校验和错误），内容被改动。"))
            continue
        if size != entry["size"]:
            add(Finding(name, f"大小与清单不符（清单 {entry['size']} 字节）。"))
        elif digest != entry["sha256"]:
            add(Finding(name, "SHA-256 与清单不符（内容被改动）。"))
    for name, holder in ((CHAIN, "chain"), (RECORD, "record")):
        if name not in listed or name not in present:
            if name not in listed:
                add(Finding(name, "清单中缺少此文件。"))
            continue
        try:
            setattr(result, holder, _read_json(z, name))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError, RuntimeError):
            add(Finding(name, "不是有效的 JSON 文件。"))
    if result.chain is not None:
        for problem in check_chain(result.chain):
            add(Finding(CHAIN, problem))


def verify_recorded(session: Session, row: CaseArchive, case: Case | None = None) -> Verification:
    """Verify a recorded package against its row (the manifest's SHA-256) and the case's chain in the
    database: the package's chain must be the start of the case's (every event the same)."""
    result = verify_package(Path(row.package_path), row.manifest_sha256)
    result.compared_with_database = True
    case = case or session.get(Case, row.case_id)
    chain = result.chain if isinstance(result.chain, dict) else None
    if case is not None and chain is not None and not any(f.file == CHAIN for f in result.findings):
        count = chain.get("event_count")
        if (result.manifest or {}).get("case_number") != case.number:
            result.findings.append(Finding(MANIFEST, f"归档包不属于办件 {case.number}。"))
        elif isinstance(count, int) and count > 0:
            stored = session.scalar(select(CaseEvent.hash).where(CaseEvent.case_id == case.id, CaseEvent.seq == count))
            if stored != chain.get("last_event_hash"):
                result.findings.append(Finding(CHAIN, "与系统中的办件日志不符（日志链被替换）。"))
            result.outdated = case.event_count > count
    return result


def verify_path(session: Session, path: Path) -> Verification:
    """A package named on the command line, compared with its row when the database knows it (by its
    path, or by its case number for a copy kept elsewhere, e.g. on archival media)."""
    path = Path(path)
    row = session.scalars(select(CaseArchive).where(CaseArchive.case_number == path.stem)).first()
    if row is None:
        row = next((r for r in session.scalars(select(CaseArchive)) if _same_file(r.package_path, path)), None)
    if row is None:
        return verify_package(path)
    if _same_file(row.package_path, path):
        return verify_recorded(session, row)
    result = verify_package(path, row.manifest_sha256)
    result.compared_with_database = True
    return result


def _same_file(stored: str, path: Path) -> bool:
    try:
        return Path(stored).resolve() == Path(path).resolve()
    except OSError:
        return False


def read_file(row: CaseArchive, index: int) -> tuple[dict, bytes]:
    """One file of a package, by its place in the manifest, after its SHA-256 is checked against the
    manifest, and the manifest's against the recorded one."""
    path = Path(row.package_path)
    try:
        with zipfile.ZipFile(path) as z:
            manifest_bytes = z.read(MANIFEST)
            if sha256_of(manifest_bytes) != row.manifest_sha256:
                raise Conflict("归档包的清单已被修改，文件无法校验，不予提供。")
            files = json.loads(manifest_bytes.decode("utf-8"))["files"]
            if not 0 <= index < len(files):
                raise NotFound("归档包中没有这个文件。")
            entry = files[index]
            data = z.read(entry["path"])
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError):
        raise Conflict("归档包已损坏或缺失，文件无法读取。") from None
    if sha256_of(data) != entry["sha256"] or len(data) != entry["size"]:
        raise Conflict(f"“{entry['path']}”与清单不符（内容被改动），不予提供。")
    return entry, data


# --- the reader's list ---------------------------------------------------------------------------

NEWEST_ARCHIVED = (Order(CaseArchive.id, desc=True),)  # ids follow the order cases were archived in


def archived_cases(session: Session, user: User, number: str = "", applicant: str = "", *, after: str | None = None,
                   before: str | None = None, size: int = 20) -> tuple[Page, int]:
    """已归档办件 the user may see (as the case lists scope them), filtered by number and applicant,
    newest first: one page after or before a cursor, and the count up to engine.paging.COUNT_CAP + 1."""
    if not is_staff(user):
        raise PermissionDenied("只有工作人员可以查阅归档办件。")
    conds = []
    if not sees_all(user):
        posts = [and_(CaseTask.post_code == p.code, CaseTask.department_id == p.department_id) for p in user.posts]
        handled = exists().where(CaseTask.case_id == Case.id, or_(CaseTask.assignee_id == user.id,
                                                                   CaseTask.completed_by_id == user.id, *posts))
        conds.append(or_(Case.department_id.in_(department_scope(session, user)), handled))
    if number:
        conds.append(Case.number.contains(number, autoescape=True))
    if applicant:
        conds.append(Case.applicant_name.contains(applicant, autoescape=True))
    base = select(CaseArchive, Case).join(Case, Case.id == CaseArchive.case_id).where(*conds)
    total = capped_count(session, base.with_only_columns(CaseArchive.id))
    return fetch(session, base, NEWEST_ARCHIVED, lambda row: [row[0].id], after=after, before=before, size=size), total


def visible_archive(session: Session, user: User, number) -> tuple[CaseArchive, Case]:
    """The archive of a case the user may see, or NotFound / PermissionDenied."""
    if not is_staff(user):
        raise PermissionDenied("只有工作人员可以查阅归档办件。")
    value = case_number(number)
    row = session.scalars(select(CaseArchive).where(CaseArchive.case_number == value)).first() if value else None
    case = session.get(Case, row.case_id) if row is not None else None
    if case is None:
        raise NotFound("没有这个已归档的办件。")
    if not can_see_case(session, user, case):
        raise PermissionDenied("此办件不属于您的部门，您无权查阅其归档包。")
    return row, case
