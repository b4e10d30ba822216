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
from inspect import isawaitable
from typing import Any, ClassVar

import pytest
import strawberry
from graphql import GraphQLResolveInfo
from strawberry.extensions import SchemaExtension

from graphql_api._compat import graphql_core_schema
from graphql_api.schema._fields import described
from graphql_api.speed.executor import (
    DirectResolver,
    LeanExecutionContext,
    use_direct_resolvers,
)
from graphql_api.speed.field_reads import ResolvedLeafRead, field_read


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
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
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


async def _answers(lean: strawberry.Schema, plain: strawberry.Schema, query: str) -> list[Any]:
    """The shapes of the answers of both schemas to `query`, lean first."""
    context = {"tag": "t"}
    return [_shape(await schema.execute(query, context_value=context)) for schema in (lean, plain)]


@pytest.mark.parametrize("query", QUERIES)
async def test_lean_and_plain_schemas_answer_the_same(query: str) -> None:
    lean, plain = await _answers(LEAN, PLAIN, query)
    assert lean == plain


async def test_key_order_follows_the_selection_when_leaves_and_resolvers_mix() -> None:
    result = await LEAN.execute("{ items { z: upper name a: note upper colour b: name } }")
    assert result.errors is None
    assert result.data is not None
    assert list(result.data["items"][0]) == ["z", "name", "a", "upper", "colour", "b"]


async def test_null_on_a_non_null_leaf_is_located_and_nulls_the_parent() -> None:
    result = await LEAN.execute("{ nullName { note name } }")
    assert result.data is None
    assert result.errors is not None
    assert result.errors[0].path == ["nullName", "name"]
    assert "Cannot return null for non-nullable field Item.name" in result.errors[0].message


