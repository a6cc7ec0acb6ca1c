"""服务表格 for 表格下载 (domain.md §6 rule 6): a blank form an applicant prints and fills by hand,
made from the catalogue and the form registry rather than kept as a separate file that drifts.

A form is titled with its name and 表格编号 and names the item and its department; then the
applicant (申请人名称, 证件类型, 证件号码, 联系人, 联系电话, 地址), the fields the item's flow chart lets
its first step take — the step marked ``sunhall:stage="accept"`` (受理), or when that step takes none
because a 登记 step before it takes the application, the first step — each with its label, unit
and choices (☐ to tick), the 简要说明 and 填写说明, and the signature and date line.

Two renderings of one :class:`BlankForm`: Word (python-docx) and PDF (reportlab, with the CID font
STSong-Light every PDF reader has, so no font file ships or is embedded). Both are deterministic:
the same item version gives the same bytes, whatever the time.
"""

from __future__ import annotations

import io
import zipfile
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.certificates import CERT_TYPES
from engine.errors import NotFound
from engine.models import Item, ProcessDefinition
from engine.service.common import specs_for

from .registry import Form, get_form

BOX = "☐"  # Word falls back to a symbol font for it
PDF_BOX = "□"  # in GB 2312, so STSong-Light has it
SIGNATURE = "申请人（签字或盖章）："
DATE_BLANK = "　　　　年　　月　　日"
PLEDGE = "本人（单位）承诺所填内容和提交的材料真实、有效，如有虚假，愿承担相应的法律责任。"
LABEL_WIDTH = 5.2  # cm, the label column of both renderings
APPLICANT = (  # (label, choices)
    ("申请人名称", ()), ("证件类型", tuple(CERT_TYPES.values())), ("证件号码", ()), ("联系人", ()),
    ("联系电话", ()), ("地址", ()),
)
GENERAL_NOTES = ("标 * 的为必填项。", "选择项请在方框内打“√”。", "请用黑色墨水笔或签字笔填写，字迹工整，不得涂改。")
GROUP_ROWS = 3  # blank rows of a repeatable group, unless it needs more
FIXED_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)  # when an item version has no publishing time


@dataclass(frozen=True)
class Blank:
    """One thing to fill in: ``kind`` is line, lines, choices, date, date_range, attachment or table."""

    label: str
    kind: str = "line"
    unit: str = ""
    options: tuple[str, ...] = ()
    multiple: bool = False
    required: bool = False
    help: str = ""
    columns: tuple[str, ...] = ()
    rows: int = 0

    @property
    def heading(self) -> str:
        return ("*" if self.required else "") + self.label + (f"（{self.unit}）" if self.unit else "")

    def choices(self, box: str = BOX) -> str:
        text = "　".join(f"{box}{o}" for o in self.options)
        return text + ("（可多选）" if self.multiple else "")


@dataclass(frozen=True)
class BlankForm:
    """A 服务表格 to print: what both renderings show, in order."""

    code: str
    name: str
    summary: str
    note: str
    item_code: str
    item_name: str
    department: str
    applicant: tuple[Blank, ...]
    fields: tuple[Blank, ...]
    published_at: datetime

    @property
    def filename(self) -> str:
        return self.name


def _row_of(item: Item, form_code: str) -> dict:
    version = item.current_version
    for row in (version.service_forms if version is not None else None) or []:
        if isinstance(row, dict) and row.get("code") == form_code and isinstance(form_code, str):
            return row
    raise NotFound("没有这张服务表格。")


def _steps_in_order(spec) -> list:
    """The flow's user tasks breadth-first from the start, the order an application meets them."""
    seen, queue, steps = {spec.start.name}, deque([spec.start]), []
    while queue:
        task_spec = queue.popleft()
        if getattr(task_spec, "step", None) is not None:
            steps.append(task_spec.step)
        for nxt in task_spec.outputs:
            if nxt.name not in seen:
                seen.add(nxt.name)
                queue.append(nxt)
    return steps


def application_fields(session: Session, item: Item) -> tuple[Form | None, list[dict]]:
    """The form of the item's running flow and the fields an applicant gives (in the form's order):
    those its 受理 step may write, else those its first step may write."""
    key = item.current_version.process_key if item.current_version is not None else None
    if not key:
        return None, []
    definition = session.scalars(select(ProcessDefinition).where(ProcessDefinition.process_key == key)
                                 .order_by(ProcessDefinition.version.desc())).first()
    if definition is None:
        return None, []
    spec, _ = specs_for(session, definition.id)
    steps = [s for s in _steps_in_order(spec) if s.form_key]
    accept = [s for s in steps if s.stage == "accept"]
    for step in accept[:1] + steps[:1]:
        form = get_form(session, step.form_key)
        names = {n for n, access in form.access(step.fields).items() if access == "write"}
        if names:
            return form, [f for f in form.fields if f["name"] in names]
    return None, []


