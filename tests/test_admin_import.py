"""批量导入 from Excel (a county starts with hundreds of units and about a thousand items, seed 003;
set up by administrators, seed 002 §8.1): the dry run names every row's problem by sheet, row and
column and writes nothing; the import then loads the rows in one go; a second import of the same
file changes nothing; a thousand items load in seconds."""

from __future__ import annotations

import io
import re
import time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from engine import imports
from engine.errors import InvalidInput, PermissionDenied
from engine.models import Department, Item, Post, SystemEvent, User
from engine.service import start_case

from .conftest import As
from .test_admin_org import restore_org  # noqa: F401  (fixture)
from .webhelpers import _csrf, login

HEAD = {sheet: [h + ("*" if req else "") for _, h, req in cols] for sheet, cols in imports.SHEETS.items()}


def workbook(**sheets: list[list]) -> bytes:
    """A workbook with the template's headers and these rows (sheet names in Chinese as keys)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(HEAD[name])
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def item_row(code: str, name: str, dept: str = "wlj", flow: str = "individual_business_registration", **over) -> list:
    row = {"code": code, "name": name, "department": dept, "category": "20", "case_type": "承诺件", "legal_limit": 20,
           "promised_limit": 5, "limit_unit": "工作日", "legal_basis": "《营业性演出管理条例》第七条",
           "subject_nature": "法定机关", "section": "市场股", "conditions": "依法设立的演出场所经营单位",
           "materials": "备案申请表；营业执照", "place": "阳光县政务服务中心 3 号窗口", "phone": "0883-6120001",
           "supervision_phone": "0883-6120012", "process_key": flow, "charges_fee": "否", "fee_basis": None,
           "fee_standard": None, "audiences": "法人办事", "aliases": "开演出场所", "extra": None}
    row.update(over)
    return [row[k] for k, _, _ in imports.SHEETS["事项"]]


GOOD = dict(
    部门=[["wlj", "阳光县文化和旅游局", "530930", None, None, "0883-6120088", "城关镇文化路 1 号"],
        ["wlj-sc", "市场股", 530930, "wlj", None, None, None]],
    岗位=[["wlj", "window", "窗口受理"], ["wlj-sc", "handle", "承办"]],
    账号=[["wl001", "文明", "wlj", "window", "窗口受理"], ["wl002", "武艺", "wlj-sc", "handle", "handler、leader"]],
    事项=[item_row("205309300101", "演出场所备案"), item_row("205309300102", "艺术品经营单位备案")],
)


@pytest.mark.usefixtures("restore_org")
def test_the_dry_run_names_every_problem_by_row_and_column(run, database):
    data = workbook(
        部门=[["wlj", "阳光县文化和旅游局", "530930", None, "91530930MA6N8X0Q30", None, None],
            ["wlj", "重复的代码", "530930", None, None, None, None],
            ["wl x", "", "999999", "nowhere", None, "call", None],
            ["a1", "甲", "530930", "a2", None, None, None], ["a2", "乙", "530930", "a1", None, None, None]],
        岗位=[["wlj", "window", "窗口受理"], ["nowhere", "1bad", None]],
        账号=[["wl001", "文明", "wlj", "window、approve", "窗口受理、国王"], ["sc001", "李娜", "scjgj", "window", "clerk"],
            ["wl001", "又一个", "wlj", None, None]],
        事项=[item_row("205309300101", "演出场所备案", promised_limit=30),
            item_row("015309300101", "错类型", category="20"),
            item_row("205309300103", "无流程", flow="no_such_flow", legal_basis=None),
            item_row("205309300101", "重复编码", legal_limit="二十")],
    )
    plan = run(imports.check, As("admin"), data)
    got = {(p.sheet, p.row, p.column.split("（")[0]): p.message for p in plan.problems}
    assert got[("部门", 2, "E")] == "统一社会信用代码“91530930MA6N8X0Q30”校验码错误。"
    assert got[("部门", 3, "A")] == "与第 2 行重复（wlj）。"
    assert got[("部门", 4, "A")].startswith("部门代码只能包含") and got[("部门", 4, "B")] == "请填写部门名称。"
    assert got[("部门", 4, "C")] == "行政区划代码“999999”不存在。"
    assert got[("部门", 4, "D")] == "上级部门“nowhere”不存在（数据库和本文件中都没有）。"
    assert "联系电话只能包含" in got[("部门", 4, "F")]
    assert "形成循环" in got[("部门", 5, "D")] and "形成循环" in got[("部门", 6, "D")]
    assert got[("岗位", 3, "A")] == "部门“nowhere”不存在（数据库和本文件中都没有）。"
    assert "岗位代码只能包含" in got[("岗位", 3, "B")] and got[("岗位", 3, "C")] == "请填写岗位名称。"
    assert got[("账号", 2, "D")] == "部门“wlj”没有岗位“approve”（可在“岗位”工作表中新建）。"
    assert got[("账号", 2, "E")].startswith("角色“国王”不存在")
    assert got[("账号", 4, "A")] == "与第 2 行重复（wl001）。"
    assert got[("事项", 2, "G")] == "承诺期限（30）不能超过法定期限（20）。"
    assert got[("事项", 3, "A")] == "事项编码 015309300101 的前两位应为事项类型代码 20。"
    assert got[("事项", 4, "Q")] == "流程“no_such_flow”尚未部署，请先在流程设计中部署流程图。"
    assert got[("事项", 5, "A")] == "与第 2 行重复（205309300101）。"
    assert got[("事项", 5, "F")] == "法定期限应为不小于 0 的整数（天数）。"
    assert ("账号", 3, "A") not in got and plan.skipped["账号"] == 1  # sc001 exists: skipped, not a problem
    assert not plan.ok
    with database.transaction(write=False) as s:  # the dry run wrote nothing
        assert s.scalar(select(func.count()).select_from(Department).where(Department.code == "wlj")) == 0
    with pytest.raises(InvalidInput, match="处问题，请先改正再导入"):
        run(imports.load, As("admin"), data)
    with pytest.raises(PermissionDenied):
        run(imports.check, As("sc001"), data)


@pytest.mark.usefixtures("restore_org")
def test_a_missing_column_or_a_broken_file_is_said_plainly(run):
    wb = Workbook()
    wb.active.title = "部门"
    wb.active.append(["部门代码", "部门名", "行政区划代码"])
    out = io.BytesIO()
    wb.save(out)
    plan = run(imports.check, As("admin"), out.getvalue())
    messages = [p.message for p in plan.problems]
    assert "无法识别的列名“部门名”，请使用导入模板中的列名。" in messages and "缺少必填列“部门名称”。" in messages
    assert "xlsx" in run(imports.check, As("admin"), b"PK\x03\x04 not really").problems[0].message
    broken = run(imports.check, As("admin"), b"hello")
    assert len(broken.problems) == 1 and "xlsx" in broken.problems[0].message
    big = run(imports.check, As("admin"), b"0" * (imports.MAX_BYTES + 1))
    assert "文件过大" in big.problems[0].message


def test_the_template_has_the_chinese_headers(run):
    wb = load_workbook(io.BytesIO(imports.template()), read_only=True)
    assert wb.sheetnames == ["说明", "行政区划", "部门", "岗位", "账号", "事项"]
    assert next(wb["事项"].iter_rows(values_only=True))[:3] == ("事项编码*", "事项名称*", "部门代码*")
    plan = run(imports.check, As("admin"), imports.template())
    # the unmodified template has nothing to import: said so, and nothing to confirm (QA finding 20)
    assert not plan.ok and [p.message for p in plan.problems] == ["工作簿中没有可导入的行。"]
    assert plan.counts() == {s: (0, 0) for s in imports.SHEETS}


@pytest.mark.usefixtures("restore_org")
def test_the_import_loads_the_rows_once(run, database, person):
    data = workbook(**GOOD)
    plan = run(imports.check, As("admin"), data)
    assert plan.ok, plan.problems
    assert plan.counts() == {"部门": (2, 0), "岗位": (2, 0), "账号": (2, 0), "事项": (2, 0)}
    loaded = run(imports.load, As("admin"), data, filename="阳光县.xlsx")
    assert loaded.created == {"部门": 2, "岗位": 2, "账号": 2, "事项": 2}
    with database.transaction(write=False) as s:
        section = s.scalars(select(Department).where(Department.code == "wlj-sc")).one()
        assert section.parent.code == "wlj" and section.region.code == "530930"
        user = s.scalars(select(User).where(User.staff_no == "wl002")).one()
        assert user.roles == ["handler", "leader"] and [p.code for p in user.posts] == ["handle"]
        assert user.department_id == section.id and user.password_hash.startswith("!")  # no password yet
        item = s.scalars(select(Item).where(Item.code == "205309300101")).one()
        version = item.current_version
        assert version.name == "演出场所备案" and version.promised_limit == 5 and version.audiences == ["company"]
        assert [m["name"] for m in version.materials] == ["备案申请表", "营业执照"] and version.published_by_id
        log = s.scalars(select(SystemEvent).where(SystemEvent.action == "import.loaded")
                        .order_by(SystemEvent.seq.desc())).first()
        assert log.target == "阳光县.xlsx" and "事项新建 2" in log.detail["kind"] and loaded.sha256 in log.detail["note"]
    # the imported item takes cases at once: its steps go to the new department's posts
    case = run(start_case, "205309300101", person, As("admin"))
    assert case.department_id == section.parent_id
    with database.transaction(write=False) as s:
        logs = s.scalar(select(func.count()).select_from(SystemEvent))
    # a second import of the same file changes nothing
    again = run(imports.load, As("admin"), data, filename="阳光县.xlsx")
    assert again.created == {"部门": 0, "岗位": 0, "账号": 0, "事项": 0}
    assert again.skipped == {"部门": 2, "岗位": 2, "账号": 2, "事项": 2}
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(SystemEvent)) == logs + 1  # the one import.loaded row
        assert s.scalar(select(func.count()).select_from(Post).join(Post.department)
                        .where(Department.code.in_(["wlj", "wlj-sc"]))) == 2


@pytest.mark.usefixtures("restore_org")
def test_a_thousand_items_load_in_seconds(run, database):
    rows = [item_row(f"20530930{n:04d}", f"演出备案事项{n}", dept="wlj") for n in range(1000, 2000)]
    data = workbook(部门=GOOD["部门"][:1], 事项=rows)
    started = time.monotonic()
    plan = run(imports.check, As("admin"), data)
    checked = time.monotonic() - started
    assert plan.ok and plan.counts()["事项"] == (1000, 0)
    loaded = run(imports.load, As("admin"), data)
    took = time.monotonic() - started
    assert loaded.created["事项"] == 1000
    assert checked < 20 and took < 90, (checked, took)
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Item).where(Item.code.like("20530930%"))) >= 1000


@pytest.mark.usefixtures("restore_org")
def test_the_import_pages(app, database, tmp_path):
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    token = _csrf(client.get("/admin/import").get_data(as_text=True))
    template = client.get("/admin/import/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    bad = workbook(部门=[["wlj", "", "530930", None, None, None, None]])
    answer = client.post("/admin/import", data={"csrf_token": token, "file": (io.BytesIO(bad), "县.xlsx")},
                         content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "请填写部门名称。" in html and "<td>部门</td><td>2</td><td>B（部门名称）</td>" in html
    assert "confirm-import" not in html
    none = client.post("/admin/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert none.status_code == 422 and "请选择要导入的 .xlsx 文件" in none.get_data(as_text=True)
    text = client.post("/admin/import", data={"csrf_token": token, "file": (io.BytesIO(b"a,b"), "x.csv")},
                       content_type="multipart/form-data")
    assert text.status_code == 422 and "不是 .xlsx 工作簿" in text.get_data(as_text=True)
    good = workbook(**GOOD)
    answer = client.post("/admin/import", data={"csrf_token": token, "file": (io.BytesIO(good), "县.xlsx")},
                         content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "检查通过" in html
    upload_id = re.search(r'name="upload_id" value="([0-9a-f]+)"', html).group(1)
    sha = re.search(r'name="sha256" value="([0-9a-f]+)"', html).group(1)
    assert client.post("/admin/import/confirm", data={"csrf_token": token, "upload_id": "../../etc/passwd",
                                                      "sha256": sha}).status_code == 422
    assert client.post("/admin/import/confirm", data={"csrf_token": token, "upload_id": upload_id,
                                                      "sha256": "0" * 64}).status_code == 422
    done = client.post("/admin/import/confirm", data={"csrf_token": token, "upload_id": upload_id, "sha256": sha,
                                                      "filename": "县.xlsx"})
    assert done.status_code == 200 and "事项：新建 2 条" in done.get_data(as_text=True)
    twice = client.post("/admin/import/confirm", data={"csrf_token": token, "upload_id": upload_id, "sha256": sha})
    assert twice.status_code == 404
    with database.transaction(write=False) as s:
        assert s.scalars(select(User).where(User.staff_no == "wl001")).one().department.code == "wlj"


@pytest.mark.usefixtures("restore_org")
def test_the_import_takes_the_pages_level_names_and_its_rules(run):
    """The same level words and region rules as the page; codes unique ignoring case; post codes lower-case."""
    plan = run(imports.check, As("admin"), workbook(
        行政区划=[["530930104000", "向阳乡", "乡（镇、街道）", "530930"],
                  ["530932105000", "别县乡", "乡", "530930"],
                  ["530000000009", "省下村", "村", "530000"]],
        部门=[["ZFB", "另一个政务局", "530930", None, None, None, None],
              ["wlj", "文旅局", "530930", None, None, None, None],
              ["wlj2", "文旅局", "530930", None, None, None, None]],
        岗位=[["wlj", "WINDOW", "窗口"]],
        账号=[["SC001", "重名", "wlj", None, None], ["wl009", "甲", "wlj", None, None],
              ["WL009", "乙", "wlj", None, None]]))
    by_row = {(p.sheet, p.row): p.message for p in plan.problems}
    assert ("行政区划", 2) not in by_row  # 乡（镇、街道） is a level the import knows
    assert "应以上级“阳光县”的代码前缀 530930 开头" in by_row[("行政区划", 3)]
    assert "村（社区）级区划不能直接设在省级" in by_row[("行政区划", 4)]
    assert "只差大小写" in by_row[("部门", 2)] and "同一上级下已有名为“文旅局”" in by_row[("部门", 4)]
    assert "须为小写英文字母" in by_row[("岗位", 2)]
    assert "与已有的 sc001 只差大小写" in by_row[("账号", 2)] and "与第 3 行重复" in by_row[("账号", 4)]
