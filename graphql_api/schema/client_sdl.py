"""The schema as a client sees it: what introspection answers, minus the federation plumbing.

`schema.graphql` is the subgraph's SDL: it applies `@link`, `@key`, `@cost` and `@listSize`
without defining them (a router knows them), so graphql-js's `buildSchema`, GraphQL Code
Generator and relay-compiler refuse it. A frontend needs neither those directives nor the
router's entry points (`_service`, `_entities` and their `_Any`, `_Entity`, `_Service`,
`_FieldSet`, `link__*` types). This SDL is built from the schema's own introspection answer
(so it is exactly what a client introspecting the service gets) with those left out.
"""

from __future__ import annotations

from typing import Any, cast

import strawberry
from graphql import (
    DirectiveDefinitionNode,
    DirectiveLocation,
    DocumentNode,
    FieldDefinitionNode,
    IntrospectionQuery,
    Node,
    TypeDefinitionNode,
    Visitor,
    build_ast_schema,
    build_client_schema,
    get_introspection_query,
    parse,
    print_schema,
    visit,
)

# Where a directive may appear in a client's document; one usable nowhere there is dropped.
_EXECUTABLE_LOCATIONS = frozenset(
    {
        DirectiveLocation.QUERY,
        DirectiveLocation.MUTATION,
        DirectiveLocation.SUBSCRIPTION,
        DirectiveLocation.FIELD,
        DirectiveLocation.FRAGMENT_DEFINITION,
        DirectiveLocation.FRAGMENT_SPREAD,
        DirectiveLocation.INLINE_FRAGMENT,
        DirectiveLocation.VARIABLE_DEFINITION,
    }
)


def _is_federation_name(name: str) -> bool:
    # Federation's own types start with one underscore (`__` is introspection's, and is never
    # printed); imports under a spec's namespace are `link__Import`, `federation__Scope`.
    return (name.startswith("_") and not name.startswith("__")) or "__" in name.lstrip("_")


class _WithoutFederation(Visitor):
    def enter_directive_definition(self, node: DirectiveDefinitionNode, *_: Any) -> object:
        locations = {DirectiveLocation[location.value] for location in node.locations}
        return None if locations & _EXECUTABLE_LOCATIONS else self.REMOVE

    def enter(self, node: Node, *_: Any) -> object:
        if isinstance(node, TypeDefinitionNode) and _is_federation_name(node.name.value):
            return self.REMOVE
        if isinstance(node, FieldDefinitionNode) and node.name.value.startswith("_"):
            return self.REMOVE
        return None


def print_client_sdl(schema: strawberry.Schema) -> str:
    """The SDL a client generates code from (`graphql-api schema --client`)."""
    answer = schema.execute_sync(
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            input_value_deprecation=True,
            one_of=True,
        )
    )
    if answer.errors or answer.data is None:
        raise RuntimeError(f"the schema did not answer its introspection: {answer.errors}")
    introspected = print_schema(build_client_schema(cast(IntrospectionQuery, answer.data)))
    document = visit(parse(introspected), _WithoutFederation())
    assert isinstance(document, DocumentNode)
    # Built again, so that a reference to anything left out fails here, not in a client's tool.
    return print_schema(build_ast_schema(document)).rstrip("\n") + "\n"


__all__ = ["print_client_sdl"]
