"""Whose budget a call spends, over real HTTP: a caller's share of the partner's bucket, and
what a token Partner Center has not accepted (or has refused) may spend.

The emulator checks tokens here: `refused` holds the tokens it answers 401 (a made-up
token, or one revoked while the test runs); every other token is accepted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from graphql_api.emulator import Emulator, EmulatorConfig, create_emulator_app
from graphql_api.emulator.config import Principal
from graphql_api.partner_center import Clocks
from tests.clocks import MovedClocks
from tests.live_server import live_server
from tests.live_service import live_service

ALIASES = 30


@dataclass
class CheckingEmulator:
    """An emulator that refuses the tokens in `refused` (and any starting `made-up-`)."""

    url: str
    state: Emulator
    refused: set[str] = field(default_factory=set)

    def calls(self, status: str | None = None) -> int:
        snapshot = self.state.stats.snapshot()
        if status is None:
            return int(snapshot["total"])
        return int(snapshot["by_status"].get(status, 0))

    @property
    def ids(self) -> list[str]:
        return [customer.id for customer in self.state.dataset.customers]


@pytest.fixture
def emulator() -> Iterator[CheckingEmulator]:
    refused: set[str] = set()

    def check(token: str) -> Principal | None:
        if token in refused or token.startswith("made-up-"):
            return None
        return Principal(key=token)

    app = create_emulator_app(
        EmulatorConfig(customers=300, seed=21, latency_ms=5, token_checker=check)
    )
    with live_server(app) as url:
        yield CheckingEmulator(url, app.state.emulator, refused)


@contextmanager
def service(
    emulator: CheckingEmulator, *, clocks: Clocks | None = None, **env: str
) -> Iterator[httpx.Client]:
    # The bucket's defaults, which the suite's other services mostly leave on too.
    settings = {"PARTNER_CENTER_URL": emulator.url, "UPSTREAM_RATE_PER_MINUTE": "400",
                "UPSTREAM_RATE_BURST": "100", **env}
    with live_service(settings, clocks=clocks) as client:
        client.timeout = httpx.Timeout(60)
        yield client


def aliases(ids: list[str]) -> str:
    fields = " ".join(f'c{i}: customer(id: "{cid}") {{ id }}' for i, cid in enumerate(ids))
    return "{ " + fields + " }"


def post(
    client: httpx.Client, query: str, token: str, headers: Mapping[str, str] | None = None
) -> Any:
    response = client.post(
        "/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )
    assert response.status_code == 200, response.text
    return response.json()


def codes(answer: Any) -> set[str]:
    return {error["extensions"]["code"] for error in answer.get("errors", ())}


def billing(ids: list[str]) -> str:
    fields = " ".join(
        f'c{i}: customer(id: "{cid}") {{ id billingProfile {{ email }} }}'
        for i, cid in enumerate(ids)
    )
    return "{ " + fields + " }"


def test_a_refused_token_spends_one_call_however_many_it_sends(
    emulator: CheckingEmulator,
) -> None:
    """Eight requests of 30 aliases at once with a token Partner Center refuses."""
    emulator.refused.add("revoked")
    query = aliases(emulator.ids[:ALIASES])
    with service(emulator) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(client, query, "revoked"), range(8)))
        again = post(client, query, "revoked")
    assert all(codes(answer) == {"UNAUTHENTICATED"} for answer in [*answers, again])
    assert emulator.calls() == 1


def test_made_up_tokens_spend_at_most_their_share_and_others_keep_theirs(
    emulator: CheckingEmulator,
) -> None:
    """A fresh made-up token for every request: each may probe once, all of them together
    only out of the share of the unaccepted (half the burst), so a real caller's billing
    profiles still come."""
    query = aliases(emulator.ids[:ALIASES])
    with service(emulator) as client, ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        flood = list(pool.map(lambda i: post(client, query, f"made-up-{i}"), range(120)))
        lasted = time.monotonic() - started
        real = post(client, billing(emulator.ids[100:105]), "partner")
    assert all(codes(answer) <= {"UNAUTHENTICATED", "THROTTLED"} for answer in flood)
    # Half of the burst of 100 at once, what half the rate (400 a minute) refills while the
    # flood lasts, and the calls reserved within UPSTREAM_RATE_MAX_WAIT (2 s) of its end.
    assert emulator.calls("401") <= 50 + (lasted + 2) * 200 / 60
    assert "errors" not in real
    assert [node["billingProfile"] for node in real["data"].values()].count(None) == 0


def test_one_caller_cannot_keep_the_bucket_dry_for_another(
    emulator: CheckingEmulator,
) -> None:
    """A greedy caller refreshing 8 times 30 customers without the cache, over and over; another
    caller's five billing profiles still come, because the greedy one spends only its share
    of the rate once its burst is gone."""
    stop = threading.Event()
    greedy_answers: list[Any] = []
    with service(emulator) as client:
        post(client, aliases(emulator.ids[:1]), "greedy")  # accepted before the flood
        post(client, aliases(emulator.ids[:1]), "patient")

        def greedy(worker: int) -> None:
            offset = 0
            while not stop.is_set():
                start = (worker * ALIASES + offset) % 240
                ids = emulator.ids[start : start + ALIASES]
                greedy_answers.append(
                    post(client, aliases(ids), "greedy", {"Cache-Control": "no-cache"})
                )
                offset += 7

        threads = [threading.Thread(target=greedy, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 10
            while "THROTTLED" not in set().union(*map(codes, greedy_answers)):
                assert time.monotonic() < deadline, "the greedy caller never met the bucket"
                time.sleep(0.05)
            patient = [post(client, billing(emulator.ids[250 + 5 * k : 255 + 5 * k]),
                            "patient") for k in range(3)]
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    assert [codes(answer) for answer in patient] == [set(), set(), set()]


def test_a_revoked_token_is_refused_at_once_and_reads_no_cached_answer(
    emulator: CheckingEmulator,
) -> None:
    one = aliases(emulator.ids[:1])
    other = aliases(emulator.ids[1:2])
    with service(emulator, CACHE_TTL_SECONDS="300") as client:
        assert "errors" not in post(client, one, "soon-revoked")
        emulator.refused.add("soon-revoked")
        refused = post(client, other, "soon-revoked")  # Partner Center says 401
        cached = post(client, one, "soon-revoked")  # a fresh entry exists: not served
    assert codes(refused) == {"UNAUTHENTICATED"}
    assert codes(cached) == {"UNAUTHENTICATED"}
    assert emulator.calls() == 2


def test_stale_answers_stop_once_partner_center_has_not_vouched_for_the_token_lately(
    emulator: CheckingEmulator,
) -> None:
    """The bucket is dry, so no call can ask Partner Center whether the token still works:
    a stale answer is served only while its last acceptance is recent."""
    one = aliases(emulator.ids[:1])
    env = {"UPSTREAM_RATE_PER_MINUTE": "1", "UPSTREAM_RATE_BURST": "1",
           "UPSTREAM_RATE_MAX_WAIT": "0", "CACHE_TTL_SECONDS": "1",
           "CACHE_STALE_SECONDS": "300", "UPSTREAM_CREDENTIAL_MEMORY_SECONDS": "10"}
    moved = MovedClocks()
    # The clocks move 12 s in all: the bucket refills a fifth of its one call meanwhile.
    with service(emulator, clocks=moved.clocks, **env) as client:
        fresh = post(client, one, "revoked-while-dry")
        emulator.refused.add("revoked-while-dry")
        moved.advance(2)  # the answer is stale; the token's acceptance is 2 s old
        stale = post(client, one, "revoked-while-dry")
        moved.advance(10)  # the acceptance is forgotten
        later = post(client, one, "revoked-while-dry")
    assert "errors" not in fresh
    assert stale["extensions"]["cache"]["stale"] is True
    assert codes(later) == {"THROTTLED"}
    assert emulator.calls() == 1


def test_calls_waiting_on_a_probe_that_learnt_nothing_go_together(
    emulator: CheckingEmulator,
) -> None:
    """Partner Center answers 500 to everything: the token's first call (the probe) learns
    nothing of it, so the four calls that waited for it go at once, not one by one."""
    emulator.state.configure(error_rate=1.0, error_kinds=["server_error"], latency_ms=50)
    with service(emulator, UPSTREAM_MAX_ATTEMPTS="1") as client:
        answer = post(client, aliases(emulator.ids[:5]), "new-during-an-outage")
    assert codes(answer) == {"UPSTREAM_ERROR"}
    assert emulator.calls() == 5
    assert emulator.state.stats.snapshot()["max_in_flight"] == 4
