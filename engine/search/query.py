"""Querying the site search index: every word first, then any; documents naming the words first;
the results paged, their titles and snippets highlighted."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Numeric, case, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from .index import _postgres
from .suggest import _vocabulary, suggest
from .tables import _FTS, _SIMPLE, _TITLE_TSV, _fts, documents
from .words import _HAN, _analyse, clean_query, name_key

MAX_PER_PAGE = 50
MAX_PAGES = 100  # nobody reads page 101
SNIPPET = 120  # characters around the first match
WEIGHTS = (10.0, 8.0, 1.0, 0.0)  # bm25 weights of title, keywords (aliases, code), body, tags
CAP = 1000  # matches counted and ranked per tier: a query finding more is too broad to read through


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
