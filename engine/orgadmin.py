"""系统管理 of the organisation (seed 002 §8.1: administrators, not code, set up organisations,
users and roles): regions (行政区划), departments as a tree with their 统一社会信用代码, posts (岗位),
accounts and roles. Every command takes the actor, checks that it is an administrator, validates
its input with every problem at once (``InvalidInput.details["errors"]``: {field: message}) and
writes the system log in the caller's transaction. The pages, ``sunhall users …`` and the Excel
import (:mod:`engine.imports`) all call these."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from . import clock, passwords, systemlog
from .certificates import uscc_problem
from .errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from .models import Case, CaseTask, Department, Item, Post, Region, User
from .models.org import REGION_LEVELS, ROLE_NAMES, user_post
from .validation import IDENTIFIER, INT_MAX, control_character, half_width, sentences

REGION_LEVEL_NAMES = {"province": "省", "city": "市", "county": "县（区）", "township": "乡（镇、街道）", "village": "村（社区）"}
#: every word for a level that the page and the Excel import accept (one list for both): the page's names,
#: their short forms and the codes
REGION_LEVEL_WORDS = {**{name: lv for lv, name in REGION_LEVEL_NAMES.items()},
                      "县": "county", "区": "county", "乡": "township", "镇": "township", "街道": "township",
                      "村": "village", "社区": "village", **{lv: lv for lv in REGION_LEVELS}}
_LEVEL_WORDS_HALF = {half_width(word): level for word, level in REGION_LEVEL_WORDS.items()}  # 乡(镇、街道) typed so
#: the levels a region of each level may sit under (GB/T 2260 and the 统计用区划代码): a city under a province;
#: a county under a city or directly under a province (省直辖县, e.g. 济源); a township under a county or directly
#: under a city that has no counties (东莞、中山); a village only under a township
REGION_PARENTS = {"city": ("province",), "county": ("province", "city"), "township": ("city", "county"),
                  "village": ("township",), "province": ()}
#: how many leading digits of a region's code are its own (the rest name the levels below it)
REGION_PREFIX = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
#: 岗位代码 are matched against the flow charts' candidateGroups, which are lower-case in our flows
POST_CODE = re.compile(r"^[a-z_][a-z0-9_.\-]*$", re.ASCII)
#: what each role may do, as the roles page says it
ROLE_MEANINGS = {
    "admin": "管理组织机构、岗位、账号、角色、接口令牌、工作日历和报送通知，查看系统日志。",
    "designer": "维护事项库和流程图，申报事项变更（须经法制审核后发布）。",
    "clerk": "在窗口收件、受理、补正告知和送达。",
    "handler": "承办、审核、批准本岗位的办件环节。",
    "leader": "批准、延期审批，查看本部门办件。",
    "supervisor": "电子监察：查看预警、督办、投诉处理和统计。",
    "legal": "法制审核：审核事项变更和需要法制审核的环节。",
}
REGION_CODE = re.compile(r"^\d{6}(\d{6})?$")
DEPT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
STAFF_NO = DEPT_CODE
PHONE = re.compile(r"^[0-9+\-() 转]+$")
NAME_MAX, CODE_MAX, PHONE_MAX, ADDRESS_MAX, STAFF_NAME_MAX = 100, 40, 40, 200, 60
MAX_POSTS = 50  # posts one account may hold
OPEN = ("received", "accepted")


def require_admin(actor: User | None) -> None:
    if actor is None or "admin" not in (actor.roles or []) or not actor.active:
        raise PermissionDenied("只有系统管理员可以管理组织机构、岗位、账号和角色。")


class Checker:
    """Collects every problem of one form (or one spreadsheet row) before anything is refused."""

    def __init__(self):
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def text(self, field: str, value, label: str, max_len: int, *, required: bool = True, code: bool = False,
             pattern: re.Pattern | None = None, hint: str = "", multiline: bool = False) -> str | None:
        """Stripped text (codes half-width: ０１ as an input method types it → 01), or None if blank."""
        if value is None:
            value = ""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and code:
            value = str(int(value)) if float(value).is_integer() else str(value)  # a code typed as a number
        if not isinstance(value, str):
            self.fail(field, f"{label}格式不正确，应为文字。")
            return None
        value = (half_width(value) if code else value).strip()
        if not value:
            if required:
                self.fail(field, f"请填写{label}。")
            return None
        bad = control_character(value, multiline)
        if bad:
            self.fail(field, f"{label}含有不可见的控制字符（{bad}），请删除后重新填写。")
        elif len(value) > max_len:
            self.fail(field, f"{label}不能超过 {max_len} 个字符（现有 {len(value)} 个）。")
        elif pattern is not None and not pattern.fullmatch(value):
            self.fail(field, hint or f"{label}格式不正确。")
        else:
            return value
        return None

    def credit_code(self, field: str, value) -> str | None:
        code = self.text(field, value, "统一社会信用代码", 18, required=False, code=True)
        if code:
            code = code.upper()
            problem = uscc_problem(code)
            if problem:
                self.fail(field, f"统一社会信用代码“{code}”{problem}。")
                return None
        return code

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(sentences(self.errors.values()), errors=dict(self.errors))


def row(session: Session, model, row_id):
    """The row with this id, or None (an id a column cannot hold — PostgreSQL's integer — finds nothing)."""
    if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 < row_id <= INT_MAX:
        return None
    return session.get(model, row_id)


def _region_by_code(session: Session, code: str) -> Region | None:
    return session.scalars(select(Region).where(Region.code == code)).first()


def region_level(text) -> str | None:
    """The level code for a word of the page or the workbook (乡（镇、街道）, 镇, township …), None if unknown."""
    if not isinstance(text, str):
        return None
    return REGION_LEVEL_WORDS.get(text.strip()) or _LEVEL_WORDS_HALF.get(half_width(text).strip())


def region_parent_problem(level: str, code: str | None, parent_level: str, parent_code: str, parent_name: str) -> str | None:
    """Why a region of ``level`` and ``code`` cannot sit under this parent, or None."""
    if parent_level not in REGION_PARENTS.get(level, ()):
        allowed = "、".join(REGION_LEVEL_NAMES[lv] for lv in REGION_PARENTS.get(level, ())) or "（无：省是最高级别）"
        return (f"{REGION_LEVEL_NAMES.get(level, level)}级区划不能直接设在{REGION_LEVEL_NAMES.get(parent_level)}级的"
                f"“{parent_name}”之下，上级应为：{allowed}。")
    prefix = parent_code[:REGION_PREFIX[parent_level]]
    if code and not code.startswith(prefix):
        return f"行政区划代码 {code} 应以上级“{parent_name}”的代码前缀 {prefix} 开头。"
    return None


def same_code(session: Session, column, code: str, *where):
    """The row whose code equals ``code`` ignoring case (codes are compared case-insensitively, so
    SC001 and sc001 cannot both exist), or None."""
    return session.scalars(select(column.class_).where(func.lower(column) == code.lower(), *where)).first()


def _clash(existing_code: str, code: str, label: str) -> str:
    if existing_code == code:
        return f"{label} {code} 已存在。"
    return f"{label} {code} 与已有的 {existing_code} 只差大小写，代码不区分大小写，请使用 {existing_code} 或另取一个。"


def _department(session: Session, dept_id: int) -> Department:
    dept = row(session, Department, dept_id)
    if dept is None:
        raise NotFound("部门不存在。")
    return dept


def department_by_code(session: Session, code: str) -> Department:
    dept = _dept_by_code(session, code) if isinstance(code, str) else None
    if dept is None:
        raise NotFound(f"部门代码“{str(code)[:CODE_MAX]}”不存在。")
    return dept


def _dept_by_code(session: Session, code: str) -> Department | None:
    """A department by its code, exact first, else ignoring case (codes are unique ignoring case)."""
    code = half_width(code).strip()
    return (session.scalars(select(Department).where(Department.code == code)).first()
            or same_code(session, Department.code, code))


# ---------------------------------------------------------------- 行政区划

def create_region(session: Session, actor: User, *, code, name, level, parent_code=None) -> Region:
    require_admin(actor)
    c = Checker()
    code = c.text("code", code, "行政区划代码", 12, code=True, pattern=REGION_CODE,
                  hint="行政区划代码应为 6 位或 12 位数字（如 530930）。")
    name = c.text("name", name, "区划名称", NAME_MAX)
    level = region_level(level)
    if level is None:
        c.fail("level", "请选择区划级别（省、市、县、乡、村）。")
    parent = None
    parent_code = c.text("parent", parent_code, "上级区划", 12, required=False, code=True)
    if parent_code:
        parent = _region_by_code(session, parent_code)
        if parent is None:
            c.fail("parent", f"上级区划“{parent_code}”不存在。")
        elif level is not None:
            problem = region_parent_problem(level, code, parent.level, parent.code, parent.name)
            if problem:
                c.fail("parent", problem)
    if code and _region_by_code(session, code) is not None:
        c.fail("code", f"行政区划代码 {code} 已存在。")
    c.raise_if_any()
    region = Region(code=code, name=name, level=level, parent_id=parent.id if parent else None)
    session.add(region)
    session.flush()
    systemlog.record(session, actor=actor, action="org.region_created", target=f"{name}（{code}）",
                     detail={"kind": f"级别：{REGION_LEVEL_NAMES[level]}；上级：{parent.name if parent else '（无）'}"})
    return region


def rename_region(session: Session, actor: User, region_id: int, name) -> Region:
    require_admin(actor)
    region = row(session, Region, region_id)
    if region is None:
        raise NotFound("行政区划不存在。")
    c = Checker()
    name = c.text("name", name, "区划名称", NAME_MAX)
    c.raise_if_any()
    old, region.name = region.name, name
    session.flush()
    systemlog.record(session, actor=actor, action="org.region_changed", target=f"{name}（{region.code}）",
                     detail={"kind": "改名", "name": old})
    return region


def regions(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.code)))


