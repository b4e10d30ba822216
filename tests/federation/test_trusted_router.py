"""Trusted mode behind a real Apollo gateway: the router's own operations pass with its secret.

The gateway composes from this subgraph's `_service { sdl }` and sends `_entities` operations
it writes per query plan; neither can be in a manifest, so the gateway sends the bypass
secret in `Trusted-Documents-Bypass`, as a router's header configuration would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from graphql_api.config import Settings
from graphql_api.emulator import Emulator, EmulatorConfig, create_emulator_app
from graphql_api.web.app import create_app
from tests.federation.conftest import (
    APOLLO_PACKAGES,
    AUTH,
    CUSTOMERS,
    EXAMPLE,
    ORDER_CUSTOMER_POSITIONS,
    post,
)
from tests.live_server import live_server
from tests.node_tools import node_server

SECRET = "router-bypass-secret-0123456789"
PERSISTED = "query Listed { customers(first: 2) { nodes { id } } }"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Emulator]]:
    """(gateway URL, subgraph URL, emulator): the subgraph in trusted mode, the gateway
    sending the bypass secret."""
    manifest: Path = tmp_path_factory.mktemp("trusted") / "relay.json"
    manifest.write_text(json.dumps({"listed": PERSISTED}))
    emulator_app = create_emulator_app(EmulatorConfig(customers=CUSTOMERS, seed=23))
    emulator: Emulator = emulator_app.state.emulator
    with live_server(emulator_app) as emulator_url:
        settings = Settings.from_env(
            {
                "PARTNER_CENTER_URL": emulator_url,
                "GRAPHQL_PERSISTED_DOCUMENTS": str(manifest),
                "GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true",
                "GRAPHQL_TRUSTED_BYPASS_SECRET": SECRET,
            }
        )
        with live_server(create_app(settings)) as base:
            customers = list(emulator.dataset.customers)
            ids = [customers[i].id for i in ORDER_CUSTOMER_POSITIONS]
            orders_env = {"ORDERS_CUSTOMER_IDS": json.dumps(ids)}
            with node_server(
                EXAMPLE / "orders-subgraph.mjs", packages=APOLLO_PACKAGES, env=orders_env
            ) as orders, node_server(
                EXAMPLE / "gateway.mjs",
                f"customers={base}/graphql",
                f"orders={orders}",
                packages=APOLLO_PACKAGES,
                env={"SUBGRAPH_HEADERS": json.dumps({"Trusted-Documents-Bypass": SECRET})},
            ) as gateway_url:
                yield gateway_url, f"{base}/graphql", emulator


def test_the_gateway_composes_and_resolves_entities_with_the_secret(
    gateway: tuple[str, str, Emulator],
) -> None:
    gateway_url, _, emulator = gateway
    answer = post(gateway_url, "{ recentOrders(first: 3) { number customer { id commerceId } } }")
    assert "errors" not in answer
    customers = list(emulator.dataset.customers)
    owners = [order["customer"]["id"] for order in answer["data"]["recentOrders"]]
    assert owners == [customers[i].id for i in (7, 31, 7)]


def test_the_subgraph_still_refuses_text_without_the_secret(
    gateway: tuple[str, str, Emulator],
) -> None:
    _, subgraph_url, _ = gateway
    refused = httpx.post(subgraph_url, json={"query": "{ _service { sdl } }"}, headers=AUTH)
    by_id = httpx.post(subgraph_url, json={"doc_id": "listed"}, headers=AUTH)
    assert refused.json()["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    assert len(by_id.json()["data"]["customers"]["nodes"]) == 2
