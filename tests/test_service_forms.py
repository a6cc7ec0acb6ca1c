"""表格下载: an applicant downloads an item's 服务表格 as Word or PDF, prints it and fills it by hand;
the form asks for the applicant and exactly what the item's flow takes at 受理."""

from __future__ import annotations

import base64
import io
import re
import zlib
from urllib.parse import quote

import pytest
from docx import Document
from sqlalchemy import select

from engine.errors import NotFound
from engine.models import Item
from forms.service_forms import application_fields, service_form, service_form_docx, service_form_pdf

FOOD = "015309300002"
INFO = "205309300006"
SUPERVISE = "105309300099"  # internal: never public
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
APPLICANT = ("申请人名称", "证件类型", "证件号码", "联系人", "联系电话", "地址")


def _item(session, code: str) -> Item:
    return session.scalars(select(Item).where(Item.code == code)).one()


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        c = literal[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        nxt = literal[i + 1:i + 2]
        if nxt.isdigit():
            digits = re.match(rb"[0-7]{1,3}", literal[i + 1:i + 4]).group()
            out.append(int(digits, 8))
            i += 1 + len(digits)
        else:
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}.get(nxt, nxt)
            i += 2
    return bytes(out)


def pdf_text(data: bytes) -> str:
    """The text a PDF of reportlab's shows with a CID font: its page streams' strings, UTF-16BE."""
    texts = []
    for stream in re.findall(rb"\bstream\r?\n(.*?)endstream", data, re.S):
        try:  # reportlab's page streams: /Filter [ /ASCII85Decode /FlateDecode ]
            content = zlib.decompress(base64.a85decode(stream.strip().removesuffix(b"~>")))
        except (ValueError, zlib.error):
            content = stream
        for literal in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", content, re.S):
            raw = _unescape(literal)
            if len(raw) % 2 == 0:
                texts.append(raw.decode("utf-16-be", errors="replace"))
    return "".join(texts)


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", data))


# ---------------------------------------------------------------- the form's content

def test_the_food_licence_form_asks_for_the_applicant_and_what_acceptance_takes(database):
    with database.transaction(write=False) as s:
        item = _item(s, FOOD)
        form = service_form(s, item, "SP-01")
        text = docx_text(service_form_docx(s, item, "SP-01"))
    assert form.name == "食品经营许可申请书" and form.department.startswith("阳光县市场监督管理局")
    for expected in ("食品经营许可申请书", "表格编号：SP-01", "事项名称：食品经营许可（事项编码 015309300002）",
                     "办理部门：阳光县市场监督管理局（食品经营监管股）", "简要说明：首次申请食品经营许可（新办）时填写",
                     "一、申请人信息", "二、申请事项", "*经营者名称", "*统一社会信用代码", "*经营场所面积（平方米）",
                     "*法定代表人身份证号码",
                     "☐预包装食品销售　☐散装食品销售　☐热食类食品制售", "（可多选）", "☐居民身份证　☐统一社会信用代码",
                     "填写说明", "单位加盖公章，个体工商户由经营者签字", "标 * 的为必填项。",
                     "申请人（签字或盖章）：", "年　　月　　日", *APPLICANT):
        assert expected in text, expected
    # only what the 受理 step writes: nothing of the later steps, nothing hidden
    for later in ("核查人员", "现场核查结论", "食品经营许可证编号", "有效期至", "仅销售预包装食品"):
        assert later not in text, later
    assert text.count("联系电话") == 1  # the form's own 联系电话 is the applicant block's


def test_a_flow_whose_acceptance_takes_nothing_asks_what_its_first_step_takes(database):
    with database.transaction(write=False) as s:
        form, fields = application_fields(s, _item(s, INFO))
        text = docx_text(service_form_docx(s, _item(s, INFO), "ZF-01"))
    assert form.key == "information_request"
    assert [f["name"] for f in fields] == ["applicant_name", "applicant_certificate", "phone", "address",
                                           "requested_info", "channel", "delivery"]
    assert "*所需信息的内容描述" in text and "☐当面　☐传真　☐网站" in text and "☐纸质　☐电子邮件" in text
    assert "答复内容" not in text and "保密审查结论" not in text


def test_every_form_of_every_public_demo_item_renders(database):
    with database.transaction(write=False) as s:
        for item in s.scalars(select(Item).order_by(Item.code)):
            for row in item.current_version.service_forms:
                docx, pdf = service_form_docx(s, item, row["code"]), service_form_pdf(s, item, row["code"])
                assert row["name"] in docx_text(docx) and row["name"] in pdf_text(pdf), (item.code, row["code"])
                assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_the_pdf_shows_the_same_form_in_chinese_on_a4(database):
    with database.transaction(write=False) as s:
        item = _item(s, FOOD)
        pdf = service_form_pdf(s, item, "SP-02")
        again = service_form_pdf(s, item, "SP-02")
    assert pdf.startswith(b"%PDF-") and pdf == again  # deterministic: the same version, the same bytes
    assert pdf_pages(pdf) == 2 and b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf
    assert b"/BaseFont /STSong-Light" in pdf and b"/FontFile" not in pdf  # a reader's own font, nothing embedded
    text = pdf_text(pdf)
    for expected in ("食品经营许可变更申请书", "表格编号：SP-02", "经营场所面积（平方米）", "□热食类食品制售",
                     "填写变更后的内容", "申请人（签字或盖章）：", "第 1 页", "第 2 页", *APPLICANT):
        assert expected in text, expected