# ---------------------------------------------------------------- 部门

DEPARTMENT_LABELS = {"code": "部门代码", "name": "部门名称", "region": "所属行政区划", "parent": "上级部门",
                     "credit_code": "统一社会信用代码", "phone": "联系电话", "address": "地址"}


def _department_fields(session: Session, c: Checker, data: dict, dept: Department | None) -> dict:
    out = {
        "name": c.text("name", data.get("name"), "部门名称", NAME_MAX),
        "credit_code": c.credit_code("credit_code", data.get("credit_code")),
        "phone": c.text("phone", data.get("phone"), "联系电话", PHONE_MAX, required=False, code=True, pattern=PHONE,
                        hint="联系电话只能包含数字、连字符、括号和空格（如 0883-6120001）。"),
        "address": c.text("address", data.get("address"), "地址", ADDRESS_MAX, required=False),
    }
    region_code = c.text("region", data.get("region"), "所属行政区划", 12, code=True)
    if region_code:
        region = _region_by_code(session, region_code)
        if region is None:
            c.fail("region", f"行政区划代码“{region_code}”不存在。")
        out["region_id"] = region.id if region else None
    parent_code = c.text("parent", data.get("parent"), "上级部门", CODE_MAX, required=False, code=True)
    out["parent_id"] = None
    if parent_code:
        parent = _dept_by_code(session, parent_code)
        if parent is None:
            c.fail("parent", f"上级部门代码“{parent_code}”不存在。")
        elif dept is not None and _would_cycle(session, dept, parent):
            c.fail("parent", f"不能把部门移到自己或自己的下级部门“{parent.name}”之下。")
        elif not parent.active:
            c.fail("parent", f"上级部门“{parent.name}”已撤销。")
        else:
            out["parent_id"] = parent.id
    if out["name"] and "region_id" in out and "parent" not in c.errors:
        twin = session.scalars(select(Department).where(
            Department.name == out["name"], Department.region_id == out["region_id"],
            Department.parent_id.is_(None) if out["parent_id"] is None else Department.parent_id == out["parent_id"],
            *([Department.id != dept.id] if dept is not None else []))).first()
        if twin is not None:
            c.fail("name", f"同一上级下已有名为“{twin.name}”的部门（部门代码 {twin.code}）。")
    if out["credit_code"]:
        other = session.scalars(select(Department).where(Department.credit_code == out["credit_code"])).first()
        if other is not None and other is not dept:
            c.fail("credit_code", f"统一社会信用代码 {out['credit_code']} 已属于“{other.name}”。")
    return out


