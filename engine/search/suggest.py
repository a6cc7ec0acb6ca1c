"""Suggestions of the site search: the items' names and aliases (the vocabulary the segmenter
learns from the index) that sound like the query (pinyin) or are spelt almost like it."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pypinyin import lazy_pinyin
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .tables import documents
from .words import _HAN, clean_query, learn, name_key

VOCABULARY_SECONDS = 5.0  # names and aliases another process published are learnt within this


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
