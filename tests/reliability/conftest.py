"""Fixtures for the reliability suite: the emulator and the façade as real subprocesses.

The façade runs as `graphql-api serve --upstream URL` (its own process, so its RSS is read
from /proc), in front of `graphql-api emulator`; both bind 127.0.0.1 on free ports and live
for the whole session. Each test starts from the emulator's default knobs and zeroed
counters. `RELIABILITY_SECONDS` stretches the load test (5 s unless set; `make reliability`
runs 30 s), `RELIABILITY_FUZZ_EXAMPLES` the fuzzing.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bench.processes import (
    BEARER,
    EmulatorControl,
    Server,
    emulator_process,
    service_process,
)
from graphql_api.schema.errors import ErrorCode
from tests.reliability.tally import TALLY, Tally

CUSTOMERS = 2000
LOAD_SECONDS = float(os.environ.get("RELIABILITY_SECONDS", "5"))
FUZZ_EXAMPLES = int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "100"))

# Quick retries, so that injected 5xx and 429 cost little wall time; the rest as deployed.
SERVICE_ENV = {
    "LOG_LEVEL": "WARNING",
    "UPSTREAM_RETRY_BACKOFF_INITIAL": "0.05",
    "UPSTREAM_RETRY_BACKOFF_MAX": "0.2",
    "UPSTREAM_RETRY_AFTER_CAP": "5",
    "UPSTREAM_CALL_TIMEOUT": "20",
    "UPSTREAM_READ_TIMEOUT": "10",
}

# Every code a caller may see: the schema's typed errors and the HTTP layer's refusals.
REQUEST_CODES = frozenset(
    {
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_REQUEST",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "METHOD_NOT_ALLOWED",
    }
)
TYPED_CODES = frozenset(code.value for code in ErrorCode) | REQUEST_CODES
MASKED = ErrorCode.INTERNAL_SERVER_ERROR.value


@dataclass
class Stack:
    """The running pair: the façade, the emulator, and the emulator's knobs and counters."""

    service: Server
    emulator: Server
    upstream: EmulatorControl

    @property
    def graphql_url(self) -> str:
        """The façade's GraphQL endpoint."""
        return f"{self.service.url}/graphql"


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The emulator and the façade as subprocesses, for the whole session."""
    with emulator_process(customers=CUSTOMERS) as emulator, service_process(
        emulator.url, env=SERVICE_ENV
    ) as service:
        control = EmulatorControl(emulator.url)
        try:
            yield Stack(service, emulator, control)
        finally:
            control.close()


@pytest.fixture
def live(stack: Stack) -> Iterator[Stack]:
    """The stack with default knobs and zeroed counters, restored after the test."""
    stack.upstream.restore()
    stack.upstream.reset_stats()
    yield stack
    stack.upstream.restore()


@pytest.fixture
def tally() -> Tally:
    """The session's totals."""
    return TALLY


@pytest.fixture
async def client(live: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """An async client for the façade, with a bearer token and a bound on every request."""
    async with httpx.AsyncClient(
        base_url=live.service.url, headers={"Authorization": BEARER}, timeout=30.0
    ) as http:
        yield http


def error_codes(document: Any) -> list[str]:
    """`extensions.code` of each error of a GraphQL response body ("" when absent)."""
    codes: list[str] = []
    for error in (document or {}).get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        codes.append(code if isinstance(code, str) else "")
    return codes


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    tally: Tally | None = None,
) -> tuple[int, Any]:
    """POST one operation; returns the status and the JSON body (counted in `tally`)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    document = response.json()
    if tally is not None:
        tally.record(response.status_code, error_codes(document))
    return response.status_code, document


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the run's totals when any reliability test ran."""
    if TALLY.requests == 0 and TALLY.fuzz_cases == 0 and TALLY.property_examples == 0:
        return
    terminalreporter.section("reliability totals")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
