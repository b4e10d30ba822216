"""Fixtures for the emulator tests: emulators served over real HTTP, and raw httpx clients.

The tests talk to the emulator with plain httpx on purpose, never through our REST client:
the emulator must stand on its own, and a bug shared by both would hide in every test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from graphql_api.emulator import Emulator, EmulatorConfig, create_emulator_app
from tests.live_server import live_server

BEARER = {"Authorization": "Bearer test-token"}


@dataclass
class Served:
    """One running emulator: its base URL, live state, and a client that sends a bearer."""

    base: str
    emulator: Emulator
    client: httpx.Client


def body(response: httpx.Response) -> Any:
    """The JSON of a response, tolerating the byte-order mark the emulator may send."""
    return json.loads(response.content.decode("utf-8-sig"))


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    """Start an emulator with the given config (and optional clock); stopped after the test."""
    with ExitStack() as stack:

        def start(config: EmulatorConfig | None = None, **kwargs: Any) -> Served:
            app = create_emulator_app(config or EmulatorConfig(customers=50), **kwargs)
            base = stack.enter_context(live_server(app))
            client = stack.enter_context(
                httpx.Client(base_url=base, headers=BEARER, timeout=10.0)
            )
            return Served(base, app.state.emulator, client)

        yield start


@pytest.fixture(scope="session")
def default_emulator() -> Iterator[Served]:
    """The default 2,000-customer emulator, shared by read-only tests (never change its knobs)."""
    app = create_emulator_app(EmulatorConfig())
    with live_server(app) as base, httpx.Client(base_url=base, headers=BEARER) as client:
        yield Served(base, app.state.emulator, client)
