"""An answered request's objects go by reference counting, not by the cyclic collector.

A page of billing profiles makes a call per customer, each a task with its coroutine and
context; the request, its exchange, its GraphQL context and loaders, and the execution
context used to refer to each other, so all of it waited for a collection. Counted with the
collector off, after the response: none of the request's calls may be left.
"""

from __future__ import annotations

import asyncio
import gc
from dataclasses import replace

import httpx
from strawberry.types import ExecutionContext

from graphql_api.schema.context import RequestContext
from graphql_api.speed import Piece, is_on
from graphql_api.web.app import create_app
from tests.schema.conftest import TOKEN, settings_for

_QUERY = "{ customers(first: 20) { edges { node { id billingProfile { email } } } } }"


def _billing_calls_alive() -> int:
    """Tasks of billing-profile calls still allocated (finished ones keep their coroutine)."""
    return sum(
        1
        for thing in gc.get_objects()
        if isinstance(thing, asyncio.Task)
        and "billing_profile" in getattr(thing.get_coro(), "__qualname__", "")
    )


def _alive(kind: type) -> int:
    """Objects of `kind` still allocated."""
    return sum(1 for thing in gc.get_objects() if isinstance(thing, kind))


async def test_an_answered_request_leaves_no_calls_to_the_collector(emulator_url: str) -> None:
    settings = replace(settings_for(emulator_url), use_embedded_emulator=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://facade"
    ) as facade:

        async def ask() -> None:
            answer = await facade.post(
                "/graphql", json={"query": _QUERY}, headers={"Authorization": TOKEN}
            )
            assert answer.status_code == 200
            body = answer.json()
            assert "errors" not in body
            assert len(body["data"]["customers"]["edges"]) == 20

        await ask()
        gc.collect()
        gc.disable()
        try:
            await ask()
            await ask()
            assert _billing_calls_alive() == 0
            if is_on(Piece.EXECUTOR):
                # On the stock path graphql-core's execution context (Strawberry's subclass)
                # is in a cycle of its own: it and the context it holds wait for the collector.
                assert _alive(RequestContext) == 0
                assert _alive(ExecutionContext) == 0
        finally:
            gc.enable()
