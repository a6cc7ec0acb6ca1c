"""Writing the site search index: :func:`publish` and :func:`withdraw` documents, and the items
(their guides and FAQ) as documents: :func:`refresh_item`, :func:`reindex_all`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, delete, func, insert, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from .. import clock
from ..errors import InvalidInput
from ..models import Department, Item, ItemVersion
from ..service import public
from .suggest import _forget_vocabulary, _vocabulary
from .tables import _SIMPLE, _fts, documents
from .words import learn, name_key, tokens

# ---------------------------------------------------------------------------------------------
# writing


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _row(source: str, ref: str, *, title: str, body: str, url: str, keywords: Iterable[str] = (),
         department_id: int | None = None, department: str = "", category: str | None = None) -> tuple[dict, dict]:
    """A document's row and its token texts (title, keywords, body; tags: what it is filtered by), checked."""
    if not (isinstance(source, str) and 0 < len(source) <= 20 and isinstance(ref, str) and 0 < len(ref) <= 200):
        raise InvalidInput("检索文档的来源或编号无效。", field="ref")
    if not (isinstance(url, str) and url.startswith("/") and not url.startswith("//") and len(url) <= 300):
        raise InvalidInput("检索文档的链接必须是本站路径。", field="url")
    keywords = [k for k in keywords if isinstance(k, str) and k.strip()]
    title, body = (title or "")[:300], body or ""
    names = "|" + "|".join(dict.fromkeys(k for k in (name_key(title), *map(name_key, keywords)) if k)) + "|"
    values = dict(source=source, ref=ref, title=title, url=url, body=body, names=names, department_id=department_id,
                  department=(department or "")[:200], category=category, indexed_at=clock.now())
    return values, dict(title=tokens(title), keywords=" ".join(f"{tokens(k)} {name_key(k)}" for k in keywords),
                        body=tokens(body), tags=_tags(department_id, category, source))


def _tags(department_id, category, source) -> str:
    return " ".join(filter(None, (department_id is not None and f"d{department_id}", category and f"c{name_key(category)}",
                                  f"s{name_key(source)}")))


def _tsv(title, keywords, body):
    """PostgreSQL: the weighted tsvector of the three token texts (values or bound parameters)."""
    def weighted(text, weight: str):
        return func.setweight(func.to_tsvector(_SIMPLE, text), literal_column(f"'{weight}'"))
    return weighted(title, "A").op("||")(weighted(keywords, "A")).op("||")(weighted(body, "D"))


def publish(session: Session, source: str, ref: str, *, title: str, body: str, url: str, keywords: Iterable[str] = (),
            department_id: int | None = None, department: str = "", category: str | None = None) -> None:
    """Add or replace one document: ``ref`` is unique within ``source``; ``url`` a path on the site."""
    values, words = _row(
        source, ref, title=title, body=body, url=url, keywords=keywords, department_id=department_id,
        department=department, category=category)
    upsert = pg_insert if _postgres(session) else sqlite_insert
    if upsert is pg_insert:
        values["tsv"] = _tsv(words["title"], words["keywords"], words["body"])
    stmt = upsert(documents).values(values)
    stmt = stmt.on_conflict_do_update(index_elements=["source", "ref"],
                                      set_={k: stmt.excluded[k] for k in values if k not in ("source", "ref")})
    doc_id = session.execute(stmt.returning(documents.c.id)).scalar_one()
    if upsert is sqlite_insert:
        session.execute(delete(_fts).where(_fts.c.rowid == doc_id))
        session.execute(insert(_fts).values(rowid=doc_id, **words))
    if source == "item":
        _forget_vocabulary(session)


def add_many(session: Session, docs: Iterable[dict], batch: int = 2000) -> int:
    """Insert documents that are not in the index yet (each a dict of :func:`publish`'s arguments),
    a batch per statement: rebuilding a source after :func:`withdraw_source`, loading a benchmark."""
    added, docs = 0, iter(docs)
    while rows := [_row(**doc) for _, doc in zip(range(batch), docs)]:
        if _postgres(session):
            stmt = insert(documents).values(tsv=_tsv(bindparam("t_title"), bindparam("t_keywords"), bindparam("t_body")))
            session.execute(stmt, [dict(v, t_title=w["title"], t_keywords=w["keywords"], t_body=w["body"]) for v, w in rows])
        else:
            ids = session.scalars(insert(documents).returning(documents.c.id, sort_by_parameter_order=True),
                                  [v for v, _ in rows]).all()
            session.execute(insert(_fts), [dict(rowid=i, **w) for i, (_, w) in zip(ids, rows)])
        added += len(rows)
    if added:
        _forget_vocabulary(session)
    return added