def _would_cycle(session: Session, dept: Department, parent: Department) -> bool:
    """Whether ``parent`` is ``dept`` or lies below it (walking up from the new parent)."""
    seen, node = set(), parent
    while node is not None and node.id not in seen:
        if node.id == dept.id:
            return True
        seen.add(node.id)
        node = session.get(Department, node.parent_id) if node.parent_id else None
    return False


def create_department(session: Session, actor: User, data: dict) -> Department:
    """``data``: code, name, region (division code), parent (department code), credit_code, phone, address."""
    require_admin(actor)
    c = Checker()
    code = c.text("code", data.get("code"), "部门代码", CODE_MAX, code=True, pattern=DEPT_CODE,
                  hint="部门代码只能包含英文字母、数字、下划线、点和连字符（如 scjgj）。")
    fields = _department_fields(session, c, data, None)
    existing = same_code(session, Department.code, code) if code else None
    if existing is not None:
        c.fail("code", _clash(existing.code, code, "部门代码"))
    c.raise_if_any()
    dept = Department(code=code, active=True, **fields)
    session.add(dept)
    session.flush()
    systemlog.record(session, actor=actor, action="org.department_created", target=f"{dept.name}（{code}）",
                     detail={"kind": _department_summary(session, dept)})
    return dept


def _department_summary(session: Session, dept: Department) -> str:
    region = session.get(Region, dept.region_id) if dept.region_id else None
    parent = session.get(Department, dept.parent_id) if dept.parent_id else None
    return f"行政区划：{region.name if region else '（无）'}；上级部门：{parent.name if parent else '（无）'}"


