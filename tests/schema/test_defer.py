"""`@defer` and `@stream` through the schema, on the lean executor and on graphql-core's own.

The lean executor runs deferred operations rather than stepping aside: it completes the
fields of the first result and hands every selection with a deferral in it to
graphql-core (`collect_and_execute_subfields`), which plans the deferred groups. Both
executors must deliver the same parts.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import ExperimentalIncrementalExecutionResults

from graphql_api.schema.context import RequestContext
from graphql_api.speed import ENVIRONMENT_VARIABLE
from graphql_api.speed.executor import LeanExecutionContext
from tests.live_emulator import LiveEmulator
from tests.schema.conftest import CORRELATION_ID, TOKEN, Runner

QUERIES = [
    # Billing profiles deferred under the list.
    """{ customers(first: 5) { nodes { id companyProfile { companyName }
         ... @defer(label: "b") { billingProfile { email } } } } }""",
    # The same through edges, with a named fragment and the whole record deferred.
    """{ customers(first: 4) { edges { node { id ...Full @defer } } } }
       fragment Full on Customer { allowDelegatedAccess billingProfile { firstName } }""",
    # A root field deferred, and a nested deferral inside a deferred fragment.
    """{ customers(first: 2) { nodes { id } }
         ... @defer(label: "root") { more: customers(first: 3) { nodes { id
           ... @defer(label: "inner") { billingProfile { lastName } } } } } }""",
    # Streamed nodes.
    """{ customers(first: 6) {
         nodes @stream(initialCount: 2) { id companyProfile { domain } } } }""",
]


async def _parts(runner: Runner, query: str) -> list[dict[str, Any]]:
    context = RequestContext(
        client=runner.client,
        settings=runner.settings,
        correlation_id=CORRELATION_ID,
        authorization=TOKEN,
    )
    result: Any = await runner.schema.execute(query, context_value=context)
    assert isinstance(result, ExperimentalIncrementalExecutionResults)
    parts: list[dict[str, Any]] = [dict(result.initial_result.formatted)]
    async for part in result.subsequent_results:
        parts.append(dict(part.formatted))
    return parts


def _flattened(parts: list[dict[str, Any]]) -> tuple[Any, ...]:
    """The parts without their order and batching, which depend on when calls finish."""
    entries = sorted(
        repr(entry) for part in parts[1:] for entry in part.get("incremental", [])
    )
    pending = sorted(repr(p) for part in parts for p in part.get("pending", []))
    return parts[0]["data"], pending, entries


@pytest.mark.parametrize("query", QUERIES)
async def test_the_lean_and_stock_executors_deliver_the_same_parts(
    runner: Any, small: LiveEmulator, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    lean = runner(small.url)
    assert lean.schema.execution_context_class is LeanExecutionContext
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "executor")
    stock = runner(small.url)
    assert stock.schema.execution_context_class is not LeanExecutionContext
    lean_parts = await _parts(lean, query)
    stock_parts = await _parts(stock, query)
    assert _flattened(lean_parts) == _flattened(stock_parts)
    assert lean_parts[-1]["hasNext"] is False
    assert len(lean_parts) > 1


async def test_a_deferred_billing_profile_costs_the_call_it_costs_without_defer(
    runner: Any, small: LiveEmulator
) -> None:
    run = runner(small.url)
    await _parts(run, QUERIES[0])
    assert small.calls("list") == 1
    assert small.calls("billing") == 5
    assert small.calls("customer") == 0
