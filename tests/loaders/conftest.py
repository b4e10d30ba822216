"""Fixtures for the loader tests: the emulator and the service, both over real HTTP.

Every operation goes through the real app (`create_app`) under uvicorn, which calls the
emulator under uvicorn; upstream calls are counted by the emulator's own stats.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from graphql_api.web.app import create_app
from tests.live_emulator import LiveEmulator, serve_emulator
from tests.live_server import live_server
from tests.schema.conftest import settings_for

CUSTOMERS = 150
# The in-flight cap of the service under test: small, so a 100-key batch runs many rounds.
CAP = 8
TOKEN = "Bearer loader-tests-token"
# A Retry-After longer than this fails the call at once as THROTTLED, with no wait.
NO_RETRY_WAITS = {"retry_after_cap": 0.5}


@dataclass
class Service:
    """The service under test, and a way to run operations on it."""

    url: str
    http: httpx.Client

    def run(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str = TOKEN
    ) -> dict[str, Any]:
        """POST an operation; the GraphQL response (data and errors)."""
        response = self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": token, "Accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@contextmanager
def serve(
    upstream_url: str, *, upstream: dict[str, Any] | None = None, **schema: Any
) -> Iterator[Service]:
    """The app over `upstream_url`, with an in-flight cap of CAP unless `upstream` says."""
    settings = settings_for(
        upstream_url, upstream={"max_in_flight": CAP, **NO_RETRY_WAITS, **(upstream or {})},
        **schema,
    )
    with live_server(create_app(settings)) as url, httpx.Client(base_url=url) as http:
        yield Service(url, http)


@pytest.fixture(scope="session")
def loader_emulator() -> Iterator[LiveEmulator]:
    """An emulator with CUSTOMERS customers, shared by the loader tests (reset per test)."""
    yield from serve_emulator(CUSTOMERS, seed=23)


@pytest.fixture
def emulator(loader_emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    """The emulator, with default knobs and zero counters before and after the test."""
    loader_emulator.reset()
    yield loader_emulator
    loader_emulator.reset()


@pytest.fixture(scope="session")
def service(loader_emulator: LiveEmulator) -> Iterator[Service]:
    """The service with the test settings, shared by the loader tests."""
    with serve(loader_emulator.url) as running:
        yield running


def calls(emulator: LiveEmulator) -> dict[str, Any]:
    """The emulator's counters: calls per route, `total`, `max_in_flight`..."""
    return emulator.state.stats.snapshot()