def update_department(session: Session, actor: User, dept_id: int, data: dict) -> Department:
    """Rename, move under another parent (never under itself or below), change its codes and contacts."""
    require_admin(actor)
    dept = _department(session, dept_id)
    c = Checker()
    fields = _department_fields(session, c, data, dept)
    c.raise_if_any()
    changed = [DEPARTMENT_LABELS[k if k not in ("region_id", "parent_id") else k[:-3]]
               for k, v in fields.items() if getattr(dept, k) != v]
    for k, v in fields.items():
        setattr(dept, k, v)
    session.flush()
    if changed:
        systemlog.record(session, actor=actor, action="org.department_changed", target=f"{dept.name}（{dept.code}）",
                         detail={"kind": "修改：" + "、".join(changed)})
    return dept


def department_blockers(session: Session, dept: Department) -> list[str]:
    """What still depends on a department, so that it cannot be 撤销 yet (empty: nothing)."""
    found = []
    counts = (
        ("个未办结的办件", select(func.count()).select_from(Case)
         .where(Case.department_id == dept.id, Case.state.in_(OPEN))),
        ("个待办环节", select(func.count()).select_from(CaseTask)
         .where(CaseTask.department_id == dept.id, CaseTask.state == "ready")),
        ("个在用账号", select(func.count()).select_from(User).where(User.department_id == dept.id, User.active)),
        ("个未撤销的下级部门", select(func.count()).select_from(Department)
         .where(Department.parent_id == dept.id, Department.active)),
        ("个在用事项", select(func.count()).select_from(Item).where(Item.department_id == dept.id, Item.status == "active")),
    )
    for words, query in counts:
        n = session.scalar(query) or 0
        if n:
            found.append(f"{n} {words}")
    return found


def deactivate_department(session: Session, actor: User, dept_id: int) -> Department:
    """撤销: only when no open case, ready step, active account, sub-department or item depends on it."""
    require_admin(actor)
    dept = _department(session, dept_id)
    if not dept.active:
        raise InvalidState(f"“{dept.name}”已经撤销。")
    blockers = department_blockers(session, dept)
    if blockers:
        raise InvalidState(f"“{dept.name}”还有{'、'.join(blockers)}，请先办结、转移或停用后再撤销。", blockers=blockers)
    dept.active = False
    session.flush()
    systemlog.record(session, actor=actor, action="org.department_changed", target=f"{dept.name}（{dept.code}）",
                     detail={"kind": "撤销"})
    return dept


