"""What the public column (政务服务专栏) may show: published items of the citizens' flows. Internal
flows (督办, 法制审核) and items that are suspended or cancelled never appear."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ..models import Department, Item, ItemVersion, ProcessDefinition, Region
from . import authority


def internal_keys(session: Session) -> set[str]:
    ids = authority.internal_definitions(session)
    if not ids:
        return set()
    return set(session.scalars(select(ProcessDefinition.process_key).where(ProcessDefinition.id.in_(ids))))


def public_items_query(session: Session):
    """Active items with a published version whose flow is not internal, by code."""
    stmt = (select(Item).join(ItemVersion, ItemVersion.id == Item.current_version_id)
            .where(Item.status == "active").options(joinedload(Item.current_version), joinedload(Item.department))
            .order_by(Item.code))
    hidden = internal_keys(session)
    if hidden:
        stmt = stmt.where((ItemVersion.process_key.is_(None)) | ItemVersion.process_key.not_in(hidden))
    return stmt


ITEM_CODE = re.compile(r"[0-9A-Za-z_-]{1,40}")


def public_item(session: Session, code: str) -> Item | None:
    """The public item of this code; None for anything else (a NUL byte never reaches PostgreSQL)."""
    if not isinstance(code, str) or not ITEM_CODE.fullmatch(code):
        return None
    return session.scalars(public_items_query(session).where(Item.code == code)).unique().first()


def home_region(session: Session) -> Region | None:
    """The region the column serves: the one most departments belong to (the county of the demo)."""
    regions = list(session.scalars(select(Department.region_id)))
    if not regions:
        return session.scalars(select(Region).order_by(Region.id)).first()
    return session.get(Region, max(set(regions), key=regions.count))


def department_tree(session: Session) -> list[tuple[Department, list[Department]]]:
    """Departments that have public items, as (top, [sub-departments]) (the search page's filter)."""
    with_items = {i.department_id for i in session.scalars(public_items_query(session)).unique()}
    departments = list(session.scalars(select(Department).order_by(Department.id)))
    by_id = {d.id: d for d in departments}

    def top(d: Department) -> Department:
        while d.parent_id is not None and d.parent_id in by_id:
            d = by_id[d.parent_id]
        return d

    tree: dict[int, tuple[Department, list[Department]]] = {}
    for d in departments:
        if d.id not in with_items:
            continue
        root = top(d)
        entry = tree.setdefault(root.id, (root, []))
        if d.id != root.id:
            entry[1].append(d)
    return list(tree.values())


def directory_tree(session: Session, items: list[Item] | None = None) -> list[tuple[Department, list[str]]]:
    """The directory's tree: departments with public items, each with the sections (办理科室) that
    handle them, in the departments' order."""
    sections: dict[int, list[str]] = {}
    for item in items if items is not None else session.scalars(public_items_query(session)).unique():
        names = sections.setdefault(item.department_id, [])
        section = item.current_version.section
        if section and section not in names:
            names.append(section)
    departments = session.scalars(select(Department).where(Department.id.in_(list(sections))).order_by(Department.id))
    return [(d, sections[d.id]) for d in departments]
