"""站内搜索: the one index every publisher of the public column feeds — items (办事指南) and their
FAQ (常见问题) now, Q&A (在线咨询) and disclosed information (信息公开) later — through one
interface: :func:`publish` and :func:`withdraw` a document, :func:`query` the index.

Text is segmented with jieba on both sides, the index and the query: every word with the dictionary
words inside it (jieba's search mode). Aliases (俗称) and item names join jieba's dictionary, so
"开饭店" is one word as people write it. Storage: SQLite FTS5 on the embedded default (``bm25``,
titles and aliases weighted far above the body); PostgreSQL full-text with a GIN index in
production (the ``simple`` configuration over the same tokens, weight A for title and keywords, D
for the body, ``ts_rank_cd``). A query first asks for every word, then for any word; a name that
equals the query comes first. When little is found, :func:`query` suggests item names and aliases
that sound like the query (pinyin) or differ by a character.

The tables are an index, not part of the model: :func:`reindex_all` rebuilds them from the catalogue.
"""

from __future__ import annotations

import html
import logging
import math
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba
from pypinyin import lazy_pinyin
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    cast,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from . import clock
from .errors import InvalidInput
from .models import Department, Item, ItemVersion
from .models.base import UTCDateTime
from .service import public

SOURCES = {"item": "办事指南", "faq": "常见问题", "qa": "在线咨询", "disclosure": "信息公开"}
MAX_QUERY = 100  # characters of a query; the rest is ignored
MAX_PER_PAGE = 50
MAX_PAGES = 100  # nobody reads page 101
SNIPPET = 120  # characters around the first match
WEIGHTS = (10.0, 8.0, 1.0, 0.0)  # bm25 weights of title, keywords (aliases, code), body, tags
CAP = 1000  # matches counted and ranked per tier: a query finding more is too broad to read through
VOCABULARY_SECONDS = 5.0  # names and aliases another process published are learnt within this

metadata = MetaData()
documents = Table(
    "search_document", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(20), nullable=False),  # item / faq / qa / disclosure
    Column("ref", String(200), nullable=False),  # unique within the source
    Column("title", String(300), nullable=False),
    Column("url", String(300), nullable=False),  # a path on the site
    Column("body", Text, nullable=False),
    Column("names", Text, nullable=False),  # "|title|alias|…|": exact names, title first
    Column("department_id", Integer),
    Column("department", String(200), nullable=False, default=""),
    Column("category", String(10)),
    Column("indexed_at", UTCDateTime, nullable=False),
    Column("tsv", TSVECTOR),  # PostgreSQL only
    UniqueConstraint("source", "ref"),
)
_fts = table("search_fts", column("rowid"), column("title"), column("keywords"), column("body"), column("tags"))  # SQLite
_FTS = literal_column("search_fts")
_SIMPLE = literal_column("'simple'::regconfig")
_TITLE_TSV = func.ts_filter(documents.c.tsv, literal_column("'{a}'"), type_=TSVECTOR)  # has a GIN index of its own

#: words that say how people ask, not what they look for: not required, only used when nothing else is there
STOP_WORDS = frozenset(
    "的 了 和 与 及 或 我 我们 你 想 要 去 在 是 有 吗 呢 啊 吧 把 给 到 被 怎么 怎样 如何 什么 哪里 哪儿 哪个 哪些 "
    "需要 可以 请问 办 办理 申请 一下 材料 流程 条件 手续 多久 多少 费用 地点 时间".split())
