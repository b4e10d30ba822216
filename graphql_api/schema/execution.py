"""Cheaper field resolution: a short path for plain leaf fields, direct sync resolvers.

A 50-customer page asks for about 300 fields, two thirds of them scalars that Strawberry
resolves with `getattr` (a "basic" field: no resolver, no arguments, no extension). For each
of those graphql-core still builds a resolve info, runs Strawberry's resolver wrappers, and
walks `complete_value` through its type checks; together that was most of the GraphQL
layer's own time (bench/, scenario 1). This context answers such a field with one
`getattr` and the scalar's own `serialize`, which is what the long path computes too.

Anything unusual goes the long way, so errors keep graphql-core's messages, paths and null
propagation: a field with arguments, a non-basic field, a middleware, a value the scalar
can't serialise, null on a non-null field, an attribute that raises.

`use_direct_resolvers` does the same for sync resolvers that take nothing but the reserved
parameters (self, root, info): Strawberry wraps each in argument conversion and an extension
chain (a `reduce` of partials per call) that has nothing to do for them; graphql-core calls
the function itself instead, with the same `Info`. `Customer.companyProfile` on a page of 50
is 50 such calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    is_leaf_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import Path, Undefined
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


@dataclass(frozen=True, slots=True)
class _LeafRead:
    """How to answer one plain leaf field: the Python attribute and the scalar or enum."""

    attribute: str
    leaf_type: GraphQLLeafType
    non_null: bool


# Per schema, per (type name, field name): the read, or None for "take the long path".
_plans: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], _LeafRead | None]] = (
    WeakKeyDictionary()
)


def _leaf_read(field_def: GraphQLField) -> _LeafRead | None:
    """The short path for `field_def`, or None when it needs graphql-core's full treatment."""
    if field_def.args or not getattr(field_def.resolve, "_is_default", False):
        return None
    strawberry_field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(strawberry_field, StrawberryField):
        return None
    # Strawberry's basic fields read `getattr(source, python_name)`; any other default
    # resolver (a config option) is honoured by the long path only.
    if strawberry_field.default_resolver is not getattr or not strawberry_field.is_basic_field:
        return None
    field_type = field_def.type
    non_null = isinstance(field_type, GraphQLNonNull)
    named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if not is_leaf_type(named) or strawberry_field.python_name is None:
        return None
    return _LeafRead(strawberry_field.python_name, named, non_null)


