"""One test per private name `graphql_api/_compat.py` takes from another library.

Each fails, on an upgrade that moves or reshapes the name, with a message that says which
touch broke; the fix belongs in `_compat.py` (and its one user), nowhere else.
"""

from __future__ import annotations

import enum
import importlib
import inspect
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    NameNode,
    ValidationRule,
    execute,
    parse,
    specified_rules,
)
from graphql.execution import Executor
from strawberry.asgi import GraphQL
from strawberry.types import Info

from graphql_api import _compat


@strawberry.type
class Query:
    @strawberry.field
    def name(self) -> str:
        return "x"


SCHEMA = strawberry.Schema(query=Query)


@strawberry.enum
class Shade(enum.Enum):
    DARK = "dark"
    LIGHT = "light"


@strawberry.type
class ShadeQuery:
    shade: Shade = Shade.DARK


def _field_details(name: str) -> Any:
    from graphql.execution.collect_fields import FieldDetails

    return [FieldDetails(node=FieldNode(name=NameNode(value=name)), defer_usage=None)]


def test_graphql_core_to_nodes_gives_the_field_nodes() -> None:
    details = _field_details("id")
    nodes = _compat.to_nodes(details)
    assert [node.name.value for node in nodes] == ["id"], "graphql-core's to_nodes changed"


def test_graphql_core_invalid_return_type_error_names_the_type() -> None:
    thing = GraphQLObjectType("Thing", {"id": GraphQLField(GraphQLString)})
    error = _compat.invalid_return_type_error(thing, 42, _field_details("thing"))
    assert isinstance(error, GraphQLError), "graphql-core's invalid_return_type_error changed"
    assert error.message == "Expected value of type 'Thing' but got: 42."


@pytest.mark.parametrize(("name", "parameters"), sorted(_compat.EXECUTOR_MEMBERS.items()))
def test_graphql_core_executor_member_keeps_its_shape(
    name: str, parameters: tuple[str, ...]
) -> None:
    member = getattr(_compat.StrawberryGraphQLCoreExecutionContext, name, None)
    assert member is not None, f"graphql-core's Executor has no `{name}` (the lean executor's)"
    found = tuple(inspect.signature(member).parameters)
    assert found == parameters, (
        f"graphql-core's Executor.{name} takes {found} now, not {parameters}: "
        "adapt speed/executor.py and _compat.EXECUTOR_MEMBERS"
    )


@pytest.mark.parametrize("name", _compat.EXECUTOR_ATTRIBUTES)
def test_graphql_core_executor_attribute_is_declared(name: str) -> None:
    declared = {
        attribute
        for klass in Executor.__mro__
        for attribute in getattr(klass, "__annotations__", {})
    }
    assert name in declared, f"graphql-core's Executor no longer declares `{name}`"


def test_graphql_core_wording_of_a_null_on_a_non_null_field() -> None:
    query = GraphQLObjectType(
        "Query", {"name": GraphQLField(GraphQLNonNull(GraphQLString), resolve=lambda *_: None)}
    )
    result = execute(GraphQLSchema(query), parse("{ name }"))
    assert isinstance(result, ExecutionResult)
    assert result.errors is not None
    expected = str(_compat.non_null_error(query, "name"))
    assert result.errors[0].message == expected, "graphql-core words a null error differently"


def test_strawberry_execution_context_is_graphql_cores_executor() -> None:
    assert issubclass(_compat.StrawberryGraphQLCoreExecutionContext, Executor)
    assert SCHEMA.execution_context_class is _compat.StrawberryGraphQLCoreExecutionContext, (
        "Strawberry runs graphql-core with another execution context class now"
    )


def test_strawberry_validate_document_runs_its_rules() -> None:
    schema = _compat.graphql_core_schema(SCHEMA)
    rules = tuple(specified_rules)
    assert _compat.validate_document(schema, parse("{ name }"), rules) == []
    errors = _compat.validate_document(schema, parse("{ nope }"), rules)
    assert [error.message for error in errors] == [
        "Cannot query field 'nope' on type 'Query'. Did you mean 'name'?"
    ]


@pytest.mark.parametrize(
    "rule", [_compat.MaybeNullValidationRule, _compat.OneOfInputValidationRule]
)
def test_strawberry_validation_rule_is_a_graphql_core_rule(rule: type) -> None:
    assert issubclass(rule, ValidationRule)


def test_strawberry_schema_runs_on_a_graphql_core_schema() -> None:
    built = _compat.graphql_core_schema(SCHEMA)
    assert isinstance(built, GraphQLSchema)
    assert built.query_type is not None
    assert "name" in built.query_type.fields


def test_strawberry_info_is_built_from_the_raw_info_and_field() -> None:
    raw = SimpleNamespace(field_name="name", context="ctx")
    field = SCHEMA.get_type_by_name("Query").fields[0]  # type: ignore[union-attr]
    info = _compat.strawberry_info(Info, raw, field)
    assert (info.field_name, info.context) == ("name", "ctx"), "Strawberry's Info changed"
    assert info._field is field


@pytest.mark.parametrize(
    ("accept", "protocol"),
    [
        ("application/json", "http"),
        ('multipart/mixed;subscriptionSpec="1.0"', "multipart-subscription"),
    ],
)
def test_strawberry_stream_transport_from_headers(accept: str, protocol: str) -> None:
    # The service's view streams nothing (its body parsing asks anyway, as Strawberry's
    # does); a view that offers multipart subscriptions shows the choice is still made from Accept.
    view = GraphQL(SCHEMA, subscription_protocols=("multipart-subscription",))
    assert _compat.stream_protocol(view, {"accept": accept}) == protocol, (
        "Strawberry's view chooses its streaming protocol differently"
    )


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        ("strawberry.extensions.base_extension.SchemaExtension", "_implements_resolve"),
        (
            "strawberry.extensions.tracing.apollo_federation.ApolloFederationTracingExtension",
            "_check_should_trace",
        ),
    ],
)
def test_strawberry_asks_the_private_hook_of_federated_tracing(owner: str, name: str) -> None:
    module, _, cls = owner.rpartition(".")
    klass = getattr(importlib.import_module(module), cls)
    assert name in vars(klass), (
        f"Strawberry's {cls} has no `{name}` now: FederatedTracingOnDemand's override does "
        "nothing, and ftv1 traces go to every caller or none"
    )


def test_strawberry_enum_type_wraps_its_python_enum() -> None:
    schema = _compat.graphql_core_schema(strawberry.Schema(query=ShadeQuery))
    found = _compat.enum_output_names(schema.type_map["Shade"])
    assert found is not None, "Strawberry's enum type no longer names the class it wraps"
    assert found == (Shade, {Shade.DARK: "DARK", Shade.LIGHT: "LIGHT"})
    assert _compat.enum_output_names(GraphQLString) is None