async def test_resolvers_with_work_for_strawberry_keep_its_wrapper() -> None:
    item_fields = graphql_core_schema(LEAN).type_map["Item"].fields  # type: ignore[attr-defined]
    direct = {
        name for name, field in item_fields.items()
        if isinstance(field.resolve, DirectResolver)
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


# --- Objects and lists of objects completed in place -------------------------------------

CALLS: list[str] = []


@strawberry.type
class Tag:
    label: str
    code: str | None = None


@strawberry.interface
class Named:
    name: str


async def _tag_later(label: str) -> Tag:
    return Tag(label=label)


@strawberry.type
class Box(Named):
    name: str
    tag: Tag
    maybe_tag: Tag | None
    tags: list[Tag]
    loose_tags: list[Tag | None] | None

    @strawberry.field
    def made_tag(self) -> Tag:
        CALLS.append("made_tag")
        return Tag(label=f"made-{self.name}")

    @strawberry.field
    def tag_with_info(self, info: strawberry.Info) -> Tag | None:
        CALLS.append("tag_with_info")
        return Tag(label=f"{self.name}@{info.context['tag']}@{info.path.key}")

    @strawberry.field
    def null_tag(self) -> Tag:
        CALLS.append("null_tag")
        return None  # type: ignore[return-value]

    @strawberry.field
    def broken_tag(self) -> Tag | None:
        CALLS.append("broken_tag")
        raise ValueError("tag resolver failed")

    @strawberry.field
    def generated_tags(self) -> list[Tag]:
        CALLS.append("generated_tags")
        return (Tag(label=c) for c in self.name)  # type: ignore[return-value]

    @strawberry.field
    def awaited_tag(self) -> Tag:
        CALLS.append("awaited_tag")
        return _tag_later(self.name)  # type: ignore[return-value]

    @strawberry.field
    def awaited_items(self) -> list[Tag]:
        return [_tag_later("x"), Tag(label="y")]  # type: ignore[list-item]

    @strawberry.field
    def custom_awaited_tag(self) -> Tag:
        return _AwaitableTag(f"custom-{self.name}")  # type: ignore[return-value]

    @strawberry.field
    def not_a_list(self) -> list[Tag]:
        return Tag(label="alone")  # type: ignore[return-value]

    @strawberry.field
    def an_exception(self) -> Tag | None:
        return ValueError("returned, not raised")  # type: ignore[return-value]


class _AwaitableTag:
    """Awaitable through its class's `__await__`, not a coroutine: a type the executor must
    never remember as plain, even after many plain values."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __await__(self) -> Any:
        return _tag_later(self.label).__await__()


def _box(name: str, **changes: Any) -> Box:
    fields: dict[str, Any] = {
        "name": name,
        "tag": Tag(label=f"t-{name}", code="c"),
        "maybe_tag": None,
        "tags": [Tag(label="a"), Tag(label="b", code="B")],
        "loose_tags": [None, Tag(label="l")],
    }
    fields.update(changes)
    return Box(**fields)


SEEN_BY_TYPE_CHECK: list[str] = []


@strawberry.type
class Checked:
    label: str

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        SEEN_BY_TYPE_CHECK.append(info.field_name)
        return isinstance(obj, cls)


class _NotABox:
    name = "impostor"


@strawberry.type
class BoxQuery:
    @strawberry.field
    def boxes(self) -> list[Box]:
        return [_box("one"), _box("two", maybe_tag=Tag(label="m"), loose_tags=None)]

    @strawberry.field
    def box_with_null_tag(self) -> Box | None:
        return _box("bad", tag=None)

    @strawberry.field
    def box_with_null_item(self) -> Box | None:
        return _box("bad", tags=[Tag(label="ok"), None])

    @strawberry.field
    def wrong_box(self) -> Box | None:
        return _NotABox()  # type: ignore[return-value]

    @strawberry.field
    def named(self) -> Named:
        return _box("named")

    @strawberry.field
    def checked(self) -> list[Checked]:
        return [Checked(label="c1"), Checked(label="c2")]

    @strawberry.field
    def tuple_boxes(self) -> list[Box]:
        return (_box("t1"), _box("t2"))  # type: ignore[return-value]


PLAIN_BOXES = strawberry.Schema(query=BoxQuery, types=[Box])
LEAN_BOXES = strawberry.Schema(
    query=BoxQuery, types=[Box], execution_context_class=LeanExecutionContext
)
use_direct_resolvers(LEAN_BOXES)

BOX_QUERIES = [
    "{ boxes { name tag { label code } maybeTag { label } tags { label code } "
    "looseTags { label } } }",
    "{ boxes { a: tag { label } name b: tag { code } tag { label } } }",
    "{ boxes { madeTag { label } tagWithInfo { label } } }",
    "{ boxes { name nullTag { label } } }",
    "{ boxes { name brokenTag { label } madeTag { label } } }",
    "{ boxes { generatedTags { label } awaitedTag { label } awaitedItems { label } } }",
    "{ boxes { name notAList { label } } }",
    "{ boxes { tag { label } tags { label } customAwaitedTag { label } madeTag { label } } }",
    "{ boxes { anException { label } } }",
    "{ boxWithNullTag { name tag { label } } }",
    "{ boxWithNullItem { name tags { label } } }",
    "{ wrongBox { name tag { label } } }",
    "{ named { name ... on Box { tag { label } tags { code } } } }",
    "{ tupleBoxes { name tags { label } } }",
    "{ boxes { __typename tag { __typename label } } }",
    "{ boxes { t: __typename tags { __typename k: __typename @include(if: true) label } } }",
    "{ boxes { tags @include(if: true) { label } tag @skip(if: false) { label } } }",
]


@pytest.mark.parametrize("query", BOX_QUERIES)
async def test_objects_and_lists_answer_as_on_the_long_path(query: str) -> None:
    lean, plain = await _answers(LEAN_BOXES, PLAIN_BOXES, query)
    assert lean == plain


def test_object_fields_of_the_box_schema_take_the_short_path() -> None:
    # Guards the comparisons above: they must exercise the lean path, not fall back.
    from graphql_api.speed.field_reads import ObjectRead, field_read

    box = graphql_core_schema(LEAN_BOXES).type_map["Box"].fields  # type: ignore[attr-defined]
    kinds = {name: type(field_read(field)).__name__ for name, field in box.items()}
    for name in ("tag", "maybeTag", "tags", "looseTags", "madeTag", "tagWithInfo"):
        assert kinds[name] == ObjectRead.__name__, name


async def test_a_direct_resolver_is_called_once_even_when_its_value_fails() -> None:
    CALLS.clear()
    result = await LEAN_BOXES.execute(
        "{ boxes { brokenTag { label } madeTag { label } generatedTags { label } "
        "awaitedTag { label } } }"
    )
    assert result.errors is not None
    assert len(result.errors) == 2
    # Two boxes, each resolver once per box: none is called again by the long path.
    assert sorted(CALLS) == sorted(["broken_tag", "made_tag", "generated_tags", "awaited_tag"] * 2)


async def test_a_type_check_of_its_own_gets_the_resolve_info() -> None:
    SEEN_BY_TYPE_CHECK.clear()
    result = await LEAN_BOXES.execute("{ checked { label } }")
    assert result.errors is None
    assert SEEN_BY_TYPE_CHECK == ["checked", "checked"]


async def test_null_in_a_non_null_list_item_is_located_at_the_item() -> None:
    result = await LEAN_BOXES.execute("{ boxWithNullItem { name tags { label } } }")
    assert result.data == {"boxWithNullItem": None}
    assert result.errors is not None
    assert result.errors[0].path == ["boxWithNullItem", "tags", 1]
    assert "Cannot return null for non-nullable field Box.tags" in result.errors[0].message


async def _incremental(executor: type[Any], query: str) -> list[Any]:
    from graphql import parse
    from graphql.execution import (
        ExperimentalIncrementalExecutionResults,
        experimental_execute_incrementally,
    )

    schema = strawberry.Schema(
        query=BoxQuery,
        types=[Box],
        config=strawberry.schema.config.StrawberryConfig(
            enable_experimental_incremental_execution=True
        ),
    )
    outcome = experimental_execute_incrementally(
        graphql_core_schema(schema),
        parse(query),
        context_value={"tag": "t"},
        executor_class=executor,
    )
    if isawaitable(outcome):
        outcome = await outcome
    assert isinstance(outcome, ExperimentalIncrementalExecutionResults)
    frames: list[Any] = [outcome.initial_result.formatted]
    async for later in outcome.subsequent_results:
        frames.append(later.formatted)
    return frames


@pytest.mark.parametrize(
    "query",
    [
        "{ boxes { name ... @defer { tag { label } tags { label } } } }",
        "{ boxes { name tags @stream(initialCount: 1) { label } } }",
        "{ boxes { tag { label ... @defer { code } } } }",
    ],
)
async def test_defer_and_stream_answer_as_on_the_long_path(query: str) -> None:
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    lean = await _incremental(LeanExecutionContext, query)
    plain = await _incremental(StrawberryGraphQLCoreExecutionContext, query)
    assert len(plain) > 1  # the query really is incremental
    assert lean == plain


# --- Leaves a direct resolver returns ----------------------------------------------------

GADGET_CALLS: list[str] = []


async def _later_value(value: str) -> str:
    return value


@strawberry.type
class Gadget:
    name: str
    colour: Colour

    @strawberry.field
    def shade(self) -> Colour:
        GADGET_CALLS.append("shade")
        return self.colour

    @described("A name, awaited for `b`.", graphql_type=str)
    def eventually(self) -> Any:
        # A sync resolver that returns an awaitable only when it must load something, as
        # Customer's fields do.
        GADGET_CALLS.append("eventually")
        return _later_value(self.name) if self.name == "b" else self.name

    @strawberry.field
    def nothing(self) -> str:
        GADGET_CALLS.append("nothing")
        return None  # type: ignore[return-value]

    @strawberry.field
    def odd(self) -> int:
        GADGET_CALLS.append("odd")
        return "not a number"  # type: ignore[return-value]

    @strawberry.field
    def fails(self) -> str | None:
        GADGET_CALLS.append("fails")
        raise ValueError("leaf resolver failed")

    @strawberry.field
    def domains(self) -> list[str] | None:
        GADGET_CALLS.append("domains")
        return None if self.name == "a" else [self.name, f"{self.name}.example"]

    @strawberry.field
    def shades(self) -> list[Colour]:
        GADGET_CALLS.append("shades")
        return (self.colour, Colour.RED) if self.name == "a" else [Colour.BLUE]  # type: ignore[return-value]

    @strawberry.field
    def holes(self) -> list[str]:
        GADGET_CALLS.append("holes")
        return ["x", None] if self.name == "b" else ["y"]  # type: ignore[list-item]

    @strawberry.field
    def generated(self) -> list[int]:
        GADGET_CALLS.append("generated")
        return (len(self.name) + n for n in range(2))  # type: ignore[return-value]

    @strawberry.field
    def tagged(self, info: strawberry.Info) -> str:
        GADGET_CALLS.append("tagged")
        return f"{self.name}@{info.context['tag']}"


@strawberry.type
class GadgetQuery:
    @strawberry.field
    def gadgets(self) -> list[Gadget]:
        return [Gadget(name="a", colour=Colour.RED), Gadget(name="b", colour=Colour.BLUE)]


PLAIN_GADGETS = strawberry.Schema(query=GadgetQuery)
LEAN_GADGETS = strawberry.Schema(query=GadgetQuery, execution_context_class=LeanExecutionContext)
use_direct_resolvers(LEAN_GADGETS)

GADGET_QUERIES = [
    "{ gadgets { name shade colour } }",
    "{ gadgets { eventually name } }",
    "{ gadgets { name nothing } }",
    "{ gadgets { odd name } }",
    "{ gadgets { fails name shade } }",
    "{ gadgets { tagged a: shade b: eventually } }",
    "{ gadgets { name domains shades } }",
    "{ gadgets { holes name } }",
    "{ gadgets { generated domains } }",
]


@pytest.mark.parametrize("query", GADGET_QUERIES)
async def test_leaves_of_direct_resolvers_answer_as_the_long_path(query: str) -> None:
    lean, plain = await _answers(LEAN_GADGETS, PLAIN_GADGETS, query)
    assert lean == plain


@pytest.mark.parametrize("query", GADGET_QUERIES)
async def test_a_leaf_resolver_runs_once_per_object_on_the_lean_path(query: str) -> None:
    GADGET_CALLS.clear()
    await LEAN_GADGETS.execute(query, context_value={"tag": "t"})
    lean_calls = sorted(GADGET_CALLS)
    GADGET_CALLS.clear()
    await PLAIN_GADGETS.execute(query, context_value={"tag": "t"})
    assert lean_calls == sorted(GADGET_CALLS)


def test_leaves_of_direct_resolvers_are_read_in_place() -> None:
    fields = graphql_core_schema(LEAN_GADGETS).type_map["Gadget"].fields  # type: ignore[attr-defined]
    resolved = {
        name for name, field in fields.items() if type(field_read(field)) is ResolvedLeafRead
    }
    assert resolved == {
        "shade", "eventually", "nothing", "odd", "fails", "tagged", "domains", "shades",
        "holes", "generated",
    }
