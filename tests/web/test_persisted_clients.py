"""The real clients' persisted documents against the served service.

relay-compiler writes its persisted output, which feeds the manifest, and a request by its
`doc_id` runs; `@apollo/generate-persisted-query-manifest` writes an Apollo manifest over a
small client's operations, and Apollo Client 4 with `@apollo/persisted-query-lists` runs them
by id; Apollo Client's APQ link meets a fresh service (a miss, a registration, a hit) and a
second replica sharing a real redis-server (a hit).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_emulator import LiveEmulator, serve_emulator
from tests.live_service import live_service
from tests.node_tools import ROOT, node, run_node
from tests.redis_server import redis_server

CLIENT = Path(__file__).with_name("persisted_client.mjs")
APOLLO_PACKAGES = ("@apollo/client", "@apollo/persisted-query-lists", "rxjs")
RELAY_PAGE = """
import { graphql } from "relay-runtime";

export const page = graphql`
  query PersistedPageQuery($first: Int) {
    customers(first: $first) {
      edges { cursor node { id companyProfile { companyName domain } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
"""
CUSTOMER_NAMES = """query CustomerNames($first: Int) {
  customers(first: $first) { nodes { id companyProfile { companyName } } }
}
"""
FIRST_PAGE = """query FirstPage($first: Int) {
  customers(first: $first) { edges { node { ...Listed } } pageInfo { hasNextPage } }
}

fragment Listed on Customer { id relationshipToPartner }
"""


@pytest.fixture(scope="module")
def emulator() -> Iterator[LiveEmulator]:
    yield from serve_emulator(customers=30, seed=21)


@contextmanager
def service(emulator: LiveEmulator, env: Mapping[str, str] | None = None) -> Iterator[httpx.Client]:
    with live_service({"PARTNER_CENTER_URL": emulator.url, **(env or {})}) as client:
        yield client


def tool(package: str, *args: str, cwd: Path) -> None:
    """Run an npm package's command-line tool, as its `npx` would."""
    manifest = json.loads((ROOT / "node_modules" / package / "package.json").read_text())
    command = manifest["bin"]
    script = command if isinstance(command, str) else next(iter(command.values()))
    finished = subprocess.run(
        [node(package), str(ROOT / "node_modules" / package / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def event(client: httpx.Client, name: str) -> float:
    prefix = f'graphql_persisted_documents_total{{event="{name}"}} '
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


def apollo_client(*args: str) -> dict[str, Any]:
    finished = run_node(CLIENT, *args, packages=APOLLO_PACKAGES)
    assert finished.returncode == 0, finished.stderr
    output: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return output


def test_relay_compiler_persisted_output_runs_by_doc_id(
    emulator: LiveEmulator, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Page.js").write_text(RELAY_PAGE)
    # The SDL `graphql-api schema` prints, checked in, as a frontend's build reads it.
    (tmp_path / "schema.graphql").write_text((ROOT / "schema.graphql").read_text())
    (tmp_path / "persisted.json").write_text("{}")
    config = {
        "src": "./src",
        "schema": "./schema.graphql",
        "language": "javascript",
        "persistConfig": {"file": "./persisted.json", "algorithm": "MD5"},
    }
    (tmp_path / "relay.config.json").write_text(json.dumps(config))
    tool("relay-compiler", cwd=tmp_path)
    persisted = json.loads((tmp_path / "persisted.json").read_text())
    artifact = (tmp_path / "src" / "__generated__" / "PersistedPageQuery.graphql.js").read_text()
    (doc_id,) = persisted
    # The id the compiled artifact sends is the one the persisted output holds.
    assert f'"id": "{doc_id}"' in artifact
    env = {
        "GRAPHQL_PERSISTED_DOCUMENTS": str(tmp_path / "persisted.json"),
        "GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true",
    }
    with service(emulator, env) as client:
        body = {"doc_id": doc_id, "variables": {"first": 4}}
        answer = client.post("/graphql", json=body, headers={"Authorization": "Bearer relay"})
        by_get = client.get(
            "/graphql",
            params={"doc_id": doc_id, "variables": json.dumps({"first": 4})},
            headers={"Authorization": "Bearer relay"},
        )
        metrics = client.get("/metrics").text
    edges = answer.json()["data"]["customers"]["edges"]
    assert len(edges) == 4
    assert edges[0]["node"]["companyProfile"]["companyName"]
    assert by_get.json() == answer.json()
    assert by_get.headers["cache-control"].startswith("private, max-age=")
    assert 'graphql_requests_total{operation="PersistedPageQuery",outcome="ok"} 2.0' in metrics


def test_apollo_manifest_and_persisted_query_lists_run_by_id(
    emulator: LiveEmulator, tmp_path: Path
) -> None:
    (tmp_path / "src").mkdir()
    names = tmp_path / "src" / "names.graphql"
    names.write_text(CUSTOMER_NAMES)
    first_page = tmp_path / "src" / "first-page.graphql"
    first_page.write_text(FIRST_PAGE)
    config = {"documents": ["src/**/*.graphql"], "output": "persisted-query-manifest.json"}
    (tmp_path / "persisted-query-manifest.config.json").write_text(json.dumps(config))
    tool(
        "@apollo/generate-persisted-query-manifest",
        "--config",
        "persisted-query-manifest.config.json",
        cwd=tmp_path,
    )
    manifest = tmp_path / "persisted-query-manifest.json"
    names_in_manifest = {op["name"] for op in json.loads(manifest.read_text())["operations"]}
    assert names_in_manifest == {"CustomerNames", "FirstPage"}
    env = {
        "GRAPHQL_PERSISTED_DOCUMENTS": str(manifest),
        "GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true",
    }
    with service(emulator, env) as client:
        url = str(client.base_url.join("/graphql"))
        output = apollo_client("manifest", url, str(manifest), str(names), str(first_page))
        hits, refused = event(client, "persisted_hit"), event(client, "trusted_refused")
    assert output["errors"] == []
    names_result, page_result = output["results"]
    assert len(names_result["customers"]["nodes"]) == 2
    assert page_result["customers"]["edges"][0]["node"]["relationshipToPartner"]
    # Every request went by id (trusted mode would have refused a text).
    assert (hits, refused) == (2, 0)


@pytest.mark.parametrize("method", ["post", "get"])
def test_apq_link_misses_registers_then_hits_on_a_fresh_service(
    emulator: LiveEmulator, method: str
) -> None:
    with service(emulator) as client:
        output = apollo_client("apq", str(client.base_url.join("/graphql")), "3", method)
        counts = [event(client, name) for name in ("apq_miss", "apq_registered", "apq_hit")]
    assert output["errors"] == []
    assert [len(result["customers"]["nodes"]) for result in output["results"]] == [2, 2, 2]
    assert counts == [1, 1, 2]


def test_apq_registered_on_one_replica_is_a_hit_on_another_sharing_redis(
    emulator: LiveEmulator,
) -> None:
    with redis_server() as redis:
        env = {"REDIS_URL": redis.url}
        with service(emulator, env) as first, service(emulator, env) as second:
            registered = apollo_client("apq", str(first.base_url.join("/graphql")), "1")
            elsewhere = apollo_client("apq", str(second.base_url.join("/graphql")), "1")
            first_counts = [event(first, n) for n in ("apq_miss", "apq_registered")]
            second_counts = [event(second, n) for n in ("apq_miss", "apq_hit")]
    assert registered["errors"] == elsewhere["errors"] == []
    assert elsewhere["results"] == registered["results"]
    assert first_counts == [1, 1]
    assert second_counts == [0, 1]
