"""Fuzzing `/graphql` with schemathesis: operations generated from the live schema.

Schemathesis reads the schema by introspection and, for each root field (customers,
customer, node), generates valid operations with random arguments and selections. Each is
sent to the running façade (over the emulator, no faults) and must come back as JSON with
no 5xx, no masked INTERNAL_SERVER_ERROR, and a typed code on every error; the per-request
timeout turns a hang into a failure. CI runs RELIABILITY_FUZZ_EXAMPLES (100) per root field,
derandomized so the cases repeat; a longer run (`make reliability`) explores at random.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from bench.processes import BEARER
from tests.reliability.conftest import FUZZ_EXAMPLES, MASKED, TYPED_CODES, Stack, error_codes
from tests.reliability.tally import Tally

REQUEST_TIMEOUT = 10.0
RANDOM = "RELIABILITY_SECONDS" in os.environ


def _document(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _check(status: int, document: Any) -> list[str]:
    """What is wrong with one answer (empty when nothing is)."""
    problems: list[str] = []
    if status >= 500:
        problems.append(f"status {status}")
    if not isinstance(document, dict):
        return [*problems, "body is not a JSON object"]
    codes = error_codes(document)
    if MASKED in codes:
        problems.append("a masked internal error")
    untyped = [code for code in codes if code not in TYPED_CODES]
    if untyped:
        problems.append(f"untyped error codes {untyped}")
    return problems


def test_generated_operations_get_typed_answers_without_5xx(live: Stack, tally: Tally) -> None:
    schema = schemathesis.graphql.from_url(live.graphql_url, timeout=REQUEST_TIMEOUT)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert {operation.label for operation in operations} >= {
        "Query.customers",
        "Query.customer",
        "Query.node",
    }
    session = requests.Session()
    session.headers["Authorization"] = BEARER
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not RANDOM,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(session=session, timeout=REQUEST_TIMEOUT)
            document = _document(response.content)
            tally.fuzz_cases += 1
            tally.record(response.status_code, error_codes(document))
            problems = _check(response.status_code, document)
            if problems:
                failures.append(f"{case.body!r}: {', '.join(problems)}")

        run()

    session.close()
    assert not failures, "\n".join(failures[:20])


@pytest.fixture(autouse=True)
def _quiet_schemathesis_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    # Schemathesis looks for a schemathesis.toml from the working directory up; run from an
    # empty directory so that no stray configuration changes what is generated.
    monkeypatch.chdir(tmp_path)