def _blank(spec: dict) -> Blank:
    kind, label = spec.get("type"), spec.get("label") or spec.get("name", "")
    common = {"label": label, "required": bool(spec.get("required")), "help": spec.get("help") or "",
              "unit": spec.get("unit") or ("元" if kind == "money" and "元" not in label else "")}
    if kind in ("select", "multi_select"):
        return Blank(kind="choices", options=tuple(spec.get("options") or ()), multiple=kind == "multi_select", **common)
    if kind == "boolean":
        return Blank(kind="choices", options=("是", "否"), **common)
    if kind in ("date", "date_range", "long_text"):
        return Blank(kind={"long_text": "lines"}.get(kind, kind), **common)
    if kind == "file":
        return Blank(kind="attachment", **common)
    if kind == "group":
        columns = tuple(f.get("label") or f.get("name", "") for f in spec.get("fields") or ())
        rows = max(GROUP_ROWS, min(int(spec.get("min_items") or 0), 10))
        return Blank(kind="table", columns=columns, rows=rows, **common)
    return Blank(**common)


def service_form(session: Session, item: Item, form_code: str) -> BlankForm:
    """The 服务表格 ``form_code`` of an item, ready to render; NotFound for a code it does not list."""
    row = _row_of(item, form_code)
    version = item.current_version
    _, specs = application_fields(session, item)
    applicant = tuple(Blank(label, kind="choices" if choices else "line", options=choices) for label, choices in APPLICANT)
    taken = {b.label for b in applicant}
    department = item.department.name + (f"（{version.section}）" if version.section else "")
    return BlankForm(
        code=row["code"], name=row.get("name") or row["code"], summary=row.get("summary") or "",
        note=row.get("note") or "", item_code=item.code, item_name=version.name, department=department,
        applicant=applicant, fields=tuple(_blank(s) for s in specs if s.get("label") not in taken),
        published_at=version.published_at or FIXED_TIME)


def notes(form: BlankForm) -> list[str]:
    """填写说明 as printed: the item's own first, then what holds for every form."""
    return [line.strip() for line in form.note.splitlines() if line.strip()] + list(GENERAL_NOTES)


# ---------------------------------------------------------------- Word

def service_form_docx(session: Session, item: Item, form_code: str) -> bytes:
    """The 服务表格 as a Word document (.docx)."""
    return render_docx(service_form(session, item, form_code))


