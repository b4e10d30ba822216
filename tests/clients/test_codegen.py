"""Client tools over schema.client.graphql: graphql-js, GraphQL Code Generator, relay-compiler.

The tools are the real npm packages, pinned in package.json. The documents are the ones the
benchmarks send: Relay's page query (which relay-compiler must produce verbatim from the
component docs/clients.md shows) and the billing query.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from bench.scenarios import BILLING_QUERY, RELAY_QUERY
from tests.clients.docs_snippets import workspace
from tests.node_tools import ROOT, node, run_node

CLIENT_SCHEMA = ROOT / "schema.client.graphql"
SUBGRAPH_SCHEMA = ROOT / "schema.graphql"
BUILD_SCHEMA = ROOT / "tests" / "js" / "build_schema.mjs"
CODEGEN = ROOT / "node_modules" / "@graphql-codegen" / "cli" / "cjs" / "bin.js"
RELAY_COMPILER = ROOT / "node_modules" / "relay-compiler" / "cli.js"


def _built(schema: Path) -> dict[str, object]:
    finished = run_node(BUILD_SCHEMA, str(schema), packages=("graphql",))
    assert finished.returncode == 0, finished.stderr
    answer: dict[str, object] = json.loads(finished.stdout)
    return answer


def test_graphql_js_builds_the_client_schema_but_not_the_subgraph_schema() -> None:
    assert _built(CLIENT_SCHEMA)["ok"] is True
    subgraph = _built(SUBGRAPH_SCHEMA)
    # Why the client schema exists: the subgraph's SDL applies directives a router defines.
    assert subgraph["ok"] is False
    assert 'Unknown directive "@link"' in str(subgraph["error"])


def _codegen(tmp_path: Path, documents: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for name, text in documents.items():
        (tmp_path / name).write_text(text)
    config = {
        "schema": str(CLIENT_SCHEMA),
        "documents": [str(tmp_path / name) for name in documents],
        "generates": {f"{tmp_path / 'generated'}/": {"preset": "client"}},
    }
    (tmp_path / "codegen.json").write_text(json.dumps(config))
    # From the project root: codegen resolves its preset from the working directory.
    return subprocess.run(
        [node("@graphql-codegen/cli", "@graphql-codegen/client-preset"), str(CODEGEN),
         "--config", str(tmp_path / "codegen.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )


def test_codegen_types_the_relay_page_and_the_billing_query(tmp_path: Path) -> None:
    finished = _codegen(
        tmp_path, {"page.graphql": RELAY_QUERY, "billing.graphql": BILLING_QUERY}
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    types = (tmp_path / "generated" / "graphql.ts").read_text()
    # Codegen names an operation's type after it, plus its kind (hence "QueryQuery"); the
    # client preset masks the fragment's fields behind a reference.
    assert "export type CustomerListPaginationQueryQuery = { ' $fragmentRefs'" in types
    assert "export type CustomerList_Query_3PfUTlFragment = { customers: { edges: Array<{ " \
        "cursor: string, node: { __typename: 'Customer', id: string, companyProfile: { " \
        "companyName: string | null, domain: string | null } | null } }>, pageInfo: { " \
        "endCursor: string | null, hasNextPage: boolean } } }" in types
    assert "export type CustomerListPaginationQueryQueryVariables = " in types
    assert "export type BillingQuery = { customers: { edges: Array<{ node: { id: string, " \
        "billingProfile: { id: string | null, firstName: string | null, " in types
    assert "export const BillingDocument = " in types


def test_codegen_refuses_a_field_the_schema_lacks(tmp_path: Path) -> None:
    finished = _codegen(tmp_path, {"bad.graphql": "query Bad { customers { total } }"})
    assert finished.returncode != 0
    assert 'Cannot query field "total" on type "CustomerConnection"' in (
        finished.stdout + finished.stderr
    )


def test_relay_compiler_makes_the_page_query_the_benchmarks_send(tmp_path: Path) -> None:
    workspace(tmp_path)  # the Relay sources of docs/clients.md
    config = {"src": "./src", "schema": str(CLIENT_SCHEMA), "language": "javascript"}
    (tmp_path / "relay.config.json").write_text(json.dumps(config))
    finished = subprocess.run(
        [node("relay-compiler"), str(RELAY_COMPILER), "--validate"],
        cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
    )
    # --validate: the artifacts would change, since none exist yet; then write them.
    assert finished.returncode != 0
    finished = subprocess.run(
        [node("relay-compiler"), str(RELAY_COMPILER)],
        cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    artifact = tmp_path / "src" / "__generated__" / "CustomerListPaginationQuery.graphql.js"
    match = re.search(r'"text": ("(?:[^"\\]|\\.)*")', artifact.read_text())
    if match is None:
        pytest.fail(f"no operation text in {artifact.name}")
    assert json.loads(match.group(1)).rstrip("\n") == RELAY_QUERY
