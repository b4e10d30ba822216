"""LeanExecutionContext and direct resolvers answer exactly what graphql-core's long path does.

A small schema of its own exercises the edges: null on a non-null leaf, an attribute that
raises, enums, aliases mixing leaves and resolvers (order kept), resolvers that must keep
Strawberry's wrapper (arguments, async, classmethod), and an extension with a `resolve`
hook, which must still see every field. Each query runs on the lean schema and on a plain
Strawberry schema of the same types, and the two results must be equal.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from graphql_api.schema.execution import LeanExecutionContext, use_direct_resolvers


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    note: str | None
    colour: Colour
    hidden: strawberry.Private[int] = 0

    @strawberry.field
    def upper(self) -> str:
        return self.name.upper()

    @strawberry.field
    def with_info(self, info: strawberry.Info) -> str:
        return f"{self.name}@{info.context['tag']}"

    @strawberry.field
    def repeat(self, times: int) -> str:
        return self.name * times

    @strawberry.field
    async def later(self) -> str:
        return self.name[::-1]

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError("resolver failed")


class _RaisingItem:
    """Stands in for an Item whose `name` attribute raises when read."""

    note = "x"
    colour = Colour.RED

    @property
    def name(self) -> str:
        raise RuntimeError("attribute failed")


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [
            Item(name="a", note=None, colour=Colour.RED),
            Item(name="b", note="n", colour=Colour.BLUE),
        ]

    @strawberry.field
    def null_name(self) -> Item:
        return Item(name=None, note="x", colour=Colour.RED)  # type: ignore[arg-type]

    @strawberry.field
    def raising(self) -> Item:
        return _RaisingItem()  # type: ignore[return-value]

    @strawberry.field
    def wrong_type(self) -> Item:
        return Item(name=object(), note="x", colour=Colour.RED)  # type: ignore[arg-type]


class CountingResolves(SchemaExtension):
    seen: ClassVar[list[str]] = []

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: strawberry.Info, *args: Any, **kwargs: Any
    ) -> Any:
        CountingResolves.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


def lean_schema(**options: Any) -> strawberry.Schema:
    schema = strawberry.Schema(
        query=Query, execution_context_class=LeanExecutionContext, **options
    )
    use_direct_resolvers(schema)
    return schema


PLAIN = strawberry.Schema(query=Query)
LEAN = lean_schema()

QUERIES = [
    "{ items { name note colour } }",
    "{ items { z: upper name a: note upper colour b: name } }",
    "{ items { withInfo later name } }",
    '{ items { repeat(times: 2) name } }',
    "{ items { name broken note } }",
    "{ nullName { note name } }",
    "{ wrongType { note name } }",
    "{ raising { note name } }",
    "{ items { __typename name } }",
    "{ items { name @skip(if: true) note @include(if: true) } }",
]


def _shape(result: Any) -> tuple[Any, Any]:
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("query", QUERIES)
async def test_lean_and_plain_schemas_answer_the_same(query: str) -> None:
    context = {"tag": "t"}
    lean = await LEAN.execute(query, context_value=context)
    plain = await PLAIN.execute(query, context_value=context)
    assert _shape(lean) == _shape(plain)


async def test_key_order_follows_the_selection_when_leaves_and_resolvers_mix() -> None:
    result = await LEAN.execute("{ items { z: upper name a: note upper colour b: name } }")
    assert result.errors is None
    assert list(result.data["items"][0]) == ["z", "name", "a", "upper", "colour", "b"]


async def test_null_on_a_non_null_leaf_is_located_and_nulls_the_parent() -> None:
    result = await LEAN.execute("{ nullName { note name } }")
    assert result.data is None
    assert result.errors is not None
    assert result.errors[0].path == ["nullName", "name"]
    assert "Cannot return null for non-nullable field Item.name" in result.errors[0].message


async def test_resolvers_with_work_for_strawberry_keep_its_wrapper() -> None:
    item_fields = LEAN._schema.type_map["Item"].fields  # type: ignore[attr-defined]
    direct = {
        name for name, field in item_fields.items()
        if getattr(field.resolve, "__qualname__", "").startswith("_direct_resolver")
    }
    # `repeat` takes an argument and `later` is async: Strawberry converts and awaits them.
    assert direct == {"upper", "withInfo", "broken"}


async def test_an_extension_with_a_resolve_hook_sees_every_field() -> None:
    CountingResolves.seen = []
    schema = lean_schema(extensions=[CountingResolves])
    result = await schema.execute("{ items { name note colour upper } }")
    assert result.errors is None
    assert CountingResolves.seen.count("name") == 2
    assert CountingResolves.seen.count("colour") == 2
    assert CountingResolves.seen.count("upper") == 2
