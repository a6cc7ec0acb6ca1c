"""REST API ``/api/v1`` (flask-smorest on marshmallow) for department systems and scripts.

Served on the staff surface only (the government intranet): the public column never knows it.
The OpenAPI 3 document is at ``/api/v1/openapi.json``; no Swagger/Redoc page is served (those load
from a CDN, and the intranet has no internet): open the document in any local tool. docs/api.md
explains tokens, paging and the problem codes."""

from __future__ import annotations

import http

from apispec import BasePlugin
from flask import Flask, g, request
from flask_smorest import Api

from . import alerts, auth, cases, catalogue, documents, exchange, problems, tasks
from .schemas import FIELD_TYPES, VERB_TEXT

PREFIX = "/api/v1"

DESCRIPTION = f"""阳光政务大厅的接口，供部门业务系统和脚本使用。

**认证**：请求头 `Authorization: Bearer <接口令牌>`（由系统管理员在“系统管理 → 接口令牌”发放），
令牌代表一个工作人员账号，并限于发放时选定的部门和权限：{VERB_TEXT}。GET 需要“查询”权限，其他请求需要“办理”权限。
工作人员登录后的浏览器会话也可以调用；会话中修改数据的请求须在请求头 `X-CSRFToken` 中携带页面的 CSRF 令牌。

**错误**：一律为 `application/problem+json`：`code` 是稳定的英文错误代码，`title`、`detail` 是中文说明，
输入有误（422）时 `errors` 按字段列出中文错误信息。

**并发**：修改办件的请求可以带 `expected_version`（读取办件时的 `version`）；办件已被他人更新时返回 409 `stale_case`。

**分页**：列表接口接受 `page`（从 1 开始）和 `per_page`（1–100），返回 `items`、`total`、`page`、`per_page`。"""


SUCCESS_WORDS = {"OK": "成功", "Created": "已创建", "Accepted": "已接受", "No Content": "成功（无内容）"}


class ProblemResponses(BasePlugin):
    """Every operation documents the problems any request may meet, whoever wrote the route: 401
    and 403 (authentication, token scope), 404 where the path names something, 400/413/422 where
    a body is sent (malformed JSON, too large, refused input)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            have = {str(k) for k in responses}
            codes = [401, 403]
            if path and "{" in path:
                codes.append(404)
            if "requestBody" in operation or any(p.get("in") in ("body", "formData") for p in
                                                 operation.get("parameters", []) if isinstance(p, dict)):
                codes += [400, 413, 422]
            if any(isinstance(p, dict) and p.get("in") == "query" for p in operation.get("parameters", [])):
                codes.append(422)
            for code in codes:
                if str(code) not in have:
                    responses[code] = http.HTTPStatus(code).name
                    have.add(str(code))
            for response in responses.values():  # flask-smorest's default words for a success
                if isinstance(response, dict) and response.get("description") in SUCCESS_WORDS:
                    response["description"] = SUCCESS_WORDS[response["description"]]


class SunhallApi(Api):
    """flask-smorest's Api whose documented error responses are problem+json and which leaves the
    application's own error pages alone (errors under the API's prefix are handled below)."""

    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = problems.ProblemSchema

    def _register_error_handlers(self):
        pass  # flask-smorest would answer every HTTP error of the whole app (pages too) in JSON

    def _register_responses(self):
        for status in http.HTTPStatus:
            if status < 400:
                continue
            code = problems.BY_STATUS.get(int(status), "error" if status < 500 else "server_error")
            response = {"description": f"{problems.CODES[code][1]}（{int(status)} {status.phrase}）",
                        "content": {problems.MEDIA_TYPE: {"schema": self.ERROR_SCHEMA}}}
            self.spec.components.response(status.name, response, lazy=True)


BLUEPRINTS = [catalogue.blp, cases.blp, tasks.blp, documents.blp, alerts.blp, exchange.blp]
for _blp in BLUEPRINTS:  # once, at import: a blueprint cannot change after its first registration
    _blp.before_request(auth.identify)
    _blp.register_error_handler(Exception, problems.handle)


def init_app(app: Flask) -> None:
    """Mount the API at /api/v1 on the staff surface."""
    app.config.update(
        API_TITLE="阳光政务大厅接口", API_VERSION="1.0", OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json", OPENAPI_SWAGGER_UI_PATH=None, OPENAPI_REDOC_PATH=None,
        OPENAPI_RAPIDOC_PATH=None,
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/", "description": "本服务器"}],
            "components": {"securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "系统管理员发放的接口令牌（shk_…）"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session", "description": "工作人员登录会话"},
            }},
            "security": [{"token": []}, {"session": []}],
        },
    )
    api = SunhallApi(app, spec_kwargs={"extra_plugins": [ProblemResponses()]})
    api.spec.components.schemas.pop("PaginationMetadata", None)  # flask-smorest's, in English; paging is in the body
    for field, *mapping in FIELD_TYPES:
        api.register_field(field, *mapping)
    csrf = app.extensions.get("csrf")
    for blp in BLUEPRINTS:
        if csrf is not None:
            csrf.exempt(blp)  # token requests carry no CSRF token; sessions are checked in auth.identify
        api.register_blueprint(blp, url_prefix=PREFIX + (blp.url_prefix or ""))

    @app.after_request
    def _problems_under_api(response):
        if problems.is_api_path(PREFIX):
            response = problems.normalise(response)
            if response.status_code >= 400:
                g.db_rollback = True
            elif request.method != "GET" or not request.path.endswith("openapi.json"):
                response.headers.setdefault("Cache-Control", "no-store")
        return response
