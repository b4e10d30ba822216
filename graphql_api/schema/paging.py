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


@dataclass(frozen=True, slots=True)
class PageOrigin:
    """Where an upstream page was read from: what every cursor into it is made of."""

    token: str | None
    page: CustomerPage
    page_size: int
    search: CustomerFilter | None


class Edge(NamedTuple):
    """A customer (a list summary), item `item_index` of the upstream page `origin` describes.

    NamedTuple, as Cursor: one per customer of a page, and cheaper to build than a frozen
    dataclass. The position after it is worked out only when asked for (`after`): a page
    usually signs one cursor, its last.
    """

    customer: Customer
    item_index: int
    origin: PageOrigin

    def after(self) -> Cursor:
        """The position after this customer: the next token when it is its page's last."""
        origin, index = self.origin, self.item_index
        token = origin.page.continuation_token
        if index + 1 == len(origin.page.items) and token is not None:
            return Cursor(token=token, offset=0, page_size=origin.page_size, search=origin.search)
        return Cursor(
            token=origin.token, offset=index + 1, page_size=origin.page_size, search=origin.search
        )


class Run(NamedTuple):
    """`length` edges in a row: items `first_index` on of the upstream page `origin` names."""

    origin: PageOrigin
    first_index: int
    length: int


@dataclass(frozen=True, slots=True)
class Window:
    """Up to `first` edges from a position, and whether more follow.

    `runs` groups the edges by upstream page, in order, so that work per page (signing
    cursors) is done per page rather than found out edge by edge.
    """

    edges: tuple[Edge, ...]
    has_next_page: bool
    runs: tuple[Run, ...] = ()


async def read_window(fetch: FetchPage, start: Cursor, first: int) -> Window:
    """The `first` customers from `start` (first=0 fetches, to learn whether any follow)."""
    edges: list[Edge] = []
    runs: list[Run] = []
    token, offset, size, search = start.token, start.offset, start.page_size, start.search
    empty_pages = 0
    while True:
        page = await fetch(token, size, search)
        items, next_token = page.items, page.continuation_token
        origin = PageOrigin(token, page, size, search)
        taken = min(len(items) - offset, first - len(edges))
        if taken > 0:
            edges += [Edge(items[index], index, origin) for index in range(offset, offset + taken)]
            runs.append(Run(origin, offset, taken))
        if offset + max(taken, 0) < len(items):
            # An item of this page is left over: there is a next page for certain.
            return Window(tuple(edges), has_next_page=True, runs=tuple(runs))
        if next_token is None:
            return Window(tuple(edges), has_next_page=False, runs=tuple(runs))
        if len(edges) == first:
            return Window(tuple(edges), has_next_page=True, runs=tuple(runs))
        empty_pages = empty_pages + 1 if not items else 0
        if empty_pages > _MAX_EMPTY_PAGES:
            raise UpstreamInconsistent("Partner Center returned empty pages with tokens")
        token, offset = next_token, 0


__all__ = [
    "Edge",
    "FetchPage",
    "PageOrigin",
    "Run",
    "UpstreamInconsistent",
    "Window",
    "read_window",
]
