"""批量导入 from one Excel workbook (openpyxl, read-only): regions, departments, posts, accounts and
items — a county starts with hundreds of units and about a thousand items (seed 003), set up by an
administrator (seed 002 §8.1).

:func:`check` is the dry run: it reads every row of every sheet and returns every problem by
sheet, row and column in Chinese, writing nothing. :func:`load` runs the same check and, only
when it finds nothing, writes everything in the caller's transaction (one transaction: all rows
or none) and logs ``import.loaded`` with the counts.

Decisions: a code that already exists (行政区划代码, 部门代码, 部门+岗位代码, 工号, 事项编码) is
skipped, never changed — so a second import of the same file changes nothing, and changing an
existing item still goes through 事项变更申报 and its legal review. New items are published at
once: the import is the administrator's initial load of a 权力清单 the 法制办 has already
confirmed, logged as such (published by the administrator, ``import.loaded`` naming the file's
SHA-256). Imported accounts get no password: they sign in through 统一身份认证, or an
administrator resets their password (shown once, changed at first login) — a workbook never
carries passwords, and a page never shows hundreds of them.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import orgadmin, passwords, systemlog
from .catalogue import missing_fields
from .catalogue_fields import LABELS, checked_fields
from .errors import InvalidInput
from .models import Department, Item, Post, ProcessDefinition, Region, User
from .models.items import AUDIENCES, CASE_TYPES, ITEM_CATEGORIES, LIMIT_UNITS, SUBJECT_NATURES
from .models.org import ROLE_NAMES
from .orgadmin import DEPT_CODE, PHONE, REGION_CODE, STAFF_NO, Checker
from .organisation import publish_item
from .validation import half_width

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000  # per sheet
MAX_PROBLEMS = 2000  # listed; the count says how many more
ITEM_CODE = re.compile(r"^\d{12,40}$")
LIST_SPLIT = re.compile(r"[、，,；;\n]+")
LEVEL_WORDS = orgadmin.REGION_LEVEL_WORDS  # the same words as the page's 级别 list

# sheet → [(field, header, required)]; the template writes these headers, a "*" marks the required ones
SHEETS: dict[str, list[tuple[str, str, bool]]] = {
    "行政区划": [("code", "区划代码", True), ("name", "区划名称", True), ("level", "级别", True),
             ("parent", "上级区划代码", False)],
    "部门": [("code", "部门代码", True), ("name", "部门名称", True), ("region", "行政区划代码", True),
           ("parent", "上级部门代码", False), ("credit_code", "统一社会信用代码", False), ("phone", "联系电话", False),
           ("address", "地址", False)],
    "岗位": [("department", "部门代码", True), ("code", "岗位代码", True), ("name", "岗位名称", True)],
    "账号": [("staff_no", "工号", True), ("name", "姓名", True), ("department", "部门代码", True),
           ("posts", "岗位代码", False), ("roles", "角色", False)],
    "事项": [("code", "事项编码", True), ("name", "事项名称", True), ("department", "部门代码", True),
           ("category", "事项类型", True), ("case_type", "办件类型", False), ("legal_limit", "法定期限", True),
           ("promised_limit", "承诺期限", True), ("limit_unit", "期限单位", False), ("legal_basis", "设定依据", True),
           ("subject_nature", "实施主体性质", False), ("section", "办理科室", True), ("conditions", "受理条件", True),
           ("materials", "申请材料", True), ("place", "办理地点", True), ("phone", "咨询电话", True),
           ("supervision_phone", "监督电话", True), ("process_key", "流程编码", True), ("charges_fee", "是否收费", False),
           ("fee_basis", "收费依据", False), ("fee_standard", "收费标准", False), ("audiences", "面向对象", False),
           ("aliases", "俗称", False), ("extra", "分类特有信息", False)],
}
EXAMPLES = {
    "行政区划": ["530930101000", "城关镇", "乡", "530930"],
    "部门": ["wlj", "阳光县文化和旅游局", "530930", "", "", "0883-6120001", "阳光县城关镇文化路 1 号"],
    "岗位": ["wlj", "window", "窗口受理"],
    "账号": ["wl001", "张三", "wlj", "window、handle", "窗口受理"],
    "事项": ["205309300101", "演出场所备案", "wlj", "20 或 公共服务", "承诺件", 20, 5, "工作日",
           "《营业性演出管理条例》第七条", "法定机关", "市场股", "依法设立的演出场所经营单位",
           "备案申请表；营业执照", "阳光县政务服务中心 3 号窗口", "0883-6120001", "0883-6120012",
           "individual_business_registration", "否", "", "", "法人办事", "开演出场所", ""],
}
NOTES = ("带 * 的列必填。每张工作表第一行是列名，从第二行起每行一条；不需要的工作表可以删除。"
         "多个岗位、角色、材料、面向对象、俗称用顿号“、”或分号分隔。已存在的代码（区划代码、部门代码、部门内的岗位代码、工号、事项编码）"
         "跳过、不修改；先“检查”（不写入任何数据），没有问题后再“确认导入”。导入的账号没有密码：由管理员重置密码（只显示一次）或通过统一身份认证登录。"
         "导入的事项直接发布（用于法制办已确认的权力清单的首次录入）；修改已有事项请走事项变更申报和法制审核。")


@dataclass
class Problem:
    sheet: str
    row: int | None  # the spreadsheet's row number (None: the whole sheet or file)
    column: str  # "C（部门名称）" or ""
    message: str


@dataclass
class Plan:
    """What a dry run found: the problems, and the rows that would be created (by sheet)."""

    sha256: str
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    rows: dict[str, list[dict]] = field(default_factory=dict)  # new rows to create
    skipped: dict[str, int] = field(default_factory=dict)  # rows whose code exists already

    @property
    def ok(self) -> bool:
        return not self.problems and not self.more_problems

    def counts(self) -> dict[str, tuple[int, int]]:
        """{sheet: (new, skipped)} for the sheets in the workbook."""
        return {s: (len(self.rows.get(s, [])), self.skipped.get(s, 0)) for s in SHEETS
                if s in self.rows or s in self.skipped}

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.more_problems += 1
        else:
            self.problems.append(Problem(sheet, row, column, message))


@dataclass
class Loaded:
    sha256: str
    created: dict[str, int]
    skipped: dict[str, int]


def template() -> bytes:
    """The template workbook: one sheet per kind with its Chinese headers and an example row."""
    wb = Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "阳光政务大厅 批量导入模板"
    wb.active["A2"] = NOTES
    wb.active["A4"] = "角色：" + "、".join(f"{v}（{k}）" for k, v in ROLE_NAMES.items())
    wb.active["A5"] = "事项类型：" + "、".join(f"{k} {v}" for k, v in ITEM_CATEGORIES.items())
    wb.active["A6"] = "办件类型：" + "、".join(CASE_TYPES.values()) + "；期限单位：" + "、".join(LIMIT_UNITS.values())
    wb.active["A7"] = "实施主体性质：" + "、".join(SUBJECT_NATURES) + "；面向对象：" + "、".join(AUDIENCES.values())
    wb.active["A8"] = ("分类特有信息（行政处罚、行政强制、行政征收须填）：每项写成“名称：内容”，用分号分隔，"
                       "如“处罚种类：警告、罚款；处罚程序：一般程序；实施主体：…；裁量基准：轻微 0-500、一般 500-2000”。")
    notes = wb.active
    notes.column_dimensions["A"].width = 40
    notes.append([])
    notes.append(["各工作表的示例（填在对应工作表的第二行起，不要照抄示例）："])
    for sheet, columns in SHEETS.items():
        notes.append([f"工作表“{sheet}”"])
        notes.append([header + ("*" if required else "") for _, header, required in columns])
        notes.append(EXAMPLES[sheet])
        ws = wb.create_sheet(sheet)
        ws.append([header + ("*" if required else "") for _, header, required in columns])
        for i in range(1, len(columns) + 1):
            ws.column_dimensions[get_column_letter(i)].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- reading

def _read(data: bytes, plan: Plan) -> dict[str, list[tuple[int, dict, dict]]]:
    """{sheet: [(row number, {field: value}, {field: column label})]} of the known sheets."""
    if len(data) > MAX_BYTES:
        plan.add("", None, "", f"文件过大（{len(data) // 1024} KB），不能超过 {MAX_BYTES // 1024 // 1024} MB。")
        return {}
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError):
        plan.add("", None, "", "无法读取文件：请上传用 Excel 保存的 .xlsx 工作簿（可先下载导入模板）。")
        return {}
    except Exception:  # openpyxl raises many kinds for a damaged file; each means the same to the person
        plan.add("", None, "", "文件已损坏或不是 .xlsx 工作簿，无法读取。")
        return {}
    out = {}
    try:
        known = [s for s in wb.sheetnames if s in SHEETS]
        if not known:
            plan.add("", None, "", "工作簿中没有可导入的工作表，工作表名称应为：" + "、".join(SHEETS) + "。")
        for name in known:
            out[name] = _sheet(wb[name], name, plan)
    finally:
        wb.close()
    return out


def _sheet(ws, name: str, plan: Plan) -> list[tuple[int, dict, dict]]:
    columns = SHEETS[name]
    by_header = {header: key for key, header, _ in columns}
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    index: dict[str, int] = {}
    for i, cell in enumerate(header):
        text = str(cell).strip().rstrip("*＊").strip() if cell is not None else ""
        if not text:
            continue
        if text not in by_header:
            plan.add(name, 1, get_column_letter(i + 1), f"无法识别的列名“{text[:30]}”，请使用导入模板中的列名。")
        elif by_header[text] in index:
            plan.add(name, 1, get_column_letter(i + 1), f"列“{text}”重复。")
        else:
            index[by_header[text]] = i
    for key, label, required in columns:
        if required and key not in index:
            plan.add(name, 1, "", f"缺少必填列“{label}”。")
    labels = {key: f"{get_column_letter(i + 1)}（{next(h for k, h, _ in columns if k == key)}）" for key, i in index.items()}
    out = []
    for number, values in enumerate(rows, start=2):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(out) >= MAX_ROWS:
            plan.add(name, number, "", f"每张工作表最多 {MAX_ROWS} 行，请分成几个文件导入。")
            break
        row = {key: (values[i] if i < len(values) else None) for key, i in index.items()}
        out.append((number, row, labels))
    return out


def _report(plan: Plan, sheet: str, number: int, labels: dict, c: Checker) -> bool:
    for key, message in c.errors.items():
        plan.add(sheet, number, labels.get(key, ""), message)
    return not c.errors


def _items(value) -> list[str]:
    if value is None:
        return []
    text = str(value) if isinstance(value, (int, float)) else value
    if not isinstance(text, str):
        return []
    return [p.strip() for p in LIST_SPLIT.split(text) if p.strip()]


# ---------------------------------------------------------------- the dry run

class _Known:
    """What the database holds already, read once (the check then runs in memory)."""

    def __init__(self, session: Session):
        self.regions = {r.code: r.level for r in session.scalars(select(Region))}
        self.region_names = {r.code: r.name for r in session.scalars(select(Region))}
        self.departments = {d.code: d for d in session.scalars(select(Department))}
        self.credit = {d.credit_code: d.code for d in self.departments.values() if d.credit_code}
        self.posts = {(d, c) for d, c in session.execute(select(Department.code, Post.code).join(Post.department))}
        self.staff = set(session.scalars(select(User.staff_no)))
        # codes are unique ignoring case (orgadmin.same_code): the existing spelling of each lower-cased code
        self.departments_lower = {c.lower(): c for c in self.departments}
        self.staff_lower = {s.lower(): s for s in self.staff}
        self.posts_lower = {(d.lower(), c.lower()): c for d, c in self.posts}
        self.items = set(session.scalars(select(Item.code)))
        self.flows = set(session.scalars(select(ProcessDefinition.process_key).distinct()))
        self.new_departments: set[str] = set()  # the workbook's own, once its 部门 sheet is checked


def check(session: Session, actor: User, data: bytes) -> Plan:
    """The dry run: every problem of every row, nothing written."""
    orgadmin.require_admin(actor)
    if not isinstance(data, (bytes, bytearray)):
        raise InvalidInput("请选择要导入的 .xlsx 文件。", field="file")
    plan = Plan(sha256=hashlib.sha256(data).hexdigest())
    sheets = _read(bytes(data), plan)
    known = _Known(session)
    _check_regions(plan, sheets.get("行政区划"), known)
    _check_departments(plan, sheets.get("部门"), known)
    _check_posts(plan, sheets.get("岗位"), known)
    _check_users(plan, sheets.get("账号"), known)
    _check_items(session, plan, sheets.get("事项"), known)
    if plan.ok and not any(new + skipped for new, skipped in plan.counts().values()):
        plan.add("", None, "", "工作簿中没有可导入的行。")  # the unmodified template: nothing to confirm
    return plan


def _seen_twice(plan: Plan, sheet: str, number: int, labels: dict, key: str, value, seen: dict) -> bool:
    """A code seen on an earlier row, ignoring case (codes are unique ignoring case)."""
    folded = tuple(v.lower() for v in value) if isinstance(value, tuple) else str(value).lower()
    if folded in seen:
        shown = "、".join(value) if isinstance(value, tuple) else value
        plan.add(sheet, number, labels.get(key, ""), f"与第 {seen[folded]} 行重复（{shown}）。")
        return True
    seen[folded] = number
    return False


def _check_regions(plan: Plan, rows, known: _Known) -> None:
    if rows is None:
        return
    sheet, seen, new, names = "行政区划", {}, {}, {}
    plan.rows[sheet], plan.skipped[sheet] = [], 0
    for number, row, labels in rows:
        c = Checker()
        code = c.text("code", row.get("code"), "区划代码", 12, code=True, pattern=REGION_CODE,
                      hint="区划代码应为 6 位或 12 位数字（如 530930）。")
        name = c.text("name", row.get("name"), "区划名称", orgadmin.NAME_MAX)
        level_text = c.text("level", row.get("level"), "级别", 10)
        level = orgadmin.region_level(level_text) if level_text else None
        if level_text and level is None:
            c.fail("level", f"级别“{level_text}”无效，应为 {'、'.join(orgadmin.REGION_LEVEL_NAMES.values())} 之一。")
        parent = c.text("parent", row.get("parent"), "上级区划代码", 12, required=False, code=True)
        if parent and parent not in known.regions and parent not in new:
            c.fail("parent", f"上级区划“{parent}”不存在（数据库和本文件中都没有）。")
        elif parent and level:
            parent_level = known.regions.get(parent) or new.get(parent)
            problem = orgadmin.region_parent_problem(level, code, parent_level, parent,
                                                     known.region_names.get(parent) or names.get(parent) or parent)
            if problem:
                c.fail("parent", problem)
        twice = bool(code) and _seen_twice(plan, sheet, number, labels, "code", code, seen)
        if not _report(plan, sheet, number, labels, c) or twice:
            continue
        if code in known.regions:
            plan.skipped[sheet] += 1
            continue
        new[code], names[code] = level, name
        plan.rows[sheet].append({"code": code, "name": name, "level": level, "parent_code": parent})
    known.regions.update(new)


def _check_departments(plan: Plan, rows, known: _Known) -> None:
    if rows is None:
        return
    sheet, seen, credit_seen, names_seen = "部门", {}, {}, {}
    plan.rows[sheet], plan.skipped[sheet] = [], 0
    in_file = {}
    for number, row, _labels in rows:
        code = row.get("code")
        code = half_width(str(code)).strip() if isinstance(code, (str, int)) else None
        if code:
            in_file.setdefault(code, (number, row))
    for number, row, labels in rows:
        c = Checker()
        code = c.text("code", row.get("code"), "部门代码", orgadmin.CODE_MAX, code=True, pattern=DEPT_CODE,
                      hint="部门代码只能包含英文字母、数字、下划线、点和连字符（如 scjgj）。")
        name = c.text("name", row.get("name"), "部门名称", orgadmin.NAME_MAX)
        region = c.text("region", row.get("region"), "行政区划代码", 12, code=True)
        if region and region not in known.regions:
            c.fail("region", f"行政区划代码“{region}”不存在。")
        parent = c.text("parent", row.get("parent"), "上级部门代码", orgadmin.CODE_MAX, required=False, code=True)
        if parent and parent not in known.departments and parent not in in_file:
            c.fail("parent", f"上级部门“{parent}”不存在（数据库和本文件中都没有）。")
        elif parent and code and _cycle(code, parent, in_file, known):
            c.fail("parent", f"上级部门“{parent}”形成循环（部门不能是自己的上级）。")
        if name and region and code:
            twin = next((d.code for d in known.departments.values() if d.name == name and d.code != code
                         and (d.region.code if d.region else None) == region
                         and (d.parent.code if d.parent else None) == parent), None)
            twin = twin or names_seen.get((region, parent, name))
            if twin:
                c.fail("name", f"同一上级下已有名为“{name}”的部门（部门代码 {twin}）。")
            names_seen.setdefault((region, parent, name), code)
        credit = c.credit_code("credit_code", row.get("credit_code"))
        c.text("phone", row.get("phone"), "联系电话", orgadmin.PHONE_MAX, required=False, code=True, pattern=PHONE,
               hint="联系电话只能包含数字、连字符、括号和空格。")
        c.text("address", row.get("address"), "地址", orgadmin.ADDRESS_MAX, required=False)
        twice = bool(code) and _seen_twice(plan, sheet, number, labels, "code", code, seen)
        existing = known.departments.get(code) if code else None
        spelled = known.departments_lower.get(code.lower()) if code else None
        if spelled is not None and existing is None:
            c.fail("code", f"部门代码 {code} 与已有的 {spelled} 只差大小写，代码不区分大小写，请使用 {spelled}。")
        if credit:
            owner = known.credit.get(credit)
            if owner is not None and owner != code:
                c.fail("credit_code", f"统一社会信用代码 {credit} 已属于部门“{owner}”。")
            elif credit in credit_seen:
                c.fail("credit_code", f"统一社会信用代码 {credit} 与第 {credit_seen[credit]} 行重复。")
            credit_seen.setdefault(credit, number)
        if not _report(plan, sheet, number, labels, c) or twice:
            continue
        if existing is not None:
            plan.skipped[sheet] += 1
            continue
        plan.rows[sheet].append({"code": code, "name": name, "region": region, "parent": parent, "credit_code": credit,
                                 "phone": row.get("phone"), "address": row.get("address")})
    known.new_departments = set(in_file)  # a row with a problem of its own is no second problem elsewhere


def _cycle(code: str, parent: str, in_file: dict, known: _Known) -> bool:
    seen, node = set(), parent
    while node and node not in seen:
        if node == code:
            return True
        seen.add(node)
        if node in in_file:
            raw = in_file[node][1].get("parent")
            node = half_width(str(raw)).strip() if isinstance(raw, (str, int)) and raw != "" else None
        elif node in known.departments:
            up = known.departments[node].parent
            node = up.code if up is not None else None
        else:
            node = None
    return False


def _department_known(known: _Known, code: str) -> bool:
    return code in known.departments or code in known.new_departments


def _check_posts(plan: Plan, rows, known: _Known) -> None:
    if rows is None:
        return
    sheet, seen = "岗位", {}
    plan.rows[sheet], plan.skipped[sheet] = [], 0
    in_file = set()
    for number, row, labels in rows:
        c = Checker()
        dept = c.text("department", row.get("department"), "部门代码", orgadmin.CODE_MAX, code=True)
        if dept and not _department_known(known, dept):
            c.fail("department", f"部门“{dept}”不存在（数据库和本文件中都没有）。")
        code = orgadmin.post_code(c, "code", row.get("code"))
        name = c.text("name", row.get("name"), "岗位名称", orgadmin.NAME_MAX)
        spelled = known.posts_lower.get((dept.lower(), code.lower())) if dept and code else None
        if spelled is not None and (dept, code) not in known.posts:
            c.fail("code", f"部门“{dept}”已有岗位代码 {spelled}，代码不区分大小写。")
        if dept and code:
            in_file.add((dept, code))
        twice = bool(dept and code) and _seen_twice(plan, sheet, number, labels, "code", (dept, code), seen)
        if not _report(plan, sheet, number, labels, c) or twice:
            continue
        if (dept, code) in known.posts:
            plan.skipped[sheet] += 1
            continue
        plan.rows[sheet].append({"department": dept, "code": code, "name": name})
    known.posts |= in_file
    known.posts_lower.update({(d.lower(), p.lower()): p for d, p in in_file})


ROLE_BY_WORD = {**{v: k for k, v in ROLE_NAMES.items()}, **{k: k for k in ROLE_NAMES}}


def _check_users(plan: Plan, rows, known: _Known) -> None:
    if rows is None:
        return
    sheet, seen = "账号", {}
    plan.rows[sheet], plan.skipped[sheet] = [], 0
    for number, row, labels in rows:
        c = Checker()
        staff_no = c.text("staff_no", row.get("staff_no"), "工号", passwords.STAFF_NO_MAX, code=True, pattern=STAFF_NO,
                          hint="工号只能包含英文字母、数字、下划线、点和连字符。")
        name = c.text("name", row.get("name"), "姓名", orgadmin.STAFF_NAME_MAX)
        dept = c.text("department", row.get("department"), "部门代码", orgadmin.CODE_MAX, code=True)
        if dept and not _department_known(known, dept):
            c.fail("department", f"部门“{dept}”不存在（数据库和本文件中都没有）。")
        post_codes = [half_width(p) for p in _items(row.get("posts"))]
        if len(post_codes) > orgadmin.MAX_POSTS:
            c.fail("posts", f"一个账号最多 {orgadmin.MAX_POSTS} 个岗位。")
        elif dept:
            missing = [p for p in post_codes if (dept, p) not in known.posts]
            if missing:
                c.fail("posts", f"部门“{dept}”没有岗位“{'、'.join(m[:40] for m in missing)}”（可在“岗位”工作表中新建）。")
        roles = []
        for word in _items(row.get("roles")):
            if word not in ROLE_BY_WORD:
                c.fail("roles", f"角色“{word[:20]}”不存在，应为：{'、'.join(ROLE_NAMES.values())}。")
            elif ROLE_BY_WORD[word] not in roles:
                roles.append(ROLE_BY_WORD[word])
        twice = bool(staff_no) and _seen_twice(plan, sheet, number, labels, "staff_no", staff_no, seen)
        spelled = known.staff_lower.get(staff_no.lower()) if staff_no else None
        if spelled is not None and staff_no not in known.staff:
            c.fail("staff_no", f"工号 {staff_no} 与已有的 {spelled} 只差大小写，工号不区分大小写，请使用 {spelled}。")
        if not _report(plan, sheet, number, labels, c) or twice:
            continue
        if staff_no in known.staff:
            plan.skipped[sheet] += 1
            continue
        plan.rows[sheet].append({"staff_no": staff_no, "name": name, "department": dept, "posts": post_codes,
                                 "roles": roles})


CATEGORY_BY_WORD = {**{v: k for k, v in ITEM_CATEGORIES.items()}, **{k: k for k in ITEM_CATEGORIES}}
CASE_TYPE_BY_WORD = {**{v: k for k, v in CASE_TYPES.items()}, **{k: k for k in CASE_TYPES}}
UNIT_BY_WORD = {**{v: k for k, v in LIMIT_UNITS.items()}, **{k: k for k in LIMIT_UNITS}}
AUDIENCE_BY_WORD = {**{v: k for k, v in AUDIENCES.items()}, **{k: k for k in AUDIENCES}}
YES, NO = {"是", "收费", "Y", "y", "yes", "1", True}, {"否", "不收费", "N", "n", "no", "0", False, None, ""}
# column of the item sheet for each field of the catalogue's own check
ITEM_FIELD_COLUMN = {"legal_basis": "legal_basis", "materials": "materials", "entrusting_unit": "subject_nature"}


def _int(c: Checker, key: str, value, label: str) -> int | None:
    if isinstance(value, bool):
        value = None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = half_width(value).strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else (None if not text else value)
    if value is None:
        c.fail(key, f"请填写{label}（天数）。")
        return None
    if not isinstance(value, int) or value < 0:
        c.fail(key, f"{label}应为不小于 0 的整数（天数）。")
        return None
    return value


def _extra(c: Checker, value) -> dict:
    """“处罚种类：警告、罚款；裁量基准：轻微 0-500、一般 500-2000；处罚程序：一般程序”."""
    out: dict = {}
    if value in (None, ""):
        return out
    if not isinstance(value, str):
        c.fail("extra", "分类特有信息格式不正确，应为“名称：内容”，用分号分隔。")
        return out
    for part in re.split(r"[；;\n]+", value):
        if not part.strip():
            continue
        key, sep, text = part.strip().replace(":", "：").partition("：")
        if not sep or not key.strip() or not text.strip():
            c.fail("extra", f"分类特有信息“{part.strip()[:30]}”应写成“名称：内容”。")
            continue
        key, text = key.strip(), text.strip()
        if key == "处罚种类":
            out[key] = [k.strip() for k in re.split(r"[、，,]+", text) if k.strip()]
        elif key == "裁量基准":
            ranges = {}
            for entry in re.split(r"[、，,]+", text):
                m = re.fullmatch(r"\s*(.+?)\s*(\d+(?:\.\d+)?)\s*[-－~～至]\s*(\d+(?:\.\d+)?)\s*", half_width(entry))
                if not m:
                    c.fail("extra", f"裁量基准“{entry.strip()[:30]}”应写成“情节 下限-上限”，如“一般 500-2000”。")
                    break
                ranges[m.group(1)] = [m.group(2), m.group(3)]
            out[key] = ranges
        else:
            out[key] = text
    return out


def _check_items(session: Session, plan: Plan, rows, known: _Known) -> None:
    if rows is None:
        return
    sheet, seen = "事项", {}
    plan.rows[sheet], plan.skipped[sheet] = [], 0
    for number, row, labels in rows:
        c = Checker()
        code = c.text("code", row.get("code"), "事项编码", 40, code=True, pattern=ITEM_CODE,
                      hint="事项编码应为 12 位以上的数字（基本编码：事项类型 2 位 + 行政区划 6 位 + 序号 4 位）。")
        dept = c.text("department", row.get("department"), "部门代码", orgadmin.CODE_MAX, code=True)
        if dept and not _department_known(known, dept):
            c.fail("department", f"部门“{dept}”不存在（数据库和本文件中都没有）。")
        word = c.text("category", row.get("category"), "事项类型", 20, code=True)
        category = CATEGORY_BY_WORD.get(word) if word else None
        if word and category is None:
            c.fail("category", f"事项类型“{word}”无效，应为代码（如 01）或名称（如 行政许可）。")
        elif category and code and not code.startswith(category):
            c.fail("code", f"事项编码 {code} 的前两位应为事项类型代码 {category}。")
        case_word = c.text("case_type", row.get("case_type"), "办件类型", 20, required=False)
        case_type = CASE_TYPE_BY_WORD.get(case_word or "承诺件")
        if case_type is None:
            c.fail("case_type", f"办件类型“{case_word}”无效，应为：{'、'.join(CASE_TYPES.values())}。")
        unit_word = c.text("limit_unit", row.get("limit_unit"), "期限单位", 10, required=False)
        unit = UNIT_BY_WORD.get(unit_word or "工作日")
        if unit is None:
            c.fail("limit_unit", "期限单位应为“工作日”或“自然日”。")
        nature = c.text("subject_nature", row.get("subject_nature"), "实施主体性质", 20, required=False) or "法定机关"
        if nature not in SUBJECT_NATURES:
            c.fail("subject_nature", f"实施主体性质应为：{'、'.join(SUBJECT_NATURES)}。")
        legal = _int(c, "legal_limit", row.get("legal_limit"), "法定期限")
        promised = _int(c, "promised_limit", row.get("promised_limit"), "承诺期限")
        if legal is not None and promised is not None and promised > legal:
            c.fail("promised_limit", f"承诺期限（{promised}）不能超过法定期限（{legal}）。")
        flow = c.text("process_key", row.get("process_key"), "流程编码", 100, code=True)
        if flow and flow not in known.flows:
            c.fail("process_key", f"流程“{flow[:40]}”尚未部署，请先在流程设计中部署流程图。")
        fee = row.get("charges_fee")
        fee = fee.strip() if isinstance(fee, str) else fee
        if fee not in YES and fee not in NO:
            c.fail("charges_fee", "是否收费应填“是”或“否”。")
        audiences = []
        for a in _items(row.get("audiences")):
            if a not in AUDIENCE_BY_WORD:
                c.fail("audiences", "面向对象应为“个人办事”或“法人办事”。")
            else:
                audiences.append(AUDIENCE_BY_WORD[a])
        texts = {k: row.get(k) for k in ("name", "section", "conditions", "place", "phone", "supervision_phone",
                                         "fee_basis", "fee_standard")}
        for key in ("phone", "supervision_phone"):  # 6120001 typed into a number cell
            if isinstance(texts[key], int) and not isinstance(texts[key], bool):
                texts[key] = str(texts[key])
        for key, size in (("name", 200), ("section", 100), ("conditions", 5000), ("place", 200), ("phone", 40),
                          ("supervision_phone", 40)):
            texts[key] = c.text(key, texts[key], LABELS[key] if key != "phone" else "咨询电话", size,
                                multiline=key == "conditions")
        basis = _items(row.get("legal_basis")) if isinstance(row.get("legal_basis"), str) else []
        materials = _items(row.get("materials")) if isinstance(row.get("materials"), str) else []
        fields = {
            **{k: (v.strip() if isinstance(v, str) else v) for k, v in texts.items()},
            "category": category, "case_type": case_type or "promised", "limit_unit": unit,
            "subject_nature": nature, "legal_limit": legal, "promised_limit": promised,
            "legal_basis": [{"title": b[:200], "article": "", "text": ""} for b in basis],
            "materials": [{"name": m[:200], "format": "纸质", "original": "原件", "count": 1, "required": True}
                          for m in materials],
            "charges_fee": fee in YES, "process_key": flow, "audiences": audiences,
            "aliases": _items(row.get("aliases")), "extra": _extra(c, row.get("extra")),
        }
        if not c.errors:
            try:
                fields = checked_fields(fields)
            except InvalidInput as exc:
                for key, message in (exc.details.get("errors") or {"name": exc.message}).items():
                    c.fail(ITEM_FIELD_COLUMN.get(key, key if key in labels else "name"), message)
        if not c.errors:
            lacking = [m for m in _lacking(session, fields, known) if m]
            if lacking:
                c.fail("name", "事项信息不完整，缺少：" + "、".join(lacking) + "。")
        twice = bool(code) and _seen_twice(plan, sheet, number, labels, "code", code, seen)
        if not _report(plan, sheet, number, labels, c) or twice:
            continue
        if code in known.items:
            plan.skipped[sheet] += 1
            continue
        plan.rows[sheet].append({"code": code, "department": dept, "fields": fields})


def _lacking(session: Session, fields: dict, known: _Known) -> list[str]:
    """The catalogue's completeness check, with the flow looked up in what was read once."""
    lacking = missing_fields(session, {**fields, "process_key": None})  # no query for the flow
    return [m for m in lacking if m != LABELS["process_key"]] if fields.get("process_key") in known.flows else lacking


