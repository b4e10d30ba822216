"""Bad arguments and missing credentials: typed errors, and not one upstream call."""

from __future__ import annotations

from typing import Any

import pytest

from graphql_api.schema.cursors import Cursor, CursorCodec
from tests.live_emulator import LiveEmulator
from tests.schema.conftest import SECRET, codes

CUSTOMERS = """
query($first: Int, $after: String, $search: CustomerSearch) {
  customers(first: $first, after: $after, search: $search) { edges { node { id } } }
}
"""


async def only_error(run: Any, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = await run(query, variables)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result.errors is not None
    return dict(result.errors[0].formatted)


@pytest.mark.parametrize("first", [-1, 501, 10_000])
async def test_first_outside_the_bounds_is_bad_user_input_naming_them(
    small: LiveEmulator, runner: Any, first: int
) -> None:
    error = await only_error(runner(small.url), CUSTOMERS, {"first": first})
    assert "between 0 and 500" in error["message"]
    assert error["extensions"]["argument"] == "first"
    assert error["path"] == ["customers"]
    assert small.calls() == 0


async def test_first_above_a_configured_maximum_names_that_maximum(
    small: LiveEmulator, runner: Any
) -> None:
    run = runner(small.url, customers_max_page_size=20, customers_default_page_size=10)
    error = await only_error(run, CUSTOMERS, {"first": 21})
    assert "between 0 and 20" in error["message"]


@pytest.mark.parametrize(
    "starts_with",
    ["", "x" * 257, "line\nbreak", "nul\x00"],
    ids=["empty", "too-long", "newline", "nul"],
)
async def test_an_unusable_search_prefix_is_bad_user_input(
    small: LiveEmulator, runner: Any, starts_with: str
) -> None:
    search = {"field": "COMPANY_NAME", "startsWith": starts_with}
    error = await only_error(runner(small.url), CUSTOMERS, {"search": search})
    assert error["extensions"]["argument"] == "search"
    assert small.calls() == 0


async def first_cursor(run: Any, search: dict[str, str] | None = None) -> str:
    result = await run(
        "query($search: CustomerSearch) { customers(first: 3, search: $search) "
        "{ pageInfo { endCursor } } }",
        {"search": search},
    )
    cursor: str = result.data["customers"]["pageInfo"]["endCursor"]
    return cursor


def tampered(cursor: str) -> str:
    middle = len(cursor) // 2
    flipped = "B" if cursor[middle] != "B" else "C"
    return cursor[:middle] + flipped + cursor[middle + 1 :]


@pytest.mark.parametrize("spoil", ["garbage", "truncated", "tampered", "padded", "huge"])
async def test_a_spoilt_cursor_is_bad_user_input_without_an_upstream_call(
    small: LiveEmulator, runner: Any, spoil: str
) -> None:
    run = runner(small.url)
    cursor = await first_cursor(run)
    small.state.stats.reset()
    after = {
        "garbage": "definitely-not-a-cursor",
        "truncated": cursor[: len(cursor) - 6],
        "tampered": tampered(cursor),
        "padded": cursor + "==",
        "huge": "A" * 100_000,
    }[spoil]
    error = await only_error(run, CUSTOMERS, {"after": after})
    assert error["extensions"]["argument"] == "after"
    assert small.calls() == 0


async def test_a_cursor_of_another_search_is_bad_user_input(
    small: LiveEmulator, runner: Any
) -> None:
    run = runner(small.url)
    cursor = await first_cursor(run, {"field": "DOMAIN", "startsWith": "a"})
    small.state.stats.reset()
    for search in (None, {"field": "DOMAIN", "startsWith": "b"}, {"field": "COMPANY_NAME",
                                                                  "startsWith": "a"}):
        error = await only_error(run, CUSTOMERS, {"after": cursor, "search": search})
        assert "another search" in error["message"]
    assert small.calls() == 0


async def test_a_cursor_signed_by_a_replica_with_another_secret_is_bad_user_input(
    small: LiveEmulator, runner: Any
) -> None:
    foreign = CursorCodec(b"some-other-replicas-secret-value").encode(
        Cursor(token=None, offset=2, page_size=3, search=None)
    )
    await only_error(runner(small.url), CUSTOMERS, {"after": foreign})
    assert small.calls() == 0


async def test_a_cursor_is_accepted_by_another_schema_sharing_the_secret(
    small: LiveEmulator, runner: Any
) -> None:
    cursor = await first_cursor(runner(small.url, cursor_secret=SECRET))
    result = await runner(small.url, cursor_secret=SECRET)(CUSTOMERS, {"after": cursor})
    assert result.errors is None


@pytest.mark.parametrize("field", ["customer", "node"])
@pytest.mark.parametrize(
    "bad_id",
    [
        "nope",
        "123",
        "{3f2c1b0a-9e8d-4c7b-a6f5-e4d3c2b1a098}",
        "3f2c1b0a9e8d4c7ba6f5e4d3c2b1a098",
        "3f2c1b0a-9e8d-4c7b-a6f5-e4d3c2b1a098\n",
    ],
)
async def test_a_malformed_id_is_bad_user_input_and_null(
    small: LiveEmulator, runner: Any, field: str, bad_id: str
) -> None:
    result = await runner(small.url)(f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}",
                                     {"id": bad_id})
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result.data == {field: None}
    assert small.calls() == 0


@pytest.mark.parametrize(
    "query",
    [
        "{ customers { edges { node { id } } } }",
        '{ customer(id: "3f2c1b0a-9e8d-4c7b-a6f5-e4d3c2b1a098") { id } }',
        '{ node(id: "3f2c1b0a-9e8d-4c7b-a6f5-e4d3c2b1a098") { id } }',
    ],
)
async def test_without_a_bearer_token_every_root_field_is_unauthenticated(
    small: LiveEmulator, runner: Any, query: str
) -> None:
    run = runner(small.url)
    run.authorization = None
    result = await run(query)
    assert codes(result) == ["UNAUTHENTICATED"]
    assert small.calls() == 0
