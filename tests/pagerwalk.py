"""Following a keyset-paged list's compact pager (templates/_pager.html) from its first page to its last."""

from __future__ import annotations

import re


def pager_link(html: str, rel: str, label: str = "") -> str | None:
    """The address of 下一页 (``rel="next"``) or 上一页 (``"prev"``) in the pager whose label contains ``label``."""
    pager = re.search(rf'<nav class="pager" aria-label="[^"]*{label}[^"]*">(.*?)</nav>', html, re.S)
    found = pager and re.search(rf'<a href="([^"]+)" rel="{rel}">', pager.group(1))
    return found.group(1).replace("&amp;", "&") if found else None


def walk(get, url: str, pattern: str, label: str = "") -> list[str]:
    """What ``pattern`` finds on every page, following 下一页 from ``url`` to the end; then 上一页 once
    must answer too. ``get(url)`` returns a page's HTML."""
    seen, html, pages = [], get(url), 0
    while True:
        seen += re.findall(pattern, html)
        following, pages = pager_link(html, "next", label), pages + 1
        if not following:
            break
        assert pages < 200, "the pager does not end"
        html = get(following)
    back = pager_link(html, "prev", label)
    if back:
        assert re.findall(pattern, get(back)), back
    return seen
