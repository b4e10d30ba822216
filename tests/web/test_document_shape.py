"""Document shape bounds: measured in one linear pass, refused by name before graphql-core runs."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from graphql import DocumentNode, GraphQLSchema, parse, validate
from strawberry.extensions.max_aliases import create_validator as strawberry_alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as strawberry_depth_rule
from strawberry.schema.schema import validate_document

from graphql_api.config import Settings
from graphql_api.schema import create_schema
from graphql_api.web import limits
from graphql_api.web.document_shape import measure_document
from graphql_api.web.graphql_view import GRAPHQL_RESPONSE_JSON
from tests.web.conftest import ServiceFactory, graphql

RELAY_PAGE_QUERY = """
query CustomerListPaginationQuery($count: Int = 50, $cursor: String, $search: CustomerSearch) {
  ...CustomerList_query_3PfUTl
}
fragment CustomerList_query_3PfUTl on Query {
  customers(first: $count, after: $cursor, search: $search) {
    edges { node { id companyProfile { companyName domain } __typename } cursor }
    pageInfo { endCursor hasNextPage }
  }
}
"""

APOLLO_PAGE_QUERY = """
query Customers {
  customers(first: 50) {
    __typename
    nodes { __typename id companyProfile { __typename companyName domain } }
    pageInfo { __typename endCursor hasNextPage }
  }
}
"""


def fragment_chain(levels: int) -> str:
    """Each fragment spreads the next one twice: 2^levels copies of `__typename` once inlined."""
    spreads = "".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }} " for i in range(levels)
    )
    return f"query {{ ...F0 }} {spreads}fragment F{levels} on Query {{ __typename }}"


def repeated_fields(count: int) -> str:
    """One root field repeated, the whitespace varied so that no cache has seen the text."""
    fields = (f"customers{' ' * (i % 3 + 1)}{{ nodes {{ id }} }}" for i in range(count))
    return "{" + " ".join(fields) + "}"


def _visits(query: str) -> int:
    return measure_document(parse(query), max_field_merges=10**12).visits


def test_fragment_chains_cost_visits_linear_in_their_length() -> None:
    visits = [_visits(fragment_chain(levels)) for levels in (10, 20, 30, 40)]
    steps = {later - earlier for earlier, later in itertools.pairwise(visits)}
    assert len(steps) == 1  # the same number of visits for every ten more fragments
    assert visits[-1] < 20 * 41  # a few visits per fragment, not 2^40


def test_fragment_chain_counts_every_inlined_copy_as_a_merge() -> None:
    shape = measure_document(parse(fragment_chain(30)), max_field_merges=10**12)
    copies = 2**30
    assert shape.field_merges == copies * (copies - 1) // 2
    assert shape.fragments == 31
    assert shape.fragment_spreads == 61  # the operation's own and two per fragment


def test_repeated_fields_cost_visits_linear_in_the_repeats() -> None:
    visits = [_visits(repeated_fields(count)) for count in (100, 200, 300)]
    assert visits[2] - visits[1] == visits[1] - visits[0]


def test_fragment_explosion_is_refused_before_graphql_core_validates(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[DocumentNode] = []

    def counting_validate(schema: GraphQLSchema, document: DocumentNode, rules: Any) -> Any:
        validated.append(document)
        return validate_document(schema, document, rules)

    monkeypatch.setattr(limits, "validate_document", counting_validate)
    with make_service() as client:
        response = graphql(client, fragment_chain(30), accept=GRAPHQL_RESPONSE_JSON)
        alive = client.get("/healthz")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "GRAPHQL_MAX_FIELD_MERGES" in error["message"]
    assert validated == []
    assert alive.status_code == 200


def test_repeated_root_fields_are_refused_naming_the_bound(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[DocumentNode] = []

    def counting_validate(schema: GraphQLSchema, document: DocumentNode, rules: Any) -> Any:
        validated.append(document)
        return validate_document(schema, document, rules)

    monkeypatch.setattr(limits, "validate_document", counting_validate)
    with make_service() as client:
        # Under GRAPHQL_MAX_SELECTIONS (100), so that the merge bound alone refuses them.
        responses = [graphql(client, repeated_fields(90 - i)) for i in range(3)]
    for response in responses:
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
        assert "GRAPHQL_MAX_FIELD_MERGES" in error["message"]
    assert validated == []


@pytest.mark.parametrize(
    ("setting", "query"),
    [
        (
            "GRAPHQL_MAX_FRAGMENTS",
            "query { ...A } fragment A on Query { ...B } fragment B on Query { ...C } "
            "fragment C on Query { __typename }",
        ),
        (
            "GRAPHQL_MAX_FRAGMENT_SPREADS",
            "query { ...A ...A ...A } fragment A on Query { __typename }",
        ),
        ("GRAPHQL_MAX_SELECTIONS", "{ customers { nodes { id commerceId associatedPartnerId } } }"),
    ],
)
def test_each_shape_bound_refuses_past_it_and_names_its_setting(
    make_service: ServiceFactory, setting: str, query: str
) -> None:
    with make_service({setting: "2"}) as client:
        response = graphql(client, query)
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert f"Allowed: 2 ({setting})" in error["message"]


@pytest.mark.parametrize("query", [RELAY_PAGE_QUERY, APOLLO_PAGE_QUERY])
def test_real_client_queries_fit_the_default_bounds(
    make_service: ServiceFactory, query: str
) -> None:
    with make_service() as client:
        response = graphql(client, query)
    body = response.json()
    assert "errors" not in body
    assert body["data"]["customers"]


@pytest.mark.parametrize(
    "query",
    [
        RELAY_PAGE_QUERY,
        APOLLO_PAGE_QUERY,
        "{ customers { edges { node { companyProfile { companyName } } } } }",
        "{ a: customer(id: \"x\") { id } b: customer(id: \"y\") { c: id } }",
        "query Q { ...F ...F } fragment F on Query { x: customers { y: nodes { id } } }",
        "{ __schema { types { fields { type { ofType { name } } } } } }",
        "query One { customers { nodes { id } } } query Two { c: customer(id: \"z\") { id } }",
    ],
)
@pytest.mark.parametrize("bound", [0, 1, 2, 3, 4])
def test_depth_and_alias_counts_agree_with_strawberrys_limiters(query: str, bound: int) -> None:
    schema = create_schema(Settings.from_env({}))._schema
    document = parse(query)
    shape = measure_document(document, max_field_merges=10**6)
    theirs_depth = validate(schema, document, [strawberry_depth_rule(bound, None)])
    theirs_aliases = validate(schema, document, [strawberry_alias_rule(bound)])
    assert bool(theirs_depth) == any(depth > bound for depth in shape.depths.values())
    assert bool(theirs_aliases) == (shape.aliases > bound)
