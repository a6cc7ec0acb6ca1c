"""Domain errors become pages (or JSON) with a Chinese message and the right status; the
request's transaction is rolled back, so nothing half-done is kept."""

from __future__ import annotations

from flask import abort, g, jsonify, render_template, request
from werkzeug.routing import IntegerConverter

from engine.errors import SunhallError
from engine.validation import INT_MAX

#: the longest address (path and query) a page answers; gunicorn reads request lines up to 8190 bytes
MAX_URL = 8000


class RowId(IntegerConverter):
    """``<int:…>`` in every route: an id the database can hold (an Integer key: 1 … 2^31-1); anything
    else is a 404 before a query ever sees it (PostgreSQL would refuse it with an error)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", INT_MAX)
        super().__init__(url_map, *args, **kwargs)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register(app) -> None:
    """Install before the blueprints: the id converter applies to the routes registered after it."""
    app.url_map.converters["int"] = RowId

    @app.errorhandler(SunhallError)
    def domain_error(exc: SunhallError):
        g.db_rollback = True
        if _wants_json():
            return jsonify(error=exc.code, message=exc.message), exc.status
        return render_template("error.html", message=exc.message, status=exc.status), exc.status

    @app.errorhandler(404)
    def not_found(_exc):
        return render_template("error.html", message="页面不存在。", status=404), 404

    @app.errorhandler(403)
    def forbidden(_exc):
        return render_template("error.html", message="您没有权限访问此页面。", status=403), 403

    @app.errorhandler(405)
    def wrong_method(_exc):
        """A form's address opened in the address bar (after a POST the browser shows it)."""
        message = "此地址只接受页面上的按钮或表单提交，不能直接打开。请返回上一页重新操作。"
        return render_template("error.html", message=message, status=405), 405

    @app.errorhandler(414)
    def too_long(_exc):
        return render_template("error.html", message="网址太长，无法处理。请缩短查询条件后重试。", status=414), 414

    @app.before_request
    def _url_length():
        if len(request.full_path) > MAX_URL:
            abort(414)

    @app.errorhandler(400)
    def bad_request(exc):
        message = "请求无效或页面已过期，请刷新后重试。"
        return render_template("error.html", message=message, status=400), 400

    @app.errorhandler(500)
    def server_error(_exc):
        g.db_rollback = True
        return render_template("error.html", message="系统内部错误，操作未生效。请稍后重试或联系管理员。", status=500), 500
