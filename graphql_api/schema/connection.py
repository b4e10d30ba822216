"""Relay connection types for customers, forward paging only (Partner Center pages forward).

No `totalCount`: Partner Center's counts one page, not the list, and no endpoint counts all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import strawberry
from strawberry import federation

from ._fields import described
from .cursors import CursorCodec, PageCursors
from .customer import Customer
from .paging import Edge

# `CustomerEdge.cursor` when the operation does not ask for edge cursors (never read then).
UNSIGNED = ""


@strawberry.type(description="A customer in a connection, with the cursor of its position.")
class CustomerEdge:
    """Relay edge. Its cursor is a plain field, signed when the edge is built if the operation
    asks for edge cursors (see `sign_edges`); `encoded_cursor` signs it on demand otherwise."""

    cursor: str = strawberry.field(
        description="Opaque position of this edge; pass it as `after` to continue after it."
    )
    node: Customer = strawberry.field(description="The customer.")
    position: strawberry.Private[Edge]
    codec: strawberry.Private[CursorCodec]

    def encoded_cursor(self) -> str:
        """The cursor text: the one signed up front, or one signed now."""
        if self.cursor:
            return self.cursor
        return self.codec.encode(self.position.after())


def sign_edges(edges: Sequence[Edge], codec: CursorCodec) -> list[str]:
    """The cursor of each edge: one serialised page part per upstream page, then per edge a
    concatenation and a keyed hash (what `codec.encode(edge.after())` gives, for less)."""
    # By the origin's identity (the edges hold it, so the id is not reused meanwhile).
    pages: dict[tuple[int, str | None], PageCursors] = {}
    texts: list[str] = []
    for edge in edges:
        origin, index = edge.origin, edge.item_index
        next_token = origin.page.continuation_token
        token: str | None
        if index + 1 == len(origin.page.items) and next_token is not None:
            token, offset = next_token, 0  # the next page's start, as `Edge.after` says
        else:
            token, offset = origin.token, index + 1
        key = (id(origin), token)
        cursors = pages.get(key)
        if cursors is None:
            cursors = pages[key] = codec.page(token, origin.page_size, origin.search)
        texts.append(cursors.at(offset))
    return texts


@federation.type(
    shareable=True,
    description="Where a page of a connection stands in the whole list (Relay PageInfo).",
)
class PageInfo:
    """Relay `PageInfo`; shareable so that other subgraphs of the supergraph may define it."""

    has_previous_page: bool = strawberry.field(
        description="True when the page was asked for with `after`: items come before it."
    )
    # Cursors are signed only when asked for: most pages ask for endCursor alone.
    first_edge: strawberry.Private[CustomerEdge | None]
    last_edge: strawberry.Private[CustomerEdge | None]
    known_has_next_page: strawberry.Private[bool | None]
    # With `first: 0` nothing is fetched unless hasNextPage is asked for.
    probe_has_next_page: strawberry.Private[Callable[[], Awaitable[bool]] | None]

    @described("The cursor of the first edge; null when there are no edges.")
    def start_cursor(self) -> str | None:
        return None if self.first_edge is None else self.first_edge.encoded_cursor()

    @described(
        "The cursor of the last edge, to pass as `after` for the next page; null when there "
        "are no edges."
    )
    def end_cursor(self) -> str | None:
        return None if self.last_edge is None else self.last_edge.encoded_cursor()

    @described("True when more items follow this page.")
    async def has_next_page(self) -> bool:
        if self.known_has_next_page is not None:
            return self.known_has_next_page
        assert self.probe_has_next_page is not None
        return await self.probe_has_next_page()


@strawberry.type(description="A page of customers, in Partner Center's order.")
class CustomerConnection:
    """Relay connection."""

    edges: list[CustomerEdge] = strawberry.field(description="The customers with their cursors.")
    page_info: PageInfo = strawberry.field(description="Paging information.")

    @described("The customers of this page, without cursors.")
    def nodes(self) -> list[Customer]:
        return [edge.node for edge in self.edges]


__all__ = ["UNSIGNED", "CustomerConnection", "CustomerEdge", "PageInfo", "sign_edges"]