# ---------------------------------------------------------------- the import

def load(session: Session, actor: User, data: bytes, *, filename: str = "") -> Loaded:
    """Import the workbook when its dry run is clean: every new row in the caller's transaction."""
    plan = check(session, actor, data)
    if not plan.ok:
        raise InvalidInput(f"文件有 {len(plan.problems) + plan.more_problems} 处问题，请先改正再导入。", plan=plan)
    created = {}
    rows = plan.rows
    for r in _parents_first(rows.get("行政区划", []), "code", "parent_code"):
        orgadmin.create_region(session, actor, code=r["code"], name=r["name"], level=r["level"],
                               parent_code=r["parent_code"])
    for r in _parents_first(rows.get("部门", []), "code", "parent"):
        orgadmin.create_department(session, actor, r)
    depts = {d.code: d for d in session.scalars(select(Department))}
    for r in rows.get("岗位", []):
        orgadmin.create_post(session, actor, depts[r["department"]].id, r["code"], r["name"])
    posts = {(d, c): i for d, c, i in session.execute(select(Department.code, Post.code, Post.id).join(Post.department))}
    for r in rows.get("账号", []):
        orgadmin.create_user(session, actor, {"staff_no": r["staff_no"], "name": r["name"], "department": r["department"],
                                              "post_ids": [posts[(r["department"], p)] for p in r["posts"]],
                                              "roles": r["roles"], "password": False})
    for r in rows.get("事项", []):
        publish_item(session, r["code"], depts[r["department"]], r["fields"], actor)
    for sheet, (new, _) in plan.counts().items():
        created[sheet] = new
    systemlog.record(session, actor=actor, action="import.loaded", target=(filename or "导入文件")[:100],
                     detail={"kind": "；".join(f"{s}新建 {n}、跳过 {plan.skipped.get(s, 0)}" for s, n in created.items()),
                             "note": f"文件 SHA-256 {plan.sha256}；导入的事项直接发布（法制办已确认的权力清单首次录入）"})
    return Loaded(plan.sha256, created, dict(plan.skipped))


def _parents_first(rows: list[dict], key: str, parent_key: str) -> list[dict]:
    by_code = {r[key]: r for r in rows}
    done: set = set()
    out: list[dict] = []

    def visit(r, depth=0):
        if r[key] in done or depth > len(rows):
            return
        parent = by_code.get(r.get(parent_key))
        if parent is not None:
            visit(parent, depth + 1)
        done.add(r[key])
        out.append(r)
    for r in rows:
        visit(r)
    return out
