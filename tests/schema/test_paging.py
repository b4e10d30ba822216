"""Walking `customers` with `first`/`after` over the live emulator: completeness, order, calls."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.live_emulator import LiveEmulator
from tests.schema.conftest import BIG, SMALL
from tests.schema.walking import WALK, ids, walk


@pytest.mark.parametrize(
    ("emulator", "first", "upstream_page_size"),
    [
        ("small", 1, 500),
        ("big", 7, 500),
        ("big", 100, 500),
        ("big", 250, 500),
        # A GraphQL page spanning several upstream pages (first > upstream page).
        ("big", 100, 25),
        ("big", 250, 50),
    ],
)
async def test_steady_walk_yields_every_customer_once_in_order_with_one_call_per_page(
    request: pytest.FixtureRequest,
    runner: Any,
    emulator: str,
    first: int,
    upstream_page_size: int,
) -> None:
    live: LiveEmulator = request.getfixturevalue(emulator)
    run = runner(live.url, upstream_page_size=upstream_page_size)
    pages = await walk(run, [first])
    assert ids(pages) == [customer.id for customer in live.customers]
    upstream_pages = math.ceil(len(live.customers) / min(first, upstream_page_size))
    assert live.calls() == upstream_pages
    assert live.calls("list") == 1


async def test_has_next_page_is_true_on_every_page_but_the_last(
    big: LiveEmulator, runner: Any
) -> None:
    pages = await walk(runner(big.url), [300])
    flags = [page["pageInfo"]["hasNextPage"] for page in pages]
    assert flags == [True] * 6 + [False]
    assert len(pages[-1]["edges"]) == BIG - 6 * 300


async def test_walk_ending_exactly_on_an_upstream_page_boundary_has_no_empty_last_page(
    big: LiveEmulator, runner: Any
) -> None:
    pages = await walk(runner(big.url), [250])
    assert len(pages) == BIG // 250
    assert len(pages[-1]["edges"]) == 250
    assert pages[-1]["pageInfo"]["hasNextPage"] is False
    assert big.calls() == BIG // 250


async def test_changing_first_mid_walk_still_yields_every_customer_once_in_order(
    big: LiveEmulator, runner: Any
) -> None:
    firsts = [250, 100, 100, 37, 500, 1, 250]
    pages = await walk(runner(big.url), firsts)
    assert ids(pages) == [customer.id for customer in big.customers]
    # Each request fetches exactly the upstream pages (of the walk's size, 250) its window
    # overlaps: a window that ends inside a page costs that page again next time, no more.
    expected, start = 0, 0
    for page in pages:
        count = len(page["edges"])
        last = start + max(count, 1) - 1
        expected += last // 250 - start // 250 + 1
        start += count
    assert big.calls() == expected


async def test_after_an_edge_cursor_resumes_right_after_that_edge(
    small: LiveEmulator, runner: Any
) -> None:
    run = runner(small.url)
    first_page = await walk(run, [10])
    cursor = first_page[0]["edges"][3]["cursor"]
    result = await run(WALK, {"first": 5, "after": cursor})
    assert result.data is not None
    resumed = [edge["node"]["id"] for edge in result.data["customers"]["edges"]]
    assert resumed == [customer.id for customer in small.customers[4:9]]


async def test_page_info_cursors_are_the_first_and_last_edge_cursors(
    small: LiveEmulator, runner: Any
) -> None:
    result = await runner(small.url)(WALK, {"first": 5})
    assert result.data is not None
    connection = result.data["customers"]
    assert connection["pageInfo"]["startCursor"] == connection["edges"][0]["cursor"]
    assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]


async def test_nodes_are_the_edges_nodes(small: LiveEmulator, runner: Any) -> None:
    result = await runner(small.url)(WALK, {"first": 8})
    assert result.data is not None
    connection = result.data["customers"]
    assert connection["nodes"] == [edge["node"] for edge in connection["edges"]]


async def test_has_previous_page_is_true_only_after_a_cursor(
    small: LiveEmulator, runner: Any
) -> None:
    pages = await walk(runner(small.url), [20])
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True]


async def test_default_first_is_the_configured_default_page_size(
    small: LiveEmulator, runner: Any
) -> None:
    run = runner(small.url, customers_default_page_size=13)
    result = await run("{ customers { edges { node { id } } } }")
    assert result.data is not None
    assert len(result.data["customers"]["edges"]) == 13


async def test_first_zero_without_has_next_page_makes_no_upstream_call(
    small: LiveEmulator, runner: Any
) -> None:
    result = await runner(small.url)(
        "{ customers(first: 0) { edges { cursor } pageInfo { hasPreviousPage startCursor "
        "endCursor } } }"
    )
    assert result.errors is None
    assert result.data == {
        "customers": {
            "edges": [],
            "pageInfo": {"hasPreviousPage": False, "startCursor": None, "endCursor": None},
        }
    }
    assert small.calls() == 0


async def test_first_zero_has_next_page_tells_whether_customers_follow(
    small: LiveEmulator, runner: Any
) -> None:
    run = runner(small.url)
    query = (
        "query($after: String) { customers(first: 0, after: $after) "
        "{ pageInfo { hasNextPage } } }"
    )
    at_start = await run(query)
    last_page = await walk(run, [SMALL])
    at_end = await run(query, {"after": last_page[-1]["pageInfo"]["endCursor"]})
    assert at_start.data == {"customers": {"pageInfo": {"hasNextPage": True}}}
    assert at_end.data == {"customers": {"pageInfo": {"hasNextPage": False}}}


async def test_a_token_on_a_full_last_page_ends_the_walk_with_one_empty_page(
    big: LiveEmulator, runner: Any
) -> None:
    # Partner Center may hand out a token on a full last page; its next seek is 400/2000.
    big.state.configure(end_with_seek_error=True)
    pages = await walk(runner(big.url), [500])
    assert ids(pages) == [customer.id for customer in big.customers]
    assert [len(page["edges"]) for page in pages] == [500, 500, 500, 500, 0]
    assert big.calls() == 5
