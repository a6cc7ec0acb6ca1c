"""A scanner for Latin words in what a person reads: everything a user sees is Chinese, except codes
(tokens with a digit: item codes, case numbers, staff numbers, A002, PT2S), file types, sizes (MB) and what
the caller allows (text the user typed: expressions, process identifiers, web addresses)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# file types a person is told about by their usual names, and file sizes
FILE_TYPES = frozenset({"PDF", "pdf", "DOCX", "docx", "DOC", "doc", "XLSX", "xlsx", "BPMN", "bpmn", "XML", "xml",
                        "JPG", "jpg", "PNG", "png", "OFD", "ofd", "KB", "MB", "GB"})
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[-'][A-Za-z0-9_]+)*")
_URL = re.compile(r"\b(?:https?|ftp)://\S+|\bwww\.\S+|[\w.+-]+@[\w-]+\.[\w.]+")


@dataclass(frozen=True)
class Finding:
    word: str
    context: str

    def __str__(self) -> str:
        return f"{self.word!r} in …{self.context}…"


def latin_words(text: str, allow: Iterable[str] = ()) -> list[Finding]:
    """Every Latin word in ``text`` that is neither a code nor allowed, with 30 characters either side."""
    masked = _URL.sub(lambda m: " " * len(m.group()), text)
    for allowed in sorted((a for a in allow if a), key=len, reverse=True):
        masked = masked.replace(allowed, " " * len(allowed))
    found = []
    for match in _TOKEN.finditer(masked):
        word = match.group()
        if any(c.isdigit() for c in word) or word in FILE_TYPES:
            continue
        if len(word) == 1:
            continue  # a lone letter: a grade (A级), a list mark
        start, end = max(0, match.start() - 30), min(len(text), match.end() + 30)
        found.append(Finding(word, text[start:end].replace("\n", " ⏎ ")))
    return found


def report(findings_by_page: dict[str, list[Finding]]) -> str:
    """A readable failure message: each page, then each word with its context."""
    lines = []
    for page, findings in findings_by_page.items():
        if findings:
            lines.append(f"{page}:")
            lines.extend(f"    {f}" for f in findings)
    return "\n".join(lines)


__all__ = ["FILE_TYPES", "Finding", "latin_words", "report"]
