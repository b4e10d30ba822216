"""`@defer` read by the real clients from npm: Apollo Client 4 (both of its incremental
handlers) and relay-runtime with a query compiled by relay-compiler."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graphql_api.config import Settings
from graphql_api.emulator import EmulatorConfig, create_emulator_app
from graphql_api.schema import create_schema, print_sdl
from graphql_api.web.app import create_app
from tests.live_server import live_server
from tests.node_tools import ROOT, run_node

JS = ROOT / "tests" / "js"
CUSTOMERS = 12


@pytest.fixture(scope="module")
def graphql_url() -> Iterator[str]:
    # A little latency, so that the billing profiles arrive over several parts.
    emulator = create_emulator_app(EmulatorConfig(customers=20, seed=29, latency_ms=20))
    with live_server(emulator) as upstream:
        settings = Settings.from_env({"PARTNER_CENTER_URL": upstream, "CACHE_TTL_SECONDS": "0"})
        with live_server(create_app(settings)) as base:
            yield f"{base}/graphql"


def _json_line(finished: Any) -> dict[str, Any]:
    assert finished.returncode == 0, finished.stderr
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


@pytest.mark.parametrize(
    ("handler", "accept"),
    [
        ("alpha9", "multipart/mixed;incrementalSpec=v0.2"),
        ("defer2022", "multipart/mixed;deferSpec=20220824"),
    ],
)
def test_apollo_client_gets_the_list_first_and_caches_what_the_plain_query_caches(
    graphql_url: str, handler: str, accept: str
) -> None:
    out = _json_line(
        run_node(JS / "defer_apollo.mjs", graphql_url, handler, packages=("@apollo/client",))
    )
    assert out["accept"].startswith(accept)
    results = out["results"]
    assert results[0] == {
        "dataState": "streaming", "nodes": CUSTOMERS, "withBilling": 0, "error": None
    }
    assert results[-1] == {
        "dataState": "complete", "nodes": CUSTOMERS, "withBilling": CUSTOMERS, "error": None
    }
    assert len(results) > 2, "the billing profiles came over several parts"
    assert out["deferredCache"] == out["plainCache"]
    assert len(out["plainCache"]) > CUSTOMERS


def test_relay_runtime_stores_the_deferred_query_as_the_plain_one(
    graphql_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(JS / "relay" / "Dashboard.js", source / "Dashboard.js")
    (tmp_path / "schema.graphql").write_text(print_sdl(create_schema(Settings())))
    (tmp_path / "relay.config.json").write_text(
        json.dumps({"src": "./src", "schema": "./schema.graphql", "language": "javascript"})
    )
    compiled = run_node(
        ROOT / "node_modules" / "relay-compiler" / "cli.js", packages=("relay-compiler",),
        cwd=tmp_path,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    generated = source / "__generated__"
    assert '@defer(label: \\"DashboardQuery$defer$Dashboard_billing\\")' in (
        generated / "DashboardQuery.graphql.js"
    ).read_text()
    out = _json_line(
        run_node(
            JS / "defer_relay.mjs", graphql_url, str(generated), packages=("relay-runtime",)
        )
    )
    # A payload per part: the list with no billing profile, then one profile after another.
    assert out["seen"][0] == 0
    assert out["seen"][-1] == CUSTOMERS
    assert out["seen"] == sorted(out["seen"])
    assert len(out["seen"]) > 2
    assert out["deferredStore"] == out["plainStore"]
    billing = [r for r in out["plainStore"].values() if r.get("__typename") == "BillingProfile"]
    assert len(billing) == CUSTOMERS
