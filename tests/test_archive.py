"""归档 (seed 004 §4.3: 3 years online, then the permanent archive). Done when: "`sunhall archive
export` writes packages that verify, and a tampered package is detected" — run through the real
command; purge refuses without a verified package and respects the retention period; a purged case
stays readable from its package and searchable by number; only administrators export or purge; a
package is read only by those who may see its case."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine import archive, audit, clock
from engine.errors import InvalidState, PermissionDenied
from engine.models import Case, CaseArchive, CaseEvent, CaseTask, SystemEvent
from forms import archive as packaging
from forms import documents, materials
from forms.intake import receive
from forms.models import CaseDocument, CaseMaterialVersion
from webapp.cli import main

from .conftest import As
from .helpers import do, get_case, open_steps
from .webhelpers import login

FOOD = "015309300002"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
STEPS = {"accept": "sc001", "review": "sc003", "inspect": "sc004", "audit": "sc005", "decide": "sc006", "issue": "sc001"}


def finished_case(run, database, company, documents_dir: Path, upload_dir: Path) -> Case:
    """A 食品经营许可 taken in at the window, a material uploaded twice (two versions), accepted with
    its 受理通知书, driven through every post to 准予许可, its decision printed."""
    case = run(receive, FOOD, company, As("sc001"), received={1, 2, 3, 4})
    m = _materials(database, case.id)[1]
    run(materials.attach, m.id, "营业执照.pdf", PDF, As("sc001"), upload_dir)
    run(materials.attach, m.id, "营业执照-更正.pdf", PDF.replace(b"<<>>", b"<< /V 2 >>"), As("sc002"), upload_dir)
    do(run, database, case.id, As("sc001"), "accept", data={"prepackaged_only": False})
    run(documents.issue, get_case(database, case.id), "acceptance_notice", As("sc001"), documents_dir)
    for _ in range(10):
        steps = open_steps(database, case.id)
        if not steps:
            break
        data = {"inspectors": [{"name": "张伟", "cert_no": "53093001"}, {"name": "刘洋", "cert_no": "53093002"}],
                "inspection_result": "经营场所符合要求。"} if steps[0] == "inspect" else None
        kwargs = {"data": data} if data else {}
        do(run, database, case.id, As(STEPS[steps[0]]), steps[0], **kwargs)
    assert get_case(database, case.id).state == "finished"
    run(documents.issue, get_case(database, case.id), "grant_decision", As("sc001"), documents_dir)
    return get_case(database, case.id)


def _materials(database, case_id):
    with database.transaction(write=False) as s:
        return materials.materials_of(s, case_id)


@pytest.fixture
def dirs(tmp_path, settings):
    out = {"archive": tmp_path / "archive", "uploads": tmp_path / "uploads",
           "documents": Path(settings.instance_dir) / "documents"}
    return out


@pytest.fixture
def cli(monkeypatch, database, settings, dirs):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)
    monkeypatch.setenv("SUNHALL_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("SUNHALL_ARCHIVE_DIR", str(dirs["archive"]))
    monkeypatch.delenv("SUNHALL_RETENTION_YEARS", raising=False)

    def invoke(*args):
        return CliRunner().invoke(main, ["archive", *args], catch_exceptions=False)
    return invoke


@pytest.fixture
def case(run, database, frozen_clock, company, dirs):
    return finished_case(run, database, company, dirs["documents"], dirs["uploads"])


def _row(database, case_id) -> CaseArchive | None:
    with database.transaction(write=False) as s:
        return s.scalars(select(CaseArchive).where(CaseArchive.case_id == case_id)).first()


def _rewrite(package: Path, change) -> None:
    """Rebuild the ZIP with ``change(entries)`` applied to its {name: bytes} (as someone with the file would)."""
    with zipfile.ZipFile(package) as z:
        entries = {i.filename: z.read(i) for i in z.infolist()}
    change(entries)
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)


# --- export and verify: the Done-when line ---------------------------------------------------------

def test_export_writes_a_package_that_verifies_and_every_tampering_is_detected(cli, database, case, dirs):
    out = cli("export", "--as", "admin")
    assert out.exit_code == 0, out.output
    assert f"✓ {case.number}：已生成并校验" in out.output and "成功 1 件" in out.output
    package = dirs["archive"] / f"{case.number}.zip"
    row = _row(database, case.id)
    assert row.verified_at is not None and Path(row.package_path) == package.resolve()
    assert get_case(database, case.id).archived_at is not None

    with zipfile.ZipFile(package) as z:
        names = set(z.namelist())
        manifest_bytes = z.read("manifest.json")
        manifest = json.loads(manifest_bytes)
        record = json.loads(z.read("case.json"))
        chain = json.loads(z.read("events.json"))
        readme = z.read("README.txt").decode()
        listed = {e["path"]: e for e in manifest["files"]}
        for name, entry in listed.items():  # every file listed with its SHA-256 and size
            data = z.read(name)
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
    # the manifest's own hash is in the row and in the README
    assert hashlib.sha256(manifest_bytes).hexdigest() == row.manifest_sha256
    assert f"manifest.json 的 SHA-256：{row.manifest_sha256}" in readme
    assert names == set(listed) | {"manifest.json", "README.txt"}
    # the 全案卷宗 (docx and its printable page), every document, both versions of the material
    assert {"全案卷宗.docx", "全案卷宗.html", "case.json", "events.json"} <= names
    docs = sorted(n for n in names if n.startswith("documents/"))
    assert any("受理通知书" in n and n.endswith(".docx") for n in docs)
    assert any("准予行政许可决定书" in n and n.endswith(".html") for n in docs)
    versions = sorted(n for n in names if n.startswith("materials/"))
    assert len(versions) == 2 and versions[0].endswith("v1-营业执照.pdf") and versions[1].endswith("v2-营业执照-更正.pdf")
    with zipfile.ZipFile(package) as z:
        assert z.read(versions[0]) == PDF
        assert "办件日志" in z.read("全案卷宗.html").decode() or "受理" in z.read("全案卷宗.html").decode()
    # the case record: row, steps with opinions, form data; the chain with its hashes, checkable alone
    assert record["case"]["number"] == case.number and "workflow_state" not in record["case"]
    assert any(t["step_id"] == "decide" and t["opinion"] == "同意。" and t["completed_by"].startswith("杨帆")
               for t in record["tasks"])
    with database.transaction(write=False) as s:
        db_case = s.get(Case, case.id)
        hashes = list(s.scalars(select(CaseEvent.hash).where(CaseEvent.case_id == case.id).order_by(CaseEvent.seq)))
    assert [e["hash"] for e in chain["events"]] == hashes and chain["last_event_hash"] == db_case.last_event_hash
    assert chain["events"][-1]["action"] == "document" and chain["events"][-1]["detail"]["kind"] == "case_file"
    assert all(archive.event_digest(e) == e["hash"] for e in chain["events"])

    ok = cli("verify", str(package))
    assert ok.exit_code == 0 and "校验通过" in ok.output, ok.output
    assert cli("verify", "--all").exit_code == 0
    pristine = package.read_bytes()

    def detected(change, file: str, words: str):
        package.write_bytes(pristine)
        _rewrite(package, change)
        result = cli("verify", str(package))
        assert result.exit_code == 1, result.output
        assert file in result.output and words in result.output, result.output
        assert cli("verify", "--all").exit_code == 1

    def flip(entries):  # one byte of a material
        data = bytearray(entries[versions[0]])
        data[10] ^= 0x01
        entries[versions[0]] = bytes(data)
    detected(flip, versions[0], "SHA-256 与清单不符")
    detected(lambda e: e.update({"materials/附加.pdf": PDF}), "materials/附加.pdf", "文件被添加")
    detected(lambda e: e.pop(docs[0]), docs[0], "文件被删除")

    def edit_manifest(entries):  # the manifest made to agree with a changed material, README too
        m = json.loads(entries["manifest.json"])
        data = entries[versions[0]] + b"%"
        entries[versions[0]] = data
        for f in m["files"]:
            if f["path"] == versions[0]:
                f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
        entries["manifest.json"] = json.dumps(m, ensure_ascii=False).encode()
        digest = hashlib.sha256(entries["manifest.json"]).hexdigest()
        entries["README.txt"] = entries["README.txt"].decode().replace(row.manifest_sha256, digest).encode()
    detected(edit_manifest, "manifest.json", "与系统登记的不符")

    def edit_event(entries):  # an opinion rewritten in the chain, the manifest fixed up to match it
        c = json.loads(entries["events.json"])
        c["events"][2]["reason"] = "改过的理由"
        entries["events.json"] = json.dumps(c, ensure_ascii=False).encode()
        m = json.loads(entries["manifest.json"])
        for f in m["files"]:
            if f["path"] == "events.json":
                f["sha256"], f["size"] = hashlib.sha256(entries["events.json"]).hexdigest(), len(entries["events.json"])
        entries["manifest.json"] = json.dumps(m, ensure_ascii=False).encode()
    package.write_bytes(pristine)
    _rewrite(package, edit_event)
    result = cli("verify", str(package))
    assert result.exit_code == 1 and "第 3 条内容与哈希不符" in result.output and "events.json" in result.output
    named = archive.ACTION_NAMES[chain["events"][2]["action"]]  # the action in words, never its code
    assert f"第 3 条内容与哈希不符（记录已被修改）：{named}。" in result.output, result.output
    assert chain["events"][2]["action_name"] == named

    def old_package(entries):  # written before events.json named the actions: still named in words
        c = json.loads(entries["events.json"])
        for e in c["events"]:
            e.pop("action_name", None)
        c["events"][-1]["reason"] = "改过"
        entries["events.json"] = json.dumps(c, ensure_ascii=False).encode()
    assert f"：{archive.ACTION_NAMES['document']}。" in "\n".join(archive.check_chain(
        (lambda e: (old_package(e), json.loads(e["events.json"]))[1])({"events.json": json.dumps(chain).encode()})))

    raw = bytearray(pristine)  # a byte flipped in the ZIP itself
    raw[len(raw) // 2] ^= 0xFF
    package.write_bytes(bytes(raw))
    result = cli("verify", str(package))
    assert result.exit_code == 1 and "✗" in result.output

    # a tampered package is never overwritten by a new export: it is reported
    again = cli("export", "--case", case.number, "--as", "admin")
    assert again.exit_code == 1 and "校验失败" in again.output
    package.write_bytes(pristine)
    again = cli("export", "--case", case.number, "--as", "admin")
    assert again.exit_code == 0 and "重新校验通过" in again.output
    assert package.read_bytes() == pristine  # idempotent: nothing rewritten


def _log_seq(database) -> int:
    with database.transaction(write=False) as s:
        return s.scalar(select(func.max(SystemEvent.seq))) or 0


def test_export_again_rewrites_only_a_missing_package(cli, database, case, dirs):
    since = _log_seq(database)
    assert cli("export", "--as", "admin").exit_code == 0
    first = _row(database, case.id)
    package = Path(first.package_path)
    package.unlink()
    out = cli("export", "--case", case.number, "--as", "admin")
    assert out.exit_code == 0 and "已重新生成并校验" in out.output
    second = _row(database, case.id)
    assert package.is_file() and second.id == first.id
    with database.transaction(write=False) as s:  # the same 全案卷宗 reused: nothing happened since
        assert len(s.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id,
                                                        CaseDocument.kind == "case_file")).all()) == 1
        logged = s.scalars(select(SystemEvent).where(SystemEvent.action == "archive.exported",
                                                     SystemEvent.target == case.number,
                                                     SystemEvent.seq > since)).all()
        assert len(logged) == 2 and audit.verify(s) == []


def test_open_cases_are_not_exported_and_only_an_administrator_exports(cli, run, database, case, company, frozen_clock):
    open_case = run(receive, FOOD, company, As("sc001"), received={1})
    out = cli("export", "--case", open_case.number, "--as", "admin")
    assert out.exit_code == 2 and "尚未办结" in out.output
    out = cli("export", "--as", "sc006")
    assert out.exit_code == 2 and "只有系统管理员" in out.output and _row(database, case.id) is None
    assert cli("export").exit_code == 2
    out = cli("export", "--case", "１２\x00", "--as", "admin")
    assert out.exit_code == 2 and "格式不正确" in out.output
    out = cli("export", "--finished-before", "2026-13-01", "--as", "admin")
    assert out.exit_code == 2 and "日期" in out.output
    out = cli("export", "--as", "x" * 500)
    assert out.exit_code == 2 and "工号无效" in out.output
    with pytest.raises(PermissionDenied):
        run(packaging.export_case, case.id, As("sc001"))
    out = cli("purge", "--as", "sc001")
    assert out.exit_code == 2 and "只有系统管理员" in out.output


# --- retention and purge ---------------------------------------------------------------------------

def test_purge_refuses_without_a_verified_package_and_respects_retention(cli, run, database, case, dirs):
    since = _log_seq(database)
    # two years on: within the 3 years online (seed 004 §4.3), nothing is purged
    clock.travel(datetime(2028, 9, 30, 9, tzinfo=clock.LOCAL_TZ))
    assert cli("export", "--older-than-retention", "--as", "admin").output.startswith("没有符合条件")
    assert cli("export", "--as", "admin").exit_code == 0
    out = cli("purge", "--as", "admin")
    assert out.exit_code == 0 and "已清理 0 件" in out.output
    with pytest.raises(InvalidState, match="办结未满 3 年"):
        run(packaging.purge_case, case.id, As("admin"))
    # past the retention period, but the package is missing, then tampered with: refused, nothing removed
    clock.travel(datetime(2029, 9, 29, 9, tzinfo=clock.LOCAL_TZ))
    package = Path(_row(database, case.id).package_path)
    pristine = package.read_bytes()
    package.unlink()
    out = cli("purge", "--as", "admin")
    assert out.exit_code == 1 and "归档包校验失败" in out.output and "归档包不存在" in out.output
    package.write_bytes(pristine)
    _rewrite(package, lambda e: e.update({"额外.txt": b"x"}))
    out = cli("purge", "--as", "admin")
    assert out.exit_code == 1 and "额外.txt" in out.output
    with database.transaction(write=False) as s:
        assert s.get(Case, case.id).workflow_state != ""
        assert all(Path(v.stored_path).is_file() for v in s.scalars(select(CaseMaterialVersion)))
        assert _row(database, case.id).purged_at is None
    # the package put back: a dry run lists it and changes nothing, then the purge goes through
    package.write_bytes(pristine)
    dry = cli("purge", "--as", "admin", "--dry-run")
    assert dry.exit_code == 0 and f"将清理：{case.number}" in dry.output and "未做任何改动" in dry.output
    out = cli("purge", "--as", "admin")
    assert out.exit_code == 0 and f"✓ {case.number}" in out.output, out.output
    with database.transaction(write=False) as s:
        c = s.get(Case, case.id)
        assert c.workflow_state == "" and c.state == "finished"
        assert s.scalars(select(CaseTask).where(CaseTask.case_id == case.id)).all()  # steps kept
        assert len(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()) == c.event_count
        files = [Path(v.stored_path) for v in s.scalars(select(CaseMaterialVersion))]
        files += [Path(d.stored_path) for d in s.scalars(select(CaseDocument).where(CaseDocument.case_id == case.id))]
        assert files and not any(p.exists() for p in files)
        assert audit.verify(s) == []
        assert s.scalars(select(SystemEvent).where(SystemEvent.action == "archive.purged",
                                                   SystemEvent.seq > since)).one().target == case.number
    assert _row(database, case.id).purged_at is not None
    # exporting again only re-verifies; the package cannot be rebuilt once the online data is gone
    assert "重新校验通过" in cli("export", "--as", "admin").output
    package.unlink()
    out = cli("export", "--as", "admin")
    assert out.exit_code == 1 and "已清理" in out.output and "从备份" in out.output


def test_retention_years_is_configurable_but_never_below_three(cli, monkeypatch, run, database, case):
    assert cli("export", "--as", "admin").exit_code == 0
    clock.travel(datetime(2031, 9, 29, 9, tzinfo=clock.LOCAL_TZ))  # 5 years on
    monkeypatch.setenv("SUNHALL_RETENTION_YEARS", "10")
    assert "已清理 0 件" in cli("purge", "--as", "admin").output
    monkeypatch.setenv("SUNHALL_RETENTION_YEARS", "5")
    assert "已清理 1 件" in cli("purge", "--as", "admin").output


# --- the reader ------------------------------------------------------------------------------------

def test_purged_case_is_read_from_its_package_and_found_by_number(cli, app, client, database, case, dirs):
    assert cli("export", "--as", "admin").exit_code == 0
    clock.travel(datetime(2029, 10, 8, 9, tzinfo=clock.LOCAL_TZ))
    assert cli("purge", "--as", "admin").exit_code == 0
    login(client, "sc003")
    found = client.get("/workbench/archive", query_string={"number": case.number[-6:]})
    assert found.status_code == 200 and case.number in found.get_data(as_text=True)
    assert "已清理" in found.get_data(as_text=True)
    by_name = client.get("/workbench/archive", query_string={"applicant": "好味道"})
    assert case.number in by_name.get_data(as_text=True)
    page = client.get(f"/workbench/archive/{case.number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "包已校验" in html and "校验失败" not in html
    assert "杨帆" in html and "同意。" in html and "阳光县好味道餐饮有限公司" in html  # steps and opinions, record
    # form data by its labels and in words, as the case page shows it (not `prepackaged_only False`)
    with zipfile.ZipFile(_row(database, case.id).package_path) as z:
        fields = json.loads(z.read("case.json"))["form_fields"]
    assert fields and all(f["label"] != f["name"] and f["text"] for f in fields)
    assert any(f["name"] == "prepackaged_only" and f["value"] is False and f["text"] == "否" for f in fields), fields
    form = html.split('id="form-data"')[1].split("</section>")[0]
    assert "prepackaged_only" not in form and "False" not in form and "True" not in form
    assert all(f["label"] in form for f in fields)
    assert "全案卷宗.docx" in html and "营业执照-更正.pdf" in html
    # the case page, its documents and materials (whose files are gone) lead to the package
    opened = client.get(f"/cases/{case.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/workbench/archive/{case.number}")
    with zipfile.ZipFile(_row(database, case.id).package_path) as z:
        manifest = json.loads(z.read("manifest.json"))
    index = next(i for i, f in enumerate(manifest["files"]) if f["path"].endswith("v1-营业执照.pdf"))
    download = client.get(f"/workbench/archive/{case.number}/files/{index}")
    assert download.status_code == 200 and download.data == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    # a changed file is shown as failing and is not served
    package = Path(_row(database, case.id).package_path)

    def flip(entries):
        name = manifest["files"][index]["path"]
        entries[name] = entries[name].replace(b"1.7", b"1.6")
    _rewrite(package, flip)
    html = client.get(f"/workbench/archive/{case.number}").get_data(as_text=True)
    assert "校验失败" in html and "v1-营业执照.pdf" in html
    refused = client.get(f"/workbench/archive/{case.number}/files/{index}")
    assert refused.status_code == 409 and "与清单不符" in refused.get_data(as_text=True)


def test_package_is_read_only_by_those_who_may_see_the_case(cli, app, database, case):
    assert cli("export", "--as", "admin").exit_code == 0
    other = app.test_client()
    login(other, "ws001")  # 卫健局: not the 市监局's case
    assert other.get(f"/workbench/archive/{case.number}").status_code == 403
    assert other.get(f"/workbench/archive/{case.number}/files/0").status_code == 403
    listed = other.get("/workbench/archive", query_string={"number": case.number})
    assert f"/workbench/archive/{case.number}" not in listed.get_data(as_text=True)
    assert "共 0 件" in listed.get_data(as_text=True)
    supervisor = app.test_client()
    login(supervisor, "jw001")
    assert supervisor.get(f"/workbench/archive/{case.number}").status_code == 200
    assert app.test_client().get(f"/workbench/archive/{case.number}").status_code in (302, 401)


def test_hostile_input_on_the_reader(cli, app, client, database, case):
    assert cli("export", "--as", "admin").exit_code == 0
    login(client, "sc001")
    for bad in ("x" * 5000, "../../etc/passwd", "%00", "１２３' OR 1=1 --", "<script>"):
        r = client.get(f"/workbench/archive/{bad}")
        assert r.status_code == 404, bad
    assert client.get(f"/workbench/archive/{case.number}/files/99999").status_code == 404
    assert client.get(f"/workbench/archive/{case.number}/files/-1").status_code == 404
    assert client.get(f"/workbench/archive/{case.number}/files/{'9' * 40}").status_code == 404
    for args in ({"number": "x" * 1000}, {"applicant": "a\x00b"}, {"number": "\u202e"}):
        r = client.get("/workbench/archive", query_string=args)
        text = r.get_data(as_text=True)
        assert r.status_code == 422 and ("不能超过" in text or "控制字符" in text), args
    for args in ({"after": "1e3"}, {"before": "-1"}, {"after": "９" * 30}):  # a cursor that is not ours
        r = client.get("/workbench/archive", query_string=args)
        assert r.status_code == 422 and "翻页参数无效" in r.get_data(as_text=True), args
    assert client.get("/workbench/archive", query_string={"page": "1e3"}).status_code == 200  # the old pages: ignored
    found = client.get("/workbench/archive", query_string={"number": f"{case.number}".translate(
        str.maketrans("0123456789", "０１２３４５６７８９"))})
    assert found.status_code == 200 and case.number in found.get_data(as_text=True)  # full-width digits typed
    assert client.get("/workbench/archive", query_string={"number": "%_"}).get_data(as_text=True).count(
        "/workbench/archive/") == 0  # LIKE wildcards are text


def test_purge_names_an_old_case_without_a_package_and_removes_nothing(cli, run, database, frozen_clock, company):
    """A 不予受理 case is closed too: past the retention period without a package it is refused by name."""
    from engine.service import reject

    case = run(receive, FOOD, company, As("sc001"), received={1})
    run(reject, case.id, As("sc001"), "不属于本机关职权范围")
    clock.travel(datetime(2030, 1, 4, 9, tzinfo=clock.LOCAL_TZ))
    out = cli("purge", "--as", "admin")
    assert out.exit_code == 1 and f"✗ {case.number}" in out.output and "没有归档包" in out.output
    with pytest.raises(InvalidState, match="没有归档包"):
        run(packaging.purge_case, case.id, As("admin"))
    assert get_case(database, case.id).archived_at is None
    out = cli("export", "--older-than-retention", "--as", "admin")  # then it is archived, and may go
    assert out.exit_code == 0 and case.number in out.output
    with zipfile.ZipFile(_row(database, case.id).package_path) as z:
        assert any("不予受理决定书" in n for n in z.namelist())
    assert cli("purge", "--as", "admin").exit_code == 0
    with database.transaction(write=False) as s:
        assert s.get(Case, case.id).workflow_state == "" and s.get(Case, case.id).state == "rejected"


def test_case_data_without_a_form_reads_in_words(database):
    """政府信息公开 keeps data outside any form (office, route, bodies…): a package names it in Chinese."""
    from forms.archive import DATA_LABELS, EXTENSION_STATES, data_text

    names = {"zjj": "阳光县住房和城乡建设局"}
    said = {k: data_text(k, v, names) for k, v in {
        "office": "zjj", "route": "assign", "bodies": ["zjj"], "approved": True, "proposed_type": "disclosed",
        "secrecy_reviewed": True, "delivered_by": "post"}.items()}
    assert said == {"office": "阳光县住房和城乡建设局", "route": "交有关单位办理", "bodies": "阳光县住房和城乡建设局",
                    "approved": "同意", "proposed_type": "予以公开", "secrecy_reviewed": "已审查", "delivered_by": "邮寄"}
    assert all(k in DATA_LABELS for k in said) and EXTENSION_STATES["approved"] == "已批准"
