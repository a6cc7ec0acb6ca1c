"""The workbench (工作台): lists, intake at the window, the case page and its actions."""

from flask import Blueprint

bp = Blueprint("workbench", __name__)

from . import cases, intake, lists, materials, online  # noqa: E402,F401  (routes register on bp)
