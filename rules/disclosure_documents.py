"""The 政府信息公开工作年度报告 as documents: a Word report with headings 一 to 六 and the national
template's tables (国办公开办函〔2021〕30号), and an Excel workbook with one sheet per table. The
figures come from :func:`rules.disclosure_report.compute`."""

from __future__ import annotations

import io

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from engine import clock
from engine.disclosure.codes import APPEAL_KINDS, CATEGORIES, CHANNELS, REPORT_ROWS, REQUESTER_KINDS

from .disclosure_report import (
    ACTIONS,
    APPEAL_COLUMNS,
    COLUMNS,
    DEFINITIONS,
    DOC_COLUMNS,
    DOC_ROWS,
    PUB_CHANNELS,
    TEMPLATE,
    Report,
    channel_sentence,
    chinese_date,
    fee_sentence,
    intro,
    money,
    summary,
    text_or,
)
from .officialdoc import new_document, plain
from .reports import safe_cell

# --- the tables as rows of text (shared by the Word and Excel outputs) ---------------------------------

def table_docs(r: Report) -> list[list]:
    return [["信息内容", *(label for _, label in DOC_COLUMNS)],
            *([label, *(r.n(f"doc_{key}", c) for c, _ in DOC_COLUMNS)] for key, label in DOC_ROWS)]


def table_actions(r: Report) -> list[list]:
    return [["信息内容", "本年处理决定数量"], *([label, r.n("action", code)] for code, label in ACTIONS)]


def table_categories(r: Report) -> list[list]:
    return [["公开类别", "本年公开条数"], *([label, r.n("pub_category", code)] for code, label in CATEGORIES.items()),
            ["合计", r.n("pub_category")]]


def table_channels(r: Report) -> list[list]:
    return [["公开渠道", "本年公开条数"], *([label, r.n("pub_channel", code)] for code, label in PUB_CHANNELS)]


def table_requests(r: Report) -> list[list]:
    return [["项目", *(label for _, label in COLUMNS)],
            *([label, *(r.n(key, c) for c, _ in COLUMNS)] for key, label in REPORT_ROWS)]


def table_appeals(r: Report) -> list[list]:
    header = [f"{kind}：{outcome}" for kind in APPEAL_KINDS.values() for _, outcome in APPEAL_COLUMNS]
    return [header, [r.n(f"appeal_{k}", c) for k in APPEAL_KINDS for c, _ in APPEAL_COLUMNS]]


# --- Word -------------------------------------------------------------------------------------------


