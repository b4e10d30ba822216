"""Walking `customers` page by page, the way a client does."""

from __future__ import annotations

from typing import Any

from tests.schema.conftest import BIG, Runner

WALK = """
query Walk($first: Int, $after: String, $search: CustomerSearch) {
  customers(first: $first, after: $after, search: $search) {
    edges { cursor node { id } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def walk(
    run: Runner, firsts: list[int], *, search: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every page of a walk; the i-th request asks for firsts[i] (the last value repeats)."""
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        first = firsts[min(len(pages), len(firsts) - 1)]
        result = await run(WALK, {"first": first, "after": after, "search": search})
        assert result.errors is None, result.errors
        assert result.data is not None
        page = result.data["customers"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 3 * BIG, "the walk does not end"


def ids(pages: list[dict[str, Any]]) -> list[str]:
    return [edge["node"]["id"] for page in pages for edge in page["edges"]]
