"""Checks run by npm packages against a live service: graphql-http's audit, GraphiQL in Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from graphql_api.config import Settings
from graphql_api.web.app import create_app
from tests.live_server import free_port, live_server
from tests.node_tools import ROOT, chromium, run_node
from tests.web.conftest import AUTH

DEMO_TOKEN = "demo-token-for-the-browser-test"
JS = ROOT / "tests" / "js"


@pytest.fixture(scope="module")
def demo_service(emulator_url: str) -> Iterator[str]:
    """The service as `make serve` runs it: emulator upstream, GraphiQL with a demo token."""
    settings = Settings.from_env(
        {"PARTNER_CENTER_URL": emulator_url, "GRAPHIQL_DEMO_TOKEN": DEMO_TOKEN}
    )
    with live_server(create_app(settings)) as base:
        yield base


def test_graphql_http_audit_passes_every_must(demo_service: str) -> None:
    finished = run_node(JS / "audit.mjs", f"{demo_service}/graphql", packages=("graphql-http",))
    print(finished.stdout, finished.stderr)
    results = [json.loads(line) for line in finished.stdout.splitlines()]
    assert len(results) > 50, finished.stderr
    failed_musts = [r for r in results if r["name"].startswith("MUST") and r["status"] != "ok"]
    assert failed_musts == []
    assert finished.returncode == 0, finished.stderr


def test_graphql_http_audit_has_no_warnings_or_errors(demo_service: str) -> None:
    finished = run_node(JS / "audit.mjs", f"{demo_service}/graphql", packages=("graphql-http",))
    results = [json.loads(line) for line in finished.stdout.splitlines()]
    # An empty report (the audit never ran) must not pass as "no warnings".
    assert len(results) > 50, finished.stderr
    not_ok = [r for r in results if r["status"] != "ok"]
    assert not_ok == []


def test_graphiql_in_chromium_runs_the_customers_query_offline(demo_service: str) -> None:
    chromium()
    expected = httpx.post(
        f"{demo_service}/graphql",
        json={"query": "{ customers(first: 1) { nodes { companyProfile { companyName } } } }"},
        headers=AUTH,
    ).json()["data"]["customers"]["nodes"][0]["companyProfile"]["companyName"]

    finished = run_node(
        JS / "graphiql_browser.mjs", f"{demo_service}/graphql", packages=("playwright-core",)
    )
    print(finished.stdout[-3000:], finished.stderr[-3000:])
    assert finished.returncode == 0, finished.stderr
    seen = json.loads(finished.stdout)

    assert seen["answer"]["status"] == 200
    result = seen["answer"]["body"]
    assert "errors" not in result
    first = result["data"]["customers"]["edges"][0]["node"]
    assert first["companyProfile"]["companyName"] == expected
    assert expected in seen["shown"]
    assert DEMO_TOKEN in seen["headersEditor"]
    assert seen["consoleErrors"] == []
    hosts = {urlsplit(url).hostname for url in seen["requests"]}
    assert hosts == {"127.0.0.1"}, seen["requests"]


def test_a_frontend_on_another_origin_sends_trace_and_client_headers_from_chromium(
    emulator_url: str,
) -> None:
    chromium()
    frontend_port = free_port()
    frontend = f"http://127.0.0.1:{frontend_port}"
    settings = Settings.from_env(
        {
            "PARTNER_CENTER_URL": emulator_url,
            "CORS_ORIGINS": frontend,
            "CORS_ALLOW_HEADERS": "X-Frontend-Build",
        }
    )
    with live_server(create_app(settings)) as base:
        finished = run_node(
            JS / "cors_browser.mjs", f"{base}/graphql", "cors-test-token", str(frontend_port),
            packages=("playwright-core",),
        )
    print(finished.stdout[-3000:], finished.stderr[-3000:])
    assert finished.returncode == 0, finished.stderr
    seen = json.loads(finished.stdout)
    assert seen["origin"] == frontend
    for name in ("tracing_and_client_awareness", "configured_extra"):
        call = seen["calls"][name]
        assert call["ok"] is True, call
        assert call["status"] == 200
        assert len(call["body"]["data"]["customers"]["nodes"]) == 2
    refused = seen["calls"]["not_allowed"]
    assert refused["ok"] is False
    assert "Failed to fetch" in refused["error"]
