"""Hostile input: each is refused with its documented code, and the server keeps serving.

Every test sends its hostile request beside a normal query (both in flight at once), then a
normal query after it: both normal ones must succeed. The upstream call counter shows which
refusals happen before any call to Partner Center.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from tests.reliability.conftest import Stack, error_codes, graphql
from tests.reliability.tally import Tally

NORMAL = "{ customers(first: 3) { nodes { id companyProfile { companyName } } } }"
SEARCH = (
    "query($prefix: String!) { customers(search: {field: COMPANY_NAME, startsWith: $prefix}) "
    "{ nodes { id } } }"
)
AFTER = "query($after: String) { customers(first: 2, after: $after) { nodes { id } } }"


async def _normal(client: httpx.AsyncClient, tally: Tally) -> None:
    status, document = await graphql(client, NORMAL, tally=tally)
    assert status == 200
    assert not document.get("errors")
    assert len(document["data"]["customers"]["nodes"]) == 3


async def refused_while_serving(
    client: httpx.AsyncClient, tally: Tally, hostile: Callable[[], Awaitable[httpx.Response]]
) -> tuple[int, list[str]]:
    """Send `hostile` beside a normal query, then another normal one; hostile's status, codes."""
    response, _ = await asyncio.gather(hostile(), _normal(client, tally))
    codes = error_codes(response.json())
    tally.record(response.status_code, codes)
    await _normal(client, tally)
    return response.status_code, codes


def _post(client: httpx.AsyncClient, **kwargs: Any) -> Callable[[], Awaitable[httpx.Response]]:
    async def send() -> httpx.Response:
        return await client.post("/graphql", **kwargs)

    return send


def _operation(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"json": {"query": query, "variables": variables or {}}}


async def _bad_user_input_without_upstream_call(
    client: httpx.AsyncClient,
    live: Stack,
    tally: Tally,
    hostile: Callable[[], Awaitable[httpx.Response]],
) -> None:
    """`hostile` alone is BAD_USER_INPUT and calls nothing upstream; beside others, too."""
    live.upstream.reset_stats()
    response = await hostile()
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    assert live.upstream.calls() == 0
    status, codes = await refused_while_serving(client, tally, hostile)
    assert (status, codes) == (200, ["BAD_USER_INPUT"])


async def test_nesting_past_the_depth_limit_is_a_validation_error(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    query = "{ customers { edges { node { " + "a { " * 10 + "}" * 10 + " } } } }"
    status, codes = await refused_while_serving(client, tally, _post(client, **_operation(query)))
    assert status == 200
    assert "GRAPHQL_VALIDATION_FAILED" in codes
    assert set(codes) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_nesting_thousands_deep_is_a_parse_error(
    client: httpx.AsyncClient, tally: Tally
) -> None:
    query = "{ " + "a { " * 5000 + "b" + " }" * 5000 + " }"
    status, codes = await refused_while_serving(client, tally, _post(client, **_operation(query)))
    assert (status, codes) == (200, ["GRAPHQL_PARSE_FAILED"])


async def test_aliases_past_the_limit_are_refused_before_any_upstream_call(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    fields = " ".join(
        f'c{i}: customer(id: "00000000-0000-0000-0000-{i:012d}") {{ id commerceId }}'
        for i in range(31)
    )
    live.upstream.reset_stats()
    hostile = _post(client, **_operation("{ " + fields + " }"))
    response = await hostile()
    assert error_codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    assert live.upstream.calls() == 0
    status, codes = await refused_while_serving(client, tally, hostile)
    assert (status, codes) == (200, ["GRAPHQL_VALIDATION_FAILED"])


async def test_thousands_of_aliases_stop_at_the_token_limit(
    client: httpx.AsyncClient, tally: Tally
) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(5000)) + " }"
    status, codes = await refused_while_serving(client, tally, _post(client, **_operation(query)))
    assert (status, codes) == (200, ["GRAPHQL_PARSE_FAILED"])


async def test_a_huge_starts_with_is_bad_user_input_without_an_upstream_call(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    hostile = _post(client, **_operation(SEARCH, {"prefix": "x" * 500_000}))
    await _bad_user_input_without_upstream_call(client, live, tally, hostile)


async def test_a_ten_megabyte_body_is_payload_too_large(
    client: httpx.AsyncClient, tally: Tally
) -> None:
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 10_000_000}})
    hostile = _post(client, content=body, headers={"Content-Type": "application/json"})
    status, codes = await refused_while_serving(client, tally, hostile)
    assert (status, codes) == (413, ["PAYLOAD_TOO_LARGE"])


async def test_a_ten_megabyte_chunked_body_is_payload_too_large(
    client: httpx.AsyncClient, tally: Tally
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit must be enforced while the body streams in.
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(160):
            yield b"x" * 65_536
        yield b'"}}'

    async def hostile() -> httpx.Response:
        return await client.post(
            "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
        )

    status, codes = await refused_while_serving(client, tally, hostile)
    assert (status, codes) == (413, ["PAYLOAD_TOO_LARGE"])


async def test_a_body_of_invalid_utf8_is_bad_request(
    client: httpx.AsyncClient, tally: Tally
) -> None:
    body = b'{"query": "{ customers { nodes { id } } }\xff\xfe"}'
    hostile = _post(client, content=body, headers={"Content-Type": "application/json"})
    status, codes = await refused_while_serving(client, tally, hostile)
    assert (status, codes) == (400, ["BAD_REQUEST"])


async def test_json_nested_past_the_parser_recursion_limit_is_bad_request(
    client: httpx.AsyncClient, tally: Tally
) -> None:
    nested = b"[" * 200_000 + b"]" * 200_000
    body = b'{"query": "{ __typename }", "variables": {"v": ' + nested + b"}}"
    hostile = _post(client, content=body, headers={"Content-Type": "application/json"})
    status, codes = await refused_while_serving(client, tally, hostile)
    assert (status, codes) == (400, ["BAD_REQUEST"])


async def test_a_one_megabyte_cursor_is_bad_user_input_without_an_upstream_call(
    client: httpx.AsyncClient, live: Stack, tally: Tally
) -> None:
    hostile = _post(client, **_operation(AFTER, {"after": "A" * 1_000_000}))
    await _bad_user_input_without_upstream_call(client, live, tally, hostile)
