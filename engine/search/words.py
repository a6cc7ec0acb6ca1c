"""Segmentation for the site search: jieba with our own dictionary (item names and aliases learnt
as whole words), the tokens the index holds, and what a query asks for."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import jieba

MAX_QUERY = 100  # characters of a query; the rest is ignored

#: words that say how people ask, not what they look for: not required, only used when nothing else is there
STOP_WORDS = frozenset(
    "的 了 和 与 及 或 我 我们 你 想 要 去 在 是 有 吗 呢 啊 吧 把 给 到 被 怎么 怎样 如何 什么 哪里 哪儿 哪个 哪些 "
    "需要 可以 请问 办 办理 申请 一下 材料 流程 条件 手续 多久 多少 费用 地点 时间".split())
#: words people shorten: a text with either form is found by both (社保 finds 社会保险)
SHORT_FORMS = (("社保", "社会保险"), ("医保", "医疗保险"), ("公积金", "住房公积金"), ("个体户", "个体工商户"),
               ("房产证", "不动产权证"), ("低保", "最低生活保障"), ("健康证", "健康证明"), ("信息公开", "政府信息公开"))
_OTHER_FORM = {a: b for pair in SHORT_FORMS for a, b in (pair, pair[::-1])}
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
                for word in _OTHER_FORM:  # each form is one word, so that the other can be added
                    if not tokenizer.FREQ.get(word):
                        tokenizer.add_word(word, tokenizer.suggest_freq(word, tune=False))
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
    out.extend(_OTHER_FORM[w] for w in list(out) if w in _OTHER_FORM)
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
