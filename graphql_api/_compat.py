"""Every name this service takes from another library that the library does not promise.

graphql-core, Strawberry and the rest keep some names out of their public API (out of
`__all__`, behind an underscore, or members of a class whose shape is theirs to change).
Where the service must use one, it goes through here and nowhere else, so that an upgrade
that moves it breaks in one place; tests/test_compat.py has a test per touch that names what
moved. Each touch says why it is needed.

Example:
    from graphql_api._compat import graphql_core_schema
    type_map = graphql_core_schema(schema).type_map
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final

from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLSchema
from strawberry.http import GraphQLRequestProtocol


def _moved(library: str, what: str, error: ImportError) -> ImportError:
    return ImportError(
        f"{library} no longer provides {what}, which graphql_api/_compat.py uses: "
        f"adapt _compat.py to the installed version ({error})"
    )


# -- graphql-core ---------------------------------------------------------------------------

try:
    # The lean executor (speed/executor.py) completes fields as graphql-core's executor
    # does; these are its helpers for the field nodes of a field and for the error of a
    # value its type refuses, kept out of `graphql.execution`'s exports.
    from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
    from graphql.execution.executor import invalid_return_type_error, to_nodes
except ImportError as error:
    raise _moved(
        "graphql-core", "to_nodes, invalid_return_type_error, FieldDetailsList", error
    ) from error

# The members of graphql-core's `Executor` the lean executor calls or overrides, with their
# parameters: the class is public, but these members' shape is not documented API.
EXECUTOR_MEMBERS: Final[Mapping[str, tuple[str, ...]]] = {
    "execute_fields": (
        "self", "parent_type", "source_value", "path", "grouped_field_set", "position_context",
    ),
    "execute_field": (
        "self", "parent_type", "source", "field_details_list", "path", "position_context",
    ),
    "complete_value": (
        "self", "return_type", "field_details_list", "info", "path", "result",
        "position_context",
    ),
    "complete_awaitable_value": (
        "self", "return_type", "field_details_list", "info", "path", "result",
        "position_context",
    ),
    "complete_awaitable_list_item_value": (
        "self", "item", "item_type", "field_details_list", "info", "item_path",
        "position_context",
    ),
    "handle_field_error": ("self", "raw_error", "return_type", "field_details_list", "path"),
    "settle_in_background": ("self", "awaitables"),
    "collect_and_execute_subfields": (
        "self", "return_type", "field_details_list", "path", "result", "position_context",
    ),
    "collect_subfields": ("self", "return_type", "field_details_list"),
    "build_resolve_info": ("self", "field_def", "field_nodes", "parent_type", "path"),
    "is_awaitable": ("value",),
    "with_abort_signal": ("self", "awaitable"),
    "gather_async_work": ("self", "values"),
    "track_async_work": ("self", "values"),
}
# Attributes of an `Executor` instance the lean executor reads or sets.
EXECUTOR_ATTRIBUTES: Final = ("schema", "abort_signal", "middleware_manager", "async_helpers")


def non_null_error(parent_type: GraphQLObjectType, field_name: str) -> TypeError:
    """graphql-core's error for null on a non-null field, in its words (callers see the same
    message on either path)."""
    return TypeError(f"Cannot return null for non-nullable field {parent_type.name}.{field_name}.")


# -- Strawberry -----------------------------------------------------------------------------

try:
    # The execution context Strawberry runs graphql-core with; the lean executor extends it.
    # Strawberry's validation with its own extra rules; `web/limits.py` caches its result.
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
    from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
    from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
except ImportError as error:
    raise _moved(
        "Strawberry",
        "StrawberryGraphQLCoreExecutionContext, validate_document or its validation rules",
        error,
    ) from error


try:
    # Apollo's federated tracing; `FederatedTracingOnDemand` below decides when it runs.
    from strawberry.extensions.tracing.apollo_federation import (
        ApolloFederationTracingExtension,
    )
except ImportError as error:
    raise _moved("Strawberry", "ApolloFederationTracingExtension", error) from error


class FederatedTracingOnDemand(ApolloFederationTracingExtension):
    """Strawberry's ftv1 extension, tracing only a request `wants_trace` says yes to.

    Strawberry asks two private methods: `_implements_resolve` (once per request, with the
    execution context set, to build the resolver middleware: a yes turns the lean executor
    off for that request) and `_check_should_trace` (whether to trace and answer the trace).
    """

    def wants_trace(self) -> bool:
        """Whether this request is traced; asked once or twice per request."""
        raise NotImplementedError

    def _implements_resolve(self) -> bool:  # type: ignore[override]
        return self.wants_trace()

    def _check_should_trace(self) -> bool:
        return self.wants_trace()


def enum_output_names(leaf_type: Any) -> tuple[type, dict[Any, str]] | None:
    """For a Strawberry enum type: its Python enum class, and each member's GraphQL name as
    the type's `coerce_output_value` gives it; None for any other leaf type.

    Strawberry's `CustomGraphQLEnumType` finds a member's name by scanning every value of the
    enum (microseconds a field); the lean executor looks it up instead. The class it wraps
    (`wrapped_cls`) is not documented API.
    """
    wrapped = getattr(leaf_type, "wrapped_cls", None)
    if not isinstance(leaf_type, GraphQLEnumType) or not (
        isinstance(wrapped, type) and issubclass(wrapped, enum.Enum)
    ):
        return None
    try:
        names: dict[Any, str] = {
            member: leaf_type.coerce_output_value(member) for member in wrapped
        }
    except Exception:  # a member the type refuses: leave every value to the type itself
        return None
    return wrapped, names


def graphql_core_schema(schema: Any) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema runs on (`schema._schema`).

    Strawberry offers no public accessor; the lean executor's field reads and the validation
    cache need the schema graphql-core validates and executes against.
    """
    built = schema._schema
    if not isinstance(built, GraphQLSchema):
        raise TypeError(f"Strawberry's schema._schema is a {type(built).__name__} now")
    return built


def strawberry_info(info_class: type[Any], raw_info: Any, field: Any) -> Any:
    """Strawberry's `Info` for a resolver the lean executor calls without Strawberry's
    wrapper: the wrapper builds it with these private keywords."""
    return info_class(_raw_info=raw_info, _field=field)


def stream_protocol(view: Any, headers: Mapping[str, str]) -> GraphQLRequestProtocol:
    """The streaming protocol a request's `Accept` asks Strawberry's view for, or "http".

    The view's own JSON body parsing (web/body_parsing.py) replaces Strawberry's, which picks
    the protocol with this private method.
    """
    transport = view._get_stream_transport_from_headers(headers)
    if transport is None:
        return "http"
    protocol: GraphQLRequestProtocol = transport.protocol
    return protocol


__all__ = [
    "EXECUTOR_ATTRIBUTES",
    "EXECUTOR_MEMBERS",
    "FederatedTracingOnDemand",
    "FieldDetailsList",
    "GroupedFieldSet",
    "MaybeNullValidationRule",
    "OneOfInputValidationRule",
    "StrawberryGraphQLCoreExecutionContext",
    "enum_output_names",
    "graphql_core_schema",
    "invalid_return_type_error",
    "non_null_error",
    "strawberry_info",
    "stream_protocol",
    "to_nodes",
    "validate_document",
]
