"""Creating the organisation and the catalogue idempotently (used by the demo and by imports)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock, search
from .errors import InvalidInput
from .models import Department, Item, ItemVersion, Post, Region, User
from .passwords import hash_password


def ensure_region(session: Session, code: str, name: str, level: str, parent: Region | None = None) -> Region:
    region = session.scalars(select(Region).where(Region.code == code)).first()
    if region is None:
        region = Region(code=code, name=name, level=level, parent_id=parent.id if parent else None)
        session.add(region)
        session.flush()
    return region


def ensure_department(session: Session, code: str, name: str, region: Region, credit_code: str | None = None,
                      parent: Department | None = None, **extra) -> Department:
    dept = session.scalars(select(Department).where(Department.code == code)).first()
    if dept is None:
        dept = Department(code=code, name=name, region_id=region.id, credit_code=credit_code,
                          parent_id=parent.id if parent else None, **extra)
        session.add(dept)
        session.flush()
    return dept


def ensure_post(session: Session, dept: Department, code: str, name: str) -> Post:
    post = session.scalars(select(Post).where(Post.department_id == dept.id, Post.code == code)).first()
    if post is None:
        post = Post(department_id=dept.id, code=code, name=name)
        session.add(post)
        session.flush()
    return post


def ensure_user(session: Session, staff_no: str, name: str, dept: Department, password: str,
                posts: list[Post] = (), roles: list[str] = ()) -> tuple[User, bool]:
    user = session.scalars(select(User).where(User.staff_no == staff_no)).first()
    if user is not None:
        return user, False
    user = User(staff_no=staff_no, name=name, department_id=dept.id, password_hash=hash_password(password),
                roles=list(roles), active=True)
    user.posts = list(posts)
    session.add(user)
    session.flush()
    return user, True


def publish_item(session: Session, code: str, department: Department, fields: dict, actor: User | None = None) -> Item:
    """Create the item if new and publish ``fields`` as a new immutable version, unless they equal
    the current version already."""
    if fields.get("promised_limit", 0) > fields.get("legal_limit", 0):
        raise InvalidInput("承诺期限不能超过法定期限。", field="promised_limit")
    item = session.scalars(select(Item).where(Item.code == code)).first()
    if item is None:
        item = Item(code=code, department_id=department.id, status="active")
        session.add(item)
        session.flush()
    current = item.current_version
    if current is not None and all(getattr(current, k) == v for k, v in fields.items()):
        return item
    version = ItemVersion(item_id=item.id, version=(current.version + 1) if current else 1, published_at=clock.now(),
                          published_by_id=actor.id if actor else None, **fields)
    session.add(version)
    session.flush()
    item.current_version_id = version.id
    session.flush()
    session.refresh(item)
    search.refresh_item(session, item)  # the public column's search finds the new version, not the old
    return item