# Per executor: id of a field set -> (the set, kept alive; its reads or None).
_FieldSetReads = dict[int, tuple[GroupedFieldSet, list[_LeafRead | None] | None]]


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, answering plain leaf fields without the wrappers.

    Every object's fields pass through `execute_fields` (root fields too), so that is the one
    place the short path is taken; what it leaves goes to graphql-core's `execute_field`.
    """

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """An object's fields: plain leaves read in place, the others graphql-core's way.

        The leaves skip even their `Path` and `execute_field` call; a page's company
        profiles are made of nothing else. Keys keep the selection's order.
        """
        reads = self._reads_of(parent_type, grouped_field_set)
        if reads is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        done: dict[str, Any] = {}
        rest: GroupedFieldSet = {}
        for (response_name, field_details_list), read in zip(
            grouped_field_set.items(), reads, strict=True
        ):
            if read is not None:
                value = self._short_path(read, source_value)
                if value is not Undefined:
                    done[response_name] = value
                    continue
            rest[response_name] = field_details_list
        if not rest:
            return done
        others = super().execute_fields(parent_type, source_value, path, rest, position_context)

        def in_order(resolved: dict[str, Any]) -> dict[str, Any]:
            # graphql-core leaves out a field it could not find (Undefined): so does this.
            ordered = {}
            for name in grouped_field_set:
                if name in done:
                    ordered[name] = done[name]
                elif name in resolved:
                    ordered[name] = resolved[name]
            return ordered

        if isinstance(others, dict):
            return in_order(others)

        async def merged() -> dict[str, Any]:
            return in_order(await others)

        return merged()

    def _reads_of(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[_LeafRead | None] | None:
        """Per field of the set, its leaf read; None when no field has one (or middleware)."""
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return None
        cache: _FieldSetReads | None = getattr(self, "_lean_field_sets", None)
        if cache is None:
            cache = {}
            self._lean_field_sets = cache
        # graphql-core memoizes a sub-selection's field set, so the items of a list share
        # one; the entry keeps it alive so that its id is not reused during the operation.
        entry = cache.get(id(grouped_field_set))
        if entry is not None:
            return entry[1]
        reads: list[_LeafRead | None] = []
        for field_details_list in grouped_field_set.values():
            node = field_details_list[0].node
            reads.append(None if node.arguments else self._read_for(parent_type, node.name.value))
        result = reads if any(read is not None for read in reads) else None
        cache[id(grouped_field_set)] = (grouped_field_set, result)
        return result

    def _read_for(self, parent_type: GraphQLObjectType, field_name: str) -> _LeafRead | None:
        plans: dict[tuple[str, str], _LeafRead | None] | None = getattr(self, "_lean_plans", None)
        if plans is None:
            plans = _plans.setdefault(self.schema, {})
            self._lean_plans = plans
        key = (parent_type.name, field_name)
        try:
            return plans[key]
        except KeyError:
            field_def = self.schema.get_field(parent_type, field_name)
            plans[key] = read = None if field_def is None else _leaf_read(field_def)
            return read

    @staticmethod
    def _short_path(read: _LeafRead, source: Any) -> Any:
        """The completed value, or Undefined to have the long path decide (and report)."""
        try:
            value = getattr(source, read.attribute)
            if value is None:
                return Undefined if read.non_null else None
            coerced = read.leaf_type.coerce_output_value(value)
        except Exception:  # the long path raises it again, located and typed
            return Undefined
        return Undefined if coerced is None else coerced


def _direct_resolver(
    field: StrawberryField, info_class: type[Any]
) -> Callable[..., Any] | None:
    """A plain call of `field`'s resolver, or None when Strawberry's wrapper has work to do."""
    resolver = field.base_resolver
    if resolver is None or resolver.is_async or field.arguments or field.extensions:
        return None
    self_parameter = resolver.self_parameter
    reserved = {
        "root": resolver.root_parameter,
        "parent": resolver.parent_parameter,
        "info": resolver.info_parameter,
    }
    named = {role: p.name for role, p in reserved.items() if p is not None}
    if len(resolver.signature.parameters) != len(named) + (self_parameter is not None):
        return None  # the resolver takes an argument of its own
    if isinstance(resolver.wrapped_func, classmethod | staticmethod):
        return None  # bound per type by Strawberry; left to its wrapper
    function: Callable[..., Any] = resolver.wrapped_func
    takes_self = self_parameter is not None
    root_name, parent_name, info_name = named.get("root"), named.get("parent"), named.get("info")

    def resolve(source: Any, info: Any) -> Any:
        kwargs: dict[str, Any] = {}
        if root_name is not None:
            kwargs[root_name] = source
        if parent_name is not None:
            kwargs[parent_name] = source
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=field)
        return function(source, **kwargs) if takes_self else function(**kwargs)

    return resolve


def use_direct_resolvers(schema: BaseSchema) -> int:
    """Let graphql-core call plain sync resolvers of `schema` directly; how many were."""
    graphql_schema: GraphQLSchema = schema._schema  # type: ignore[attr-defined]
    info_class = schema.config.info_class
    count = 0
    for graphql_type in graphql_schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field_def in graphql_type.fields.values():
            definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryField):
                continue
            direct = _direct_resolver(definition, info_class)
            if direct is not None:
                field_def.resolve = direct
                count += 1
    return count


__all__ = ["LeanExecutionContext", "use_direct_resolvers"]