def _remove(session: Session, condition) -> None:
    if not _postgres(session):
        session.execute(delete(_fts).where(_fts.c.rowid.in_(select(documents.c.id).where(condition))))
    session.execute(delete(documents).where(condition))


def withdraw(session: Session, source: str, ref: str) -> None:
    """Take one document out of the index (nothing happens when it is not there)."""
    _remove(session, (documents.c.source == source) & (documents.c.ref == ref))


def withdraw_prefix(session: Session, source: str, prefix: str) -> None:
    """Take out every document of ``source`` whose ref starts with ``prefix`` (an item's FAQ set)."""
    _remove(session, (documents.c.source == source) & documents.c.ref.startswith(prefix, autoescape=True))


def withdraw_source(session: Session, source: str) -> None:
    _remove(session, documents.c.source == source)


# ---------------------------------------------------------------------------------------------
# items and their FAQ


def _guide_text(version: ItemVersion, department: Department | None) -> str:
    """The body of an item's document: what its guide says that people search for."""
    parts = []
    if department is not None:
        parts.append(f"实施主体：{department.name}{'（' + version.section + '）' if version.section else ''}")
    if version.conditions:
        parts.append(f"受理条件：{version.conditions}")
    basis = [" ".join(str(b.get(k) or "") for k in ("title", "article", "text")).strip().rstrip("。")
             for b in version.legal_basis or [] if isinstance(b, dict)]
    if basis := [b for b in basis if b]:
        parts.append("设定依据：" + "；".join(basis))
    materials = [str(m.get("name")) for m in version.materials or [] if isinstance(m, dict) and m.get("name")]
    if materials:
        parts.append("申请材料：" + "、".join(materials))
    fee = version.fee_standard if version.charges_fee or version.fee_standard else "不收费"
    if fee:
        parts.append(f"收费标准：{fee}")
    if version.place:
        parts.append(f"办理地点：{version.place}")
    return "。".join(p.rstrip("。") for p in parts) + ("。" if parts else "")


def refresh_item(session: Session, item: Item, *, hidden: set[str] | None = None) -> bool:
    """Index the item's current published version — its guide, and one document per FAQ entry
    linking to the entry's anchor — when the public column shows the item (active, published, a
    citizens' flow); withdraw it otherwise. ``hidden``: the internal flows' keys, when known.
    Returns whether the item is in the index now."""
    version = item.current_version
    if hidden is None:
        hidden = public.internal_keys(session)
    withdraw_prefix(session, "faq", f"{item.code}/")
    if item.status != "active" or version is None or (version.process_key and version.process_key in hidden):
        withdraw(session, "item", item.code)
        return False
    aliases = [a for a in version.aliases or [] if isinstance(a, str) and a.strip()]
    learn([version.name, *aliases])
    _vocabulary(session, fresh=False)  # every name known before the text is cut, as when it is searched
    department = item.department
    where = dict(department_id=item.department_id, department=department.name if department else "",
                 category=version.category)
    url = f"/items/{item.code}"
    publish(session, "item", item.code, title=version.name, body=_guide_text(version, department), url=url,
            keywords=[*aliases, item.code], **where)
    for n, entry in enumerate(version.faq or [], start=1):
        if isinstance(entry, dict) and entry.get("q"):
            publish(session, "faq", f"{item.code}/{n}", title=str(entry["q"]), body=str(entry.get("a") or ""),
                    url=f"{url}/faq#faq-{n}", **where)
    return True


def reindex_all(session: Session) -> int:
    """Rebuild the index from the catalogue (guides and FAQ), the FAQ library, the public
    questions and the disclosure column's entries; returns how many items are searchable."""
    withdraw_source(session, "item")
    withdraw_source(session, "faq")
    items = list(session.scalars(select(Item).options(joinedload(Item.current_version), joinedload(Item.department))
                                 .order_by(Item.code)).unique())
    learn(w for i in items if i.current_version for w in [i.current_version.name, *(i.current_version.aliases or [])])
    hidden = public.internal_keys(session)
    count = sum(refresh_item(session, item, hidden=hidden) for item in items)
    from ..qa import faq  # the FAQ library and the public questions feed the same index

    faq.reindex(session)
    from ..disclosure import publish  # the 政府信息公开专栏's entries

    publish.reindex(session)
    return count
