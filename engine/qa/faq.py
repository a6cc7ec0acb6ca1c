"""常见问题解答库 (seed 000 指导意见 三.4; seed 003): entries under one category tree kept centrally
(统一分类), each with title, question, answer, department, item and the question it came from, shown
while valid. A published answer becomes an entry in one step (:func:`promote`); what the library
publishes joins the column's search (常见问题), as do the public questions (在线咨询)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import clock, search
from ..errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from ..models import Department, FaqCategory, FaqEntry, Item, Question, User
from ..service.intake import check_text
from ..validation import parse_id, sentences
from .service import is_staff, item_by_code, public_questions, replies

MAX_DEPTH = 3
NEWEST_FIRST = (FaqEntry.valid_from.desc(), FaqEntry.id.desc())  # the lists' order: 发布日期, then the newest written


# --- the category tree (administrators keep it) ----------------------------------------------------

@dataclass
class Node:
    category: FaqCategory
    children: list[Node] = field(default_factory=list)
    count: int = 0  # valid entries here and below

    @property
    def id(self) -> int:
        return self.category.id

    @property
    def name(self) -> str:
        return self.category.name


def tree(session: Session, counts: dict[int, int] | None = None) -> list[Node]:
    nodes = {c.id: Node(c) for c in session.scalars(select(FaqCategory).order_by(FaqCategory.position, FaqCategory.id))}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.category.parent_id)
        (parent.children if parent else roots).append(node)

    def total(node: Node) -> int:
        node.count = (counts or {}).get(node.id, 0) + sum(total(child) for child in node.children)
        return node.count

    for root in roots:
        total(root)
    return roots


def path(session: Session, category_id: int | None) -> list[FaqCategory]:
    """The category and its ancestors, root first."""
    out, seen = [], set()
    while category_id is not None and category_id not in seen:
        seen.add(category_id)
        category = session.get(FaqCategory, category_id)
        if category is None:
            break
        out.insert(0, category)
        category_id = category.parent_id
    return out


def descendants(session: Session, category_id: int) -> list[int]:
    ids, frontier = [category_id], [category_id]
    while frontier:
        frontier = list(session.scalars(select(FaqCategory.id).where(FaqCategory.parent_id.in_(frontier))))
        ids.extend(frontier)
    return ids


def _require_admin(actor) -> None:
    if not (is_staff(actor) and actor.has_role("admin")):
        raise PermissionDenied("统一分类由系统管理员维护。")


def add_category(session: Session, actor, name, parent_id: int | None = None) -> FaqCategory:
    _require_admin(actor)
    name = check_text(name, "分类名称", "name", 40, required=True)
    if parent_id not in (None, ""):
        parent_id = parse_id(parent_id)
        if parent_id is None or session.get(FaqCategory, parent_id) is None:
            raise InvalidInput("上级分类不存在。", field="parent_id")
        if len(path(session, parent_id)) >= MAX_DEPTH:
            raise InvalidInput(f"分类最多 {MAX_DEPTH} 级。", field="parent_id")
    else:
        parent_id = None
    siblings = _siblings(session, parent_id)
    if any(c.name == name for c in siblings):
        raise InvalidInput(f"同一级已有分类“{name}”。", field="name")
    category = FaqCategory(name=name, parent_id=parent_id, position=len(siblings))
    session.add(category)
    session.flush()
    return category


def _siblings(session: Session, parent_id: int | None) -> list[FaqCategory]:
    return list(session.scalars(select(FaqCategory).where(
        FaqCategory.parent_id.is_(None) if parent_id is None else FaqCategory.parent_id == parent_id)))


def rename_category(session: Session, actor, category_id, name) -> FaqCategory:
    _require_admin(actor)
    category_id = parse_id(category_id)
    category = session.get(FaqCategory, category_id) if category_id is not None else None
    if category is None:
        raise NotFound("分类不存在。")
    name = check_text(name, "分类名称", "name", 40, required=True)
    if any(c.name == name and c.id != category.id for c in _siblings(session, category.parent_id)):
        raise InvalidInput(f"同一级已有分类“{name}”。", field="name")
    category.name = name
    return category


def delete_category(session: Session, actor, category_id) -> FaqCategory:
    """An empty category goes: no sub-category, no FAQ entry (withdrawn ones too), no question filed
    under it or chosen for it in a reply awaiting review. The category is returned, gone."""
    _require_admin(actor)
    category_id = parse_id(category_id)
    category = session.get(FaqCategory, category_id) if category_id is not None else None
    if category is None:
        raise NotFound("分类不存在。")
    name = category.name
    if session.scalars(select(FaqCategory.id).where(FaqCategory.parent_id == category.id)).first() is not None:
        raise InvalidState(f"分类“{name}”下还有下级分类，请先删除下级分类。")
    entries = session.scalar(select(func.count()).select_from(FaqEntry).where(FaqEntry.category_id == category.id))
    if entries:
        raise InvalidState(f"分类“{name}”下还有 {entries} 条常见问题（含已停止展示的），不能删除；请先将其改归其他分类。")
    filed = session.scalar(select(func.count()).select_from(Question).where(Question.category_id == category.id))
    if filed:
        raise InvalidState(f"已有 {filed} 件咨询归入分类“{name}”，不能删除。")
    drafts = session.scalars(select(Question).where(Question.state != "closed"))
    if any((q.case.data or {}).get("category_id") == category.id for q in drafts):
        raise InvalidState(f"有待审核的答复选用了分类“{name}”，审核完成前不能删除。")
    session.delete(category)
    session.flush()
    return category


# --- entries ---------------------------------------------------------------------------------------

def valid_on(day: date):
    return (FaqEntry.valid_from <= day) & or_(FaqEntry.valid_to.is_(None), FaqEntry.valid_to >= day)


def may_edit(actor, department_id: int) -> bool:
    """Who writes a department's entries: its 承办 and 审核 staff and its head; administrators any."""
    return is_staff(actor) and (actor.has_role("admin") or actor.department_id == department_id
                                and (actor.has_role("leader") or any(p.code in ("handle", "review") for p in actor.posts)))


