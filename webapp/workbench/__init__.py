"""The workbench (工作台): lists, intake at the window, the case page and its actions, 在线解答 and the
常见问题库."""

from flask import Blueprint

bp = Blueprint("workbench", __name__)

from . import cases, disclosure, faq, gk_office, intake, lists, materials, online, publications, questions  # noqa: E402,F401  (routes register on bp)
from .archive import archive_cases  # noqa: E402,F401  (归档办件: the reader of archived cases)
