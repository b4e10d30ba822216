"""Relay connection types for customers, forward paging only (Partner Center pages forward).

No `totalCount`: Partner Center's counts one page, not the list, and no endpoint counts all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import strawberry
from strawberry import federation

from ._fields import described
from .cursors import CursorCodec
from .customer import Customer
from .paging import Edge, Run

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


def sign_edges(runs: Sequence[Run], codec: CursorCodec) -> list[str]:
    """The cursor of each edge of a window's `runs`, in order (what `codec.encode(edge.after())`
    gives): per upstream page one `PageCursors`, per edge a slice and a concatenation."""
    texts: list[str] = []
    for origin, first_index, length in runs:
        page = origin.page
        cursors = codec.page(origin.token, origin.page_size, origin.search)
        # The position after item i is offset i + 1 of the same page...
        end = first_index + length
        last_of_page = end == len(page.items) and page.continuation_token is not None
        texts += cursors.span(first_index + 1, end if last_of_page else end + 1)
        if last_of_page:
            # ...except after the page's last item: the next page's start, so that the next
            # request never fetches this page again.
            following = codec.page(page.continuation_token, origin.page_size, origin.search)
            texts.append(following.at(0))
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
