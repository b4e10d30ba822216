"""A page that asks every field of a customer answers the same on the lean and the stock path,
with the same upstream calls, a failing customer's fields included."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench.scenarios import EVERY_FIELD_QUERY
from graphql_api.config import SpeedPiece, SpeedSettings
from graphql_api.partner_center import PartnerCenterClient
from graphql_api.schema import create_schema
from graphql_api.speed import upstream_wire
from tests.live_emulator import LiveEmulator
from tests.schema.conftest import Runner, settings_for


@pytest.fixture
async def both(small: LiveEmulator) -> AsyncIterator[tuple[Runner, Runner]]:
    """A runner with the lean executor and one on stock Strawberry, one client for both."""
    settings = settings_for(small.url)
    lean = dataclasses.replace(settings, speed=SpeedSettings())
    stock = dataclasses.replace(settings, speed=SpeedSettings(off=frozenset(SpeedPiece)))
    async with PartnerCenterClient(
        settings.upstream, transport=upstream_wire(settings.upstream)
    ) as client:
        yield (
            Runner(lean, client, create_schema(lean)),
            Runner(stock, client, create_schema(stock)),
        )


def _without_cursors(value: Any) -> Any:
    # A cursor at a page's end names the next upstream page, whose token is new per call.
    if isinstance(value, dict):
        return {k: _without_cursors(v) for k, v in value.items() if k not in _CURSORS}
    if isinstance(value, list):
        return [_without_cursors(item) for item in value]
    return value


_CURSORS = frozenset({"cursor", "endCursor"})


def _shape(result: Any) -> tuple[Any, list[tuple[str, Any, Any]]]:
    errors = sorted(
        ((e.message, e.path, (e.extensions or {}).get("code")) for e in result.errors or []),
        key=repr,
    )
    return _without_cursors(result.data), errors


async def test_every_field_of_a_page_answers_the_same_on_both_paths(
    small: LiveEmulator, both: tuple[Runner, Runner]
) -> None:
    lean, stock = both
    variables = {"count": 6}
    small.state.stats.reset()
    lean_answer = _shape(await lean(EVERY_FIELD_QUERY, variables))
    lean_calls = small.state.stats.snapshot()["total"]
    small.state.stats.reset()
    stock_answer = _shape(await stock(EVERY_FIELD_QUERY, variables))
    stock_calls = small.state.stats.snapshot()["total"]
    assert lean_answer == stock_answer
    assert lean_answer[1] == []
    # One list page, then one full record per customer (which carries the billing profile).
    assert lean_calls == stock_calls == 1 + 6


async def test_a_customer_whose_record_fails_nulls_its_own_fields_on_both_paths(
    small: LiveEmulator, both: tuple[Runner, Runner]
) -> None:
    failing = small.customers[2].id
    small.state.configure(customer_faults={failing: 404})
    lean, stock = both
    variables = {"count": 6}
    lean_answer = _shape(await lean(EVERY_FIELD_QUERY, variables))
    stock_answer = _shape(await stock(EVERY_FIELD_QUERY, variables))
    assert lean_answer == stock_answer
    errors = lean_answer[1]
    assert errors, "the failing customer's fields report their failure"
    assert {path[2] for _, path, _ in errors} == {2}
    assert {code for _, _, code in errors} == {"NOT_FOUND"}
