"""表格下载: the item's 服务表格 (domain.md §6 rule 6) — number, name, short note and 填写说明 —
each downloadable as Word and as PDF, made from the catalogue and the form registry."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response, abort, render_template, request

from engine.errors import NotFound
from engine.validation import control_character
from forms.service_forms import service_form_docx, service_form_pdf

from ..db import db_session
from . import bp, item_or_404

FORMATS = {  # extension: (Content-Type, renderer)
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", service_form_docx),
    "pdf": ("application/pdf", service_form_pdf),
}
FORM_CODE_MAX = 50  # engine.catalogue_fields._ServiceForm.code
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


@bp.get("/items/<code>/forms")
def item_forms(code: str):
    """表格下载: every form the item asks to fill, with its downloads."""
    item = item_or_404(code)
    forms = [f for f in item.current_version.service_forms or [] if isinstance(f, dict)]
    return render_template("portal/item_forms.html", item=item, v=item.current_version, tab="forms", forms=forms,
                           formats=FORMATS)


@bp.get("/items/<code>/forms/<form_code>.<fmt>")
def item_form_file(code: str, form_code: str, fmt: str):
    """One 服务表格 as a file: ``<表格编号>.docx`` or ``<表格编号>.pdf``."""
    if fmt not in FORMATS or len(form_code) > FORM_CODE_MAX or control_character(form_code):
        abort(404)
    item = item_or_404(code)
    content_type, render = FORMATS[fmt]
    try:
        data = render(db_session(), item, form_code)
    except NotFound:
        abort(404)
    name = next(f.get("name") or form_code for f in item.current_version.service_forms
                if isinstance(f, dict) and f.get("code") == form_code)
    response = Response(data, content_type=content_type)
    response.headers["Content-Disposition"] = attachment(f"{name}.{fmt}", f"{form_code}.{fmt}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.public, response.cache_control.max_age = True, 300
    response.add_etag()  # the same item version gives the same bytes
    return response.make_conditional(request)


def attachment(filename: str, fallback: str) -> str:
    """Content-Disposition for a download named in Chinese (RFC 6266 with the RFC 5987 UTF-8 name),
    with an ASCII name for clients that know no other."""
    filename = _UNSAFE_IN_NAME.sub("_", filename)
    ascii_name = _UNSAFE_IN_NAME.sub("_", fallback) if fallback.isascii() else "form." + fallback.rsplit(".", 1)[-1]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
