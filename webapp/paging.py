"""The web side of keyset paging (engine/paging.py): the cursor from the address, the links around a page."""

from __future__ import annotations

from flask import request, url_for

from engine.paging import COUNT_CAP, Page

CURSOR_ARGS = ("after", "before")


def cursor() -> dict:
    """``after`` / ``before`` of the request, as :func:`engine.paging.fetch` takes them."""
    return {name: request.args.get(name) for name in CURSOR_ARGS if request.args.get(name)}


def shown_total(count: int, cap: int = COUNT_CAP) -> str:
    """A count from :func:`engine.paging.capped_count` as a list's "共 N 条" shows it."""
    return f"{cap}+" if count > cap else str(count)


def links(page: Page) -> dict:
    """首页 / 上一页 / 下一页 addresses for the template macro ``pager`` (templates/_pager.html): the same
    address with the cursor replaced, every filter kept."""
    args = {k: v for k, v in request.args.items() if k not in CURSOR_ARGS and k != "page"}
    here = dict(request.view_args or {}, **args)

    def url(**cur):
        return url_for(request.endpoint, **here, **cur)

    return {
        "first": url() if not page.first else None,
        "prev": url(before=page.prev) if page.prev else None,
        "next": url(after=page.next) if page.next else None,
    }
