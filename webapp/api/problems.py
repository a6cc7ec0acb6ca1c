"""Errors of the API as RFC 9457 problem details (``application/problem+json``): a stable English
``code`` for programs, a Chinese ``title`` and ``detail`` for people, ``errors`` (field → Chinese
messages) for refused input. Every error under ``/api/`` comes out this way — domain errors, refused
input, 404/405/413/429/500 — with no traceback and no library English.

For helpers writing routes: raise the domain errors of :mod:`engine.errors` (the usual way), or
``abort_problem(403, "permission_denied", "没有权限", "……")``; ``problem(...)`` builds the response
when a route must return one itself."""

from __future__ import annotations

import json
import re

from flask import Response, current_app, g, request
from marshmallow import Schema, ValidationError, fields
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from engine.errors import StaleCase, SunhallError
from engine.validation import is_chinese

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://sunhall.invalid/problems/"  # a stable identifier, not fetched (docs/api.md lists them)

#: code → (HTTP status, Chinese title). Domain errors keep their own code (engine/errors.py).
CODES: dict[str, tuple[int, str]] = {
    "invalid_input": (422, "输入有误"),
    "not_found": (404, "对象不存在"),
    "permission_denied": (403, "没有权限"),
    "conflict": (409, "数据已变化"),
    "stale_case": (409, "办件已被他人更新"),
    "invalid_state": (409, "当前状态不允许此操作"),
    "checkpoint_violation": (422, "监察规则不允许此操作"),
    "calendar_missing": (422, "工作日历缺少年度数据"),
    "loop_limit": (409, "流程退回次数超过上限"),
    "process_invalid": (422, "流程图校验未通过"),
    "expression_error": (422, "流程表达式有误"),
    "flow_error": (422, "流程无法继续"),
    "unauthenticated": (401, "未认证"),
    "csrf_failed": (403, "缺少或无效的 CSRF 令牌"),
    "bad_request": (400, "请求无效"),
    "method_not_allowed": (405, "不支持的请求方法"),
    "not_acceptable": (406, "无法提供所要求的格式"),
    "too_large": (413, "提交的内容太大"),
    "unsupported_media_type": (415, "不支持的内容类型"),
    "too_many_requests": (429, "请求过于频繁"),
    "server_error": (500, "系统内部错误"),
    "error": (400, "请求未能完成"),
}
BY_STATUS = {400: "bad_request", 401: "unauthenticated", 403: "permission_denied", 404: "not_found",
             405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
             415: "unsupported_media_type", 422: "invalid_input", 429: "too_many_requests", 500: "server_error"}
DETAILS = {
    400: "请求无法解析，请检查请求格式（JSON 正文、查询参数）。",
    401: "请在请求头 Authorization 中提供有效的接口令牌（Bearer），或先登录。",
    403: "您没有执行此操作的权限。",
    404: "请求的对象或地址不存在。",
    405: "此地址不支持该请求方法。",
    406: "此地址只提供 JSON 或所列的文件格式。",
    409: "数据已被他人更新，请重新读取后再试。",
    413: "提交的内容超过了大小限制。",
    415: "请求正文应为 JSON（Content-Type: application/json）或所列的格式。",
    422: "提交的内容有误。",
    429: "请求过于频繁，请稍后再试。",
    500: "系统内部错误，操作未生效。请稍后重试或联系管理员。",
}


class ProblemSchema(Schema):
    """问题详情 (RFC 9457)."""

    type = fields.String(required=True, metadata={"description": "问题类型的标识（URI）"})
    title = fields.String(required=True, metadata={"description": "问题的中文标题"})
    status = fields.Integer(required=True, metadata={"description": "HTTP 状态码"})
    code = fields.String(required=True, metadata={"description": "稳定的英文错误代码，程序据此判断"})
    detail = fields.String(metadata={"description": "中文说明"})
    field = fields.String(metadata={"description": "出错的字段（如有）"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "字段 → 中文错误信息（输入有误时）"})