@dataclass
class EntryInput:
    title: str
    question: str
    answer: str
    category_id: int | str | None
    item_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


def _checked(session: Session, data: EntryInput) -> dict:
    found, values = {}, {}
    for name, label, length in (("title", "标题", 100), ("question", "问题", 2000), ("answer", "解答", 4000)):
        try:
            values[name] = check_text(getattr(data, name), label, name, length, required=True, multiline=name != "title")
        except InvalidInput as exc:
            found[name] = exc.message
    cid = parse_id(data.category_id)
    if cid is None or session.get(FaqCategory, cid) is None:
        found["category_id"] = "请选择统一分类。"
    values["category_id"] = cid
    values["item_id"] = None
    if data.item_code:
        item = item_by_code(session, data.item_code)
        if item is None:
            found["item_code"] = "事项编码不存在。"
        else:
            values["item_id"] = item.id
    values["valid_from"] = data.valid_from or clock.today()
    values["valid_to"] = data.valid_to
    if data.valid_to is not None and data.valid_to < values["valid_from"]:
        found["valid_to"] = "有效期止不能早于有效期起。"
    if found:
        raise InvalidInput(sentences(found.values()), field=next(iter(found)), errors=found)
    return values


def add_entry(session: Session, actor, data: EntryInput, department_id: int | None = None,
              source_question_id: int | None = None) -> FaqEntry:
    department_id = department_id or (actor.department_id if is_staff(actor) else None)
    if department_id is None or session.get(Department, department_id) is None or not may_edit(actor, department_id):
        raise PermissionDenied("只有本部门的承办、审核人员、负责人或系统管理员可以编写常见问题。")
    entry = FaqEntry(**_checked(session, data), department_id=department_id, source_question_id=source_question_id,
                     created_at=clock.now(), created_by_id=actor.id)
    session.add(entry)
    session.flush()
    publish_entry(session, entry)
    return entry


def _entry(session: Session, entry_id) -> FaqEntry | None:
    entry_id = parse_id(entry_id)
    return session.get(FaqEntry, entry_id) if entry_id is not None else None


def update_entry(session: Session, actor, entry_id, data: EntryInput) -> FaqEntry:
    entry = _entry(session, entry_id)
    if entry is None:
        raise NotFound("常见问题不存在。")
    if not may_edit(actor, entry.department_id):
        raise PermissionDenied("只有编写部门或系统管理员可以修改此常见问题。")
    for key, value in _checked(session, data).items():
        setattr(entry, key, value)
    publish_entry(session, entry)
    return entry


def withdraw_entry(session: Session, actor, entry_id) -> FaqEntry:
    """停止展示: valid until yesterday (kept, never deleted)."""
    entry = _entry(session, entry_id)
    if entry is None:
        raise NotFound("常见问题不存在。")
    if not may_edit(actor, entry.department_id):
        raise PermissionDenied("只有编写部门或系统管理员可以停止展示此常见问题。")
    entry.valid_to = date.fromordinal(clock.today().toordinal() - 1)  # before valid_from when it never showed
    publish_entry(session, entry)
    return entry