def test_the_word_file_is_the_same_bytes_each_time(database):
    with database.transaction(write=False) as s:
        item = _item(s, FOOD)
        first = service_form_docx(s, item, "SP-01")
        assert service_form_docx(s, item, "SP-01") == first
        assert service_form_docx(s, item, "SP-03") != first
    properties = Document(io.BytesIO(first)).core_properties
    assert properties.title == "食品经营许可申请书" and properties.keywords == "SP-01"


@pytest.mark.parametrize("code", ["SP-09", "", "sp-01", "../SP-01", "SP-01\x00", None, "表" * 500])
def test_a_form_the_item_does_not_list_is_not_found(database, code):
    with database.transaction(write=False) as s:
        item = _item(s, FOOD)
        with pytest.raises(NotFound):
            service_form_docx(s, item, code)
        with pytest.raises(NotFound):
            service_form_pdf(s, item, code)


# ---------------------------------------------------------------- 表格下载 on the public column

def get(client, path: str, **kwargs):
    response = client.get(path, **kwargs)
    response.close()
    return response


def test_the_forms_tab_lists_every_form_with_its_downloads(client):
    response = get(client, f"/items/{FOOD}/forms")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-current="page" class="on">表格下载</a>' in page
    assert "<caption>" in page and '<th scope="col">表格编号</th>' in page and '<th scope="col">简要说明</th>' in page
    rows = re.findall(r'<td data-label="表格编号">([^<]+)</td>\s*<td data-label="表格名称">([^<]+)</td>', page)
    assert rows == [("SP-01", "食品经营许可申请书"), ("SP-02", "食品经营许可变更申请书"), ("SP-03", "食品经营许可延续申请书")]
    assert f'href="/items/{FOOD}/forms/SP-01.docx"' in page and f'href="/items/{FOOD}/forms/SP-03.pdf"' in page
    assert page.count("下载 Word（.docx）") == 3 and page.count("下载 PDF") == 3
    assert 'data-label="填写说明"' in page and "首次申请食品经营许可（新办）时填写" in page


def test_an_item_without_forms_says_so(client):
    page = get(client, "/items/025309300005/forms").get_data(as_text=True)
    assert "本事项没有需要下载填写的表格" in page


@pytest.mark.parametrize("fmt, content_type", [("docx", DOCX), ("pdf", "application/pdf")])
def test_a_form_downloads_as_word_and_pdf_named_in_chinese(client, fmt, content_type):
    response = get(client, f"/items/{FOOD}/forms/SP-01.{fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=\"SP-01.{fmt}\"; filename*=UTF-8''{quote('食品经营许可申请书.' + fmt)}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    data = response.get_data()
    assert "食品经营许可申请书" in (docx_text(data) if fmt == "docx" else pdf_text(data))
    again = get(client, f"/items/{FOOD}/forms/SP-01.{fmt}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", [
    f"/items/{FOOD}/forms/SP-09.docx",  # not a form of this item
    f"/items/{FOOD}/forms/SP-01.xls",  # not a format offered
    f"/items/{FOOD}/forms/SP-01.docx.pdf",
    f"/items/{FOOD}/forms/SP-01",
    f"/items/{INFO}/forms/SP-01.pdf",  # another item's form
    f"/items/{SUPERVISE}/forms",  # internal items are not public
    f"/items/{SUPERVISE}/forms/x.pdf",
    "/items/999999999999/forms",
    "/items/999999999999/forms/SP-01.pdf",
    f"/items/{'9' * 5000}/forms",
    f"/items/{FOOD}/forms/{'S' * 5000}.pdf",
    f"/items/{FOOD}/forms/..%2F..%2Fetc%2Fpasswd.pdf",
    f"/items/{FOOD}/forms/../../SP-01.pdf",
    f"/items/{FOOD}/forms/%00.pdf",
    "/items/%00/forms",
    "/items/%00/forms/SP-01.docx",
    f"/items/{FOOD}/forms/{quote('食品经营许可申请书')}.docx",
    f"/items/{FOOD}/forms/{quote('𠀀‮')}.pdf",
    f"/items/{FOOD}/forms/%ff%fe.pdf",
])
def test_anything_else_is_not_found_never_an_error(client, path):
    assert get(client, path).status_code == 404, path


def test_a_suspended_item_offers_no_downloads(client, database, restore_catalogue):
    with database.transaction() as s:
        _item(s, FOOD).status = "suspended"
    assert get(client, f"/items/{FOOD}/forms").status_code == 404
    assert get(client, f"/items/{FOOD}/forms/SP-01.pdf").status_code == 404
