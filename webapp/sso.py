"""Single sign-on (统一身份认证, seed 002 §7.1.2 and §7.1.5) through an OpenID Connect provider, with
Authlib's Flask client: the authorization code flow with PKCE (S256), ``state`` and ``nonce``
checked and the ID token's signature, issuer, audience and times validated by Authlib.

Staff: the provider's ``sub`` is bound to one account (``User.oidc_subject``). The first login of an
unknown ``sub`` is matched only by the claim that carries the 工号 (``SUNHALL_OIDC_STAFF_CLAIM``,
default ``preferred_username``) to an active account that has no subject yet, and bound to it. The
routes that log a member of staff in and out are in :mod:`webapp.auth`; this module holds the
provider clients, the mapping and the citizens' 我的办件 on the public column.

Citizens (optional, ``SUNHALL_CITIZEN_OIDC_*``): a citizen logs in through the (possibly different)
provider; 我的办件 lists the cases whose applicant certificate number equals the provider's verified
claim ``SUNHALL_CITIZEN_OIDC_CERT_CLAIM`` (default ``cert_number``), masked like every public page.

Nothing here reaches the network when the app is built: the provider's discovery document is read
at the first login, and a provider that cannot be reached gives a Chinese message, not an error.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import masking, systemlog
from engine.config import Settings
from engine.models import Case, User
from engine.models.cases import CASE_STATES, CHANNELS
from engine.service import authority, public

from .db import db_session
from .portal import ELDER_COOKIE
from .portal.track import progress_of

OAUTH_KEY = "authlib.integrations.flask_client"  # where Authlib keeps its registry on the app
UNAVAILABLE = "统一身份认证服务暂不可用，请稍后再试，或联系系统管理员。"
SCOPES = "openid profile"
TIMEOUT = 10  # seconds for each call to the provider (discovery, token, keys, userinfo)
ID_TOKEN_KEY = "_sso_id_token"  # the staff member's ID token, for the provider's logout (id_token_hint)
CITIZEN_KEY = "_citizen"  # the citizen signed in on the public column: sub, name, certificate number
CLAIM_MAX = 255

#: what goes wrong on the way to the provider: it cannot be reached, answers an error, or answers nonsense
PROVIDER_ERRORS = (requests.RequestException, ValueError, RuntimeError)


@dataclass(frozen=True)
class SsoConfig:
    staff: bool  # staff may log in through the provider on this process
    citizen: bool  # citizens may log in on the public column of this process
    staff_claim: str  # the claim carrying the 工号
    cert_claim: str  # the citizens' claim carrying the certificate number


class SsoRefused(Exception):
    """The provider vouched for someone Sunhall will not let in; ``message`` is for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _setting(app: Flask, variable: str, default: str) -> str:
    """A setting of this module: the app's config (tests, a deployment's factory), else the environment."""
    return str(app.config.get(variable) or os.environ.get(variable, "")).strip() or default


def init_app(app: Flask, surface: str) -> None:
    """Registers the OpenID Connect login for staff (and citizens, when configured)."""
    settings: Settings = app.extensions["sunhall_settings"]
    config = SsoConfig(
        staff=surface in ("all", "staff") and bool(settings.oidc_issuer),
        citizen=surface in ("all", "public") and bool(settings.citizen_oidc_issuer),
        staff_claim=_setting(app, "SUNHALL_OIDC_STAFF_CLAIM", "preferred_username"),
        cert_claim=_setting(app, "SUNHALL_CITIZEN_OIDC_CERT_CLAIM", "cert_number"),
    )
    app.extensions["sunhall_sso"] = config
    oauth = OAuth(app)
    if config.staff:
        _register(oauth, "staff", settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret, SCOPES)
    if config.citizen:
        _register(oauth, "citizen", settings.citizen_oidc_issuer, settings.citizen_oidc_client_id,
                  settings.citizen_oidc_client_secret, _setting(app, "SUNHALL_CITIZEN_OIDC_SCOPES", SCOPES))
        app.register_blueprint(citizen_bp)

    @app.context_processor
    def _sso_globals():
        return {"sso_staff": config.staff, "sso_citizen": config.citizen,
                "citizen": session.get(CITIZEN_KEY) if config.citizen else None}