def to_docx(r: Report) -> bytes:
    """The report as a Word document (A4): headings 一 to 六 with the national template's tables."""
    doc, para = new_document(14)

    def heading(text: str):
        para(text, bold=True, indent=False, size=15)

    def grid(rows: list[list], size: float = 10.5, first_width: float | None = None, header_rows: int = 1):
        table = doc.add_table(rows=0, cols=len(rows[0]))
        table.style = "Table Grid"
        for n, values in enumerate(rows):
            cells = table.add_row().cells
            for i, (cell, value) in enumerate(zip(cells, values)):
                if first_width and i == 0:
                    cell.width = Mm(first_width)
                run = cell.paragraphs[0].add_run(plain(value))
                run.font.size = Pt(size)
                run.bold = n < header_rows
        return table

    para(r.title, size=20, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    para(intro(r))
    heading("一、总体情况")
    para(text_or(r.overview, "（总体情况尚未填写。）"))
    para(summary(r))
    heading("二、主动公开政府信息情况")
    para(f"第二十条第（一）项：规章和行政规范性文件（{TEMPLATE}）", size=10.5, indent=False)
    grid(table_docs(r), first_width=50)
    para("第二十条第（五）项、第（六）项：行政许可、行政处罚、行政强制", size=10.5, indent=False)
    grid(table_actions(r), first_width=50)
    para("第二十条第（八）项：行政事业性收费", size=10.5, indent=False)
    grid([["信息内容", "本年收费金额（单位：万元）"], ["行政事业性收费", money(r.charges_amount)]], first_width=50)
    para(f"本年通过政府信息公开专栏主动公开政府信息 {r.published} 条，按公开类别和公开渠道统计如下；其中超过形成或者变更之日起"
         f"15个工作日公开的 {r.n('pub_late')} 条。")
    grid(table_categories(r), first_width=60)
    para("")
    grid(table_channels(r), first_width=60)
    heading("三、收到和处理政府信息公开申请情况")
    rows = table_requests(r)
    kinds = list(REQUESTER_KINDS.values())
    header = [["本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和", "申请人情况", *[""] * 6],
              ["", "自然人", "法人或其他组织", "", "", "", "", "总计"],
              ["", "", *kinds[1:], ""]]
    table = grid(header + rows[1:], size=8, first_width=62, header_rows=3)
    _merge_request_header(table)
    para(channel_sentence(r))
    heading("四、政府信息公开行政复议、行政诉讼情况")
    outcomes = [label for _, label in APPEAL_COLUMNS]
    appeal_rows = [["行政复议", *[""] * 4, "行政诉讼", *[""] * 9],
                   ["", "", "", "", "", "未经复议直接起诉", "", "", "", "", "复议后起诉", "", "", "", ""],
                   outcomes * 3, table_appeals(r)[1]]
    table = grid(appeal_rows, size=8, header_rows=3)
    _merge_appeal_header(table)
    heading("五、存在的主要问题及改进情况")
    para(text_or(r.problems, "（存在的主要问题及改进情况尚未填写。）"))
    heading("六、其他需要报告的事项")
    para(fee_sentence(r))
    if r.other.strip():
        para(r.other)
    para(r.owner, align=WD_ALIGN_PARAGRAPH.RIGHT)
    made = clock.local_date(r.published_at) if r.published_at else clock.local_date(r.made_at)
    para(chinese_date(made), align=WD_ALIGN_PARAGRAPH.RIGHT)
    doc.core_properties.title, doc.core_properties.author = plain(r.title), plain(r.owner)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _merge_request_header(table) -> None:
    """申请人情况 over every column; 法人或其他组织 over its five kinds; 自然人 and 总计 down two rows."""
    rows = table.rows
    _merge(rows[0].cells[1], rows[0].cells[7])
    _merge(rows[1].cells[2], rows[1].cells[6])
    _merge(rows[1].cells[1], rows[2].cells[1])
    _merge(rows[1].cells[7], rows[2].cells[7])
    _merge(rows[0].cells[0], rows[2].cells[0])


def _merge_appeal_header(table) -> None:
    rows = table.rows
    _merge(rows[0].cells[0], rows[1].cells[4])
    _merge(rows[0].cells[5], rows[0].cells[14])
    _merge(rows[1].cells[5], rows[1].cells[9])
    _merge(rows[1].cells[10], rows[1].cells[14])


def _merge(a, b) -> None:
    """Merge keeping the first cell's text only (python-docx joins the texts of merged cells)."""
    keep = a.text
    merged = a.merge(b)
    for extra in merged.paragraphs[1:]:
        extra._element.getparent().remove(extra._element)
    if merged.text != keep:
        merged.paragraphs[0].runs[0].text = keep
        for run in merged.paragraphs[0].runs[1:]:
            run.text = ""


# --- Excel ------------------------------------------------------------------------------------------

def to_xlsx(r: Report) -> bytes:
    """The tables, one sheet each, with Chinese headers."""
    wb = Workbook()
    sheets = [
        ("二、主动公开", [("规章和行政规范性文件", table_docs(r)), ("行政许可、行政处罚、行政强制", table_actions(r)),
                     ("行政事业性收费", [["信息内容", "本年收费金额（单位：万元）"],
                                  ["行政事业性收费", float(r.charges_amount) if r.charges_amount is not None else None]])]),
        ("主动公开类别和渠道", [("按公开类别", table_categories(r)), ("按公开渠道", table_channels(r)),
                        ("逾期公开", [["项目", "条数"], ["超过15个工作日公开", r.n("pub_late")]])]),
        ("三、依申请公开", [("收到和处理政府信息公开申请情况（申请人情况）", table_requests(r))]),
        ("申请方式和收费", [("本年新收申请的方式", [["申请方式", "件数"], *([label, r.n("channel", key)]
                                                               for key, label in CHANNELS.items())]),
                      ("信息处理费（本年办结的申请）", [["项目", "金额（元）", "件数"],
                                             ["应收", float(r.fee), r.n("fee", "charged")],
                                             ["减免", float(r.fee_waived), r.n("fee", "waived")],
                                             ["实收", float(r.fee_net), None]])]),
        ("四、复议诉讼", [("政府信息公开行政复议、行政诉讼情况", [
            ["类别", *(label for _, label in APPEAL_COLUMNS)],
            *([label, *(r.n(f"appeal_{key}", c) for c, _ in APPEAL_COLUMNS)] for key, label in APPEAL_KINDS.items())])]),
    ]
    first = True
    for title, blocks in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = title
        ws.append([safe_cell(f"{r.title}{r.note}")])
        ws["A1"].font = Font(bold=True, size=13)
        for caption, rows in blocks:
            ws.append([])
            ws.append([safe_cell(caption)])
            ws.cell(ws.max_row, 1).font = Font(bold=True)
            for n, values in enumerate(rows):
                ws.append([safe_cell(v) for v in values])
                if n == 0:
                    for cell in ws[ws.max_row]:
                        cell.font = Font(bold=True)
                        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions["A"].width = 48
    notes = wb.create_sheet("统计口径")
    notes.append([safe_cell(f"{r.title}：统计口径（制表 {r.made_at.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M}）")])
    for line in DEFINITIONS:
        notes.append([safe_cell(line)])
    notes.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