def problem(status: int, code: str, title: str | None = None, detail: str | None = None, **extra) -> Response:
    """A problem+json response. ``title`` defaults to the code's Chinese title."""
    g.db_rollback = True  # an error keeps nothing of the request
    body = {"type": TYPE_BASE + code, "title": title or CODES.get(code, (status, "请求未能完成"))[1],
            "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sunhall"'
    return response


class ProblemException(HTTPException):
    """Raised by :func:`abort_problem`: carries a ready problem response."""

    def __init__(self, response: Response):
        super().__init__(response=response)
        self.code = response.status_code


def abort_problem(status: int, code: str, title: str | None = None, detail: str | None = None, **extra):
    raise ProblemException(problem(status, code, title, detail, **extra))


def _as_lists(errors: dict) -> dict[str, list[str]]:
    return {k: (v if isinstance(v, list) else [v]) for k, v in errors.items()}


def from_domain(exc: SunhallError) -> Response:
    """A domain error (engine.errors) as a problem: its code, its Chinese message as detail."""
    code = exc.code if exc.code in CODES else BY_STATUS.get(exc.status, "error")
    status = exc.status
    title = CODES.get(exc.code, CODES.get(code))[1]
    errors = exc.details.get("errors")
    field = exc.details.get("field")
    if status == 422 and not isinstance(errors, dict):
        errors = {field or "_schema": exc.message}
    return problem(status, exc.code or code, title, exc.message, field=field if isinstance(field, str) else None,
                   errors=_as_lists(errors) if isinstance(errors, dict) else None)


# marshmallow's and webargs' own messages, in Chinese ({label} is the field's label)
MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": "请填写{label}。",
    "Field may not be null.": "{label}不能为空。",
    "Unknown field.": "不能识别的项目：{name}。",
    "Not a valid string.": "{label}应为文字。",
    "Not a valid integer.": "{label}必须是整数。",
    "Not a valid number.": "{label}必须是数字。",
    "Not a valid boolean.": "{label}应为 true 或 false。",
    "Not a valid list.": "{label}应为列表。",
    "Not a valid mapping type.": "{label}应为一组名称和值。",
    "Invalid input type.": "{label}格式不正确。",
    "Not a valid date.": "{label}格式应为 YYYY-MM-DD。",
    "Not a valid datetime.": "{label}格式应为 ISO 8601 日期时间。",
    "Invalid value.": "{label}的值无效。",
    "Invalid input.": "{label}格式不正确。",
    "Invalid JSON body.": "请求正文不是有效的 JSON。",
}
_MUST_BE_ONE_OF = re.compile(r"Must be one of: (.*)\.")
_LENGTH = re.compile(r"(Longer|Shorter) than (maximum|minimum) length (\d+)\.")
_RANGE = re.compile(r"Must be (greater|less) than (or equal to )?(\S+?)( and (greater|less) than (or equal to )?(\S+?))?\.")


def _labels(schema) -> dict[str, str]:
    if schema is None:
        return {}
    out = {}
    for name, f in schema.fields.items():
        out[f.data_key or name] = f.metadata.get("label") or f.metadata.get("description") or name
    return out


def chinese(message: str, name: str, label: str) -> str:
    """One message of marshmallow or webargs, in Chinese."""
    if is_chinese(message):
        return message
    known = MARSHMALLOW_MESSAGES.get(message)
    if known:
        return known.format(label=label, name=name)
    if _MUST_BE_ONE_OF.fullmatch(message):
        return f"{label}不在可选的值中。"
    m = _LENGTH.fullmatch(message)
    if m:
        return f"{label}{'不能超过' if m.group(1) == 'Longer' else '不能少于'} {m.group(3)} 个字。"
    if _RANGE.fullmatch(message):
        return f"{label}超出允许的范围。"
    return f"{label}格式不正确。"