def activate_department(session: Session, actor: User, dept_id: int) -> Department:
    require_admin(actor)
    dept = _department(session, dept_id)
    if dept.active:
        raise InvalidState(f"“{dept.name}”未撤销。")
    dept.active = True
    session.flush()
    systemlog.record(session, actor=actor, action="org.department_changed", target=f"{dept.name}（{dept.code}）",
                     detail={"kind": "恢复"})
    return dept


def department_tree(session: Session) -> list[tuple[Department, list]]:
    """[(department, children)] from the roots, by code; each child the same pair."""
    depts = list(session.scalars(select(Department).options(selectinload(Department.region)).order_by(Department.code)))
    below: dict[int | None, list[Department]] = {}
    for d in depts:
        below.setdefault(d.parent_id, []).append(d)

    def build(parent_id, seen):
        return [(d, build(d.id, seen | {d.id})) for d in below.get(parent_id, []) if d.id not in seen]
    return build(None, frozenset())


def departments(session: Session, *, active_only: bool = False) -> list[Department]:
    query = select(Department).order_by(Department.code)
    if active_only:
        query = query.where(Department.active)
    return list(session.scalars(query))


# ---------------------------------------------------------------- 岗位

def _post(session: Session, post_id: int) -> Post:
    post = row(session, Post, post_id)
    if post is None:
        raise NotFound("岗位不存在。")
    return post


def post_code(c: Checker, field: str, value, session: Session | None = None, dept: Department | None = None,
              label: str = "岗位代码") -> str | None:
    """A post code: half-width, lower-case ASCII (the flow charts' candidateGroups are lower-case), and
    not already in ``dept`` ignoring case."""
    code = c.text(field, value, label, CODE_MAX, code=True, pattern=IDENTIFIER,
                  hint=f"{label}只能包含英文字母、数字、下划线、点和连字符，并以字母开头（如 window），流程图按它指定办理岗位。")
    existing = same_code(session, Post.code, code, Post.department_id == dept.id) \
        if code and session is not None and dept is not None else None
    if existing is not None:
        c.fail(field, f"“{dept.name}”已有岗位代码 {existing.code}（{existing.name}），代码不区分大小写。")
    elif code and not POST_CODE.fullmatch(code):
        c.fail(field, f"{label}须为小写英文字母（流程图的办理岗位用小写代码），请写作 {code.lower()}。")
    return code if code and POST_CODE.fullmatch(code) and existing is None else None


def create_post(session: Session, actor: User, dept_id: int, code, name) -> Post:
    """A post in a department; flow charts name it by ``code`` (candidateGroups), so the code is an identifier."""
    require_admin(actor)
    dept = _department(session, dept_id)
    c = Checker()
    code = post_code(c, "code", code, session, dept)
    name = c.text("name", name, "岗位名称", NAME_MAX)
    if not dept.active:
        c.fail("code", f"“{dept.name}”已撤销，不能新建岗位。")
    c.raise_if_any()
    post = Post(department_id=dept.id, code=code, name=name)
    session.add(post)
    session.flush()
    systemlog.record(session, actor=actor, action="org.post_created", target=f"{dept.name}：{name}（{code}）")
    return post


def rename_post(session: Session, actor: User, post_id: int, name) -> Post:
    require_admin(actor)
    post = _post(session, post_id)
    c = Checker()
    name = c.text("name", name, "岗位名称", NAME_MAX)
    c.raise_if_any()
    old, post.name = post.name, name
    session.flush()
    systemlog.record(session, actor=actor, action="org.post_changed",
                     target=f"{post.department.name}：{name}（{post.code}）", detail={"kind": "改名", "name": old})
    return post


