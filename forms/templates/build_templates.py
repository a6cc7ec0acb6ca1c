"""Writes the .docx templates of the documents (文书) in this folder. The templates are the
product; run this only to redraw them. Placeholders are docxtpl (Jinja) tags."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

HERE = Path(__file__).parent
RELIEF = ("如不服本决定，可以自收到本决定书之日起六十日内向{{ county }}人民政府申请行政复议，"
          "或者在六个月内向人民法院提起行政诉讼。")


def _doc(title: str):
    """A document with the office's name, the title and the 文号 (title may be a placeholder)."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run("{{ department }}")
    run.font.size = Pt(18)
    t = doc.add_paragraph()
    t.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = t.add_run(title)
    run.bold = True
    run.font.size = Pt(22)
    n = doc.add_paragraph("{{ number }}")
    n.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return doc


def _loop(doc, head: str, body: str) -> None:
    """A paragraph per item (docxtpl {%p %} tags)."""
    doc.add_paragraph("{%p for " + head + " %}")
    doc.add_paragraph(body)
    doc.add_paragraph("{%p endfor %}")


def _sign(doc):
    for text in ("", "{{ department }}（印章）", "{{ today }}"):
        p = doc.add_paragraph(text)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _save(doc, name):
    doc.save(HERE / f"{name}.docx")


def build() -> None:
    d = _doc("受理通知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），经审查，"
                    "申请材料齐全、符合法定形式，本机关决定予以受理。本机关将于{{ deadline }}前作出决定"
                    "（依法不计入办理期限的时间除外）。")
    d.add_paragraph("你可凭办件编号和证件号码在“{{ county }}政务服务专栏”的“结果反馈”中查询办理进度。")
    d.add_paragraph("联系电话：{{ phone }}　　监督电话：{{ supervision_phone }}")
    _sign(d)
    _save(d, "acceptance_notice")

    d = _doc("补正材料告知书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），"
                    "申请材料不齐全（或不符合法定形式）。根据《中华人民共和国行政许可法》第三十二条，现一次性告知你需要补正的全部内容：")
    _loop(d, "m in missing", "{{ loop.index }}. {{ m }}")
    d.add_paragraph("请补齐上述材料后重新提交。补正期间不计入办理期限；本机关将在收到全部补正材料后依法受理。")
    d.add_paragraph("联系电话：{{ phone }}　　监督电话：{{ supervision_phone }}")
    _sign(d)
    _save(d, "correction_notice")

    d = _doc("不予受理决定书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），经审查，"
                    "因{{ reason }}，根据《中华人民共和国行政许可法》第三十二条，本机关决定不予受理。")
    d.add_paragraph(RELIEF)
    _sign(d)
    _save(d, "rejection_decision")

    d = _doc("{{ decision_title }}")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），"
                    "本机关于{{ accepted_date }}受理。经审查，申请符合法定条件、标准，根据{{ legal_basis }}，决定准予行政许可。")
    d.add_paragraph("{% if license_no %}许可证件编号：{{ license_no }}。{% endif %}请于收到本决定之日起到{{ place }}领取许可证件。")
    _sign(d)
    _save(d, "grant_decision")

    d = _doc("不予行政许可决定书")
    d.add_paragraph("{{ applicant_name }}：")
    d.add_paragraph("你（单位）于{{ received_date }}提出的{{ item_name }}申请（办件编号：{{ case_number }}），"
                    "本机关于{{ accepted_date }}受理。经审查，因{{ reason }}，根据{{ legal_basis }}，决定不予行政许可。")
    d.add_paragraph(RELIEF)
    _sign(d)
    _save(d, "denial_decision")

    d = _doc("送达回证")
    t = d.add_table(rows=7, cols=2)
    t.style = "Table Grid"
    for row, (label, value) in zip(t.rows, [
            ("送达文书名称及文号", "{{ delivered }}"),
            ("受送达人", "{{ applicant_name }}"), ("送达地点", "{{ address }}"), ("送达方式", "直接送达"),
            ("送达人", "{{ actor_name }}"), ("受送达人签名或盖章", ""), ("送达日期", "{{ today }}")]):
        row.cells[0].text, row.cells[1].text = label, value
    d.add_paragraph("备注：受送达人拒绝签收的，送达人应注明情况并由见证人签名。")
    _save(d, "delivery_receipt")

    d = _doc("全案卷宗")
    d.add_paragraph("办件编号：{{ case_number }}")
    d.add_paragraph("事项：{{ item_name }}（{{ item_code }}）")
    d.add_paragraph("申请人：{{ applicant_name }}　　证件：{{ cert_label }} {{ cert_number }}")
    d.add_paragraph("收件：{{ received_at }}　　受理：{{ accepted_at }}　　办结：{{ finished_at }}　　结果：{{ result }}")
    d.add_paragraph("一、办理过程")
    t = d.add_table(rows=3, cols=6)
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, ["序号", "环节", "办理人", "办结时间", "意见", "表单数据"]):
        cell.text = text
    t.rows[1].cells[0].text = "{%tr for s in steps %}"
    for cell, text in zip(t.rows[2].cells, ["{{ s.seq }}", "{{ s.step }}", "{{ s.actor }}", "{{ s.time }}",
                                             "{{ s.opinion }}", "{{ s.data }}"]):
        cell.text = text
    end = t.add_row()
    end.cells[0].text = "{%tr endfor %}"
    d.add_paragraph("二、操作记录")
    _loop(d, "e in events", "{{ e.seq }}. {{ e.at }} {{ e.actor }} {{ e.action }}{% if e.reason %}（理由：{{ e.reason }}）{% endif %}")
    d.add_paragraph("三、申请材料")
    _loop(d, "m in materials", "{{ loop.index }}. {{ m.name }}（{{ m.original }}，{{ m.state }}）")
    d.add_paragraph("四、文书")
    _loop(d, "doc in documents", "{{ doc.title }} {{ doc.number }}")
    d.add_paragraph("五、表单数据")
    _loop(d, "f in form_fields", "{{ f.label }}：{{ f.value }}")
    _sign(d)
    _save(d, "case_file")


if __name__ == "__main__":
    build()
    print("templates written")
