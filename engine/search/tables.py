"""The tables of the site search: one document table for every source (a tsvector column on
PostgreSQL) and, on SQLite, an FTS5 table of pre-segmented tokens beside it (rowid = document id);
migration 0011 creates them."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    column,
    func,
    literal_column,
    table,
)
from sqlalchemy.dialects.postgresql import TSVECTOR

from ..models.base import UTCDateTime

SOURCES = {"item": "办事指南", "faq": "常见问题", "qa": "在线咨询", "disclosure": "信息公开"}

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
