"""Run an ASGI app under a real uvicorn server on a free loopback port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from graphql_api.config import ServerSettings
from graphql_api.web.connection_guard import ConnectionLimits, guarded_protocol_class


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(app: ASGIApp, *, port: int | None = None, **uvicorn_options: Any) -> Iterator[str]:
    """Serve `app` over real HTTP for the duration of the block; yields its base URL.

    Extra keywords go to `uvicorn.Config`; with `ssl_certfile` the server speaks https.
    """
    port = port or free_port()
    # The HTTP protocol `graphql-api serve` runs (default limits), unless a test names another.
    if "http" not in uvicorn_options:
        uvicorn_options["http"] = guarded_protocol_class(ConnectionLimits.of(ServerSettings()))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="auto", **uvicorn_options
    )
    scheme = "https" if uvicorn_options.get("ssl_certfile") else "http"
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.01)
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