def post_blockers(session: Session, post: Post) -> list[str]:
    found = []
    holders = session.scalar(select(func.count()).select_from(user_post).where(user_post.c.post_id == post.id)) or 0
    if holders:
        found.append(f"{holders} 个账号担任此岗位")
    ready = session.scalar(select(func.count()).select_from(CaseTask).where(
        CaseTask.department_id == post.department_id, CaseTask.post_code == post.code, CaseTask.state == "ready")) or 0
    if ready:
        found.append(f"{ready} 个待办环节在此岗位")
    return found


def delete_post(session: Session, actor: User, post_id: int) -> None:
    """Only an unused post: nobody holds it and no ready step waits on it."""
    require_admin(actor)
    post = _post(session, post_id)
    blockers = post_blockers(session, post)
    if blockers:
        raise InvalidState(f"岗位“{post.name}”还有{'、'.join(blockers)}，不能删除。", blockers=blockers)
    target = f"{post.department.name}：{post.name}（{post.code}）"
    session.delete(post)
    session.flush()
    systemlog.record(session, actor=actor, action="org.post_changed", target=target, detail={"kind": "删除"})


def posts_of(session: Session, dept_ids) -> list[Post]:
    return list(session.scalars(select(Post).where(Post.department_id.in_(list(dept_ids)))
                                .options(selectinload(Post.department)).order_by(Post.department_id, Post.code)))


def descendants(session: Session, dept: Department) -> list[int]:
    """The department and every department below it (科室 of an office)."""
    ids, frontier = [dept.id], [dept.id]
    while frontier:
        frontier = [i for i in session.scalars(select(Department.id).where(Department.parent_id.in_(frontier)))
                    if i not in ids]
        ids.extend(frontier)
    return ids


# ---------------------------------------------------------------- 账号

def account(session: Session, staff_no) -> User:
    if not isinstance(staff_no, str):
        raise NotFound("工作人员不存在。")
    user = session.scalars(select(User).where(User.staff_no == staff_no.strip())).first()
    if user is None:
        raise NotFound(f"没有工号为“{staff_no.strip()[:CODE_MAX]}”的工作人员。")
    return user


def _roles(c: Checker, roles) -> list[str]:
    if roles is None:
        return []
    if not isinstance(roles, (list, tuple)) or len(roles) > len(ROLE_NAMES) * 2:
        c.fail("roles", "角色格式不正确。")
        return []
    unknown = [r for r in roles if not isinstance(r, str) or r not in ROLE_NAMES]
    if unknown:
        c.fail("roles", f"角色“{str(unknown[0])[:20]}”不存在，应为：{'、'.join(ROLE_NAMES.values())}。")
        return []
    return [r for r in ROLE_NAMES if r in roles]


def _user_fields(session: Session, c: Checker, data: dict) -> dict:
    name = c.text("name", data.get("name"), "姓名", STAFF_NAME_MAX)
    dept = None
    dept_code = c.text("department", data.get("department"), "所在部门", CODE_MAX, code=True)
    if dept_code:
        dept = _dept_by_code(session, dept_code)
        if dept is None:
            c.fail("department", f"部门代码“{dept_code}”不存在。")
        elif not dept.active:
            c.fail("department", f"“{dept.name}”已撤销。")
    posts: list[Post] = []
    raw = data.get("post_ids") or []
    if not isinstance(raw, (list, tuple)) or len(raw) > MAX_POSTS or not all(isinstance(p, int) for p in raw):
        c.fail("posts", f"岗位格式不正确（最多 {MAX_POSTS} 个）。")
    elif any(not 0 < p <= INT_MAX for p in raw):
        c.fail("posts", "所选岗位有的不存在，请重新选择。")
    elif raw:
        posts = list(session.scalars(select(Post).where(Post.id.in_(raw))))
        if len(posts) != len(set(raw)):
            c.fail("posts", "所选岗位有的不存在，请重新选择。")
        elif dept is not None:
            allowed = set(descendants(session, dept))
            stray = [p for p in posts if p.department_id not in allowed]
            if stray:
                c.fail("posts", f"岗位“{stray[0].name}”不属于{dept.name}或其下属科室。")
    return {"name": name, "department": dept, "posts": posts}


