"""docs/clients.md's Apollo Client and Relay snippets, run against a live service.

Each snippet is copied out of the page (tests/clients/docs_snippets.py) and driven by a node
script beside it, with the real npm packages: paging by `search` into one cached list, a
customer refetched through `node`, a FORBIDDEN read by its code, and an operation answered
THROTTLED retried after its `retryAfter`. A second service over the same emulator keeps a
budget of one call a second with no wait and no cache, so a second call in a row is THROTTLED.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graphql_api.config import Settings
from graphql_api.web.app import create_app
from tests.clients.docs_snippets import snippets, workspace
from tests.live_emulator import LiveEmulator, serve_emulator
from tests.live_server import live_server
from tests.node_tools import ROOT, node

HERE = Path(__file__).resolve().parent
SCHEMA = ROOT / "schema.client.graphql"
RELAY_COMPILER = ROOT / "node_modules" / "relay-compiler" / "cli.js"
TIGHT_BUDGET = {
    "UPSTREAM_RATE_PER_MINUTE": "60",
    "UPSTREAM_RATE_BURST": "1",
    # One caller here: its share of the bucket is the whole of it.
    "UPSTREAM_RATE_CALLER_SHARE": "1",
    "UPSTREAM_RATE_MAX_WAIT": "0",
    "CACHE_TTL_SECONDS": "0",
    "CACHE_STALE_SECONDS": "0",
}


@dataclass(frozen=True)
class Rig:
    url: str
    throttled_url: str
    forbidden_id: str
    emulator: LiveEmulator


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    for emulator in serve_emulator(customers=40, seed=5):
        forbidden = emulator.customers[-1].id
        emulator.state.configure(customer_faults={forbidden: 403})
        normal = create_app(Settings.from_env({"PARTNER_CENTER_URL": emulator.url}))
        tight = create_app(Settings.from_env({"PARTNER_CENTER_URL": emulator.url, **TIGHT_BUDGET}))
        with live_server(normal) as base, live_server(tight) as tight_base:
            yield Rig(f"{base}/graphql", f"{tight_base}/graphql", forbidden, emulator)


def _run(script: str, directory: Path, *args: str, packages: tuple[str, ...]) -> Any:
    finished = subprocess.run(
        [node(*packages), script, *args],
        cwd=directory, capture_output=True, text=True, timeout=180, check=False,
    )
    print(finished.stdout[-3000:], finished.stderr[-3000:])
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.splitlines()[-1])


def _retried_after_throttling(retries: list[list[Any]], operation: str) -> None:
    # How many retries the budget takes depends on its refill; that each waited the whole
    # seconds THROTTLED named, and that the operation then answered (checked by the
    # caller), does not.
    assert retries, "no operation was THROTTLED and retried"
    for name, seconds in retries:
        assert name == operation
        assert isinstance(seconds, int)
        assert seconds >= 1


def test_the_page_has_the_snippets_the_tests_run() -> None:
    assert set(snippets()) == {
        "apollo-client.mjs",
        "apollo-operations.mjs",
        "relay-environment.mjs",
        "src/CustomerList.js",
        "src/CustomerNode.js",
    }


def _prefix(emulator: LiveEmulator) -> str:
    """A company-name prefix of more than two customers, so the search has two pages."""
    counts = Counter(str(c.company_name)[:2] for c in emulator.customers)
    prefix, count = counts.most_common(1)[0]
    assert count > 2
    return prefix


def test_apollo_client_snippets_page_refetch_read_codes_and_retry(
    rig: Rig, tmp_path: Path
) -> None:
    directory = workspace(tmp_path, HERE / "apollo_docs.mjs")
    prefix = _prefix(rig.emulator)
    seen = _run(
        "apollo_docs.mjs", directory, rig.url, rig.throttled_url, rig.forbidden_id, prefix,
        packages=("@apollo/client", "rxjs"),
    )
    everyone = [c.id for c in rig.emulator.customers]
    # relayStylePagination: the second page appended to the first, one list per search.
    assert seen["pages"] == everyone[:4]
    assert len(seen["searched"]) == 4
    assert all(name.lower().startswith(prefix.lower()) for name in seen["searched"])
    assert seen["unsearchedAfterSearch"] == everyone[:4]
    assert seen["refetched"]["codes"] == []
    assert seen["refetched"]["customer"]["id"] == everyone[0]
    assert seen["forbidden"] == {"customer": None, "codes": ["FORBIDDEN"]}
    # The second call in a row was THROTTLED: retried after each retryAfter, then answered.
    _retried_after_throttling(seen["retries"], "Customers")
    assert seen["answers"] == [everyone[:1], everyone[:1]]


def test_relay_snippets_page_refetch_read_codes_and_retry(rig: Rig, tmp_path: Path) -> None:
    directory = workspace(tmp_path, HERE / "relay_docs.mjs")
    config = {"src": "./src", "schema": str(SCHEMA), "language": "javascript"}
    (directory / "relay.config.json").write_text(json.dumps(config))
    compiled = subprocess.run(
        [node("relay-compiler"), str(RELAY_COMPILER)],
        cwd=directory, capture_output=True, text=True, timeout=180, check=False,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    seen = _run(
        "relay_docs.mjs", directory, rig.url, rig.throttled_url, rig.forbidden_id,
        packages=("relay-runtime",),
    )
    everyone = [c.id for c in rig.emulator.customers]
    assert seen["first"]["ids"] == everyone[:2]
    # The @connection appended the second page's edges to the first's.
    assert seen["both"]["ids"] == everyone[:4]
    assert seen["both"]["hasNextPage"] is True
    assert seen["node"]["node"]["id"] == everyone[0]
    assert seen["forbidden"] == {"node": None}
    assert seen["reported"] == [["CustomerNodeQuery", ["FORBIDDEN"]]]
    _retried_after_throttling(seen["retries"], "CustomerNodeQuery")
    assert seen["answers"] == everyone[:2]
