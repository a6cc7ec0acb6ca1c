"""系统管理 of the organisation (seed 002 §8.1: organisations, users and roles are set up by
administrators, not by code): the services in engine.orgadmin and the pages under /admin. Only an
administrator may; bad input is a 422 in Chinese with the form kept; a department cannot sit below
itself; the last administrator stays; a disabled account cannot log in and its sessions end."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select

from engine import orgadmin, outbox, passwords
from engine.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.models import (
    ApiToken,
    Department,
    FeedMessage,
    Item,
    ItemVersion,
    Notification,
    Post,
    Region,
    SystemEvent,
    User,
)
from engine.service import start_case

from .conftest import As, clean_cases
from .pagerwalk import walk
from .webhelpers import _csrf, login


def _snapshot(database):
    with database.transaction(write=False) as s:
        regions = set(s.scalars(select(Region.id)))
        depts = {d.id: {c: getattr(d, c) for c in ("name", "region_id", "parent_id", "credit_code", "phone", "address",
                                                 "active")} for d in s.scalars(select(Department))}
        posts = {p.id: p.name for p in s.scalars(select(Post))}
        users = {u.id: ({c: getattr(u, c) for c in ("name", "department_id", "roles", "active", "password_hash",
                                                   "must_change_password", "failed_logins", "locked_until")},
                        [p.id for p in u.posts]) for u in s.scalars(select(User))}
        items = set(s.scalars(select(Item.id)))
        tokens = set(s.scalars(select(ApiToken.id)))
    return regions, depts, posts, users, items, tokens


def _restore(database, snap) -> None:
    """Put the demo organisation back: new rows go, changed demo rows get their values back."""
    from engine import runtime, search
    from engine.models import ProcessDefinition
    regions, depts, posts, users, items, tokens = snap
    clean_cases(database)
    with database.transaction() as s:
        s.execute(delete(ApiToken).where(ApiToken.id.not_in(tokens)))
        for item in s.scalars(select(Item).where(Item.id.not_in(items))):
            search.withdraw(s, "item", item.code)
            item.current_version_id = None
        s.flush()
        new_items = select(Item.id).where(Item.id.not_in(items))
        s.execute(delete(ItemVersion).where(ItemVersion.item_id.in_(new_items)))
        for definition in s.scalars(select(ProcessDefinition).where(ProcessDefinition.item_id.in_(new_items))):
            runtime.spec_cache.forget(definition.id)
            s.delete(definition)
        s.flush()
        s.execute(delete(Item).where(Item.id.not_in(items)))
        for user in s.scalars(select(User)):
            if user.id not in users:
                s.delete(user)
                continue
            values, post_ids = users[user.id]
            for k, v in values.items():
                setattr(user, k, v)
            user.posts = list(s.scalars(select(Post).where(Post.id.in_(post_ids))))
        s.flush()
        s.execute(delete(Post).where(Post.id.not_in(list(posts))))
        for post in s.scalars(select(Post)):
            post.name = posts[post.id]
        for dept in s.scalars(select(Department)):
            if dept.id in depts:
                for k, v in depts[dept.id].items():
                    setattr(dept, k, v)
            else:
                dept.parent_id = None
        s.flush()
        s.execute(delete(Department).where(Department.id.not_in(list(depts))))
        s.execute(delete(Region).where(Region.id.not_in(list(regions))))


@pytest.fixture
def restore_org(database):
    snap = _snapshot(database)
    yield
    _restore(database, snap)


def _client(app, staff_no: str | None = "admin"):
    client = app.test_client()
    if staff_no:
        assert login(client, staff_no).status_code == 302
    return client


def _token(client, path: str = "/admin") -> str:
    return _csrf(client.get(path).get_data(as_text=True))


def _dept(database, code: str) -> Department:
    with database.transaction(write=False) as s:
        return s.scalars(select(Department).where(Department.code == code)).one()


def _user(database, staff_no: str) -> User:
    with database.transaction(write=False) as s:
        return s.scalars(select(User).where(User.staff_no == staff_no)).one()


def _last_log(database, action: str) -> SystemEvent:
    with database.transaction(write=False) as s:
        return s.scalars(select(SystemEvent).where(SystemEvent.action == action).order_by(SystemEvent.seq.desc())).first()


CULTURE = {"code": "wlj", "name": "阳光县文化和旅游局", "region": "530930", "credit_code": "11530930MB0123456X",
           "phone": "0883-6120088", "address": "阳光县城关镇文化路 1 号"}


def _valid_uscc(first17: str) -> str:
    from engine.certificates import uscc_check_char
    return first17 + uscc_check_char(first17)


# ------------------------------------------------------------------ services

def test_an_administrator_builds_a_department_a_post_and_an_account(run, database, restore_org):
    data = {**CULTURE, "credit_code": _valid_uscc("11530930MB0123456")}
    dept = run(orgadmin.create_department, As("admin"), data)
    assert dept.code == "wlj" and dept.active
    section = run(orgadmin.create_department, As("admin"), {"code": "wlj-sc", "name": "市场股", "region": "530930",
                                                            "parent": "wlj"})
    post = run(orgadmin.create_post, As("admin"), section.id, "window", "窗口受理")
    user, password = run(orgadmin.create_user, As("admin"), {"staff_no": "wl001", "name": "文明", "department": "wlj",
                                                             "post_ids": [post.id], "roles": ["clerk"]})
    assert password and passwords.check_new_password(password) is None
    saved = _user(database, "wl001")
    assert saved.must_change_password and saved.active and saved.roles == ["clerk"]
    assert [p.code for p in saved.posts] == ["window"] and saved.posts[0].department_id == section.id
    assert passwords.verify_password(saved.password_hash, password)
    assert "文明（wl001）" in _last_log(database, "account.created").target
    # creations are logged as creations (QA finding 21), not as 修改…：新建
    assert "窗口受理（window）" in _last_log(database, "org.post_created").target
    assert _last_log(database, "org.department_created").target == "市场股（wlj-sc）"
    assert "上级部门：" in _last_log(database, "org.department_created").detail["kind"]
    assert _last_log(database, "org.post_changed") is None


def test_every_problem_of_a_form_is_named_in_chinese(run, restore_org):
    with pytest.raises(InvalidInput) as caught:
        run(orgadmin.create_department, As("admin"), {"code": "ｗｌｊ 局", "name": "", "region": "999999",
                                                      "credit_code": "91530930MA6N8X0Q30", "phone": "call me",
                                                      "address": "x" * 201, "parent": "nowhere"})
    errors = caught.value.details["errors"]
    assert set(errors) == {"code", "name", "region", "credit_code", "phone", "address", "parent"}
    assert errors["credit_code"] == "统一社会信用代码“91530930MA6N8X0Q30”校验码错误。"
    assert errors["region"] == "行政区划代码“999999”不存在。" and "不能超过 200 个字符" in errors["address"]
    # full-width digits as an input method types them are the same code
    dept = run(orgadmin.create_department, As("admin"), {"code": "ｗｌｊ", "name": "文旅局", "region": "５３０９３０"})
    assert dept.code == "wlj"
    with pytest.raises(InvalidInput, match="部门代码 wlj 已存在"):
        run(orgadmin.create_department, As("admin"), {"code": "wlj", "name": "又一个", "region": "530930"})
    with pytest.raises(InvalidInput, match="控制字符"):
        run(orgadmin.create_department, As("admin"), {"code": "x1", "name": "文\x00旅", "region": "530930"})
    with pytest.raises(InvalidInput, match="格式不正确"):
        run(orgadmin.create_department, As("admin"), {"code": ["x"], "name": 5, "region": "530930"})


def test_only_an_administrator_may_change_the_organisation(run, restore_org):
    for staff_no in ("sc001", "xz001", "jw001"):
        for call in (lambda s, a: orgadmin.create_department(s, a, CULTURE),
                     lambda s, a: orgadmin.create_region(s, a, code="530930101000", name="城关镇", level="township"),
                     lambda s, a: orgadmin.create_post(s, a, 1, "x", "x"),
                     lambda s, a: orgadmin.create_user(s, a, {"staff_no": "x"}),
                     lambda s, a: orgadmin.disable_user(s, a, "sc002"),
                     lambda s, a: orgadmin.reset_password(s, a, "sc002"),
                     lambda s, a: orgadmin.set_roles(s, a, a.staff_no, ["admin"]),
                     lambda s, a: orgadmin.user_page(s, a),
                     lambda s, a: outbox.requeue_notification(s, a, 1)):
            with pytest.raises(PermissionDenied, match="只有系统管理员"):
                run(call, As(staff_no))


def test_a_department_cannot_move_below_itself(run, database, restore_org):
    run(orgadmin.create_department, As("admin"), {"code": "a", "name": "甲局", "region": "530930"})
    b = run(orgadmin.create_department, As("admin"), {"code": "b", "name": "乙科", "region": "530930", "parent": "a"})
    run(orgadmin.create_department, As("admin"), {"code": "c", "name": "丙组", "region": "530930", "parent": "b"})
    a = _dept(database, "a")
    for parent in ("a", "b", "c"):
        with pytest.raises(InvalidInput, match="不能把部门移到自己或自己的下级部门"):
            run(orgadmin.update_department, As("admin"), a.id, {"name": "甲局", "region": "530930", "parent": parent})
    moved = run(orgadmin.update_department, As("admin"), b.id, {"name": "乙科（改）", "region": "530930", "parent": "scjgj"})
    assert moved.parent_id == _dept(database, "scjgj").id and moved.name == "乙科（改）"
    assert "上级部门" in _last_log(database, "org.department_changed").detail["kind"]


def test_a_department_in_use_is_not_deactivated_and_says_what_holds_it(run, database, restore_org, person):
    with pytest.raises(InvalidState) as caught:
        run(orgadmin.deactivate_department, As("admin"), _dept(database, "wsjkj").id)
    assert "个在用账号" in caught.value.message and "个在用事项" in caught.value.message
    run(start_case, "015309300003", person, As("ws001"))
    with pytest.raises(InvalidState, match="1 个未办结的办件、1 个待办环节"):
        run(orgadmin.deactivate_department, As("admin"), _dept(database, "wsjkj").id)
    empty = run(orgadmin.create_department, As("admin"), {"code": "tmp", "name": "临时机构", "region": "530930"})
    run(orgadmin.deactivate_department, As("admin"), empty.id)
    assert not _dept(database, "tmp").active
    with pytest.raises(InvalidInput, match="已撤销"):
        run(orgadmin.create_user, As("admin"), {"staff_no": "t1", "name": "某", "department": "tmp"})


def test_a_post_in_use_stays(run, database, restore_org, person):
    with database.transaction(write=False) as s:
        window = s.scalars(select(Post).join(Post.department).where(Department.code == "wsjkj", Post.code == "window")).one()
    with pytest.raises(InvalidState, match="1 个账号担任此岗位"):
        run(orgadmin.delete_post, As("admin"), window.id)
    dept = _dept(database, "sfj")
    post = run(orgadmin.create_post, As("admin"), dept.id, "archive", "档案管理")
    with pytest.raises(InvalidInput, match="已有岗位代码 archive"):
        run(orgadmin.create_post, As("admin"), dept.id, "archive", "又一个")
    with pytest.raises(InvalidInput, match="岗位代码只能包含"):
        run(orgadmin.create_post, As("admin"), dept.id, "1档案", "档案")
    run(orgadmin.delete_post, As("admin"), post.id)
    assert _last_log(database, "org.post_changed").detail == {"kind": "删除"}


def test_posts_of_an_account_belong_to_its_department(run, database, restore_org):
    with database.transaction(write=False) as s:
        other = s.scalars(select(Post).join(Post.department).where(Department.code == "zjj", Post.code == "window")).one()
    with pytest.raises(InvalidInput, match="不属于阳光县卫生健康局或其下属科室"):
        run(orgadmin.create_user, As("admin"), {"staff_no": "ws099", "name": "某", "department": "wsjkj",
                                                "post_ids": [other.id]})
    with pytest.raises(InvalidInput, match="角色“boss”不存在"):
        run(orgadmin.create_user, As("admin"), {"staff_no": "ws099", "name": "某", "department": "wsjkj",
                                                "roles": ["boss"]})
    with pytest.raises(InvalidInput, match="初始密码至少 8 个字符"):
        run(orgadmin.create_user, As("admin"), {"staff_no": "ws099", "name": "某", "department": "wsjkj",
                                                "password": "abc1"})
    with pytest.raises(InvalidInput, match="工号 sc001 已存在"):
        run(orgadmin.create_user, As("admin"), {"staff_no": "ｓｃ００１", "name": "某", "department": "wsjkj"})


def test_the_last_administrator_stays(run, database, restore_org):
    with pytest.raises(InvalidInput, match="不能停用自己的账号"):
        run(orgadmin.disable_user, As("admin"), "admin")
    with pytest.raises(InvalidState, match="最后一个在用的系统管理员"):
        run(orgadmin.set_roles, As("admin"), "admin", ["clerk"])
    with pytest.raises(InvalidState, match="最后一个在用的系统管理员"):
        run(orgadmin.revoke_role, As("admin"), "admin", "admin")
    run(orgadmin.grant_role, As("admin"), "jw001", "admin")
    assert _user(database, "jw001").roles == ["admin", "supervisor"]
    assert "系统管理员" in _last_log(database, "account.roles_changed").detail["kind"]
    # now two: the first may step down, and the second is the last
    run(orgadmin.revoke_role, As("jw001"), "admin", "admin")
    with pytest.raises(InvalidState, match="最后一个在用的系统管理员"):
        run(orgadmin.set_roles, As("jw001"), "jw001", ["supervisor"])
    with pytest.raises(PermissionDenied):
        run(orgadmin.user_page, As("admin"))


def test_reset_password_is_shown_once_and_must_be_changed(run, database, restore_org):
    before = _user(database, "sc002")
    user, password = run(orgadmin.reset_password, As("admin"), "sc002")
    after = _user(database, "sc002")
    assert after.must_change_password and after.session_epoch == before.session_epoch + 1
    assert passwords.verify_password(after.password_hash, password)
    assert password not in str(_last_log(database, "account.password_reset").detail)
    with pytest.raises(NotFound, match="没有工号为“nobody”的工作人员"):
        run(orgadmin.reset_password, As("admin"), "nobody")


def test_user_list_filters_and_pages(run, database, restore_org):
    rows, total = run(orgadmin.user_page, As("admin"), role="supervisor")
    assert {u.staff_no for u in rows} == {"jw001", "jw002", "jw003"} and total == 3
    rows, total = run(orgadmin.user_page, As("admin"), department_id=_dept(database, "scjgj").id, size=3, page=2)
    assert total == 7 and [u.staff_no for u in rows] == ["sc004", "sc005", "sc006"]
    run(orgadmin.disable_user, As("admin"), "sc007")
    rows, _ = run(orgadmin.user_page, As("admin"), active=False)
    assert [u.staff_no for u in rows] == ["sc007"]
    with pytest.raises(InvalidState, match="已经停用"):
        run(orgadmin.disable_user, As("admin"), "sc007")
    run(orgadmin.enable_user, As("admin"), "sc007")
    assert _user(database, "sc007").active


# ------------------------------------------------------------------ pages

ADMIN_PAGES = ["/admin/org", "/admin/org/departments/new", "/admin/posts", "/admin/users", "/admin/users/new",
               "/admin/users/sc001", "/admin/roles", "/admin/tokens", "/admin/outbox", "/admin/import",
               "/admin/import/template.xlsx"]


def test_a_non_administrator_gets_403_for_every_page_and_post(app, database, restore_org):
    dept = _dept(database, "scjgj")
    with database.transaction(write=False) as s:
        post_id = s.scalars(select(Post.id)).first()
        region_id = s.scalars(select(Region.id)).first()
    posts = ["/admin/org/regions", f"/admin/org/regions/{region_id}", "/admin/org/departments/new",
             f"/admin/org/departments/{dept.id}", f"/admin/org/departments/{dept.id}/deactivate",
             f"/admin/org/departments/{dept.id}/activate", "/admin/posts", f"/admin/posts/{post_id}",
             f"/admin/posts/{post_id}/delete", "/admin/users/new", "/admin/users/sc002", "/admin/users/sc002/roles",
             "/admin/users/sc002/disable", "/admin/users/sc002/enable", "/admin/users/sc002/reset", "/admin/tokens",
             "/admin/tokens/1/revoke", "/admin/outbox/feed/1/requeue", "/admin/outbox/notifications/1/requeue",
             "/admin/import", "/admin/import/confirm"]
    for staff_no in ("sc001", "sc006", "jw001", "xz001"):
        client = _client(app, staff_no)
        token = _csrf(client.get("/workbench").get_data(as_text=True))
        for path in ADMIN_PAGES + [f"/admin/org/departments/{dept.id}"]:
            assert client.get(path).status_code == 403, (staff_no, path)
        for path in posts:
            answer = client.post(path, data={"csrf_token": token, "name": "x", "code": "x", "roles": "admin"})
            assert answer.status_code == 403, (staff_no, path)
    assert _user(database, "sc002").active and _user(database, "sc002").roles == ["clerk"]
    anonymous = app.test_client()
    assert anonymous.get("/admin/users").status_code in (302, 401)


def test_the_admin_pages_render(app, run, restore_org):
    run(orgadmin.create_department, As("admin"), {"code": "scjgj-dj", "name": "登记注册股", "region": "530930",
                                                  "parent": "scjgj"})
    client = _client(app)
    for path in ADMIN_PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, path
    html = client.get("/admin/org").get_data(as_text=True)
    tree = html.split('id="dept-scjgj"', 1)[1].split("</details>", 1)[0]
    assert "<summary>" in tree and 'id="dept-scjgj-dj"' in tree and "登记注册股" in tree  # a branch, opened without script
    nav = re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)
    for label in ("组织机构", "岗位", "账号", "角色", "接口令牌", "报送与通知", "工作日历", "系统日志"):
        assert label in nav
    roles = client.get("/admin/roles").get_data(as_text=True)
    assert "法制审核" in roles and "韩梅" in roles and "审核事项变更" in roles


def test_a_department_post_and_account_through_the_pages(app, database, restore_org):
    client = _client(app)
    token = _token(client, "/admin/org/departments/new")
    bad = client.post("/admin/org/departments/new", data={"csrf_token": token, "code": "wlj", "name": "",
                                                          "region": "530930", "credit_code": "１２３"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="error-summary"' in html and 'href="#name"' in html
    assert "请填写部门名称。" in html and "统一社会信用代码“123”应为 18 位" in html
    assert 'value="wlj"' in html  # kept as typed
    answer = client.post("/admin/org/departments/new", data={"csrf_token": token, "code": "wlj", "name": "阳光县文化和旅游局",
                                                             "region": "530930", "phone": "０８８３-6120088"})
    assert answer.status_code == 302
    dept = _dept(database, "wlj")
    assert dept.phone == "0883-6120088"
    answer = client.post("/admin/posts", data={"csrf_token": token, "department": "wlj", "code": "window", "name": "窗口受理"})
    assert answer.status_code == 302
    with database.transaction(write=False) as s:
        post_id = s.scalars(select(Post.id).where(Post.department_id == dept.id)).one()
    bad = client.post("/admin/users/new", data={"csrf_token": token, "staff_no": "wl 001", "name": "文明",
                                                "department": "wlj", "posts": str(post_id), "roles": "clerk",
                                                "password": "short"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "工号只能包含" in html and "初始密码至少 8 个字符" in html
    assert f'value="{post_id}" data-department="wlj" data-code="window" checked' in html and "short" not in html
    made = client.post("/admin/users/new", data={"csrf_token": token, "staff_no": "wl001", "name": "文明",
                                                 "department": "wlj", "posts": str(post_id), "roles": "clerk"})
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and "密码只显示这一次" in html
    password = re.search(r'id="password-value">([^<]+)<', html).group(1)
    user = _user(database, "wl001")
    assert passwords.verify_password(user.password_hash, password) and user.must_change_password
    again = client.get("/admin/users/wl001").get_data(as_text=True)
    assert password not in again


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(app, database, restore_org):
    clerk = _client(app, "sc002")
    assert clerk.get("/workbench").status_code == 200
    admin = _client(app)
    answer = admin.post("/admin/users/sc002/disable", data={"csrf_token": _token(admin)})
    assert answer.status_code == 302
    assert clerk.get("/workbench").status_code in (302, 401)  # the open session ended
    again = app.test_client()
    assert login(again, "sc002").status_code == 401
    me = admin.post("/admin/users/admin/disable", data={"csrf_token": _token(admin)})
    assert me.status_code == 422 and "不能停用自己的账号" in me.get_data(as_text=True)
    assert admin.post("/admin/users/sc002/enable", data={"csrf_token": _token(admin)}).status_code == 302
    assert login(app.test_client(), "sc002").status_code == 302


def test_hostile_input_on_the_admin_pages(hostile_app, database, restore_org):
    from .webhelpers import login_without_csrf
    client = hostile_app.test_client()
    login_without_csrf(client, "admin")
    for path, data in (("/admin/org/departments/new", {"code": "x" * 5000, "name": "\u202e局", "region": "53093０"}),
                       ("/admin/org/regions", {"code": "５３", "name": "", "level": "galaxy"}),
                       ("/admin/posts", {"department": "scjgj", "code": "x\x00", "name": "y" * 101}),
                       ("/admin/users/new", {"staff_no": "\x07", "name": "x", "department": "nowhere", "posts": "-1"}),
                       ("/admin/users/new", {"staff_no": "ok1", "name": "x", "department": "scjgj", "posts": "9" * 30}),
                       ("/admin/users/sc002/roles", {"roles": ["king"]}),
                       ("/admin/tokens", {"name": "", "user_id": "abc", "verbs": "fly"})):
        answer = client.post(path, data=data)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422, (path, answer.status_code)
        assert re.search(r"[\u4e00-\u9fff]", html) and "Traceback" not in html
    for path in ("/admin/users?after=abc", "/admin/users?before=W10", "/admin/users?role=king", "/admin/users?active=maybe",
                 "/admin/outbox?feed=lost", "/admin/outbox?feed_after=%00", "/admin/outbox?notify_before=WyJ4Il0",
                 "/admin/log?after=WzEsMl0", "/admin/users?department=nowhere"):
        answer = client.get(path)
        assert answer.status_code == 422 and "Traceback" not in answer.get_data(as_text=True), path
    for path in ("/admin/users?page=0", "/admin/users?page=abc", "/admin/outbox?feed_page=-1"):  # old links: ignored
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/users/%E2%80%AEnobody").status_code == 404
    assert client.get("/admin/org/departments/99999999999").status_code == 404


def test_outbox_lists_and_requeues(app, database, restore_org):
    from engine import clock
    now = clock.now()
    with database.transaction() as s:
        s.add(FeedMessage(delivery_id="d-1", case_number="XK1", kind="case.accepted", payload={}, state="dead",
                          attempts=8, next_attempt_at=now, last_error="连接被拒绝", created_at=now))
        s.add(Notification(channel="sms", recipient="13800000000", subject="受理通知", body="已受理", ref="case:1",
                           state="failed", attempts=5, error="网关返回 500", created_at=now))
        s.flush()
        feed_id = s.scalars(select(FeedMessage.id)).one()
        note_id = s.scalars(select(Notification.id)).one()
    client = _client(app)
    html = client.get("/admin/outbox?feed=dead").get_data(as_text=True)
    assert "连接被拒绝" in html and "网关返回 500" in html and "失败（不再重试）</a>：<strong>1" in html
    token = _token(client)
    assert client.post(f"/admin/outbox/feed/{feed_id}/requeue", data={"csrf_token": token}).status_code == 302
    assert client.post(f"/admin/outbox/notifications/{note_id}/requeue", data={"csrf_token": token}).status_code == 302
    with database.transaction(write=False) as s:
        message, note = s.get(FeedMessage, feed_id), s.get(Notification, note_id)
        assert message.state == "pending" and message.attempts == 8 and note.state == "queued" and note.attempts == 0
    assert _last_log(database, "feed.requeued").target == "XK1：d-1"
    assert _last_log(database, "notify.requeued").detail["reason"] == "网关返回 500"
    again = client.post(f"/admin/outbox/notifications/{note_id}/requeue", data={"csrf_token": token})
    assert again.status_code == 409 and "只能重新发送" in again.get_data(as_text=True)


def _walk(client, url: str, pattern: str, label: str = "") -> list[str]:
    return walk(lambda u: client.get(u).get_data(as_text=True), url, pattern, label)


def test_the_admin_lists_page_by_keyset_showing_every_row_once(app, database, restore_org):
    from engine import clock
    from engine.outbox import PAGE_SIZE
    now = clock.now()
    with database.transaction() as s:
        for i in range(PAGE_SIZE * 2 + 3):
            s.add(FeedMessage(delivery_id=f"p-{i}", case_number=f"XK{i}", kind="case.accepted", payload={},
                              state="dead" if i % 2 else "sent", attempts=1, next_attempt_at=now, created_at=now))
            s.add(Notification(channel="sms", recipient="13800000000", subject=f"通知{i}", body="已受理", ref="case:1",
                               state="failed", attempts=1, created_at=now))
    try:
        client = _client(app)
        with database.transaction(write=False) as s:
            feed = [str(i) for i in s.scalars(select(FeedMessage.id).order_by(FeedMessage.id.desc()))]
            dead = [str(i) for i in s.scalars(select(FeedMessage.id).where(FeedMessage.state == "dead")
                                              .order_by(FeedMessage.id.desc()))]
            notes = [str(i) for i in s.scalars(select(Notification.id).order_by(Notification.id.desc()))]
            staff = list(s.scalars(select(User.staff_no).order_by(User.staff_no)))
            log = [str(n) for n in s.scalars(select(SystemEvent.seq).order_by(SystemEvent.seq.desc()))]
        assert _walk(client, "/admin/outbox", r'<tr id="feed-(\d+)">', "报送") == feed
        assert _walk(client, "/admin/outbox?feed=dead&notify=failed", r'<tr id="feed-(\d+)">', "报送") == dead
        assert _walk(client, "/admin/outbox?feed=dead", r'<tr id="notification-(\d+)">', "通知") == notes
        assert _walk(client, "/admin/users?active=yes&page=3", r'<tr id="user-([^"]+)">') == staff  # ?page= is ignored
        assert _walk(client, "/admin/log", r"<tr>\s*<td>(\d+)</td>") == log
        first = client.get("/admin/outbox").get_data(as_text=True)
        assert "第 1 /" not in first and 'rel="next"' in first and "首页" not in first
        supervisors = _walk(client, "/admin/users?role=supervisor", r'<tr id="user-([^"]+)">')
        assert supervisors == ["jw001", "jw002", "jw003"]
    finally:
        with database.transaction() as s:
            s.execute(delete(FeedMessage).where(FeedMessage.delivery_id.like("p-%")))
            s.execute(delete(Notification).where(Notification.subject.like("通知%")))


# ------------------------------------------------------------------ QA findings (issue 14 review)

def test_codes_are_unique_ignoring_case_and_width(run, restore_org):
    """工号, 部门代码 and 岗位代码 are half-width and compared ignoring case: SC001 beside sc001 was possible."""
    with pytest.raises(InvalidInput, match="与已有的 sc001 只差大小写") as exc:
        run(orgadmin.create_user, As("admin"), {"staff_no": "SC001", "name": "重名", "department": "zfb"})
    assert "staff_no" in exc.value.details["errors"]
    dept = run(orgadmin.create_department, As("admin"), {"code": "ＱＡ１", "name": "质检一科", "region": "530930"})
    assert dept.code == "QA1"  # full-width typed by an input method → half-width
    with pytest.raises(InvalidInput, match="与已有的 QA1 只差大小写"):
        run(orgadmin.create_department, As("admin"), {"code": "qa1", "name": "质检二科", "region": "530930"})
    with pytest.raises(InvalidInput, match="须为小写英文字母.*window"):
        run(orgadmin.create_post, As("admin"), dept.id, "WINDOW", "窗口")
    run(orgadmin.create_post, As("admin"), dept.id, "window", "窗口")
    with pytest.raises(InvalidInput, match="已有岗位代码 window"):
        run(orgadmin.create_post, As("admin"), dept.id, "Window", "又一个窗口")


def test_two_departments_of_one_name_under_one_parent_are_refused(run, restore_org):
    run(orgadmin.create_department, As("admin"), {"code": "wlj", "name": "文旅局", "region": "530930"})
    with pytest.raises(InvalidInput, match="同一上级下已有名为“文旅局”的部门（部门代码 wlj）"):
        run(orgadmin.create_department, As("admin"), {"code": "wlj2", "name": "文旅局", "region": "530930"})
    run(orgadmin.create_department, As("admin"), {"code": "wlj-a", "name": "文旅局", "region": "530930", "parent": "wlj"})
    other = run(orgadmin.create_department, As("admin"), {"code": "wlj3", "name": "文旅三局", "region": "530930"})
    with pytest.raises(InvalidInput, match="同一上级下已有名为"):
        run(orgadmin.update_department, As("admin"), other.id, {"name": "文旅局", "region": "530930"})


def test_regions_follow_level_order_and_code_prefix(run, database, restore_org):
    with pytest.raises(InvalidInput, match="村（社区）级区划不能直接设在省级"):
        run(orgadmin.create_region, As("admin"), code="530000000001", name="某村", level="village", parent_code="530000")
    with pytest.raises(InvalidInput, match="应以上级“阳光县”的代码前缀 530930 开头"):
        run(orgadmin.create_region, As("admin"), code="530932104000", name="某乡", level="township",
            parent_code="530930")
    # the page's own level name (乡（镇、街道）) and the short forms are the same words as the import's
    town = run(orgadmin.create_region, As("admin"), code="530930104000", name="向阳乡", level="乡（镇、街道）",
               parent_code="530930")
    assert town.level == "township"
    assert _last_log(database, "org.region_created").target == "向阳乡（530930104000）"
    run(orgadmin.create_region, As("admin"), code="530930104201", name="向阳村", level="村", parent_code="530930104000")
    with pytest.raises(InvalidInput, match="应以上级“向阳乡”的代码前缀 530930104 开头"):
        run(orgadmin.create_region, As("admin"), code="530930105201", name="别村", level="village",
            parent_code="530930104000")


def test_unlocking_an_account_that_is_not_locked_says_so(run, database, restore_org):
    before = _last_log(database, "account.unlocked")
    with pytest.raises(InvalidState, match="账号未被锁定"):
        run(orgadmin.unlock, As("admin"), "sc002")
    after = _last_log(database, "account.unlocked")
    assert (before.seq if before else None) == (after.seq if after else None)  # no log line


def test_a_password_with_a_control_character_is_refused(app, database, restore_org):
    with pytest.raises(InvalidInput, match="含有不可见的控制字符（U\\+0000）"):
        passwords.check_new_password("Neues-Pass-9\x00")
    with database.transaction() as s:
        user = s.scalars(select(User).where(User.staff_no == "sc002")).one()
        with pytest.raises(InvalidInput, match="控制字符"):
            passwords.set_password(user, "Neues\x07Pass-9")
    client = _client(app, "sc002")
    from webapp.demo.county import DEMO_PASSWORD
    page = client.post("/account/password", data={"csrf_token": _token(client, "/account/password"),
                                                  "current": DEMO_PASSWORD, "new": "Neues\x00Pass-9",
                                                  "again": "Neues\x00Pass-9"})
    assert page.status_code == 422 and "控制字符" in page.get_data(as_text=True)
    assert passwords.verify_password(_user(database, "sc002").password_hash, DEMO_PASSWORD)


def test_the_log_page_reads_in_chinese(app, run, database, restore_org):
    """Every key any code records has a Chinese label; values read as Chinese (QA finding 3)."""
    import pathlib
    from datetime import datetime

    from engine import apitokens, clock, systemlog
    keys = set()
    for root in ("engine", "webapp", "forms", "rules"):
        for path in pathlib.Path(root).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for call in re.finditer(r"systemlog\.record\(.*?\)\n", text, re.S):
                keys |= set(re.findall(r'"(\w+)":', call.group(0)))
    assert keys - set(systemlog.DETAIL_LABELS) == set()
    zfb = _dept(database, "zfb")
    run(apitokens.issue, As("admin"), name="住建审批系统报送", user_id=_user(database, "admin").id,
        department_ids=[zfb.id], verbs=["read", "report"], system_code="zjj-sys",
        expires_at=datetime(2027, 12, 31, 23, 59, 59, tzinfo=clock.LOCAL_TZ))
    html = _client(app).get("/admin/log").get_data(as_text=True)
    row = html.split("发放接口令牌", 1)[1].split("</tr>", 1)[0]
    assert f"限于部门：{zfb.name}" in row and "权限：查询、报送外部办件" in row
    assert "有效期至：2027年12月31日 23:59" in row and "prefix" not in row and "['" not in row
    assert systemlog.detail_value("system_code", None) == "（无）" and systemlog.detail_value("bound", True) == "是"
    assert systemlog.detail_value("kind", "written") == "写入" and systemlog.detail_value("departments", [4]) == "4"


def test_outbox_tells_the_truth_about_delivery(app, database, restore_org, monkeypatch):
    import dataclasses

    from engine import clock
    now = clock.now()
    with database.transaction() as s:
        s.add(FeedMessage(delivery_id="d-2", case_number="XK2", kind="correction", payload={}, state="dead",
                          attempts=8, next_attempt_at=now, created_at=now))
        s.add(Notification(channel="sms", recipient="13800000000", subject="受理通知", body="已受理",
                           ref="case:530930XK2", state="failed", attempts=5, error="x", created_at=now))
        s.add(Notification(channel="email", recipient="a@example.cn", subject="答复", body="已答复",
                           ref="info_request:GK2026001", state="sent", attempts=1, created_at=now))
        s.flush()
        feed_id = s.scalars(select(FeedMessage.id).where(FeedMessage.delivery_id == "d-2")).one()
    quiet = dataclasses.replace(app.extensions["sunhall_settings"], feed_url="", sms_gateway_url="", smtp_host="")
    monkeypatch.setitem(app.extensions, "sunhall_settings", quiet)
    client = _client(app)
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "<td>补正告知</td>" in html and "<td>correction</td>" not in html
    assert "办件 530930XK2" in html and "信息公开申请 GK2026001" in html and "case:" not in html
    assert "未配置省级平台地址" in html and html.count("只写入日志，未实际发送") == 2
    response = client.post(f"/admin/outbox/feed/{feed_id}/requeue", data={"csrf_token": _token(client)},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "不会发出" in text and "立即重试" not in text
    assert _last_log(database, "feed.requeued").detail["kind"] == "补正告知"
