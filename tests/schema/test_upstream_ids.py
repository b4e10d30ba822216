"""The ids one GraphQL operation sends upstream, as the live emulator saw them."""

from __future__ import annotations

from typing import Any

from tests.live_emulator import LiveEmulator
from tests.schema.conftest import CORRELATION_ID

BILLING = "{ customers(first: 5) { nodes { id billingProfile { email } } } }"


async def test_every_call_of_one_operation_shares_its_correlation_id_with_a_fresh_request_id(
    small: LiveEmulator, runner: Any
) -> None:
    result = await runner(small.url)(BILLING)

    assert result.errors is None
    seen = small.state.stats.requests()
    assert [call["route"] for call in seen] == ["list"] + ["billing"] * 5
    assert {call["correlationId"] for call in seen} == {CORRELATION_ID}
    request_ids = [call["requestId"] for call in seen]
    assert len(set(request_ids)) == len(request_ids)
