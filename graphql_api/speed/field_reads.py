"""Which fields the lean executor (execution.py) may answer itself, and how.

A field qualifies when graphql-core's long path would do nothing for it but read a value and
complete it: no arguments, and a value that comes either from Strawberry's plain attribute
read (a "basic" field) or from a direct resolver (below). Its type then says how to
complete the value:

- a scalar or enum (`LeafRead`, `ResolvedLeafRead` for a direct resolver's): the scalar's
  own `coerce_output_value`;
- an object type, or a list of one (`ObjectRead`): its sub-selection, field by field.

Interfaces and unions (the runtime type must be resolved), lists of lists and lists of
leaves read from an attribute stay with graphql-core (a direct resolver's list of leaves is
completed in place).

`use_direct_resolvers` lets graphql-core call a sync resolver that takes nothing but the
reserved parameters (self, root, parent, info) itself: Strawberry wraps each in argument
conversion and an extension chain (a `reduce` of partials per call) that has nothing to do
for them. `Customer.companyProfile` on a page of 50 is 50 such calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import (
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)
from strawberry.resolvers import is_default_resolver
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from .._compat import enum_output_names, graphql_core_schema, strawberry_info


@dataclass(frozen=True, slots=True)
class LeafRead:
    """A plain leaf field: the Python attribute to read and the scalar or enum."""

    attribute: str
    leaf_type: GraphQLLeafType
    non_null: bool
    # String and ID (graphql-core's own scalars) return a `str` value unchanged.
    str_as_is: bool
    # A Strawberry enum's Python class, and each member's GraphQL name by the member's Python
    # name (`_name_`): hashing a plain `Enum` member runs `Enum.__hash__` in Python, which a
    # page would pay once per edge; its `_name_` is a str whose hash is cached.
    enum_class: type | None = None
    enum_names: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ObjectRead:
    """A field of an object type (or a list of one) whose value needs no wrapper to read.

    Exactly one of `attribute` (a basic field) and `resolver` (a direct resolver) is set.
    """

    field_def: GraphQLField
    attribute: str | None
    resolver: DirectResolver | None
    object_type: GraphQLObjectType
    non_null: bool
    # The declared type without its outer NonNull.
    nullable_type: GraphQLOutputType
    # For a list: the item type as declared (NonNull or not) and whether items may be null.
    is_list: bool
    item_type: GraphQLOutputType | None
    item_non_null: bool
    # The object type has an `is_type_of` that reads the resolve info: build one for it.
    type_check_needs_info: bool


@dataclass(frozen=True, slots=True)
class ResolvedLeafRead:
    """A scalar or enum field whose value a direct resolver returns (`Customer`'s enum and
    the fields it reads from the record at hand): called without Strawberry's wrapper, and
    completed as a plain leaf is when the value is at hand."""

    field_def: GraphQLField
    resolver: DirectResolver
    # For a list of leaves (`customDomains`): the item's scalar or enum.
    leaf_type: GraphQLLeafType
    non_null: bool
    # A `str` value is the answer as is (never for a list, whose value is not a leaf).
    str_as_is: bool
    is_list: bool = False
    item_non_null: bool = False
    item_str_as_is: bool = False
    # As `LeafRead`'s.
    enum_class: type | None = None
    enum_names: dict[str, str] | None = None


FieldRead = LeafRead | ObjectRead | ResolvedLeafRead


class DirectResolver:
    """Calls a plain sync resolver as Strawberry would, without its per-call wrapper."""

    __slots__ = (
        "_function",
        "_info_class",
        "_info_name",
        "_names",
        "_strawberry_field",
        "_takes_self",
        "needs_info",
        "self_only",
    )

    def __init__(
        self,
        field: StrawberryField,
        function: Any,
        info_class: type[Any],
        *,
        takes_self: bool,
        source_names: tuple[str, ...],
        info_name: str | None,
    ) -> None:
        self._strawberry_field = field
        self._function = function
        self._info_class = info_class
        self._takes_self = takes_self
        self._names = source_names
        self._info_name = info_name
        # True when the resolver takes `info`: the caller must build one to call it.
        self.needs_info = info_name is not None
        # A method of the type taking only self: the executor calls it with the source
        # itself (a page calls one per customer; this object's call would be a second).
        self.self_only: Any | None = (
            function if takes_self and not source_names and info_name is None else None
        )

    def __call__(self, source: Any, info: Any) -> Any:
        if self.self_only is not None:
            return self._function(source)
        kwargs: dict[str, Any] = dict.fromkeys(self._names, source)
        if self._info_name is not None:
            kwargs[self._info_name] = strawberry_info(
                self._info_class, info, self._strawberry_field
            )
        if self._takes_self:
            return self._function(source, **kwargs)
        return self._function(**kwargs)


def _direct_resolver(field: StrawberryField, info_class: type[Any]) -> DirectResolver | None:
    """A plain call of `field`'s resolver, or None when Strawberry's wrapper has work to do."""
    resolver = field.base_resolver
    if resolver is None or resolver.is_async or field.arguments or field.extensions:
        return None
    self_parameter = resolver.self_parameter
    root, parent, info = resolver.root_parameter, resolver.parent_parameter, resolver.info_parameter
    reserved = [p for p in (root, parent, info) if p is not None]
    if len(resolver.signature.parameters) != len(reserved) + (self_parameter is not None):
        return None  # the resolver takes an argument of its own
    if isinstance(resolver.wrapped_func, classmethod | staticmethod):
        return None  # bound per type by Strawberry; left to its wrapper
    return DirectResolver(
        field,
        resolver.wrapped_func,
        info_class,
        takes_self=self_parameter is not None,
        source_names=tuple(p.name for p in (root, parent) if p is not None),
        info_name=None if info is None else info.name,
    )


def use_direct_resolvers(schema: BaseSchema) -> int:
    """Let graphql-core call plain sync resolvers of `schema` directly; how many were."""
    graphql_schema = graphql_core_schema(schema)
    info_class = schema.config.info_class
    count = 0
    for graphql_type in graphql_schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field_def in graphql_type.fields.values():
            definition = _strawberry_field(field_def)
            # A union return may carry an exception handler's error type: Strawberry's
            # wrapper turns exceptions into it, so it keeps the wrapper.
            if definition is None or isinstance(get_named_type(field_def.type), GraphQLUnionType):
                continue
            direct = _direct_resolver(definition, info_class)
            if direct is not None:
                field_def.resolve = direct
                count += 1
    return count


def _strawberry_field(field_def: GraphQLField) -> StrawberryField | None:
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryField) else None


def _basic_attribute(field_def: GraphQLField) -> str | None:
    """The attribute Strawberry reads for a basic field, or None for any other field."""
    if field_def.resolve is None or not is_default_resolver(field_def.resolve):
        return None
    definition = _strawberry_field(field_def)
    # Strawberry's basic fields read `getattr(source, python_name)`; any other default
    # resolver (a config option) is honoured by the long path only.
    if definition is None or definition.default_resolver is not getattr:
        return None
    if not definition.is_basic_field:
        return None
    return definition.python_name


def _unwrap(graphql_type: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    if isinstance(graphql_type, GraphQLNonNull):
        return graphql_type.of_type, True
    return graphql_type, False


# Type checks registered by `type_check_without_info`: functions of our own, known to ignore
# the resolve info they are passed.
_INFO_FREE_TYPE_CHECKS: set[Callable[..., bool]] = set()

_Check = TypeVar("_Check", bound=Callable[..., bool])


def type_check_without_info(function: _Check) -> _Check:
    """Mark an `is_type_of` (function or the function under a classmethod) as one that never
    reads its resolve info, so that the executor builds none to call it.

    Example:
        @classmethod
        @type_check_without_info
        def is_type_of(cls, obj: object, _info: object) -> bool:
            return isinstance(obj, cls)
    """
    _INFO_FREE_TYPE_CHECKS.add(function)
    return function


def _type_check_needs_info(object_type: GraphQLObjectType) -> bool:
    """False when `object_type` has no `is_type_of`, or one marked `type_check_without_info`.

    A type that implements an interface gets an `is_type_of` from Strawberry; a page of
    customers would build one resolve info per customer just to pass it in unread, so
    `Customer` declares its own, marked. Any other `is_type_of` gets a real info.
    """
    is_type_of = object_type.is_type_of
    if is_type_of is None:
        return False
    # A classmethod arrives bound: the marked function is its `__func__`.
    function = getattr(is_type_of, "__func__", is_type_of)
    return function not in _INFO_FREE_TYPE_CHECKS


def _enum_names(leaf_type: GraphQLLeafType) -> tuple[type | None, dict[str, str] | None]:
    """A Strawberry enum's class and its members' GraphQL names by `_name_`, else Nones."""
    found = enum_output_names(leaf_type)
    if found is None:
        return None, None
    enum_class, names = found
    return enum_class, {member._name_: name for member, name in names.items()}


def field_read(field_def: GraphQLField) -> FieldRead | None:
    """How the lean executor answers `field_def`, or None to leave it to graphql-core."""
    if field_def.args:
        return None
    resolver = field_def.resolve if isinstance(field_def.resolve, DirectResolver) else None
    attribute = None if resolver is not None else _basic_attribute(field_def)
    if resolver is None and attribute is None:
        return None
    named, non_null = _unwrap(field_def.type)
    if is_leaf_type(named):
        str_as_is = named is GraphQLString or named is GraphQLID
        enum_class, enum_names = _enum_names(named)
        if resolver is not None:
            return ResolvedLeafRead(
                field_def, resolver, named, non_null, str_as_is,
                enum_class=enum_class, enum_names=enum_names,
            )
        assert attribute is not None
        return LeafRead(attribute, named, non_null, str_as_is, enum_class, enum_names)
    if isinstance(named, GraphQLObjectType):
        return ObjectRead(
            field_def, attribute, resolver, named, non_null, named, False, None, False,
            _type_check_needs_info(named),
        )
    if isinstance(named, GraphQLList):
        item_type = named.of_type
        item, item_non_null = _unwrap(item_type)
        if resolver is not None and is_leaf_type(item):
            item_str_as_is = item is GraphQLString or item is GraphQLID
            return ResolvedLeafRead(
                field_def, resolver, item, non_null, False, True, item_non_null, item_str_as_is
            )
        if isinstance(item, GraphQLObjectType):
            return ObjectRead(
                field_def, attribute, resolver, item, non_null, named, True, item_type,
                item_non_null, _type_check_needs_info(item),
            )
    return None


__all__ = [
    "DirectResolver",
    "FieldRead",
    "LeafRead",
    "ObjectRead",
    "ResolvedLeafRead",
    "field_read",
    "type_check_without_info",
    "use_direct_resolvers",
]
