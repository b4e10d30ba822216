"""Edge cursors signed per page (`sign_edges`) are exactly the cursors of each edge's position."""

from __future__ import annotations

import pytest

from graphql_api.partner_center import Customer, CustomerFilter, CustomerPage, CustomerSearchField
from graphql_api.schema.connection import sign_edges
from graphql_api.schema.cursors import Cursor, CursorCodec
from graphql_api.schema.paging import read_window

SECRET = b"edge-cursor-test-secret-0123456789"
SEARCH = CustomerFilter(field=CustomerSearchField.DOMAIN, value="co")


def _pages(sizes: list[int]) -> dict[str | None, CustomerPage]:
    """Upstream pages of the given sizes, chained by tokens t1, t2...; the last without one."""
    pages: dict[str | None, CustomerPage] = {}
    number = 0
    for position, size in enumerate(sizes):
        token = None if position == 0 else f"t{position}"
        following = f"t{position + 1}" if position + 1 < len(sizes) else None
        items = tuple(Customer(id=f"c{number + i}") for i in range(size))
        number += size
        pages[token] = CustomerPage(items=items, total_count=size, continuation_token=following)
    return pages


@pytest.mark.parametrize(
    ("sizes", "start", "first"),
    [
        ([5, 5, 3], Cursor(None, 0, 5, None), 5),
        ([5, 5, 3], Cursor(None, 2, 5, SEARCH), 7),
        ([5, 5, 3], Cursor("t1", 4, 5, None), 20),
        ([5, 0, 5], Cursor(None, 0, 5, None), 9),
        ([4], Cursor(None, 0, 4, None), 4),
        ([4], Cursor(None, 1, 4, None), 2),
    ],
)
async def test_signed_edges_are_the_cursors_after_each_edge(
    sizes: list[int], start: Cursor, first: int
) -> None:
    pages = _pages(sizes)

    async def fetch(token: str | None, size: int, search: CustomerFilter | None) -> CustomerPage:
        return pages[token]

    codec = CursorCodec(SECRET)
    window = await read_window(fetch, start, first)
    assert window.edges
    assert sign_edges(window.runs, codec) == [codec.encode(e.after()) for e in window.edges]
    for text, edge in zip(sign_edges(window.runs, codec), window.edges, strict=True):
        assert codec.decode(text) == edge.after()
