"""A page of an official document (通报, 年度报告) as Word writes it: A4 with the margins of the
公文 format, 仿宋 for Chinese text, and paragraphs indented by two characters."""

from __future__ import annotations

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


def plain(value) -> str:
    """Text Word can hold (no control characters)."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def new_document(font_size: float):
    """A document and its paragraph writer: ``para(text, size=, bold=, align=, indent=)``."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(20)
    section.left_margin = section.right_margin = Mm(18)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "仿宋", Pt(font_size)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")

    def para(text: str, *, size: float | None = None, bold: bool = False, align=None, indent: bool = True):
        p = doc.add_paragraph()
        run = p.add_run(plain(text))
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if align is not None:
            p.alignment = align
        elif indent:
            p.paragraph_format.first_line_indent = Pt(font_size * 2)
        return p

    return doc, para
