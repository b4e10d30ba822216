"""Fixtures for the HTTP layer's tests: the emulator and the service, both over real HTTP."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

import httpx
import pytest

from graphql_api.emulator import EmulatorConfig, create_emulator_app
from graphql_api.observability.logging_setup import configure_logging
from tests.live_server import live_server
from tests.live_service import live_service

# The emulator accepts any bearer token unless told to check them.
AUTH = {"Authorization": "Bearer test-token"}
JSON_POST = {"Content-Type": "application/json"}

ServiceFactory = Callable[..., AbstractContextManager[httpx.Client]]


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    """A small deterministic emulator, shared by a module's tests (they only read from it)."""
    with live_server(create_emulator_app(EmulatorConfig(customers=40, seed=5))) as url:
        yield url


@pytest.fixture
def make_service(emulator_url: str) -> ServiceFactory:
    """Start the service with extra environment settings; yields a client bound to it."""

    @contextmanager
    def start(env: Mapping[str, str] | None = None) -> Iterator[httpx.Client]:
        with live_service({"PARTNER_CENTER_URL": emulator_url, **(env or {})}) as client:
            yield client

    return start


@pytest.fixture(scope="module")
def service(emulator_url: str) -> Iterator[httpx.Client]:
    """The service with default settings, shared by a module's tests."""
    with live_service({"PARTNER_CENTER_URL": emulator_url}) as client:
        yield client


def graphql(
    client: httpx.Client,
    query: str,
    *,
    variables: Mapping[str, object] | None = None,
    accept: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST a GraphQL request with the test bearer token."""
    sent = {**AUTH, **(headers or {})}
    if accept is not None:
        sent["Accept"] = accept
    body: dict[str, object] = {"query": query}
    if variables is not None:
        body["variables"] = dict(variables)
    return client.post("/graphql", json=body, headers=sent)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Every log record of the process, as our JSON handler writes it."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
