"""Who is calling the API, and what they may do.

Two ways in:

* ``Authorization: Bearer shk_…`` — an API token (engine.apitokens) issued by an administrator to
  a department system or a script. The request acts as the token's account (its authority in the
  services is that person's), narrowed to the token's departments and verbs: GET needs ``read``,
  commands ``write``, reporting external cases ``report``.
* the staff session of the workbench (a person's browser or the pages' own scripts). A session
  request that changes something must carry the page's CSRF token in ``X-CSRFToken``.

For route authors (helper "exchange" among them)::

    from webapp.api.auth import require, current_actor, current_token, require_department

    @blp.route("/things", methods=["POST"])
    @require("report")                  # 401 without credentials, 403 without the verb
    def post_thing(...):
        actor = current_actor()         # engine.models.User: pass it to the services
        token = current_token()         # engine.models.ApiToken or None (a session)
        require_department(dept_id)     # 403 unless the token was issued for that department

Authentication itself runs before every API request (:func:`identify`); ``require`` only checks
that it succeeded and that the verb is granted, and documents 401/403 in the OpenAPI document.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import ValidationError as CsrfError
from flask_wtf.csrf import validate_csrf

from engine import apitokens
from engine.models import ApiToken, User

from ..db import database, db_session
from .problems import abort_problem

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
VERB_NAMES = {"read": "查询", "write": "办理", "report": "报送外部办件"}


def _bearer() -> str | None:
    """The secret of an ``Authorization: Bearer`` header; "" for any other Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _client_address() -> str:
    return (request.remote_addr or "")[:64]


def identify() -> None:
    """Runs before every API request (except the OpenAPI document): settles ``g.api_actor`` and
    ``g.api_token`` or answers 401/403. The token is looked up in a short transaction of its own,
    so that a refusal is written to the system log (at most once a minute per token) although the
    request itself keeps nothing."""
    g.api_actor, g.api_token = None, None
    secret = _bearer()
    if secret is not None:
        db = database()
        with db.transaction(write=False) as s:
            token = apitokens.find(s, secret) if secret else None
            reason = apitokens.why_not(token)
            token_id = token.id if token is not None else None
            touch = reason is None and apitokens.needs_touch(token)
        if reason is not None:
            with db.transaction() as s:
                apitokens.record_refusal(s, secret, reason, _client_address(), request.path)
            abort_problem(401, "unauthenticated", None, f"{reason}请向系统管理员申请有效的接口令牌。")
        if touch:
            with db.transaction() as s:
                apitokens.mark_used(s, token_id)
        session = db_session()
        g.api_token = session.get(ApiToken, token_id)
        g.api_actor = g.api_token.user
        return
    if current_user.is_authenticated:
        if request.method in WRITE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except CsrfError:
                abort_problem(403, "csrf_failed", None,
                              "使用登录会话修改数据时，须在请求头 X-CSRFToken 中携带页面的 CSRF 令牌。")
        g.api_actor = current_user._get_current_object()
        return
    abort_problem(401, "unauthenticated", None, "请在请求头 Authorization 中提供接口令牌（Bearer），或先登录。")


def current_actor() -> User:
    """The account the request acts as (the token's, or the signed-in person)."""
    actor = g.get("api_actor")
    if actor is None:
        abort_problem(401, "unauthenticated", None, "请在请求头 Authorization 中提供接口令牌（Bearer），或先登录。")
    return actor


def current_token() -> ApiToken | None:
    """The token of the request, or None for a session."""
    return g.get("api_token")


def require_verb(verb: str) -> None:
    token = current_token()
    current_actor()
    if token is not None and not apitokens.allows(token, verb):
        abort_problem(403, "permission_denied", None, f"此接口令牌没有“{VERB_NAMES.get(verb, verb)}”权限。")


def require(verb: str):
    """Route decorator: the caller is authenticated and (for a token) holds ``verb``. Put it
    below ``@blp.route`` and the ``@blp.response`` decorators."""
    if verb not in VERB_NAMES:
        raise ValueError(f"unknown verb {verb!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require_verb(verb)
            return view(*args, **kwargs)
        wrapper._api_verb = verb
        return wrapper
    return decorator


def covers(department_id: int | None) -> bool:
    """The request may act on this department (always, for a session: the services decide)."""
    token = current_token()
    return token is None or apitokens.covers(token, department_id)


def require_department(department_id: int | None, what: str = "此办件") -> None:
    """403 unless the token was issued for the department (a session is judged by the services)."""
    if not covers(department_id):
        abort_problem(403, "permission_denied", None, f"{what}不属于此接口令牌授权的部门。")


def department_filter() -> list[int] | None:
    """The departments a listing is narrowed to (None: no narrowing, a session)."""
    token = current_token()
    return None if token is None else list(token.department_ids or [])
