"""Object fields whose resolver hands back an awaitable (a loader's future), on the lean path.

The lean executor completes such a field itself once the value arrives; each query here runs
on the lean schema and on a plain Strawberry schema of the same types, and the two results
must be equal: values, nulls, errors and their paths. Also: the execution context is freed by
reference counting, and the helpers it gives resolvers still work once it is gone.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
import strawberry
from graphql import build_schema, parse

from graphql_api.speed.executor import LeanExecutionContext, use_direct_resolvers


@strawberry.type
class Profile:
    email: str
    note: str | None = None


async def _arrives(value: Any) -> Any:
    await asyncio.sleep(0)
    if isinstance(value, Exception):
        raise value
    return value


def _future(value: Any) -> asyncio.Future[Any]:
    """What a loader hands back: a future of the value, settled a turn later."""
    return asyncio.ensure_future(_arrives(value))


@strawberry.type
class Owner:
    name: str
    outcome: strawberry.Private[Any] = None

    @strawberry.field
    def profile(self) -> Profile | None:
        return _future(self.outcome)  # type: ignore[return-value]

    @strawberry.field
    def required_profile(self) -> Profile:
        return _future(self.outcome)  # type: ignore[return-value]


def _owners() -> list[Owner]:
    return [
        Owner(name="a", outcome=Profile(email="a@x")),
        Owner(name="b", outcome=None),
        Owner(name="c", outcome=ValueError("lookup failed")),
        Owner(name="d", outcome=Profile(email="d@x", note="n")),
    ]


@strawberry.type
class Query:
    @strawberry.field
    def owners(self) -> list[Owner]:
        return _owners()

    @strawberry.field
    def first(self) -> Owner:
        return _owners()[0]


def _lean_schema() -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, execution_context_class=LeanExecutionContext)
    use_direct_resolvers(schema)
    return schema


LEAN = _lean_schema()
PLAIN = strawberry.Schema(query=Query)

QUERIES = [
    "{ owners { name profile { email note } } }",
    "{ owners { profile { __typename email } name } }",
    "{ owners { name requiredProfile { email } } }",
    "{ first { requiredProfile { email note } profile { email } } }",
    "{ owners { a: profile { email } b: profile { note } } }",
]


def _shape(result: Any) -> tuple[Any, Any]:
    errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or [])
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
async def test_lean_and_plain_schemas_answer_the_same(query: str) -> None:
    lean = _shape(await LEAN.execute(query))
    plain = _shape(await PLAIN.execute(query))
    assert lean == plain


async def test_a_failed_lookup_is_located_and_nulls_only_its_field() -> None:
    result = await LEAN.execute("{ owners { name profile { email } } }")
    assert result.data is not None
    assert [owner["profile"] for owner in result.data["owners"]] == [
        {"email": "a@x"}, None, None, {"email": "d@x"},
    ]
    assert result.errors is not None
    assert [(e.message, e.path) for e in result.errors] == [
        ("lookup failed", ["owners", 2, "profile"])
    ]


def _context() -> LeanExecutionContext:
    schema = build_schema("type Query { a: Int }")
    context = LeanExecutionContext.build(schema, parse("{ a }"))
    assert isinstance(context, LeanExecutionContext)
    return context


async def test_the_context_is_freed_without_the_collector_and_its_helpers_still_work() -> None:
    context = _context()
    helpers = context.async_helpers
    gone = weakref.ref(context)
    gc.disable()
    try:
        del context
        assert gone() is None  # no reference cycle kept it
    finally:
        gc.enable()

    assert await helpers.gather([_arrives(1), _arrives(2)]) == [1, 2]
    settled = asyncio.get_running_loop().create_future()

    async def work() -> None:
        settled.set_result("done")
        raise ValueError("observed, not lost")

    helpers.track([work(), "not awaitable"])
    assert await asyncio.wait_for(settled, 1) == "done"


async def test_the_helpers_reach_a_live_context() -> None:
    context = _context()
    helpers = context.async_helpers
    assert await helpers.gather([_arrives("x")]) == ["x"]
    helpers.track([_arrives("y")])
    assert context.background_futures  # tracked by the context itself
    await asyncio.gather(*context.background_futures)