def create_user(session: Session, actor: User, data: dict) -> tuple[User, str | None]:
    """新建账号: ``data`` = staff_no, name, department (code), post_ids, roles, password (optional: else
    one is generated). Returns the account and the generated password, shown once; either way the
    person must choose their own at first login. ``password=False``: no password (统一身份认证 only,
    or until an administrator resets it)."""
    require_admin(actor)
    c = Checker()
    staff_no = c.text("staff_no", data.get("staff_no"), "工号", passwords.STAFF_NO_MAX, code=True, pattern=STAFF_NO,
                      hint="工号只能包含英文字母、数字、下划线、点和连字符。")
    fields = _user_fields(session, c, data)
    roles = _roles(c, data.get("roles"))
    password = data.get("password")
    if password not in (None, "", False):
        if not isinstance(password, str):
            c.fail("password", "初始密码格式不正确。")
        else:
            try:
                passwords.check_new_password(password)
            except InvalidInput as exc:
                c.fail("password", exc.message.replace("新密码", "初始密码"))
    existing = same_code(session, User.staff_no, staff_no) if staff_no else None
    if existing is not None:
        c.fail("staff_no", _clash(existing.staff_no, staff_no, "工号") + f"（{existing.name}）")
    c.raise_if_any()
    user = User(staff_no=staff_no, name=fields["name"], department_id=fields["department"].id, roles=roles,
                active=True, password_hash=passwords.NO_PASSWORD, failed_logins=0, session_epoch=0)
    user.posts = fields["posts"]
    shown = None
    if password is not False:
        shown = None if password else passwords.generate_password()
        passwords.set_password(user, password or shown)
    session.add(user)
    session.flush()
    systemlog.record(session, actor=actor, action="account.created", target=f"{user.name}（{staff_no}）",
                     detail={"kind": _summary(user)})
    return user, shown


def _summary(user: User) -> str:
    roles = "、".join(ROLE_NAMES[r] for r in user.roles or []) or "无角色"
    posts = "、".join(p.name for p in user.posts) or "无岗位"
    return f"{user.department.name if user.department else ''}；岗位：{posts}；角色：{roles}"


def update_user(session: Session, actor: User, staff_no, data: dict) -> User:
    """Change the name, department and posts (roles: :func:`set_roles`)."""
    require_admin(actor)
    user = account(session, staff_no)
    c = Checker()
    fields = _user_fields(session, c, data)
    c.raise_if_any()
    before = _summary(user) + user.name
    user.name, user.department_id, user.posts = fields["name"], fields["department"].id, fields["posts"]
    session.flush()
    session.refresh(user, ["department"])
    if _summary(user) + user.name != before:
        systemlog.record(session, actor=actor, action="account.changed", target=f"{user.name}（{user.staff_no}）",
                         detail={"kind": _summary(user)})
    return user


def _active_admins(session: Session) -> list[User]:
    return [u for u in session.scalars(select(User).where(User.active)) if "admin" in (u.roles or [])]


def disable_user(session: Session, actor: User, staff_no) -> User:
    """停用: the person can no longer log in and every session of theirs ends now; never yourself,
    never the last active administrator."""
    require_admin(actor)
    user = account(session, staff_no)
    if user.id == actor.id:
        raise InvalidInput("不能停用自己的账号。", field="staff_no")
    if not user.active:
        raise InvalidState(f"{user.name}（{user.staff_no}）的账号已经停用。")
    if "admin" in (user.roles or []) and len(_active_admins(session)) <= 1:
        raise InvalidState("这是最后一个在用的系统管理员账号，不能停用。")
    user.active = False
    passwords.end_sessions(user)
    session.flush()
    systemlog.record(session, actor=actor, action="account.deactivated", target=f"{user.name}（{user.staff_no}）")
    return user


def enable_user(session: Session, actor: User, staff_no) -> User:
    require_admin(actor)
    user = account(session, staff_no)
    if user.active:
        raise InvalidState(f"{user.name}（{user.staff_no}）的账号未停用。")
    if not user.department.active:
        raise InvalidState(f"{user.name}所在的“{user.department.name}”已撤销，请先调整其部门。")
    user.active = True
    session.flush()
    systemlog.record(session, actor=actor, action="account.activated", target=f"{user.name}（{user.staff_no}）")
    return user