def validation_errors(messages, schema=None) -> dict[str, list[str]]:
    """{field path: [Chinese messages]} from marshmallow/webargs messages (nested as ``a.0.b``)."""
    labels = _labels(schema)
    out: dict[str, list[str]] = {}

    def walk(path: str, value) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{path}.{key}" if path else str(key), sub)
        elif isinstance(value, (list, tuple)):
            for sub in value:
                walk(path, sub)
        else:
            top = path.split(".")[0] if path else "_schema"
            name = path.split(".")[-1] if path else "_schema"
            label = labels.get(top) or ("内容" if top in ("_schema", "") else top)
            text = chinese(str(value), name, label)
            bucket = out.setdefault(path or "_schema", [])
            if text not in bucket:
                bucket.append(text)

    walk("", messages)
    return out


def from_validation(messages, schema=None) -> Response:
    errors = validation_errors(messages, schema)
    first = next(iter(errors.values()))[0] if errors else DETAILS[422]
    field = next(iter(errors), None)
    return problem(422, "invalid_input", None, first, field=field, errors=errors)


def from_http(exc: HTTPException) -> Response:
    """An HTTP error (abort, routing, webargs) as a problem."""
    if isinstance(exc, ProblemException):
        return exc.response
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    if status == 422 and ("messages" in data or "errors" in data):
        messages = data.get("messages") or data.get("errors")
        # webargs nests by location: {"json": {...}} / {"query": {...}}
        if isinstance(messages, dict) and set(messages) <= {"json", "query", "querystring", "form", "files",
                                                           "headers", "view_args", "json_or_form", "path"}:
            flat: dict = {}
            for sub in messages.values():
                if isinstance(sub, dict):
                    flat.update(sub)
                else:
                    flat.setdefault("_schema", sub)
            messages = flat
        return from_validation(messages, data.get("schema"))
    code = BY_STATUS.get(status, "error" if status < 500 else "server_error")
    detail = DETAILS.get(status) or ("请求未能完成。" if status < 500 else DETAILS[500])
    response = problem(status, code, None, detail)
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handle(exc: Exception) -> Response:
    """The API blueprints' one error handler."""
    if isinstance(exc, SunhallError):
        return from_domain(exc)
    if isinstance(exc, ValidationError):
        return from_validation(exc.normalized_messages())
    if isinstance(exc, HTTPException):
        return from_http(exc)
    if isinstance(exc, StaleDataError):  # the case's version moved between reading and writing it
        return from_domain(StaleCase("办件已被他人更新，请重新读取后重试。"))
    current_app.logger.exception("API 请求出错：%s %s", request.method, request.path)
    return problem(500, "server_error", None, DETAILS[500])


def is_api_path(prefix: str) -> bool:
    return request.path == prefix or request.path.startswith(prefix + "/")


def _path_exists() -> bool:
    """Werkzeug answers 405 when a path's id fails its converter (an id beyond what the database
    holds) and another method's rule has the same shape; such a path names nothing: 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in ("GET", "POST"):
        try:
            adapter.match(request.path, method=method)
            return True
        except HTTPException:
            continue
    return False


def normalise(response: Response) -> Response:
    """After any handler: an error under the API's prefix that is not yet a problem (a 404 for an
    unknown address, a 405, the app's 413/429/500 pages) becomes one, keeping its headers and, when
    the app said it in Chinese, its message."""
    if response.status_code < 400 or response.mimetype == MEDIA_TYPE:
        return response
    g.db_rollback = True
    status = response.status_code
    if status == 405 and not _path_exists():
        status = response.status_code = 404
        response.headers.pop("Allow", None)
    detail = DETAILS.get(status)
    if response.mimetype == "application/json":
        try:
            said = json.loads(response.get_data(as_text=True)).get("message")
        except (ValueError, AttributeError):
            said = None
        if isinstance(said, str) and is_chinese(said):
            detail = said
    code = BY_STATUS.get(status, "error" if status < 500 else "server_error")
    body = {"type": TYPE_BASE + code, "title": CODES[code][1], "status": status, "code": code,
            "detail": detail or ("请求未能完成。" if status < 500 else DETAILS[500])}
    response.set_data(json.dumps(body, ensure_ascii=False))
    response.mimetype = MEDIA_TYPE
    if status == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sunhall"'
    return response