def _register(oauth: OAuth, name: str, issuer: str, client_id: str, client_secret: str, scope: str) -> None:
    oauth.register(
        name, client_id=client_id, client_secret=client_secret,
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": scope, "code_challenge_method": "S256", "default_timeout": TIMEOUT},
    )


def config() -> SsoConfig:
    return current_app.extensions["sunhall_sso"]


def client(name: str):
    """The registered provider client (``staff`` or ``citizen``)."""
    return current_app.extensions[OAUTH_KEY].create_client(name)


def start_login(name: str, callback_endpoint: str):
    """The redirect to the provider's login page (Authlib keeps state, nonce and the PKCE verifier in
    the session). One login at a time per browser: an earlier attempt's state goes, so that clicking
    again and again cannot grow the session cookie past what a browser keeps."""
    provider = client(name)
    for key in [k for k in session if k.startswith(f"_state_{name}_")]:
        session.pop(key)
    return provider.authorize_redirect(url_for(callback_endpoint, _external=True))


def finish_login(name: str) -> dict:
    """The provider's answer at the callback: the verified ID token's claims, completed from the
    userinfo endpoint when the token leaves some out. Raises :class:`SsoRefused` (with a Chinese
    message) for a wrong state, an error from the provider or a token that does not validate."""
    provider = client(name)
    try:
        token = provider.authorize_access_token()
    except OAuthError as exc:
        if exc.error == "mismatching_state":
            raise SsoRefused("登录请求已失效或不是从本系统发起的（state 不符），请重新登录。") from None
        if exc.error == "access_denied":
            raise SsoRefused("您在统一身份认证页面取消了登录。") from None
        raise SsoRefused(f"统一身份认证服务拒绝了本次登录（{str(exc.error)[:60]}），请重新登录。") from None
    except JoseError:
        raise SsoRefused("统一身份认证返回的身份令牌校验未通过，本次登录无效。") from None
    claims = dict(token.get("userinfo") or {})
    if not claims.get("sub"):
        raise SsoRefused("统一身份认证没有返回身份令牌，本次登录无效。")
    try:
        extra = provider.userinfo(token=token)
    except PROVIDER_ERRORS + (OAuthError,):
        extra = {}
    if extra.get("sub") == claims["sub"]:  # OpenID Connect core §5.3.2: only for the same subject
        claims = {**extra, **claims}
    claims["_id_token"] = token.get("id_token", "")
    return claims


def logout_url(id_token: str, return_to: str) -> str | None:
    """The provider's end_session_endpoint with id_token_hint and post_logout_redirect_uri (RP-initiated
    logout), or None when the provider cannot be reached or offers none."""
    try:
        return client("staff").create_logout_url(post_logout_redirect_uri=return_to, id_token_hint=id_token)["url"]
    except PROVIDER_ERRORS:
        return None


