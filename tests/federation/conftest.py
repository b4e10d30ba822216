"""Fixtures for the federation tests: emulator, this service, the orders subgraph and a gateway.

Everything listens on 127.0.0.1: the emulator and the service under uvicorn in threads
(tests/live_server.py), the orders subgraph and the Apollo gateway as Node processes. They
are started once per module; each test starts from zeroed emulator counters and default knobs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphql_api.config import Settings
from graphql_api.emulator import Emulator, EmulatorConfig, create_emulator_app
from graphql_api.emulator.data import Customer as EmulatedCustomer
from graphql_api.web.app import create_app
from tests.live_server import live_server
from tests.node_tools import node_server

# The example supergraph's orders subgraph and gateway (`make supergraph` runs them too).
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "supergraph"
# The npm packages the orders subgraph and the gateway import.
APOLLO_PACKAGES = ("@apollo/server", "@apollo/subgraph", "@apollo/gateway")
AUTH = {"Authorization": "Bearer federation-tests-token"}
CUSTOMERS = 120
# Customers (by position upstream) the orders subgraph's slots 0, 1, 2 refer to.
ORDER_CUSTOMER_POSITIONS = (7, 31, 58)


@dataclass
class Subgraph:
    """This service in front of an emulator, and the emulator's live state."""

    emulator: Emulator
    service_url: str
    defaults: dict[str, Any]

    @property
    def customers(self) -> list[EmulatedCustomer]:
        """The emulator's customers, in upstream order."""
        return list(self.emulator.dataset.customers)

    def calls(self) -> dict[str, Any]:
        """The emulator's call counts since the test started (per route, total, in flight)."""
        return self.emulator.stats.snapshot()

    def reset(self) -> None:
        """Default knobs and zeroed counters."""
        self.emulator.configure(**self.defaults)
        self.emulator.stats.reset()


@dataclass
class Stack(Subgraph):
    """The subgraph plus the orders subgraph and a gateway over both."""

    orders_url: str
    gateway_url: str

    @property
    def order_customers(self) -> list[EmulatedCustomer]:
        """The customers the orders subgraph's slots 0, 1 and 2 name."""
        return [self.customers[i] for i in ORDER_CUSTOMER_POSITIONS]


def post(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST a GraphQL operation with the test bearer token; the decoded JSON answer."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = httpx.post(url, json=body, headers=AUTH, timeout=60)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture(scope="module")
def subgraph() -> Iterator[Subgraph]:
    """The emulator and this service, shared by a module's tests."""
    emulator_app = create_emulator_app(EmulatorConfig(customers=CUSTOMERS, seed=23))
    emulator: Emulator = emulator_app.state.emulator
    with live_server(emulator_app) as emulator_url:
        # The tests count each operation's own calls: no answers shared between operations.
        settings = Settings.from_env(
            {
                "PARTNER_CENTER_URL": emulator_url,
                "GRAPHIQL": "false",
                "CACHE_TTL_SECONDS": "0",
                "UPSTREAM_RATE_PER_MINUTE": "0",
            }
        )
        with live_server(create_app(settings)) as service_base:
            yield Subgraph(emulator, f"{service_base}/graphql", emulator.config.knobs())


@pytest.fixture(scope="module")
def stack(subgraph: Subgraph) -> Iterator[Stack]:
    """The subgraph, the orders subgraph and a gateway over both, shared by a module's tests."""
    ids = [subgraph.customers[i].id for i in ORDER_CUSTOMER_POSITIONS]
    orders_env = {"ORDERS_CUSTOMER_IDS": json.dumps(ids)}
    orders_script = EXAMPLE / "orders-subgraph.mjs"
    with node_server(orders_script, packages=APOLLO_PACKAGES, env=orders_env) as orders:
        gateway_args = (f"customers={subgraph.service_url}", f"orders={orders}")
        gateway_script = EXAMPLE / "gateway.mjs"
        with node_server(gateway_script, *gateway_args, packages=APOLLO_PACKAGES) as gateway:
            yield Stack(
                subgraph.emulator, subgraph.service_url, subgraph.defaults, orders, gateway
            )


@pytest.fixture
def fresh_subgraph(subgraph: Subgraph) -> Subgraph:
    """The module's subgraph with zeroed emulator counters and default knobs."""
    subgraph.reset()
    return subgraph


@pytest.fixture
def fresh(stack: Stack) -> Stack:
    """The module's stack with zeroed emulator counters and default knobs."""
    stack.reset()
    return stack
