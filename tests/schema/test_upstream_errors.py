"""Every failure the emulator can inject reaches the caller as its typed code, with details."""

from __future__ import annotations

from typing import Any

import pytest

from tests.live_emulator import LiveEmulator
from tests.live_server import free_port
from tests.schema.conftest import CORRELATION_ID, codes

LIST = "{ customers(first: 5) { edges { node { id } } } }"
ONE = "query($id: ID!) { customer(id: $id) { id } }"


def error_of(result: Any) -> dict[str, Any]:
    assert result.errors is not None
    assert len(result.errors) == 1, result.errors
    return dict(result.errors[0].formatted)


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        ("bad_request", "BAD_USER_INPUT", 400),
        ("unauthorized", "UNAUTHENTICATED", 401),
        ("forbidden", "FORBIDDEN", 403),
        ("not_found", "NOT_FOUND", 404),
        ("server_error", "UPSTREAM_ERROR", 500),
        ("not_implemented", "UPSTREAM_ERROR", 501),
        ("bad_gateway", "UPSTREAM_UNAVAILABLE", 502),
        ("service_unavailable", "UPSTREAM_UNAVAILABLE", 503),
        ("gateway_timeout", "UPSTREAM_UNAVAILABLE", 504),
    ],
)
async def test_an_injected_list_failure_gives_its_code_and_partner_center_details(
    small: LiveEmulator, runner: Any, kind: str, code: str, status: int
) -> None:
    small.state.configure(error_rate=1.0, error_kinds=[kind])
    result = await runner(small.url, upstream={"max_attempts": 1})(LIST)
    error = error_of(result)
    assert error["extensions"]["code"] == code
    details = error["extensions"]["partnerCenter"]
    assert details["status"] == status
    assert details["correlationId"] == CORRELATION_ID
    assert details["requestId"]
    assert error["path"] == ["customers"]
    assert error["locations"]


async def test_partner_center_error_code_and_description_are_passed_on(
    small: LiveEmulator, runner: Any
) -> None:
    small.state.configure(error_rate=1.0, error_kinds=["forbidden"])
    error = error_of(await runner(small.url, upstream={"max_attempts": 1})(LIST))
    details = error["extensions"]["partnerCenter"]
    assert details["code"] == "20002"
    assert details["description"] == "No relationship between caller and account."


async def test_throttling_beyond_the_retries_is_throttled_with_retry_after(
    small: LiveEmulator, runner: Any
) -> None:
    small.state.configure(throttle_rate=1.0, retry_after_seconds=1)
    run = runner(small.url, upstream={"max_attempts": 2, "retry_after_cap": 5.0})
    error = error_of(await run(LIST))
    assert error["extensions"]["code"] == "THROTTLED"
    assert error["extensions"]["retryAfter"] == 1
    assert error["extensions"]["partnerCenter"]["status"] == 429
    assert small.calls() == 2


@pytest.mark.parametrize(("status", "code"), [(401, "UNAUTHENTICATED"), (403, "FORBIDDEN")])
async def test_a_per_customer_failure_nulls_that_customer_only(
    small: LiveEmulator, runner: Any, status: int, code: str
) -> None:
    target, other = small.customers[0].id, small.customers[1].id
    small.state.configure(customer_faults={target: status})
    result = await runner(small.url, upstream={"max_attempts": 1})(
        "query($a: ID!, $b: ID!) { a: customer(id: $a) { id } b: customer(id: $b) { id } }",
        {"a": target, "b": other},
    )
    assert codes(result) == [code]
    assert result.data == {"a": None, "b": {"id": other}}
    assert error_of(result)["path"] == ["a"]


async def test_an_unknown_customer_is_null_with_not_found(
    small: LiveEmulator, runner: Any
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    result = await runner(small.url)(ONE, {"id": missing})
    error = error_of(result)
    assert result.data == {"customer": None}
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert missing in error["message"]
    assert error["extensions"]["partnerCenter"]["status"] == 404


async def test_an_unknown_node_is_null_with_not_found(small: LiveEmulator, runner: Any) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    result = await runner(small.url)("query($id: ID!) { node(id: $id) { id } }", {"id": missing})
    error = error_of(result)
    assert result.data == {"node": None}
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["path"] == ["node"]
    assert error["extensions"]["partnerCenter"]["status"] == 404


async def test_a_failing_billing_profile_nulls_that_field_and_keeps_the_page(
    small: LiveEmulator, runner: Any
) -> None:
    target = small.customers[2].id
    small.state.configure(customer_faults={f"{target}/profiles/billing": 403})
    result = await runner(small.url, upstream={"max_attempts": 1})(
        "{ customers(first: 5) { edges { node { id billingProfile { lastName } } } } }"
    )
    assert codes(result) == ["FORBIDDEN"]
    assert error_of(result)["path"] == ["customers", "edges", 2, "node", "billingProfile"]
    assert result.data is not None
    nodes = [edge["node"] for edge in result.data["customers"]["edges"]]
    assert nodes[2]["billingProfile"] is None
    assert all(node["billingProfile"] for i, node in enumerate(nodes) if i != 2)


async def test_an_upstream_that_never_answers_is_upstream_timeout(
    small: LiveEmulator, runner: Any
) -> None:
    small.state.configure(hang_paths=["/v1/customers"], hang_seconds=5.0)
    run = runner(
        small.url, upstream={"max_attempts": 1, "read_timeout": 0.2, "call_timeout": 1.0}
    )
    error = error_of(await run(LIST))
    assert error["extensions"]["code"] == "UPSTREAM_TIMEOUT"


async def test_an_unreachable_upstream_is_upstream_unavailable(runner: Any) -> None:
    run = runner(f"http://127.0.0.1:{free_port()}", upstream={"max_attempts": 1})
    error = error_of(await run(LIST))
    assert error["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert error["extensions"]["partnerCenter"]["status"] is None


async def test_an_expired_continuation_token_is_cursor_expired(
    small: LiveEmulator, runner: Any
) -> None:
    run = runner(small.url)
    query = (
        "query($after: String) { customers(first: 5, after: $after) { pageInfo { endCursor } } }"
    )
    first = await run(query)
    assert first.data is not None
    small.clock.offset = 24 * 3600.0
    error = error_of(await run(query, {"after": first.data["customers"]["pageInfo"]["endCursor"]}))
    assert error["extensions"]["code"] == "CURSOR_EXPIRED"
    assert "first page" in error["message"]
    assert error["extensions"]["partnerCenter"]["status"] == 400


async def test_the_first_page_still_works_after_a_cursor_expired(
    small: LiveEmulator, runner: Any
) -> None:
    run = runner(small.url)
    small.clock.offset = 24 * 3600.0
    result = await run(LIST)
    assert result.errors is None
