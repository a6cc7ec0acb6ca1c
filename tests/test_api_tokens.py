"""接口令牌 (engine.apitokens): issued by an administrator only, scoped to departments and verbs,
the secret shown once and stored as a digest, revocable, expiring, and audited in the system log
(seed 002 §8.1: administrators set up who may do what)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select

from engine import apitokens, clock
from engine.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.models import ApiToken, Department, SystemEvent, User
from tests.conftest import As


@pytest.fixture
def tokens_cleanup(database):
    yield
    with database.transaction() as s:
        s.execute(delete(ApiToken))


def _dept(database, code: str) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(Department.id).where(Department.code == code)).one()


def _user(database, staff_no: str) -> int:
    with database.transaction(write=False) as s:
        return s.scalars(select(User.id).where(User.staff_no == staff_no)).one()


def _log(database, action: str) -> list[SystemEvent]:
    with database.transaction(write=False) as s:
        return list(s.scalars(select(SystemEvent).where(SystemEvent.action == action).order_by(SystemEvent.seq)))


def test_admin_issues_a_token_whose_secret_is_shown_once_and_stored_as_digest(run, database, tokens_cleanup):
    scjgj = _dept(database, "scjgj")
    token, secret = run(lambda s, a: apitokens.issue(s, a, name="市场监管局审批系统", user_id=_user(database, "sc001"),
                                                     department_ids=[scjgj], verbs=["write", "read"]), As("admin"))
    assert secret.startswith(f"shk_{token.prefix}_") and len(secret) > 40
    with database.transaction(write=False) as s:
        row = s.get(ApiToken, token.id)
        assert row.token_hash == apitokens.digest(secret) and secret not in (row.token_hash, row.prefix, row.name)
        assert row.verbs == ["read", "write"] and row.department_ids == [scjgj]
    issued = _log(database, "token.issued")[-1]
    assert token.prefix in issued.target and secret not in str(issued.detail)
    with database.transaction() as s:
        found = apitokens.authenticate(s, secret)
        assert found.id == token.id and found.last_used_at is not None
        assert apitokens.covers(found, scjgj) and not apitokens.covers(found, _dept(database, "wsjkj"))
        assert apitokens.allows(found, "write") and not apitokens.allows(found, "report")
        # a secret one character off, or another token's prefix with this secret, is nobody
        assert apitokens.authenticate(s, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
        assert apitokens.authenticate(s, "shk_00000000_" + secret.split("_", 2)[2]) is None
        assert apitokens.authenticate(s, "Bearer " + secret) is None


def test_only_an_administrator_issues_lists_or_revokes(run, database, tokens_cleanup):
    scjgj = _dept(database, "scjgj")
    args = dict(name="脚本", user_id=_user(database, "sc001"), department_ids=[scjgj], verbs=["read"])
    for staff_no in ("sc006", "jw001", "sc001"):
        with pytest.raises(PermissionDenied, match="系统管理员"):
            run(lambda s, a: apitokens.issue(s, a, **args), As(staff_no))
        with pytest.raises(PermissionDenied):
            run(apitokens.tokens, As(staff_no))
    token, _ = run(lambda s, a: apitokens.issue(s, a, **args), As("admin"))
    with pytest.raises(PermissionDenied):
        run(apitokens.revoke, As("sc006"), token.id)
    assert [t.id for t in run(apitokens.tokens, As("admin"))] == [token.id]


def test_every_problem_of_an_issue_is_named_by_field(run, database, tokens_cleanup):
    with pytest.raises(InvalidInput) as exc:
        run(lambda s, a: apitokens.issue(s, a, name="\u202e坏名字", user_id=999999, department_ids=[999999],
                                         verbs=["read", "delete"], system_code="Bad Code"), As("admin"))
    errors = exc.value.details["errors"]
    assert set(errors) == {"name", "user_id", "department_ids", "verbs", "system_code"}
    assert all("\u4e00" <= ch <= "\u9fff" for ch in errors["verbs"][:2])
    with pytest.raises(InvalidInput) as exc:
        run(lambda s, a: apitokens.issue(s, a, name="报送", user_id=_user(database, "sc001"),
                                         department_ids=[_dept(database, "scjgj")], verbs=["report"]), As("admin"))
    assert exc.value.details["errors"] == {"system_code": "报送外部办件的令牌必须填写部门业务系统的代码。"}
    good = dict(name="脚本", user_id=_user(database, "sc001"), department_ids=[_dept(database, "scjgj")], verbs=["read"])
    for bad in ({"name": ""}, {"name": "x" * 101}, {"department_ids": []}, {"department_ids": [True]},
                {"verbs": []}, {"user_id": "1"}, {"expires_at": datetime(2000, 1, 1, tzinfo=clock.LOCAL_TZ)}):
        args = {**good, **bad}
        with pytest.raises(InvalidInput):
            run(lambda s, a, kw=args: apitokens.issue(s, a, **kw), As("admin"))
    with database.transaction(write=False) as s:
        assert s.scalars(select(ApiToken)).all() == []


def test_revoked_expired_and_disabled_tokens_stop_working(run, database, tokens_cleanup):
    scjgj = _dept(database, "scjgj")
    soon = clock.now() + timedelta(hours=1)
    token, secret = run(lambda s, a: apitokens.issue(s, a, name="临时脚本", user_id=_user(database, "sc003"),
                                                     department_ids=[scjgj], verbs=["read"], expires_at=soon),
                        As("admin"))
    with database.transaction() as s:
        assert apitokens.authenticate(s, secret) is not None
    with clock.frozen(soon + timedelta(seconds=1)), database.transaction() as s:
        assert apitokens.authenticate(s, secret) is None
        assert apitokens.why_not(apitokens.find(s, secret)) == "令牌已过期。"
    other, other_secret = run(lambda s, a: apitokens.issue(s, a, name="长期脚本", user_id=_user(database, "sc003"),
                                                           department_ids=[scjgj], verbs=["read"]), As("admin"))
    try:
        with database.transaction() as s:
            s.scalars(select(User).where(User.staff_no == "sc003")).one().active = False
        with database.transaction() as s:
            assert apitokens.authenticate(s, other_secret) is None
    finally:
        with database.transaction() as s:
            s.scalars(select(User).where(User.staff_no == "sc003")).one().active = True
    run(apitokens.revoke, As("admin"), other.id)
    with database.transaction() as s:
        assert apitokens.authenticate(s, other_secret) is None
    with pytest.raises(InvalidState, match="已于"):
        run(apitokens.revoke, As("admin"), other.id)
    with pytest.raises(NotFound):
        run(apitokens.revoke, As("admin"), 10**9)
    assert _log(database, "token.revoked")[-1].target == f"长期脚本（{other.prefix}）"


def test_refusals_are_logged_at_most_once_a_minute_per_token(run, database, tokens_cleanup):
    token, secret = run(lambda s, a: apitokens.issue(s, a, name="被吊销的系统", user_id=_user(database, "sc001"),
                                                     department_ids=[_dept(database, "scjgj")], verbs=["read"]),
                        As("admin"))
    run(apitokens.revoke, As("admin"), token.id)
    before = len(_log(database, "token.refused"))
    with clock.frozen(datetime(2031, 5, 6, 9, 0, tzinfo=clock.LOCAL_TZ)):
        written = [run(apitokens.record_refusal, secret, "令牌已吊销。", "10.0.0.9") for _ in range(5)]
        guesses = [run(apitokens.record_refusal, f"shk_{i:08x}_{'x' * 30}", "令牌无效。") for i in range(20)]
        assert written == [True, False, False, False, False]
        assert guesses.count(True) == 1  # every unknown secret shares one line a minute
        clock.travel(datetime(2031, 5, 6, 9, 1, 30, tzinfo=clock.LOCAL_TZ))
        assert run(apitokens.record_refusal, secret, "令牌已吊销。") is True
    rows = _log(database, "token.refused")[before:]
    assert [r.target for r in rows] == [f"被吊销的系统（{token.prefix}）", apitokens.UNKNOWN,
                                        f"被吊销的系统（{token.prefix}）"]
    assert rows[0].detail["address"] == "10.0.0.9" and secret not in str(rows[0].detail)


def test_names_are_unique_among_working_tokens_and_the_log_reads_in_chinese(run, database, tokens_cleanup):
    scjgj, sc001 = _dept(database, "scjgj"), _user(database, "sc001")

    def issue(name):
        return run(lambda s, a: apitokens.issue(s, a, name=name, user_id=sc001, department_ids=[scjgj],
                                                verbs=["read"]), As("admin"))
    token, _ = issue("审批系统")
    with pytest.raises(InvalidInput, match="已有一个名为“审批系统”的有效令牌") as exc:
        issue("审批系统")
    assert exc.value.details["field"] == "name"
    run(lambda s, a: apitokens.revoke(s, a, token.id), As("admin"))
    issue("审批系统")  # the revoked one no longer holds the name
    detail = _log(database, "token.issued")[-1].detail
    with database.transaction(write=False) as s:
        assert detail["departments"] == [s.get(Department, scjgj).name] and detail["verbs"] == ["查询"]
        assert detail["user"] == f"{s.get(User, sc001).name}（sc001）"


def test_the_tokens_page_shows_departments_and_warns_beyond_the_account(app, database, tokens_cleanup):
    from .webhelpers import _csrf, login
    client = app.test_client()
    login(client, "admin")
    token = _csrf(client.get("/admin/tokens").get_data(as_text=True))
    zfb, sc001 = _dept(database, "zfb"), _user(database, "sc001")
    with database.transaction(write=False) as s:
        zfb_name, home = s.get(Department, zfb).name, s.get(User, sc001).department_id
    assert home != zfb
    html = client.post("/admin/tokens", data={"csrf_token": token, "name": "越界令牌", "user_id": str(sc001),
                                              "department_ids": [str(zfb)], "verbs": ["read"]}).get_data(as_text=True)
    assert 'id="token-beyond"' in html and zfb_name in html.split('id="token-beyond"', 1)[1].split("</p>", 1)[0]
    row = html.split('<tr id="token-', 1)[1].split("</tr>", 1)[0]
    assert f"<td>{zfb_name}</td>" in row