def reset_password(session: Session, actor: User, staff_no) -> tuple[User, str]:
    """重置密码: a generated password, shown once; the person must change it at next login, and every
    session of theirs ends."""
    require_admin(actor)
    user = account(session, staff_no)
    password = passwords.generate_password()
    passwords.set_password(user, password)
    session.flush()
    systemlog.record(session, actor=actor, action="account.password_reset", target=f"{user.name}（{user.staff_no}）")
    return user, password


def set_roles(session: Session, actor: User, staff_no, roles) -> User:
    """Replace the account's roles (codes of ROLE_NAMES); at least one active administrator stays."""
    require_admin(actor)
    user = account(session, staff_no)
    c = Checker()
    new = _roles(c, roles)
    c.raise_if_any()
    old = list(user.roles or [])
    if "admin" in old and "admin" not in new and user.active and len(_active_admins(session)) <= 1:
        raise InvalidState("这是最后一个在用的系统管理员，不能取消其系统管理员角色。")
    if new == [r for r in ROLE_NAMES if r in old]:
        return user
    user.roles = new
    passwords.end_sessions(user)  # what the person may do changed: they log in again
    session.flush()
    systemlog.record(session, actor=actor, action="account.roles_changed", target=f"{user.name}（{user.staff_no}）",
                     detail={"kind": "、".join(ROLE_NAMES[r] for r in new) or "无角色"})
    return user


def grant_role(session: Session, actor: User, staff_no, role) -> User:
    user = account(session, staff_no)
    _known_role(role)
    return set_roles(session, actor, staff_no, list(user.roles or []) + [role])


def revoke_role(session: Session, actor: User, staff_no, role) -> User:
    user = account(session, staff_no)
    _known_role(role)
    if role not in (user.roles or []):
        raise InvalidState(f"{user.name}没有“{ROLE_NAMES[role]}”角色。")
    return set_roles(session, actor, staff_no, [r for r in user.roles if r != role])


def _known_role(role) -> None:
    if not isinstance(role, str) or role not in ROLE_NAMES:
        shown = role[:20] if isinstance(role, str) else "（非文字）"
        raise InvalidInput(f"角色“{shown}”不存在，应为 " + "、".join(f"{k}（{v}）" for k, v in ROLE_NAMES.items()) + "。",
                           field="role")


def unlock(session: Session, actor: User, staff_no) -> User:
    """解锁 from the accounts page and ``sunhall users unlock --as``: an account that is not locked is
    said so (InvalidState), and nothing is written to the system log."""
    require_admin(actor)
    user = account(session, staff_no)
    if not passwords.is_locked(user):
        raise InvalidState(f"{user.name}（{user.staff_no}）的账号未被锁定，无需解锁。")
    return passwords.unlock(session, actor, user.staff_no)


PAGE_SIZE = 50


def user_page(session: Session, actor: User, *, department_id: int | None = None, role: str | None = None,
              active: bool | None = None, locked: bool | None = None, page: int = 1,
              size: int = PAGE_SIZE) -> tuple[list[User], int]:
    """One page of accounts matching the filters, by 工号, and how many match in all. Roles are a
    JSON list and locks expire, so those two filters run over the department's accounts here."""
    require_admin(actor)
    query = select(User).options(selectinload(User.department)).order_by(User.staff_no)
    if department_id is not None:
        query = query.where(User.department_id == department_id)
    if active is not None:
        query = query.where(User.active == active)
    rows = list(session.scalars(query))
    if role is not None:
        rows = [u for u in rows if role in (u.roles or [])]
    if locked is not None:
        now = clock.now()
        rows = [u for u in rows if passwords.is_locked(u, now) == locked]
    start = (max(page, 1) - 1) * size
    return rows[start:start + size], len(rows)


def role_holders(session: Session, actor: User) -> dict[str, list[User]]:
    require_admin(actor)
    holders: dict[str, list[User]] = {r: [] for r in ROLE_NAMES}
    for u in session.scalars(select(User).options(selectinload(User.department)).order_by(User.staff_no)):
        for r in u.roles or []:
            if r in holders:
                holders[r].append(u)
    return holders