def render_docx(form: BlankForm) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2)
    for name, size, face in (("Normal", 11, "宋体"), ("Title", 18, "黑体"), ("Heading 2", 13, "黑体")):
        style = doc.styles[name]  # the template's theme fonts and colours give way to a form's plain black
        style.font.size, style.font.name, style.font.color.rgb = Pt(size), face, RGBColor(0, 0, 0)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for theme in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)
        fonts.set(qn("w:eastAsia"), face)
        border = style.element.pPr.find(qn("w:pBdr")) if style.element.pPr is not None else None
        if border is not None:
            style.element.pPr.remove(border)

    title = doc.add_paragraph(form.name, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    code = doc.add_paragraph(f"表格编号：{form.code}")
    code.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(f"事项名称：{form.item_name}（事项编码 {form.item_code}）")
    doc.add_paragraph(f"办理部门：{form.department}")
    if form.summary:
        doc.add_paragraph(f"简要说明：{form.summary}")

    def table(heading: str, blanks: tuple[Blank, ...]):
        doc.add_paragraph(heading, style="Heading 2")
        grid = doc.add_table(rows=0, cols=2)
        grid.style, grid.alignment = "Table Grid", WD_TABLE_ALIGNMENT.CENTER
        for blank in blanks:
            cells = grid.add_row().cells
            cells[0].width, cells[1].width = Cm(LABEL_WIDTH), Cm(16.6 - LABEL_WIDTH)
            cells[0].text = blank.heading
            cells[1].text = _docx_value(blank)
            if blank.kind == "lines":
                for _ in range(3):
                    cells[1].add_paragraph("")
            if blank.help:
                cells[1].add_paragraph(f"（{blank.help}）")
        return grid

    table("一、申请人信息", form.applicant)
    plain = tuple(b for b in form.fields if b.kind != "table")
    if plain:
        table("二、申请事项", plain)
    for blank in (b for b in form.fields if b.kind == "table"):
        doc.add_paragraph(blank.heading, style="Heading 2")
        grid = doc.add_table(rows=blank.rows + 1, cols=len(blank.columns) + 1)
        grid.style = "Table Grid"
        for i, label in enumerate(("序号", *blank.columns)):
            grid.cell(0, i).text = label
        for r in range(1, blank.rows + 1):
            grid.cell(r, 0).text = str(r)

    doc.add_paragraph("填写说明", style="Heading 2")
    for n, line in enumerate(notes(form), 1):
        doc.add_paragraph(f"{n}. {line}")
    doc.add_paragraph("")
    doc.add_paragraph(PLEDGE)
    sign = doc.add_paragraph(f"{SIGNATURE}　　　　　　　　　　{DATE_BLANK}")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    props = doc.core_properties
    props.title, props.subject, props.author = form.name, form.item_name, form.department
    props.keywords, props.comments = form.code, form.summary
    props.last_modified_by, props.revision = form.department, 1
    props.created = props.modified = props.last_printed = form.published_at.astimezone(timezone.utc).replace(tzinfo=None)
    out = io.BytesIO()
    doc.save(out)
    return _fixed_zip(out.getvalue())


def _docx_value(blank: Blank) -> str:
    if blank.kind == "choices":
        return blank.choices()
    if blank.kind == "date":
        return DATE_BLANK
    if blank.kind == "date_range":
        return f"自{DATE_BLANK}至{DATE_BLANK}"
    if blank.kind == "attachment":
        return "（另附）"
    return ""


def _fixed_zip(data: bytes) -> bytes:
    """The same package with every entry dated 1980-01-01, so equal documents are equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------- PDF

PDF_FONT = "STSong-Light"


def service_form_pdf(session: Session, item: Item, form_code: str) -> bytes:
    """The 服务表格 as PDF (A4)."""
    return render_pdf(service_form(session, item, form_code))


def render_pdf(form: BlankForm) -> bytes:
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=6)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    heading = ParagraphStyle("heading", parent=body, fontSize=12.5, leading=20, spaceBefore=8, spaceAfter=4)

    def para(text: str, style=body) -> Paragraph:
        return Paragraph(_xml(text), style)

    width = A4[0] - 4.4 * cm
    grid = TableStyle([("FONT", (0, 0), (-1, -1), PDF_FONT, 10.5), ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 7),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 7)])

    def table(blanks: tuple[Blank, ...]) -> Table:
        rows, heights = [], []
        for blank in blanks:
            value = _pdf_value(blank)
            if blank.help:
                value = Paragraph("<br/>".join(_xml(t) for t in (value, f"（{blank.help}）") if t), body)
            elif blank.kind == "choices":  # wraps; a Paragraph shows a run of spaces as one
                value = para(value)
            rows.append([para(blank.heading), value])  # a plain string keeps the blanks of 年　月　日
            heights.append(2.6 * cm if blank.kind == "lines" else None)
        return Table(rows, colWidths=[LABEL_WIDTH * cm, width - LABEL_WIDTH * cm], rowHeights=heights, style=grid)

    story = [para(form.name, title), para(f"表格编号：{form.code}", right),
             para(f"事项名称：{form.item_name}（事项编码 {form.item_code}）"), para(f"办理部门：{form.department}")]
    if form.summary:
        story.append(para(f"简要说明：{form.summary}"))
    story += [para("一、申请人信息", heading), table(form.applicant)]
    plain = tuple(b for b in form.fields if b.kind != "table")
    if plain:
        story += [para("二、申请事项", heading), table(plain)]
    for blank in (b for b in form.fields if b.kind == "table"):
        header = [para(c) for c in ("序号", *blank.columns)]
        rows = [header] + [[str(r)] + [""] * len(blank.columns) for r in range(1, blank.rows + 1)]
        first = 1.4 * cm
        story += [para(blank.heading, heading),
                  Table(rows, colWidths=[first] + [(width - first) / max(len(blank.columns), 1)] * len(blank.columns),
                        style=grid)]
    sign = Table([[f"{SIGNATURE}　　　　　　　　　　{DATE_BLANK}"]], hAlign="RIGHT",
                 style=[("FONT", (0, 0), (-1, -1), PDF_FONT, 10.5)])
    story.append(KeepTogether([para("填写说明", heading), *(para(f"{n}. {line}") for n, line in enumerate(notes(form), 1)),
                               Spacer(1, 0.6 * cm), para(PLEDGE), Spacer(1, 0.8 * cm), sign]))

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=2.2 * cm, rightMargin=2.2 * cm, topMargin=2 * cm,
                            bottomMargin=2 * cm, title=form.name, author=form.department, subject=form.item_name,
                            keywords=form.code, creator="Sunhall", producer="Sunhall", invariant=1)
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return out.getvalue()


def _page_number(canvas, doc) -> None:
    canvas.saveState()
    canvas.setFont(PDF_FONT, 9)
    canvas.drawCentredString(doc.pagesize[0] / 2, 1.2 * cm, f"第 {doc.page} 页")
    canvas.restoreState()


def _pdf_value(blank: Blank) -> str:
    return blank.choices(PDF_BOX) if blank.kind == "choices" else _docx_value(blank)


def _xml(text: str) -> str:
    """Text for a reportlab Paragraph, which reads a little markup: ``& < >`` as themselves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
