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

from .index import add_many, publish, refresh_item, reindex_all, withdraw, withdraw_prefix, withdraw_source
from .query import CAP, MAX_PAGES, MAX_PER_PAGE, SNIPPET, WEIGHTS, Hit, Results, highlight, query
from .suggest import VOCABULARY_SECONDS, suggest
from .suggest import _vocabularies as _vocabularies  # read by the tests
from .tables import SOURCES, documents, metadata
from .words import MAX_QUERY, STOP_WORDS, clean_query, learn, name_key, tokens

__all__ = [
    "CAP", "MAX_PAGES", "MAX_PER_PAGE", "MAX_QUERY", "SNIPPET", "SOURCES", "STOP_WORDS", "VOCABULARY_SECONDS", "WEIGHTS",
    "Hit", "Results", "add_many", "clean_query", "documents", "highlight", "learn", "metadata", "name_key", "publish",
    "query", "refresh_item", "reindex_all", "suggest", "tokens", "withdraw", "withdraw_prefix", "withdraw_source",
]
