"""`sunhall users …`: the same services as the administration pages on the command line, acting as
the administrator named by --as (seed 002 §8.1), in Chinese, with a non-zero exit on failure."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine import passwords
from engine.models import SystemEvent, User
from webapp.cli import main

from .test_admin_import import GOOD, workbook
from .test_admin_org import restore_org  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("restore_org")


@pytest.fixture
def sunhall(database, monkeypatch):
    monkeypatch.setenv("SUNHALL_DATABASE_URL", database.settings.database_url)

    def invoke(*args):
        return CliRunner().invoke(main, ["users", *args])
    return invoke


def _user(database, staff_no):
    with database.transaction(write=False) as s:
        user = s.scalars(select(User).where(User.staff_no == staff_no)).first()
        if user is not None:
            user.department  # noqa: B018  (loaded while the session is open)
        return user


def test_create_reset_disable_enable_and_roles(sunhall, database):
    made = sunhall("create", "zf009", "--as", "admin", "--name", "新人", "--department", "zfb", "--post", "window",
                   "--role", "clerk")
    assert made.exit_code == 0, made.output
    password = re.search(r"初始密码（只显示这一次，首次登录须修改）：(\S+)", made.output).group(1)
    user = _user(database, "zf009")
    assert passwords.verify_password(user.password_hash, password) and user.must_change_password
    assert [p.code for p in user.posts] == ["window"] and user.roles == ["clerk"]
    again = sunhall("create", "zf009", "--as", "admin", "--name", "新人", "--department", "zfb")
    assert again.exit_code == 1 and "工号 zf009 已存在" in again.output
    wrong = sunhall("create", "zf010", "--as", "admin", "--name", "新人", "--department", "zfb", "--post", "legal")
    assert wrong.exit_code == 1 and "阳光县人民政府办公室及其下属科室没有岗位代码“legal”" in wrong.output
    reset = sunhall("reset-password", "zf009", "--as", "admin")
    assert reset.exit_code == 0 and "新密码" in reset.output
    assert sunhall("grant-role", "zf009", "leader", "--as", "admin").exit_code == 0
    assert _user(database, "zf009").roles == ["clerk", "leader"]
    revoked = sunhall("revoke-role", "zf009", "clerk", "--as", "admin")
    assert revoked.exit_code == 0 and "现有角色：领导" in revoked.output
    assert sunhall("disable", "zf009", "--as", "admin").exit_code == 0 and not _user(database, "zf009").active
    assert sunhall("enable", "zf009", "--as", "admin").exit_code == 0 and _user(database, "zf009").active
    last = sunhall("revoke-role", "admin", "admin", "--as", "admin")
    assert last.exit_code == 1 and "最后一个在用的系统管理员" in last.output
    listed = sunhall("list", "--as", "admin", "--department", "zfb")
    assert listed.exit_code == 0 and "zf009" in listed.output and "sc001" not in listed.output
    with database.transaction(write=False) as s:
        actions = list(s.scalars(select(SystemEvent.action).where(SystemEvent.target.like("%zf009%"))))
    assert {"account.created", "account.password_reset", "account.roles_changed", "account.deactivated",
            "account.activated"} <= set(actions)


def test_only_an_administrator_may(sunhall, database):
    for args in (("disable", "sc002", "--as", "sc001"), ("list", "--as", "nobody"),
                 ("grant-role", "sc001", "admin", "--as", "sc001")):
        result = sunhall(*args)
        assert result.exit_code == 1 and "不是在用的系统管理员账号" in result.output, args
    assert _user(database, "sc002").active and _user(database, "sc001").roles == ["clerk"]
    missing = sunhall("disable", "sc002")
    assert missing.exit_code == 2 and "缺少参数 --as" in missing.output and "Error:" not in missing.output
    bad = sunhall("grant-role", "sc002", "king", "--as", "admin")
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_import_with_a_dry_run(sunhall, database, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook(部门=[["wlj", "", "530930", None, None, None, None]]))
    result = sunhall("import", str(bad), "--as", "admin", "--dry-run")
    assert result.exit_code == 1
    assert "工作表“部门”，第 2 行，B（部门名称） 列：请填写部门名称。" in result.output
    assert "发现 1 处问题，没有导入任何数据" in result.output
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook(**GOOD))
    dry = sunhall("import", str(good), "--as", "admin", "--dry-run")
    assert dry.exit_code == 0 and "事项：可新建 2 条" in dry.output and "未写入任何数据" in dry.output
    assert _user(database, "wl001") is None
    loaded = sunhall("import", str(good), "--as", "admin")
    assert loaded.exit_code == 0 and "账号新建 2 条" in loaded.output
    assert _user(database, "wl001").department.code == "wlj"
    twice = sunhall("import", str(good), "--as", "admin")
    assert twice.exit_code == 0 and "事项：可新建 0 条，已存在跳过 2 条" in twice.output


def test_unlock_needs_as_and_says_when_nothing_is_locked(sunhall, database):
    from datetime import timedelta

    from engine import clock
    refused = sunhall("unlock", "sc002")
    assert refused.exit_code == 2 and "--as" in refused.output
    before = _count_unlocks(database)
    idle = sunhall("unlock", "sc002", "--as", "admin")
    assert idle.exit_code != 0 and "账号未被锁定" in idle.output and _count_unlocks(database) == before
    with database.transaction() as s:
        s.scalars(select(User).where(User.staff_no == "sc002")).one().locked_until = clock.now() + timedelta(minutes=9)
    done = sunhall("unlock", "sc002", "--as", "admin")
    assert done.exit_code == 0 and "已解锁" in done.output and _count_unlocks(database) == before + 1


def _count_unlocks(database) -> int:
    with database.transaction(write=False) as s:
        return len(s.scalars(select(SystemEvent).where(SystemEvent.action == "account.unlocked")).all())


def test_help_says_required_in_chinese():
    for args in (["users", "create", "--help"], ["archive", "export", "--help"], ["users", "unlock", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0 and "[required]" not in result.output and "required" not in result.output
    assert "[必填]" in CliRunner().invoke(main, ["users", "create", "--help"]).output
