"""Relay connection types for customers, forward paging only (Partner Center pages forward).

No `totalCount`: Partner Center's counts one page, not the list, and no endpoint counts all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from strawberry import federation

from ._fields import described
from .cursors import CursorCodec
from .customer import Customer
from .paging import Edge


def _edge_cursor(root: CustomerEdge) -> str:
    return root.codec.encode(root.position.after())


@strawberry.type(description="A customer in a connection, with the cursor of its position.")
class CustomerEdge:
    """Relay edge; its cursor is signed only when asked for (most pages need only endCursor)."""

    cursor: str = strawberry.field(
        resolver=_edge_cursor,
        description="Opaque position of this edge; pass it as `after` to continue after it.",
    )
    node: Customer = strawberry.field(description="The customer.")
    position: strawberry.Private[Edge]
    codec: strawberry.Private[CursorCodec]

    def encoded_cursor(self) -> str:
        """The cursor text, signed now."""
        return _edge_cursor(self)


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


__all__ = ["CustomerConnection", "CustomerEdge", "PageInfo"]
