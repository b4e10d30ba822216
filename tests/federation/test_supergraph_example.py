"""`make supergraph`'s script as a user runs it: this service, the orders subgraph, a gateway."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

import httpx

from tests.node_tools import ROOT, node

RUN = ROOT / "examples" / "supergraph" / "run.py"
AUTH = {"Authorization": "Bearer demo-token-for-the-embedded-emulator"}
ACROSS = """
{
  recentOrders(first: 3) { number customer { id companyProfile { companyName } } }
  customers(first: 3) { nodes { id orders { number } } }
}
"""


def _post(url: str, query: str) -> Any:
    response = httpx.post(url, json={"query": query}, headers=AUTH, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_example_supergraph_answers_across_both_subgraphs_and_stops_whole() -> None:
    node("@apollo/gateway", "@apollo/server", "@apollo/subgraph")
    process = subprocess.Popen(
        [sys.executable, str(RUN), "--port", "0", "--orders-port", "0", "--service-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed = [process.stdout.readline() for _ in range(4)]
        gateway = printed[0].split()[2]
        service = printed[1].split()[2]
        orders = printed[2].split()[2]
        answer = _post(gateway, ACROSS)
        names = {
            node["id"]: node["companyProfile"]["companyName"]
            for node in _post(
                service, "{ customers(first: 3) { nodes { id companyProfile { companyName } } } }"
            )["data"]["customers"]["nodes"]
        }
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert printed[0].startswith("supergraph gateway: http://127.0.0.1:")
    assert "errors" not in answer, answer
    data = answer["data"]
    # Orders (the orders subgraph) reach company names (this service) through the gateway...
    assert [o["number"] for o in data["recentOrders"]] == ["SO-1001", "SO-1002", "SO-1003"]
    for order in data["recentOrders"]:
        assert order["customer"]["companyProfile"]["companyName"] == names[order["customer"]["id"]]
    # ...and customers (this service) reach their orders (the orders subgraph).
    by_id = {c["id"]: [o["number"] for o in c["orders"]] for c in data["customers"]["nodes"]}
    first, second, third = list(names)
    assert by_id == {
        first: ["SO-1001", "SO-1003", "SO-1006"],
        second: ["SO-1002", "SO-1005"],
        third: ["SO-1004"],
    }
    assert code == 0
    for url in (gateway, service, orders):
        try:
            httpx.get(url, timeout=2)
        except httpx.TransportError:
            continue
        raise AssertionError(f"{url} still answers after the supergraph stopped")
