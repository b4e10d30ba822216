"""The SDL: the checked-in file matches `graphql-api schema`, and the schema's shape holds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from graphql import (
    DirectiveLocation,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
    is_specified_scalar_type,
    print_schema,
    specified_directives,
)

from graphql_api.config import Settings
from graphql_api.schema import create_schema, print_sdl
from graphql_api.schema.client_sdl import print_client_sdl

ROOT = Path(__file__).resolve().parents[2]
EXECUTABLE = {
    DirectiveLocation.QUERY,
    DirectiveLocation.FIELD,
    DirectiveLocation.FRAGMENT_SPREAD,
    DirectiveLocation.INLINE_FRAGMENT,
}


def test_schema_graphql_is_the_output_of_graphql_api_schema() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "graphql_api", "schema"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert printed == (ROOT / "schema.graphql").read_text(), (
        "schema.graphql is stale: run `make schema`"
    )


def test_schema_client_graphql_is_the_output_of_graphql_api_schema_client() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "graphql_api", "schema", "--client"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert printed == (ROOT / "schema.client.graphql").read_text(), (
        "schema.client.graphql is stale: run `make schema`"
    )


def test_client_schema_is_the_subgraph_schema_without_federation() -> None:
    client = build_schema(print_client_sdl(create_schema(Settings())))
    full = create_schema(Settings())._schema
    # What a client may write in an operation stays (@skip, @include, @defer, @stream);
    # federation's type-system directives, which graphql-js could not build, go.
    assert {d.name for d in client.directives} == {
        d.name for d in specified_directives
    } | {d.name for d in full.directives if set(d.locations) & EXECUTABLE}
    assert not {"link", "key", "shareable", "cost", "listSize"} & {
        d.name for d in client.directives
    }
    ours = {name for name in full.type_map if not name.startswith("_") and "__" not in name}
    assert {name for name in client.type_map if not name.startswith("__")} == ours
    query, full_query = client.query_type, full.query_type
    assert query is not None
    assert full_query is not None
    assert set(full_query.fields) - set(query.fields) == {"_service", "_entities"}
    assert print_schema(client) == (ROOT / "schema.client.graphql").read_text().rstrip("\n")


def test_no_password_or_user_credentials_in_the_sdl() -> None:
    sdl = print_sdl(create_schema(Settings())).lower()
    assert "password" not in sdl
    assert "usercredentials" not in sdl
    assert "username" not in sdl


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    schema = create_schema(Settings())._schema
    missing: list[str] = []
    for name, kind in schema.type_map.items():
        # Introspection, federation (_Any, link__*) and built-in scalars are not ours.
        if name.startswith(("_", "link__", "federation__")) or is_specified_scalar_type(kind):
            continue
        if not getattr(kind, "description", None):
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                if field_name.startswith("_"):
                    continue
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, d in kind.values.items() if not d.description]
    assert missing == []


def test_the_outline_of_design_md_is_the_schema() -> None:
    sdl = print_sdl(create_schema(Settings()))
    compact = re.sub(r'"""[^"]*"""', "", sdl)
    compact = re.sub(r"\s+", " ", compact)
    for expected in [
        "customers( search: CustomerSearch = null first: Int = null after: String = null ): "
        "CustomerConnection!",
        "customer( id: ID! ): Customer",
        "node( id: ID! ): Node",
        "input CustomerSearch { field: CustomerSearchField! startsWith: String! }",
        "enum CustomerSearchField { COMPANY_NAME DOMAIN INDIRECT_RESELLER "
        "INDIRECT_CLOUD_SOLUTION_PROVIDER }",
        "type CustomerEdge { cursor: String! node: Customer! }",
        "interface Node { id: ID! }",
        "type PageInfo @shareable {",
        "type Customer implements Node",
    ]:
        assert expected in compact


def test_there_is_no_total_count_and_no_backward_paging() -> None:
    sdl = print_sdl(create_schema(Settings()))
    for absent in ("totalCount", "last:", "before:"):
        assert absent not in sdl
