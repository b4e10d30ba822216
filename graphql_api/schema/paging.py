"""Reading a window of `first` customers from a position, over Partner Center's token chain.

Partner Center pages forward only. A walk keeps one upstream page size (chosen by its first
request as min(first, UPSTREAM_PAGE_SIZE) and carried in its cursors), so a caller that
keeps `first` steady consumes exactly one upstream page per GraphQL page, and the cursor of
a page's last edge names the *next* token at offset 0: no page is fetched twice. A window
that ends inside an upstream page resumes by fetching that page again and skipping to the
offset: correct whatever the caller does, and a refetch only when `first` changes mid-walk.

`hasNextPage` comes from the token: the last upstream page carries none. An upstream that
hands out a token on a full last page (Partner Center may; its next seek answers 400/2000)
makes the walk end with one extra, empty GraphQL page; peeking ahead to avoid that would
cost one more upstream call on every page of every walk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NamedTuple

from ..partner_center import Customer, CustomerFilter, CustomerPage
from .cursors import Cursor

# (token or None for the first page, page size, search) -> that upstream page.
FetchPage = Callable[[str | None, int, CustomerFilter | None], Awaitable[CustomerPage]]

# Empty pages that still carry a token, in a row, before we call the upstream inconsistent.
_MAX_EMPTY_PAGES = 3


class UpstreamInconsistent(Exception):
    """Partner Center kept answering empty pages with continuation tokens."""


class Edge(NamedTuple):
    """A customer (a list summary) and the position just after it.

    NamedTuple, as Cursor: one per customer of a page, built ~3x faster than a frozen
    dataclass.
    """

    customer: Customer
    after: Cursor


@dataclass(frozen=True, slots=True)
class Window:
    """Up to `first` edges from a position, and whether more follow."""

    edges: tuple[Edge, ...]
    has_next_page: bool


async def read_window(fetch: FetchPage, start: Cursor, first: int) -> Window:
    """The `first` customers from `start` (first=0 fetches, to learn whether any follow)."""
    edges: list[Edge] = []
    token, offset, size, search = start.token, start.offset, start.page_size, start.search
    empty_pages = 0
    while True:
        page = await fetch(token, size, search)
        items, next_token = page.items, page.continuation_token
        for index in range(offset, len(items)):
            if len(edges) == first:
                # An item of this page is left over: there is a next page for certain.
                return Window(tuple(edges), has_next_page=True)
            edges.append(Edge(items[index], _after(token, index, page, size, search)))
        if next_token is None:
            return Window(tuple(edges), has_next_page=False)
        if len(edges) == first:
            return Window(tuple(edges), has_next_page=True)
        empty_pages = empty_pages + 1 if not items else 0
        if empty_pages > _MAX_EMPTY_PAGES:
            raise UpstreamInconsistent("Partner Center returned empty pages with tokens")
        token, offset = next_token, 0


def _after(
    token: str | None, index: int, page: CustomerPage, size: int, search: CustomerFilter | None
) -> Cursor:
    """The position after item `index` of `page`: the next token when it is the last one."""
    if index + 1 == len(page.items) and page.continuation_token is not None:
        return Cursor(token=page.continuation_token, offset=0, page_size=size, search=search)
    return Cursor(token=token, offset=index + 1, page_size=size, search=search)


__all__ = ["Edge", "FetchPage", "UpstreamInconsistent", "Window", "read_window"]