def promote(session: Session, actor, question: Question, category_id=None) -> FaqEntry:
    """入库: a published answer becomes a library entry in one step (指导意见 三.3: 带普遍性、适宜公开的)."""
    parts = replies(question)
    department_id = parts[-1].department_id if parts else question.department_id
    if not may_edit(actor, department_id):
        raise PermissionDenied("只有答复部门的承办、审核人员、负责人或系统管理员可以将答复收入常见问题库。")
    if not question.public or question.state != "closed":
        raise InvalidState("只有已公开发布的答复可以收入常见问题库。")
    if session.scalars(select(FaqEntry.id).where(FaqEntry.source_question_id == question.id)).first():
        raise InvalidState("此咨询的答复已在常见问题库中。")
    answer = "\n\n".join(t.answer for t in parts) if len(parts) == 1 else \
        "\n\n".join(f"{t.department.name}：{t.answer}" for t in parts)
    item = session.get(Item, question.item_id) if question.item_id else None
    return add_entry(session, actor, EntryInput(
        title=question.title, question=question.content, answer=answer,
        category_id=category_id or question.category_id, item_code=item.code if item else None),
        department_id=department_id, source_question_id=question.id)


def entries_query(session: Session, *, category_id: int | None = None, item_id: int | None = None,
                  department_id: int | None = None, day: date | None = None, withdrawn: bool = False):
    """The entries valid on ``day`` (today), newest first (by 发布日期, the day shown from);
    ``withdrawn``: every entry, for management."""
    stmt = select(FaqEntry) if withdrawn else select(FaqEntry).where(valid_on(day or clock.today()))
    if category_id is not None:
        stmt = stmt.where(FaqEntry.category_id.in_(descendants(session, category_id)))
    if item_id is not None:
        stmt = stmt.where(FaqEntry.item_id == item_id)
    if department_id is not None:
        stmt = stmt.where(FaqEntry.department_id == department_id)
    return stmt.order_by(*NEWEST_FIRST)


def counts_by_category(session: Session) -> dict[int, int]:
    return dict(session.execute(select(FaqEntry.category_id, func.count()).where(valid_on(clock.today()))
                                .group_by(FaqEntry.category_id)).all())


# --- an item's questions (its 网上咨询) -------------------------------------------------------------

ABOUT_ITEM_PAGES = 4  # of the index's pages (50 each): the questions most like the item's name


def questions_about(session: Session, item: Item):
    """The published questions about an item, newest answer first (a select to page): those asked on
    its page, and those its department answered that the search index finds under the item's name
    (every word; most askers never name the item)."""
    version = item.current_version
    department = session.get(Department, item.department_id)
    departments = [d for d in (item.department_id, department.parent_id if department else None) if d]
    numbers: list[str] = []
    for page in range(1, ABOUT_ITEM_PAGES + 1):
        found = search.query(session, version.name if version else "", source="qa", department_id=departments,
                             page=page, per_page=search.MAX_PER_PAGE)
        if not found.every_word or not found.hits:
            break
        numbers += [hit.ref for hit in found.hits]
        if page >= found.pages:
            break
    about = Question.item_id == item.id
    return public_questions(session).where(or_(about, Question.number.in_(numbers)) if numbers else about)


# --- search ----------------------------------------------------------------------------------------

def publish_entry(session: Session, entry: FaqEntry) -> None:
    ref = f"lib/{entry.id}"
    today = clock.today()
    if entry.valid_from > today or entry.valid_to is not None and entry.valid_to < today:
        search.withdraw(session, "faq", ref)
        return
    dept = session.get(Department, entry.department_id)
    search.publish(session, "faq", ref, title=entry.title, body=f"{entry.question}\n{entry.answer}",
                   url=f"/faq/{entry.id}", department_id=dept.id, department=dept.name)


def reindex(session: Session) -> None:
    from .flow import publish

    search.withdraw_prefix(session, "faq", "lib/")
    for entry in session.scalars(select(FaqEntry).where(valid_on(clock.today()))):
        publish_entry(session, entry)
    search.withdraw_source(session, "qa")
    for question in session.scalars(public_questions(session)):
        publish(session, question)


__all__ = ["tree", "path", "add_category", "rename_category", "delete_category", "add_entry", "update_entry", "withdraw_entry",
           "promote", "may_edit", "entries_query", "questions_about", "counts_by_category", "publish_entry", "reindex", "EntryInput", "User"]
