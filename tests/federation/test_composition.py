"""Composition: this subgraph's SDL composes with another subgraph under @apollo/composition."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from graphql_api.config import Settings
from graphql_api.schema import create_schema, print_sdl
from graphql_api.web.app import create_app
from tests.live_server import live_server
from tests.node_tools import ROOT, run_node

EXAMPLE = ROOT / "examples" / "supergraph"
ORDERS_SDL = EXAMPLE / "orders.graphql"
SCHEMA_FILE = ROOT / "schema.graphql"


@dataclass(frozen=True, slots=True)
class Composition:
    """What compose.mjs reported: exit status, the supergraph SDL, and its stderr lines."""

    returncode: int
    supergraph: str
    messages: list[str]

    @property
    def errors(self) -> list[str]:
        """Composition errors, one line each (empty when composition succeeded)."""
        return [line for line in self.messages if line.startswith("error:")]


def compose(subgraphs: Mapping[str, str]) -> Composition:
    """Compose NAME -> SDL file or subgraph URL with @apollo/composition."""
    args = [f"{name}={source}" for name, source in subgraphs.items()]
    done = run_node(
        EXAMPLE / "compose.mjs", *args, packages=("@apollo/composition",), cwd=EXAMPLE
    )
    return Composition(done.returncode, done.stdout, done.stderr.splitlines())


def _compact(sdl: str) -> str:
    """The SDL without descriptions, on one line, for substring checks."""
    return re.sub(r"\s+", " ", re.sub(r'"""[^"]*"""|"[^"\n]*"\n', "", sdl))


def test_schema_graphql_composes_with_the_orders_subgraph_without_errors() -> None:
    result = compose({"customers": str(SCHEMA_FILE), "orders": str(ORDERS_SDL)})

    assert result.errors == []
    assert result.returncode == 0, "\n".join(result.messages)
    supergraph = _compact(result.supergraph)
    # Customer is one entity, keyed by id in both subgraphs; orders adds its own field.
    assert (
        'type Customer implements Node @join__implements(graph: CUSTOMERS, interface: "Node") '
        '@join__type(graph: CUSTOMERS, key: "id") @join__type(graph: ORDERS, key: "id")'
    ) in supergraph
    assert "orders: [Order!]! @join__field(graph: ORDERS)" in supergraph
    # PageInfo is defined by both subgraphs, which @shareable allows.
    assert "type PageInfo @join__type(graph: CUSTOMERS) @join__type(graph: ORDERS)" in supergraph


def test_the_printed_sdl_keeps_the_directives_a_composer_needs() -> None:
    sdl = _compact(print_sdl(create_schema(Settings())))

    assert re.search(
        r'schema @link\(url: "https://specs\.apollo\.dev/federation/v2\.\d+", '
        r'import: \[[^\]]*"@key"[^\]]*"@shareable"[^\]]*\]\)',
        sdl,
    )
    assert 'type Customer implements Node @key(fields: "id") {' in sdl
    assert "type PageInfo @shareable {" in sdl
    assert "_entities(representations: [_Any!]!): [_Entity]!" in sdl
    assert "union _Entity = Customer" in sdl


def test_the_live_service_sdl_is_schema_graphql() -> None:
    # _service { sdl } is what a gateway composes from; it needs no upstream, so none runs.
    settings = Settings.from_env({"PARTNER_CENTER_URL": "http://127.0.0.1:9", "GRAPHIQL": "0"})
    with live_server(create_app(settings)) as base:
        answer = httpx.post(f"{base}/graphql", json={"query": "{ _service { sdl } }"}).json()

    assert answer["data"]["_service"]["sdl"].rstrip("\n") + "\n" == SCHEMA_FILE.read_text()


def test_composition_fails_with_the_error_when_subgraphs_disagree(tmp_path: Path) -> None:
    # The same key field with another type cannot compose: the script must say so and fail.
    clashing = tmp_path / "clashing.graphql"
    clashing.write_text(
        ORDERS_SDL.read_text().replace(
            'type Customer @key(fields: "id") {\n  id: ID!',
            'type Customer @key(fields: "id") {\n  id: String!',
        )
    )

    result = compose({"customers": str(SCHEMA_FILE), "orders": str(clashing)})

    assert result.returncode == 1
    assert any("Customer.id" in error for error in result.errors), result.messages
    assert result.supergraph == ""


# What a router's demand control reads: the weight of each field that takes a Partner Center
# call, and the list sizes of `customers` (docs/demand-control.md explains the numbers).
_CALL = "@cost(weight: 10)"
_JOINED_CALL = f"@join__field(graph: CUSTOMERS) {_CALL}"
_DEMAND_DIRECTIVES = (
    "): CustomerConnection! @join__field(graph: CUSTOMERS) @cost(weight: 10) "
    '@listSize(assumedSize: 50, slicingArguments: ["first"], sizedFields: ["edges", "nodes"], '
    "requireOneSlicingArgument: false)",
    f"): Customer {_JOINED_CALL}",
    f"): Node {_JOINED_CALL}",
    f"billingProfile: BillingProfile {_JOINED_CALL}",
    f"allowDelegatedAccess: Boolean {_JOINED_CALL}",
    f"associatedPartnerId: String {_JOINED_CALL}",
    f"customDomains: [String!] {_JOINED_CALL} "
    "@listSize(assumedSize: 1, requireOneSlicingArgument: false)",
    f"address: Address {_CALL}",
    f"email: String {_CALL}",
    f"organizationRegistrationNumber: String {_CALL}",
)


def test_demand_control_directives_survive_into_the_supergraph() -> None:
    result = compose({"customers": str(SCHEMA_FILE), "orders": str(ORDERS_SDL)})

    assert result.returncode == 0, "\n".join(result.messages)
    supergraph = _compact(result.supergraph)
    assert '@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])' in supergraph
    for directives in _DEMAND_DIRECTIVES:
        assert directives in supergraph, directives
    # Exactly those fields: nothing else is weighed as an upstream call.
    assert supergraph.count(_CALL) == len(_DEMAND_DIRECTIVES)


def test_the_printed_sdl_imports_the_demand_control_directives() -> None:
    sdl = _compact(print_sdl(create_schema(Settings())))

    assert re.search(r'import: \[[^\]]*"@cost"[^\]]*"@listSize"[^\]]*\]', sdl)
