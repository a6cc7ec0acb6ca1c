"""Uploaded materials under misuse: replacement is a recorded version (never an overwrite), a zip
bomb and polyglots are refused, names are cleaned, size is capped while streaming; every
version opens in the browser for whoever may see the case, and for no one else."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import audit
from engine.errors import InvalidInput
from engine.models import Case, CaseEvent
from forms import materials
from forms.intake import receive
from forms.models import CaseMaterial, CaseMaterialVersion

from .conftest import As
from .webhelpers import _csrf, login

FOOD = "015309300002"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"IEND\xaeB`\x82"


def docx(extra: dict[str, bytes] | None = None, head: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    buffer.write(head)
    with zipfile.ZipFile(buffer, "a" if head else "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def food_case(run, database, frozen_clock, company):
    return run(receive, FOOD, company, As("sc001"), received={1})


def _material(database, case_id, position=2) -> CaseMaterial:
    with database.transaction(write=False) as s:
        return materials.materials_of(s, case_id)[position - 1]


def _state(database, case_id):
    """Everything an upload may change, to prove a refused one changed nothing."""
    with database.transaction(write=False) as s:
        case = s.get(Case, case_id)
        rows = [(m.submitted, m.stored_path, m.sha256) for m in materials.materials_of(s, case_id)]
        versions = s.scalars(select(CaseMaterialVersion.id)).all()
        return case.version, case.event_count, rows, versions


def test_replacing_a_material_adds_a_version_with_who_and_when_and_an_event(run, database, food_case, tmp_path):
    m = _material(database, food_case.id)
    run(materials.attach, m.id, "营业执照.pdf", PDF, As("sc001"), tmp_path)
    second = PDF.replace(b"<<>> endobj", b"<< /Second true >> endobj")
    run(materials.attach, m.id, "营业执照-更正.pdf", io.BytesIO(second), As("sc002"), tmp_path)
    with database.transaction(write=False) as s:
        versions = materials.versions_of(s, m.id)
        assert [(v.version, v.file_name) for v in versions] == [(2, "营业执照-更正.pdf"), (1, "营业执照.pdf")]
        first_file, second_file = versions[1], versions[0]
        assert Path(first_file.stored_path).read_bytes() == PDF  # the first file is still there, unchanged
        assert Path(second_file.stored_path).read_bytes() == second
        assert first_file.uploaded_by_id != second_file.uploaded_by_id and second_file.uploaded_at
        row = s.get(CaseMaterial, m.id)
        assert row.sha256 == second_file.sha256 and row.file_name == "营业执照-更正.pdf"
        events = s.scalars(select(CaseEvent).where(CaseEvent.case_id == food_case.id).order_by(CaseEvent.seq)).all()
        upload, replace = events[-2], events[-1]
        assert upload.action == "material_upload" and replace.action == "material_replace"
        assert replace.actor_name == "赵敏" and replace.before["version"] == 1 and replace.after["version"] == 2
        assert replace.before["sha256"] == first_file.sha256 and replace.detail["material"] == row.name
        assert audit.verify(s) == []


def test_a_zip_bomb_is_refused_by_what_it_expands_to(run, database, food_case, tmp_path):
    m = _material(database, food_case.id)
    before = _state(database, food_case.id)
    bomb = docx({"word/media/zeros.bin": b"\0" * (60 * 1024 * 1024)})
    assert len(bomb) < 200 * 1024
    with pytest.raises(InvalidInput, match="压缩炸弹"):
        run(materials.attach, m.id, "申请书.docx", bomb, As("sc001"), tmp_path)
    many = docx({f"word/p{i}.xml": b"x" for i in range(materials.MAX_ENTRIES)})
    with pytest.raises(InvalidInput, match="超过 2000 个的上限"):
        run(materials.attach, m.id, "申请书.docx", many, As("sc001"), tmp_path)
    assert _state(database, food_case.id) == before
    assert not list((tmp_path / str(food_case.id)).glob("*.docx"))


@pytest.mark.parametrize("name, content, problem", [
    ("营业执照.pdf", PDF + docx(), "同时也是压缩包"),  # a PDF with a ZIP appended
    ("营业执照.pdf", b"%PDF-1.7\n<html><script>alert(1)</script></html>", "网页代码"),
    ("照片.png", PNG + docx(), "同时也是压缩包"),
    ("照片.jpg", b"\xff\xd8\xff\xe0<!DOCTYPE html><html>", "网页代码"),
    ("申请书.docx", docx(head=b"%PDF-1.4\n"), "与扩展名 .docx 不符"),
    ("申请书.docx", docx({"comment.txt": b"%PDF-1.4"}), None),  # text inside an entry is only text
    ("申请书.docx", b"PK\x03\x04 not really a zip", "已损坏"),
    ("申请书.docx", docx({"word/vbaProject.bin": b"macro"}), "宏代码"),
    ("申请书.docx", docx({"../../evil.xml": b"x"}), "非法路径"),
    ("表格.xlsx", docx(), "缺少 xl/workbook.xml"),
    ("营业执照.pdf", PNG, "不是 PDF"),
    ("营业执照.exe", b"MZ", "文件类型不允许"),
    ("营业执照.html", b"<html>", "文件类型不允许"),
    ("营业执照.pdf", b"", "空文件"),
])
def test_content_must_be_what_its_name_says_and_nothing_else(run, database, food_case, tmp_path, name, content,
                                                             problem):
    m = _material(database, food_case.id)
    before = _state(database, food_case.id)
    if problem is None:
        run(materials.attach, m.id, name, content, As("sc001"), tmp_path)
        return
    with pytest.raises(InvalidInput, match=problem):
        run(materials.attach, m.id, name, content, As("sc001"), tmp_path)
    assert _state(database, food_case.id) == before


def test_size_is_capped_while_streaming(run, database, food_case, tmp_path):
    class Endless(io.RawIOBase):
        """A stream that never ends: only a cap on what is read stops it."""

        read_bytes = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = b"%" * len(buffer)
            self.read_bytes += len(buffer)
            return len(buffer)

    stream = Endless()
    m = _material(database, food_case.id)
    with pytest.raises(InvalidInput, match="超过 20 MB"):
        run(materials.attach, m.id, "大文件.pdf", stream, As("sc001"), tmp_path)
    assert stream.read_bytes <= materials.MAX_BYTES + materials.CHUNK
    assert not [p for p in (tmp_path / str(food_case.id)).iterdir()]


@pytest.mark.parametrize("given, kept", [
    ("../../etc/passwd.pdf", "passwd.pdf"), ("C:\\Users\\张三\\营业执照.PDF", "营业执照.pdf"),
    ("营业\x00执照\u202e.pdf", "营业执照.pdf"), ("  ..营业执照.pdf  ", "营业执照.pdf"), ('a"<b>|c.pdf', "abc.pdf"),
    ("长" * 300 + ".pdf", "长" * 96 + ".pdf"), ("/", "未命名材料"), (".pdf", "pdf"),
])
def test_file_names_are_cleaned(given, kept):
    assert materials.clean_file_name(given) == kept


def _upload(client, case_id, material_id, name, content):
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    return client.post(f"/cases/{case_id}/materials/{material_id}", data={
        "csrf_token": _csrf(page), "material": str(material_id), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def _get(client, url):
    """The response, its file closed (send_file streams from an open file)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_materials_open_in_the_browser_and_earlier_versions_are_listed(client, database, food_case):
    m = _material(database, food_case.id)
    login(client, "sc001")
    assert _upload(client, food_case.id, m.id, "营业执照.pdf", PDF).status_code == 302
    second = PDF + b"% second\n"
    response = _upload(client, food_case.id, m.id, "营业执照（新）.pdf", second)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第 2 版" in page and "原文件作为历史版本保留" in page and "历史版本（1）" in page
    links = re.findall(rf'/cases/{food_case.id}/materials/{m.id}/versions/(\d+)', page)
    assert set(links) == {"1", "2"}
    old = _get(client, f"/cases/{food_case.id}/materials/{m.id}/versions/1")
    assert old.status_code == 200 and old.data == PDF and old.mimetype == "application/pdf"
    assert old.headers["Content-Disposition"].startswith("inline")
    assert old.headers["X-Content-Type-Options"] == "nosniff"
    new = _get(client, f"/cases/{food_case.id}/materials/{m.id}/versions/2")
    assert new.data == second and "filename*=UTF-8''" in new.headers["Content-Disposition"]
    other = _material(database, food_case.id, position=3)
    assert _upload(client, food_case.id, other.id, "平面图.docx", docx()).status_code == 302
    word = _get(client, f"/cases/{food_case.id}/materials/{other.id}/versions/1")
    assert word.headers["Content-Disposition"].startswith("attachment") and word.mimetype.endswith("document")
    assert word.headers["X-Content-Type-Options"] == "nosniff"


def test_material_files_are_scoped_like_the_case(client, app, run, database, food_case, company):
    m = _material(database, food_case.id)
    login(client, "sc001")
    _upload(client, food_case.id, m.id, "营业执照.pdf", PDF)
    url = f"/cases/{food_case.id}/materials/{m.id}/versions/1"
    assert client.get(f"/cases/{food_case.id}/materials/{m.id}/versions/9").status_code == 404
    second = run(receive, FOOD, company, As("sc001"))
    assert client.get(f"/cases/{second.id}/materials/{m.id}/versions/1").status_code == 404
    outsider = app.test_client()
    login(outsider, "ws001")  # another department
    response = outsider.get(url)
    assert response.status_code == 403 and PDF not in response.data
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 302


def test_a_refused_upload_is_shown_beside_its_material_and_changes_nothing(client, database, food_case):
    m = _material(database, food_case.id)
    before = _state(database, food_case.id)
    login(client, "sc001")
    response = _upload(client, food_case.id, m.id, "营业执照.pdf", PDF + docx())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="material-{m.id}-error"' in page and "同时也是压缩包" in page
    assert _state(database, food_case.id) == before
    assert _upload(client, food_case.id, 10**6, "营业执照.pdf", PDF).status_code == 404