def _text_claim(claims: dict, name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return value if value.isprintable() and len(value) <= CLAIM_MAX else ""


def _refuse(session: Session, actor: User | None, claims: dict, reason: str, message: str, address: str):
    systemlog.record(session, actor=actor, action="auth.sso_refused", target=_text_claim(claims, "sub")[:80],
                     detail={"reason": reason, "address": address})
    raise SsoRefused(message)


def staff_user_for(session: Session, claims: dict, *, claim: str, address: str = "") -> User:
    """The account the provider's subject is bound to; the first time, the active account whose 工号
    equals the claim ``claim`` and that is not bound yet, which is then bound. Every outcome is in the
    system log (auth.sso_login / auth.sso_refused)."""
    sub = _text_claim(claims, "sub")
    if not sub:
        _refuse(session, None, claims, "缺少 sub", "统一身份认证没有提供有效的用户标识，无法登录。", address)
    user = session.scalars(select(User).where(User.oidc_subject == sub).with_for_update()).first()
    bound = False
    if user is None:
        staff_no = _text_claim(claims, claim)
        user = session.scalars(select(User).where(User.staff_no == staff_no).with_for_update()).first() \
            if staff_no else None
        if user is None:
            _refuse(session, None, claims, f"没有与 {claim}“{staff_no[:40]}”对应的账号",
                    "您的统一身份认证账号没有对应的工作人员账号，请联系系统管理员开通。", address)
        if user.oidc_subject:
            _refuse(session, user, claims, f"工号 {user.staff_no} 已绑定其他统一身份认证账号",
                    "该工号已绑定另一个统一身份认证账号，不能用当前账号登录。如有疑问，请联系系统管理员。", address)
        if user.active:
            user.oidc_subject, bound = sub, True
    if not user.active:
        _refuse(session, user, claims, "账号已停用", "您的工作人员账号已停用，不能登录。如有疑问，请联系系统管理员。", address)
    systemlog.record(session, actor=user, action="auth.sso_login", target=user.staff_no,
                     detail={"address": address, "subject": sub, "bound": bound})
    return user


# ------------------------------------------------------------------ citizens on the public column

citizen_bp = Blueprint("citizen", __name__, url_prefix="/my")


@citizen_bp.context_processor
def _column_layout():
    """The column's layout for these pages (what portal/base.html and the case status read)."""
    region = public.home_region(db_session())
    return {"public_page": True, "region_name": region.name if region else "",
            "elder": request.cookies.get(ELDER_COOKIE) == "1", "CASE_STATES": CASE_STATES, "CHANNELS": CHANNELS}


def _citizen() -> dict:
    signed_in = session.get(CITIZEN_KEY)
    if not signed_in:
        abort(redirect(url_for("citizen.login")))
    return signed_in


@citizen_bp.get("/login")
def login():
    if session.get(CITIZEN_KEY):
        return redirect(url_for("citizen.cases"))
    return render_template("portal/citizen_login.html", error=None)


@citizen_bp.get("/login/start")
def login_start():
    """A link, not a form: the column's CSP (form-action 'self') would stop a form's redirect to the provider."""
    try:
        return start_login("citizen", "citizen.callback")
    except PROVIDER_ERRORS:
        return render_template("portal/citizen_login.html", error=UNAVAILABLE), 503


@citizen_bp.get("/callback")
def callback():
    try:
        claims = finish_login("citizen")
    except SsoRefused as exc:
        return render_template("portal/citizen_login.html", error=exc.message), 403
    except PROVIDER_ERRORS:
        return render_template("portal/citizen_login.html", error=UNAVAILABLE), 503
    cert = _text_claim(claims, config().cert_claim).upper()
    session.pop(CITIZEN_KEY, None)
    session[CITIZEN_KEY] = {"sub": _text_claim(claims, "sub"), "name": _text_claim(claims, "name")[:60], "cert": cert}
    if not cert:
        flash("统一身份认证没有提供您的证件号码，无法列出您的办件。")
    return redirect(url_for("citizen.cases"))


@citizen_bp.get("/cases")
def cases():
    """我的办件: the cases whose applicant's certificate number is the one the provider vouched for."""
    signed_in = _citizen()
    found = _cases_of(db_session(), signed_in["cert"]) if signed_in["cert"] else []
    return render_template("portal/citizen_cases.html", cases=found, who=masking.mask_name(signed_in["name"]),
                           cert=masking.mask_cert(signed_in["cert"]))


@citizen_bp.get("/cases/<number>")
def case(number: str):
    """One of them on the column's 结果反馈 page (the same page the number and certificate open)."""
    signed_in = _citizen()
    session_ = db_session()
    found = next((c for c in _cases_of(session_, signed_in["cert"]) if c.number == number), None)
    if found is None:
        abort(404)
    return render_template("portal/progress.html", values={}, error=None, found=progress_of(session_, found))


@citizen_bp.post("/logout")
def logout():
    session.pop(CITIZEN_KEY, None)
    flash("已退出登录。")
    return redirect(url_for("portal.index"))


def _cases_of(session_: Session, cert: str) -> list[Case]:
    if not cert:
        return []
    rows = session_.scalars(select(Case).where(Case.cert_number.in_({cert, cert.lower()}))
                            .order_by(Case.id.desc()).limit(200))
    return [c for c in rows if hmac.compare_digest(c.cert_number.upper().encode(), cert.encode())
            and c.number and not authority.is_internal(session_, c)]