_WORD = re.compile(r"[^\W_]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


# ---------------------------------------------------------------------------------------------
# segmentation


_lock = threading.RLock()
_segmenter: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    """Our own jieba dictionary, loaded once on first use (quietly; its cache file stays in /tmp)."""
    global _segmenter
    if _segmenter is None:
        with _lock:
            if _segmenter is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _segmenter = tokenizer
    return _segmenter


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def name_key(text: str) -> str:
    """A name as compared: full-width folded, lower case, without spaces or punctuation."""
    return "".join(_WORD.findall(_norm(text or "")))


def learn(words: Iterable[str]) -> None:
    """Teach the segmenter whole words (aliases, item names) so that they are not cut apart."""
    segmenter = _jieba()
    new = {chunk for w in words if isinstance(w, str) for chunk in _WORD.findall(_norm(w))
           if 2 <= len(chunk) <= 20 and not segmenter.FREQ.get(chunk)}
    if not new:
        return
    with _lock:
        for word in sorted(new):
            segmenter.add_word(word, segmenter.suggest_freq(word, tune=False))
        _segment.cache_clear()


@lru_cache(maxsize=50_000)
def _segment(chunk: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The words jieba cuts from ``chunk`` (letters and digits only), each with the dictionary
    words inside it — search mode, up to eight characters where jieba's own stops at three."""
    segmenter = _jieba()
    words = []
    for word in segmenter.cut(chunk):
        if not _WORD.fullmatch(word):
            continue
        parts = tuple(word[i:i + n] for n in range(2, min(len(word), 9)) for i in range(len(word) - n + 1)
                      if segmenter.FREQ.get(word[i:i + n]))
        words.append((word, parts))
    return tuple(words)


def tokens(text: str) -> str:
    """The index text: segmented, space-joined tokens."""
    out = []
    for chunk in _WORD.findall(_norm(text or "")):
        for word, parts in _segment(chunk):
            out.extend(parts)
            out.append(word)
    return " ".join(out)


def clean_query(text) -> str:
    """What a query may be: a string of at most MAX_QUERY characters, without control or format
    characters, its spaces collapsed."""
    if not isinstance(text, str):
        return ""
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text[:MAX_QUERY * 4])
    return " ".join(text.split())[:MAX_QUERY].strip()


@dataclass(frozen=True)
class _Query:
    """A query as the index sees it: clauses of alternatives of tokens that must all be there.
    ``required`` must all match for an every-word search; ``optional`` only join an any-word one."""

    required: tuple[tuple[tuple[str, ...], ...], ...]
    optional: tuple[tuple[tuple[str, ...], ...], ...]
    terms: tuple[str, ...]
    key: str


def _starts(word: str, part: str) -> list[int]:
    return [i for i in range(len(word) - len(part) + 1) if word.startswith(part, i)]


def _analyse(text: str) -> _Query:
    required, optional, weak_terms, terms = {}, {}, set(), set()
    for chunk in _WORD.findall(_norm(text)):
        for word, parts in _segment(chunk):
            # a text cut before the word was learnt holds its parts instead: they stand in when they cover it
            covered = {i for part in parts for at in _starts(word, part) for i in range(at, at + len(part))}
            clause = ((word,), parts) if len(covered) == len(word) else ((word,),)
            if word in STOP_WORDS or (len(word) == 1 and _HAN.match(word)):
                optional.setdefault(clause, None)
                weak_terms.add(word)
            else:
                required.setdefault(clause, None)
                terms.update((word, *parts))
    if not required:
        required, optional, terms = optional, {}, weak_terms
    return _Query(tuple(required)[:16], tuple(c for c in optional if c not in required)[:8],
                  tuple(sorted(terms, key=len, reverse=True)), name_key(text))


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
    """Rebuild the items' part of the index (guides and FAQ) from the catalogue; returns how many
    items are searchable."""
    withdraw_source(session, "item")
    withdraw_source(session, "faq")
    items = list(session.scalars(select(Item).options(joinedload(Item.current_version), joinedload(Item.department))
                                 .order_by(Item.code)).unique())
    learn(w for i in items if i.current_version for w in [i.current_version.name, *(i.current_version.aliases or [])])
    hidden = public.internal_keys(session)
    return sum(refresh_item(session, item, hidden=hidden) for item in items)


# ---------------------------------------------------------------------------------------------
# searching


@dataclass(frozen=True)
class Hit:
    source: str
    ref: str
    title: str
    title_html: str  # escaped, matches in <mark>
    url: str
    snippet: str  # escaped, matches in <mark>
    department: str
    category: str | None
    score: float


@dataclass(frozen=True)
class Results:
    query: str  # the text searched, after clean_query
    total: int  # at most CAP
    more: bool  # more than CAP documents match: the query is too broad to page through
    page: int
    pages: int
    per_page: int
    hits: list[Hit]
    suggestions: list[str]
    every_word: bool  # False when no document had every word and these have some


def _bounded(value, low: int, high: int, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return min(max(number, low), high)


@dataclass(frozen=True)
class _Filters:
    departments: tuple[int, ...] | None
    category: str | None
    source: str | None

    @classmethod
    def of(cls, department_id, category, source) -> _Filters:
        ids = None
        if department_id is not None:
            ids = (department_id,) if isinstance(department_id, int) else tuple(department_id)
            ids = tuple(i for i in ids if isinstance(i, int) and not isinstance(i, bool))
        return cls(ids, None if category is None else str(category)[:10], None if source is None else str(source)[:20])

    def columns(self) -> list:
        """PostgreSQL: conditions on the document table (btree indexes beside the GIN ones)."""
        d, where = documents.c, []
        if self.departments is not None:
            where.append(d.department_id.in_(self.departments))
        if self.category is not None:
            where.append(d.category == self.category)
        if self.source is not None:
            where.append(d.source == self.source)
        return where

    def tags(self) -> str:
        """SQLite: the same as FTS5 phrases on the tags column, intersected inside the index."""
        parts = []
        if self.departments is not None:
            parts.append(" OR ".join(f'"d{i}"' for i in self.departments))
        if self.category is not None:
            parts.append(f'"c{name_key(self.category)}"')
        if self.source is not None:
            parts.append(f'"s{name_key(self.source)}"')
        return "".join(f" AND (tags : ({p}))" for p in parts)


def _tags(department_id, category, source) -> str:
    return " ".join(filter(None, (department_id is not None and f"d{department_id}", category and f"c{name_key(category)}",
                                  f"s{name_key(source)}")))


def _fts_match(clauses, joiner: str) -> str:
    """An FTS5 query of our own tokens, each quoted (they hold letters and digits only anyway)."""
    def quoted(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'
    return f" {joiner} ".join("(" + " OR ".join("(" + " AND ".join(map(quoted, alt)) + ")" for alt in clause) + ")"
                              for clause in clauses)


def _tsquery(clauses, joiner: str):
    """The same as a PostgreSQL tsquery, built from bound parameters."""
    expr = None
    for clause in clauses:
        either = None
        for alt in clause:
            q = func.plainto_tsquery(_SIMPLE, " ".join(alt), type_=TSQUERY)
            either = q if either is None else either.op("||", return_type=TSQUERY)(q)
        expr = either if expr is None else expr.op("&&" if joiner == "AND" else "||", return_type=TSQUERY)(either)
    return expr


_ROW = (documents.c.source, documents.c.ref, documents.c.title, documents.c.url, documents.c.body, documents.c.names,
        documents.c.department, documents.c.category)


class _Tier:
    """The documents of one search holding the words in their title or keywords (``named``), or else
    in their body. Each tier counts and ranks at most CAP matches: the newest, on SQLite (FTS5 walks
    rowids backwards for free), the first found, on PostgreSQL (a LIMIT ends the GIN scan)."""

    def __init__(self, session: Session, clauses, joiner: str, filters: _Filters, key: str, named: bool):
        self.postgres, self.named = _postgres(session), named
        needle = f"|{key}|"
        if self.postgres:
            self.tsq = _tsquery(clauses, joiner)
            in_name = _TITLE_TSV.bool_op("@@")(self.tsq)
            self.where = [in_name if named else documents.c.tsv.bool_op("@@")(self.tsq) & ~in_name, *filters.columns()]
            position = func.strpos(documents.c.names, needle)
        else:
            words = _fts_match(clauses, joiner)
            match = (f"{{title keywords}} : ({words})" if named else
                     f"(({{title keywords body}} : ({words})) NOT ({{title keywords}} : ({words})))")
            self.where = [_FTS.op("MATCH")(match + filters.tags())]
            position = func.instr(documents.c.names, needle)
        self.exact = case((position == 1, 2), (position > 1, 1), else_=0) if named else literal_column("0")

    def count(self, session: Session) -> int:
        ids = (select(documents.c.id) if self.postgres else select(_fts.c.rowid)).where(*self.where).limit(CAP + 1)
        return session.scalar(select(func.count()).select_from(ids.subquery())) or 0

    def rows(self, session: Session, offset: int, limit: int) -> list:
        d = documents
        if self.postgres:
            candidates = select(d.c.id).where(*self.where).limit(CAP).subquery()
            score = func.ts_rank_cd(d.c.tsv, self.tsq)
            stmt = select(*_ROW, score.label("score"), self.exact.label("exact")).join(candidates, candidates.c.id == d.c.id)
        else:
            newest = select(_fts.c.rowid).where(*self.where).order_by(_fts.c.rowid.desc()).offset(CAP - 1).limit(1)
            since = session.scalar(newest) or 0
            score = -func.bm25(_FTS, *WEIGHTS)
            stmt = (select(*_ROW, score.label("score"), self.exact.label("exact"))
                    .select_from(_fts.join(d, d.c.id == _fts.c.rowid)).where(*self.where, _fts.c.rowid >= since))
        # scores equal to three places (as for a word most documents hold): the shorter title first
        coarse = func.round(cast(score, Numeric), 3)
        order = [self.exact.desc()] if self.named else []
        return session.execute(stmt.order_by(*order, coarse.desc(), func.length(d.c.title), d.c.id)
                               .offset(offset).limit(limit)).all()


def _search(session: Session, clauses, joiner: str, filters: _Filters, key: str, offset: int, limit: int):
    """(total, rows): documents holding the words in their names first, then in their bodies."""
    limit = min(limit, max(0, CAP - offset))
    tiers = [_Tier(session, clauses, joiner, filters, key, named) for named in (True, False)]
    counts = [tiers[0].count(session)]
    counts.append(tiers[1].count(session) if counts[0] < CAP else 0)  # past CAP nobody pages on to the bodies
    rows = []
    for tier, n in zip(tiers, counts):
        n = min(n, CAP)
        if offset < n and len(rows) < limit:
            rows += tier.rows(session, offset, limit - len(rows))
        offset = max(0, offset - n)
    return sum(counts), rows


def query(session: Session, text, *, department_id: int | Iterable[int] | None = None, category: str | None = None,
          source: str | None = None, page=1, per_page=10) -> Results:
    """Search the index. Every word first; when no document has them all, any word. Documents
    holding the words in their title or aliases come first, a name equal to the query first of
    all. An empty query finds nothing; ``page`` and ``per_page`` are bounded, never an error."""
    shown = clean_query(text)
    per_page = _bounded(per_page, 1, MAX_PER_PAGE, 10)
    page = _bounded(page, 1, MAX_PAGES, 1)
    filters = _Filters.of(department_id, category, source)
    if not name_key(shown) or filters.departments == ():
        return Results(shown, 0, False, 1, 1, per_page, [], [], True)
    _vocabulary(session)  # the names and aliases the segmenter must know before the query is cut
    q = _analyse(shown)
    every, offset = True, (page - 1) * per_page
    total, found = _search(session, q.required, "AND", filters, q.key, offset, per_page)
    if total == 0 and len(q.required) + len(q.optional) > 1:
        every = False
        total, found = _search(session, q.required + q.optional, "OR", filters, q.key, offset, per_page)
    pages = max(1, min(math.ceil(min(total, CAP) / per_page), MAX_PAGES))
    if page > pages:  # past the last page: show the last one
        page = pages
        total, found = _search(session, q.required if every else q.required + q.optional, "AND" if every else "OR",
                               filters, q.key, (page - 1) * per_page, per_page)
    pattern = re.compile("|".join(map(re.escape, q.terms)), re.IGNORECASE) if q.terms else None
    hits = [Hit(r.source, r.ref, r.title, highlight(r.title, pattern), r.url, _snippet(r.body, r.names, pattern),
                r.department, r.category, round(float(r.score or 0), 6)) for r in found]
    suggestions = []
    if not every or (total < 3 and not any(r.exact for r in found)):  # a typo, or little found
        shown_items = {h.ref for h in hits if h.source == "item"} if every else set()
        suggestions = suggest(session, shown, skip=shown_items)
    return Results(shown, min(total, CAP), total > CAP, page, pages, per_page, hits, suggestions, every)


def _snippet(body: str, names: str, pattern: re.Pattern | None) -> str:
    """The body around the first match; when only an alias matched, the aliases first."""
    if pattern is None or pattern.search(body or ""):
        return highlight(body, pattern, SNIPPET)
    aliases = [n for n in names.strip("|").split("|")[1:] if _HAN.search(n)]
    if not any(pattern.search(a) for a in aliases):
        return highlight(body, pattern, SNIPPET)
    said = "、".join(aliases)
    return f"{highlight('俗称：' + said, pattern)}。{highlight(body, None, max(SNIPPET - len(said) - 4, 40))}"


def highlight(text: str, pattern: re.Pattern | None, limit: int | None = None) -> str:
    """``text`` HTML-escaped with each match of ``pattern`` in <mark>; with ``limit``, cut to that
    many characters around the first match."""
    text = " ".join((text or "").split())
    before = after = ""
    if limit and len(text) > limit:
        first = pattern.search(text) if pattern else None
        start = max(0, (first.start() if first else 0) - limit // 4)
        end = min(len(text), start + limit)
        start = max(0, end - limit)
        before, after = ("…" if start else ""), ("…" if end < len(text) else "")
        text = text[start:end]
    out, at = [before], 0
    for match in pattern.finditer(text) if pattern else ():
        out += [html.escape(text[at:match.start()]), "<mark>", html.escape(match.group()), "</mark>"]
        at = match.end()
    out += [html.escape(text[at:]), after]
    return "".join(out).replace("</mark><mark>", "")  # 检验|检测 read as one match


# ---------------------------------------------------------------------------------------------
# suggestions: the names and aliases of the items, by sound (pinyin) and by spelling


@dataclass
class _Vocabulary:
    words: list[str]
    owners: list[set[str]]  # the items (refs) each word names
    sounds: list[tuple[str, ...]]
    postings: dict[str, list[int]]
    version: tuple
    checked: float
    stale: bool = False


_vocabularies: dict[str, _Vocabulary] = {}
_FUZZY = ((re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"^n"), "l"), (re.compile(r"([aei])ng$"), r"\1n"))


def _sound(word: str) -> tuple[str, ...]:
    """The word's pinyin without tones, with the sounds people mix up made one (zh/z, n/l, ing/in)."""
    out = []
    for syllable in lazy_pinyin(word):
        for pattern, replacement in _FUZZY:
            syllable = pattern.sub(replacement, syllable)
        out.append(syllable)
    return tuple(out)


def _version(session: Session) -> tuple:
    return tuple(session.execute(select(func.max(documents.c.indexed_at), func.count())
                                 .where(documents.c.source == "item")).one())


def _forget_vocabulary(session: Session) -> None:
    vocabulary = _vocabularies.get(str(session.get_bind().url))
    if vocabulary is not None:
        vocabulary.stale = True


def _vocabulary(session: Session, fresh: bool = True) -> _Vocabulary:
    """The item names and aliases in the index, taught to the segmenter. Read again when this
    process published an item (and ``fresh``), or when another process did: every
    VOCABULARY_SECONDS the newest indexing time and the number of items are compared (an index read)."""
    key = str(session.get_bind().url)
    vocabulary = _vocabularies.get(key)
    if vocabulary is not None and not (fresh and vocabulary.stale):
        if time.monotonic() - vocabulary.checked < VOCABULARY_SECONDS:
            return vocabulary
        if _version(session) == vocabulary.version:
            vocabulary.checked = time.monotonic()
            return vocabulary
    version = _version(session)
    owners: dict[str, set[str]] = {}
    for ref, title, names in session.execute(select(documents.c.ref, documents.c.title, documents.c.names)
                                             .where(documents.c.source == "item")):
        for word in (title, *(n for n in names.strip("|").split("|")[1:])):
            if _HAN.search(word) and len(word) <= 40:
                owners.setdefault(word, set()).add(ref)
    words = sorted(owners)
    learn(words)
    sounds = [_sound(name_key(w)) for w in words]
    postings: dict[str, list[int]] = {}
    for i, sound in enumerate(sounds):
        for syllable in set(sound):
            postings.setdefault(syllable, []).append(i)
    vocabulary = _Vocabulary(words, [owners[w] for w in words], sounds, postings, version, time.monotonic())
    _vocabularies[key] = vocabulary
    return vocabulary


def _distance(a, b) -> int:
    """Levenshtein distance of two short sequences."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def suggest(session: Session, text: str, limit: int = 3, skip: Iterable[str] = ()) -> list[str]:
    """Item names and aliases close to ``text``: the same sound (食品经营许科 → 食品经营许可), or a
    syllable or two apart for longer names; not those naming only the items in ``skip`` (refs)."""
    skip = set(skip)
    key = name_key(clean_query(text))
    if not key or len(key) > 30 or not _HAN.search(key):
        return []
    vocabulary = _vocabulary(session)
    sound = _sound(key)
    shared = Counter(i for syllable in set(sound) for i in vocabulary.postings.get(syllable, ()))
    need = max(1, len(set(sound)) - 2)
    scored = []
    for i, n in shared.items():
        other = vocabulary.sounds[i]
        if n < need or abs(len(other) - len(sound)) > 2:
            continue
        word = vocabulary.words[i]
        if name_key(word) == key or vocabulary.owners[i] <= skip:
            continue
        longest = max(len(other), len(sound))
        far = _distance(sound, other)
        if far <= (0 if longest < 3 else 1 if longest < 6 else 2):
            scored.append((far, _distance(key, name_key(word)), abs(len(word) - len(key)), word))
    return [word for *_, word in sorted(scored)[:limit]]
