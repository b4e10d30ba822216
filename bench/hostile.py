"""Hostile requests against a served façade: each refused cheaply, typed, and without harm.

`make bench-hostile` (or `python -m bench.hostile`) starts the emulator and `graphql-api
serve` as subprocesses (introspection off, as in production; keep-alive 5 s), then runs each
attack while a probe calls `/healthz` every 50 ms. For each it prints the statuses the attack
got, the time until the service had refused all of it, the slowest `/healthz` answer
meanwhile, the Partner Center calls it caused and the service's RSS afterwards. It exits 1
when an attack got a 5xx, caused more calls than GRAPHQL_MAX_UPSTREAM_CALLS, kept `/healthz`
over one second, or when `/metrics` counted an INTERNAL_SERVER_ERROR.

Example:
    python -m bench.hostile --only fragment-explosion,huge-header
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.faulty_peers import FaultyUpstream, RedisImpostor
from bench.processes import BEARER, Server, emulator_process, service_process
from bench.raw_http import one_response
from bench.redis_process import redis_process

MAX_UPSTREAM_CALLS = 200  # the service's default GRAPHQL_MAX_UPSTREAM_CALLS
HEALTHZ_BOUND = 1.0
MIB = 1024 * 1024
AUTH = {"Authorization": BEARER}


@dataclass
class Outcome:
    """What one attack got back."""

    statuses: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    note: str = ""
    failures: list[str] = field(default_factory=list)

    def answer(self, response: httpx.Response) -> None:
        self.statuses[str(response.status_code)] += 1
        try:
            body = response.json()
        except ValueError:
            return
        for error in body.get("errors", []) if isinstance(body, dict) else []:
            self.codes[str(error.get("extensions", {}).get("code"))] += 1


@dataclass
class Target:
    service: Server
    emulator: Server
    client: httpx.Client

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.service.url.removeprefix("http://").split(":")
        return host, int(port)

    def post(self, body: Any, outcome: Outcome, *, headers: dict[str, str] | None = None) -> Any:
        response = self.client.post(
            "/graphql", json=body, headers={**AUTH, **(headers or {})}, timeout=120
        )
        outcome.answer(response)
        try:
            return response.json()
        except ValueError:
            return None


Attack = Callable[[Target], Outcome]
ATTACKS: dict[str, Attack] = {}


def attack(name: str) -> Callable[[Attack], Attack]:
    def register(func: Attack) -> Attack:
        ATTACKS[name] = func
        return func

    return register


def _raw_answer(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (ConnectionResetError, TimeoutError):
        pass
    return b"".join(chunks)


def _raw_status(answer: bytes) -> str:
    parts = answer.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 else "closed"


@attack("fragment-explosion")
def _fragment_explosion(target: Target) -> Outcome:
    outcome = Outcome()
    n = 30
    chain = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }} " for i in range(n))
    query = "query { ...F0 } " + chain + f"fragment F{n} on Query {{ __typename }}"
    target.post({"query": query}, outcome)
    return outcome


@attack("duplicate-fields")
def _duplicate_fields(target: Target) -> Outcome:
    outcome = Outcome()
    for attempt in range(5):  # whitespace varied so that no cache holds the answer
        query = "{" + (" " * attempt).join(" customers { nodes { id } }" for _ in range(280)) + "}"
        target.post({"query": query}, outcome)
    return outcome


@attack("huge-header")
def _huge_header(target: Target) -> Outcome:
    outcome = Outcome()
    with socket.create_connection(target.address, timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Huge: ")
        sent = _send_until_refused(sock, 150 * MIB)
        outcome.statuses[_raw_status(_raw_answer(sock))] += 1
    outcome.note = f"{sent / 1024:,.0f} KiB sent of 150 MiB before refusal"
    return outcome


@attack("slow-clients")
def _slow_clients(target: Target) -> Outcome:
    outcome = Outcome()
    sockets = []
    for _ in range(450):
        sock = socket.create_connection(target.address, timeout=30)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Slow: ")
        sockets.append(sock)
    started = time.monotonic()
    answers, still_open = _trickle_heads(sockets, every=1.0, within=60)
    for answer, sock in zip(answers, sockets, strict=True):
        outcome.statuses[_raw_status(answer)] += 1
        sock.close()
    outcome.note = f"{still_open} of 450 still open after {time.monotonic() - started:.0f} s"
    if still_open:
        outcome.failures.append("slow clients were not cut off")
    return outcome


def _trickle_heads(
    sockets: list[socket.socket], *, every: float, within: float
) -> tuple[list[bytes], int]:
    """Send each socket one more byte of its head every `every` seconds, never a whole head,
    until the server closes them all or `within` seconds pass.

    Returns what each socket got back and how many the server still held open.
    """
    for sock in sockets:
        sock.setblocking(False)
    answers = [b""] * len(sockets)
    open_sockets = set(range(len(sockets)))
    started = time.monotonic()
    while open_sockets and time.monotonic() - started < within:
        for index in list(open_sockets):
            sock = sockets[index]
            with contextlib.suppress(BrokenPipeError, ConnectionResetError, BlockingIOError):
                sock.send(b"a")
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            answers[index] += data
            if not data:
                open_sockets.discard(index)
        if open_sockets:
            time.sleep(every)
    return answers, len(open_sockets)


@attack("entities-12000")
def _entities(target: Target) -> Outcome:
    outcome = Outcome()
    representations = [
        {"__typename": "Customer", "id": f"00000000-0000-4000-8000-{i:012d}"} for i in range(12000)
    ]
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }"
    target.post({"query": query, "variables": {"r": representations}}, outcome)
    return outcome


@attack("cursor-page-size")
def _cursor_page_size(target: Target) -> Outcome:
    outcome = Outcome()
    first_page = target.post(
        {"query": "{ customers(first: 1) { pageInfo { endCursor } } }"}, outcome
    )
    cursor = first_page["data"]["customers"]["pageInfo"]["endCursor"]
    aliases = " ".join(
        f"a{i}: customers(first: {200 - i}, after: $c) {{ nodes {{ id }} }}" for i in range(10)
    )
    target.post(
        {"query": f"query($c: String) {{ {aliases} }}", "variables": {"c": cursor}}, outcome
    )
    return outcome


@attack("one-caller-starves-others")
def _starvation(target: Target) -> Outcome:
    outcome = Outcome()
    ids = [
        node["id"]
        for node in target.post({"query": "{ customers(first: 63) { nodes { id } } }"}, outcome)[
            "data"
        ]["customers"]["nodes"]
    ]

    def aliases(chosen: list[str]) -> str:
        return (
            "{ "
            + " ".join(f'c{i}: customer(id: "{c}") {{ id }}' for i, c in enumerate(chosen))
            + " }"
        )

    small = aliases(ids[:3])
    started = time.monotonic()
    target.post({"query": small}, outcome)
    alone = time.monotonic() - started
    with ThreadPoolExecutor(3) as pool:
        large = [
            pool.submit(target.post, {"query": aliases(ids[k : k + 30])}, outcome) for k in (3, 33)
        ]
        time.sleep(0.05)
        started = time.monotonic()
        target.post({"query": small}, outcome)
        beside = time.monotonic() - started
        for future in large:
            future.result()
    outcome.note = (
        f"small query alone {alone * 1000:.0f} ms, beside two 30-alias ones {beside * 1000:.0f} ms"
    )
    return outcome


@attack("chunked-body-over-limit")
def _chunked_body(target: Target) -> Outcome:
    outcome = Outcome()

    def chunks() -> Any:
        for _ in range(40):
            yield b" " * 65536

    response = target.client.post(
        "/graphql", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    outcome.answer(response)
    return outcome


@attack("client-gone-mid-body")
def _client_gone(target: Target) -> Outcome:
    outcome = Outcome()
    for _ in range(20):
        with socket.create_connection(target.address, timeout=10) as sock:
            sock.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                b"Authorization: " + BEARER.encode() + b'\r\nContent-Length: 5000\r\n\r\n{"q'
            )
        outcome.statuses["closed"] += 1
    return outcome


@attack("schema-with-introspection-off")
def _schema_leaks(target: Target) -> Outcome:
    outcome = Outcome()
    response = target.client.post("/graphql", json={"query": "{ _service { sdl } }"})
    outcome.answer(response)
    if "type Query" in response.text:
        outcome.failures.append("_service answered an unauthenticated caller")
    typo = target.post(
        {"query": '{ customer(id: "x") { companyProfle { companyName } } }'}, outcome
    )
    if "Did you mean" in json.dumps(typo):
        outcome.failures.append("a validation error suggested a field name")
    return outcome


@attack("metric-label-exhaustion")
def _labels(target: Target) -> Outcome:
    outcome = Outcome()
    for i in range(150):
        response = target.client.post("/graphql", json={"query": f"query Junk{i} {{ __typename }}"})
        outcome.answer(response)
    target.post({"query": "query RealDashboard { customers(first: 1) { nodes { id } } }"}, outcome)
    metrics = target.client.get("/metrics").text
    if 'operation="RealDashboard"' not in metrics:
        outcome.failures.append("a real operation lost its metric label")
    return outcome


@attack("deep-nesting-and-aliases")
def _deep(target: Target) -> Outcome:
    outcome = Outcome()
    target.post({"query": "{" * 5000 + "}" * 5000}, outcome)
    target.post(
        {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(5000)) + " }"}, outcome
    )
    target.post(
        {"query": "{ " + " ".join(f'c{i}: customer(id: "{i}") {{ id }}' for i in range(31)) + " }"},
        outcome,
    )
    return outcome


@attack("declared-10mb-body")
def _big_body(target: Target) -> Outcome:
    outcome = Outcome()
    response = target.client.post(
        "/graphql",
        content=b" " * (10 * 1024 * 1024),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    outcome.answer(response)
    return outcome


@attack("connection-flood")
def _flood(target: Target) -> Outcome:
    outcome = Outcome()
    held = [socket.create_connection(target.address, timeout=10) for _ in range(900)]
    try:
        target.post({"query": "{ customers(first: 5) { nodes { id } } }"}, outcome)
    finally:
        for sock in held:
            sock.close()
    outcome.note = "900 idle connections held open while a query ran"
    return outcome


_UPGRADE = b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"


def _send_until_refused(sock: socket.socket, total: int) -> int:
    """Send up to `total` bytes of header value; how many were sent before the server hung up."""
    sent = 0
    piece = b"a" * 65536
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
        while sent < total:
            sock.sendall(piece)
            sent += len(piece)
    return sent


@contextlib.contextmanager
def _unswitched_upgrade(target: Target, outcome: Outcome) -> Iterator[socket.socket]:
    """A connection whose first request asked to upgrade, and got a plain answer (no 101)."""
    with socket.create_connection(target.address, timeout=30) as sock:
        sock.sendall(_UPGRADE)
        outcome.statuses[_raw_status(one_response(sock))] += 1
        yield sock


def _open_after(sock: socket.socket, seconds: float) -> bool:
    """Whether the server still holds `sock` open after `seconds` (what it sends is dropped)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return True
    except ConnectionResetError:
        pass
    return False


@attack("upgrade-then-huge-head")
def _upgrade_then_huge_head(target: Target) -> Outcome:
    outcome = Outcome()
    with _unswitched_upgrade(target, outcome) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nX-Huge: ")
        sent = _send_until_refused(sock, 10 * MIB)
        answer = _raw_answer(sock)
        outcome.statuses[_raw_status(answer)] += 1
    outcome.note = f"after an upgrade that did not happen, {sent / 1024:,.0f} KiB of a 10 MiB head"
    if sent >= 10 * MIB or answer:
        outcome.failures.append("a head after an unswitched upgrade was read whole")
    return outcome


@attack("upgrade-then-trickle")
def _upgrade_then_trickle(target: Target) -> Outcome:
    outcome = Outcome()
    with _unswitched_upgrade(target, outcome) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
        started = time.monotonic()
        _, still_open = _trickle_heads([sock], every=0.5, within=20)
        closed = not still_open
        outcome.statuses["closed" if closed else "open"] += 1
    outcome.note = (
        f"a head trickled after an unswitched upgrade: open {time.monotonic() - started:.0f} s"
    )
    if not closed:
        outcome.failures.append("a trickled head after an unswitched upgrade was not cut off")
    return outcome


@attack("upgrade-smuggled-body")
def _upgrade_smuggled_body(target: Target) -> Outcome:
    outcome = Outcome()
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    with socket.create_connection(target.address, timeout=30) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: bench\r\nConnection: Upgrade\r\nUpgrade: x\r\n"
            b"Content-Type: application/json\r\nAuthorization: "
            + BEARER.encode()
            + b"\r\nContent-Length: %d\r\n\r\n" % len(smuggled)
        )
        time.sleep(0.3)  # the body in a later TCP segment
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(smuggled)
        answers = _raw_answer(sock)
    statuses = [part.split(b" ", 1)[0].decode() for part in answers.split(b"HTTP/1.1 ")[1:]]
    outcome.statuses.update(statuses or ["closed"])
    if len(statuses) > 1 or "200" in statuses:
        outcome.failures.append(f"an upgrade request's body ran as a request: {statuses}")
    return outcome


@attack("crlf-after-request")
def _crlf_after_request(target: Target) -> Outcome:
    outcome = Outcome()
    sockets = [socket.create_connection(target.address, timeout=30) for _ in range(5)]
    for sock in sockets:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
        outcome.statuses[_raw_status(one_response(sock))] += 1
        sock.sendall(b"\r\n")
    # The service runs with HTTP_KEEPALIVE_TIMEOUT=5 here; twice that is plenty.
    still_open = sum(_open_after(sock, 10) for sock in sockets)
    for sock in sockets:
        sock.close()
    outcome.note = f"{still_open} of 5 still open 10 s after one CRLF (keep-alive 5 s)"
    if still_open:
        outcome.failures.append("a stray CRLF kept connections open past the keep-alive timeout")
    return outcome


@attack("endless-trailer")
def _endless_trailer(target: Target) -> Outcome:
    outcome = Outcome()
    with socket.create_connection(target.address, timeout=30) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nAuthorization: "
            + BEARER.encode()
            + b"\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: "
        )
        sent = _send_until_refused(sock, 64 * MIB)
        outcome.statuses[_raw_status(_raw_answer(sock))] += 1
    outcome.note = f"{sent / 1024:,.0f} KiB of a 64 MiB trailer sent before the connection closed"
    if sent >= 64 * MIB:
        outcome.failures.append("an endless trailer was read whole")
    return outcome


@attack("expect-100-over-limit")
def _expect_continue(target: Target) -> Outcome:
    outcome = Outcome()
    with socket.create_connection(target.address, timeout=30) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Authorization: " + BEARER.encode() + b"\r\nExpect: 100-continue\r\n"
            b"Content-Length: 10485760\r\n\r\n"
        )
        first = sock.recv(65536)
        outcome.statuses[_raw_status(first)] += 1
    if first.startswith(b"HTTP/1.1 100"):
        outcome.failures.append("100 Continue invited a 10 MiB body over the limit")
    return outcome


# A service as deployed: the cache and the partner's bucket on, at their defaults.
BUDGET_ENV = {
    "CACHE_TTL_SECONDS": "30",
    "UPSTREAM_RATE_PER_MINUTE": "400",
    "UPSTREAM_RATE_BURST": "100",
    "GRAPHQL_INTROSPECTION": "false",
    "LOG_LEVEL": "WARNING",
}
REFUSED_TOKEN = "refused-token"


def _ids(target: Target, outcome: Outcome, count: int) -> list[str]:
    page = target.post({"query": f"{{ customers(first: {count}) {{ nodes {{ id }} }} }}"}, outcome)
    return [node["id"] for node in page["data"]["customers"]["nodes"]]


def _alias_query(ids: list[str], fields: str = "id") -> str:
    return "{ " + " ".join(
        f'c{i}: customer(id: "{cid}") {{ {fields} }}' for i, cid in enumerate(ids)
    ) + " }"


def _flood_beside_a_real_caller(
    target: Target, outcome: Outcome, token_for: Callable[[int], str]
) -> None:
    """8 connections send 30 `customer(id:)` aliases with `token_for(n)` for 4 s, while the
    partner's own caller asks five billing profiles a second; its THROTTLED ones fail."""
    ids = _ids(target, outcome, 200)
    flood_query = _alias_query(ids[:30])
    lock = threading.Lock()
    stop = threading.Event()
    sent = [0]
    with (
        service_process(target.emulator.url, env=BUDGET_ENV) as service,
        httpx.Client(base_url=service.url, timeout=60) as client,
    ):

        def flood() -> None:
            while not stop.is_set():
                with lock:
                    sent[0] += 1
                    token = token_for(sent[0])
                response = client.post(
                    "/graphql", json={"query": flood_query},
                    headers={"Authorization": f"Bearer {token}"},
                )
                with lock:
                    outcome.answer(response)

        with ThreadPoolExecutor(8) as pool:
            for _ in range(8):
                pool.submit(flood)
            throttled = 0
            for round_ in range(4):
                time.sleep(1.0)
                chosen = ids[100 + 5 * round_ : 105 + 5 * round_]
                real = client.post(
                    "/graphql", json={"query": _alias_query(chosen, "id billingProfile { email }")},
                    headers=AUTH,
                ).json()
                throttled += sum(
                    1 for e in real.get("errors", ()) if e["extensions"]["code"] == "THROTTLED"
                )
            stop.set()
    outcome.note = (
        f"{sent[0]} flood requests; the real caller's billing profiles THROTTLED: "
        f"{throttled} of 20"
    )
    if throttled:
        outcome.failures.append(f"a real caller got {throttled} THROTTLED billing profiles")


def _flood_with_refused_tokens(
    target: Target, outcome: Outcome, refused: list[str], token_for: Callable[[int], str]
) -> int:
    """`_flood_beside_a_real_caller` while the emulator refuses the tokens in `refused`;
    returns the 401s Partner Center answered."""
    with httpx.Client(base_url=target.emulator.url) as emulator:
        emulator.put("/_emulator/faults", json={"refused_tokens": refused})
        try:
            _flood_beside_a_real_caller(target, outcome, token_for)
        finally:
            emulator.put("/_emulator/faults", json={"refused_tokens": []})
        answered_401: int = emulator.get("/_emulator/stats").json()["by_status"].get("401", 0)
    outcome.note += f"; {answered_401} upstream 401s"
    return answered_401


@attack("refused-token-flood")
def _refused_token(target: Target) -> Outcome:
    outcome = Outcome()
    refused = _flood_with_refused_tokens(
        target, outcome, [REFUSED_TOKEN], lambda _: REFUSED_TOKEN
    )
    if refused > 1:
        outcome.failures.append(f"a refused token made {refused} upstream calls")
    return outcome


@attack("made-up-token-flood")
def _made_up_tokens(target: Target) -> Outcome:
    outcome = Outcome()
    tokens = [f"made-up-{n}" for n in range(5000)]
    _flood_with_refused_tokens(target, outcome, tokens, lambda n: tokens[n % 5000])
    return outcome


@attack("cold-start-two-replicas")
def _cold_start(target: Target) -> Outcome:
    """Two replicas sharing Redis, 20 callers asking one cold 100-customer page with billing
    at the same moment, the upstream allowing 300 calls a minute: 101 calls serve them all."""
    outcome = Outcome()
    query = "{ customers(first: 100) { nodes { id companyProfile { companyName } " \
        "billingProfile { email } } } }"
    token = {"Authorization": "Bearer cold-start-token"}
    with (
        httpx.Client(base_url=target.emulator.url) as emulator,
        redis_process() as redis,
        service_process(target.emulator.url, env={**BUDGET_ENV, "REDIS_URL": redis.url}) as a,
        service_process(target.emulator.url, env={**BUDGET_ENV, "REDIS_URL": redis.url}) as b,
    ):
        emulator.put("/_emulator/faults", json={"throttle_per_minute": 300})
        emulator.post("/_emulator/stats/reset")
        try:
            with ThreadPoolExecutor(20) as pool:
                responses = list(pool.map(
                    lambda i: httpx.post(f"{(a, b)[i % 2].url}/graphql", json={"query": query},
                                         headers=token, timeout=60),
                    range(20),
                ))
        finally:
            emulator.put("/_emulator/faults", json={"throttle_per_minute": 0})
        calls = emulator.get("/_emulator/stats").json()["total"]
    complete = 0
    for response in responses:
        outcome.answer(response)
        complete += not response.json().get("errors")
    outcome.note = f"{calls} upstream calls for 20 answers, {complete} of 20 complete"
    if calls > 110 or complete < 20:
        outcome.failures.append(f"a cold start cost {calls} calls, {complete} of 20 complete")
    return outcome


async def _hammer(address: tuple[str, int], path: str, seconds: float) -> Counter[str]:
    """Ask `path` over one kept-alive connection, again and again, for `seconds`.

    Raw bytes rather than an HTTP client: the bench's own CPU (and GIL) stays free for the
    probes that measure the service.
    """
    statuses: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + seconds
    reader, writer = await asyncio.open_connection(*address)
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    try:
        while loop.time() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            await reader.readexactly(int(length.group(1)) if length else 0)
            statuses[_raw_status(head)] += 1
    finally:
        writer.close()
    return statuses


@attack("readyz-flood")
def _readyz_flood(target: Target) -> Outcome:
    """48 connections ask /readyz for 6 s while an orchestrator probes it twice a second."""
    outcome = Outcome()
    stop = threading.Event()
    slowest = [0.0]

    def orchestrator() -> None:
        with httpx.Client(base_url=target.service.url, timeout=30) as client:
            while not stop.wait(0.5):
                started = time.monotonic()
                response = client.get("/readyz")
                slowest[0] = max(slowest[0], time.monotonic() - started)
                outcome.statuses[str(response.status_code)] += 1

    async def flood() -> list[Counter[str]]:
        return await asyncio.gather(
            *(_hammer(target.address, "/readyz", 6.0) for _ in range(48))
        )

    prober = threading.Thread(target=orchestrator)
    prober.start()
    try:
        for statuses in asyncio.run(flood()):
            outcome.statuses.update(statuses)
    finally:
        stop.set()
        prober.join()
    upstream = int(httpx.get(f"{target.emulator.url}/_emulator/stats").json()["other"])
    answers = sum(outcome.statuses.values())
    outcome.note = (
        f"{answers} answers, {upstream} upstream probes; the orchestrator's slowest "
        f"{slowest[0] * 1000:.0f} ms"
    )
    # One probe per READYZ_REUSE_SECONDS (2 s), one at the start, one as the askers stop.
    if upstream > 6:
        outcome.failures.append(f"/readyz made {upstream} upstream requests in 6 s")
    return outcome


def _post_as(
    client: httpx.Client, query: str, outcome: Outcome, token: str = BEARER
) -> httpx.Response:
    response = client.post("/graphql", json={"query": query}, headers={"Authorization": token})
    outcome.answer(response)
    return response


@contextlib.contextmanager
def _own_service(upstream: str, **env: str) -> Iterator[tuple[Server, httpx.Client]]:
    """A service of the attack's own (settings of its own, or a faulty peer), and a client."""
    settings = {"GRAPHQL_INTROSPECTION": "false", "LOG_LEVEL": "WARNING", **env}
    with (
        service_process(upstream, env=settings) as service,
        httpx.Client(base_url=service.url, timeout=120) as client,
    ):
        yield service, client


@attack("answer-cache-many-tokens")
def _answer_cache_many_tokens(target: Target) -> Outcome:
    """190 tokens each caching a 500-customer page (a quarter of a MB each)."""
    outcome = Outcome()
    bound = 16
    query = "{ customers(first: 500) { nodes { id companyProfile { companyName } } } }"
    env = {"CACHE_TTL_SECONDS": "300", "CACHE_MAX_BYTES": str(bound * MIB)}
    with _own_service(target.emulator.url, **env) as (service, client):
        _post_as(client, query, Outcome(), "Bearer warm-up")
        before = service.rss_bytes()
        for n in range(190):
            _post_as(client, query, outcome, f"Bearer cache-tenant-{n}")
        growth = (service.rss_bytes() - before) / MIB
    outcome.note = (
        f"190 tokens' 500-customer pages: RSS +{growth:.0f} MB (CACHE_MAX_BYTES {bound} MiB)"
    )
    if growth > bound + 24:
        outcome.failures.append(f"the answer cache grew RSS by {growth:.0f} MB")
    return outcome


@attack("padded-documents")
def _padded_documents(target: Target) -> Outcome:
    """`{ __typename }` padded with 0.9 MB of spaces, inside (distinct) and after it."""
    outcome = Outcome()
    before = target.service.rss_bytes()
    for n in range(40):
        target.post({"query": "{" + " " * (900_000 + n) + "__typename }"}, outcome)
        target.post({"query": "{ __typename }" + " " * (900_000 + n)}, outcome)
    growth = (target.service.rss_bytes() - before) / MIB
    outcome.note = f"80 padded documents (72 MB of text): RSS +{growth:.0f} MB"
    if growth > 48:
        outcome.failures.append(f"padded documents grew RSS by {growth:.0f} MB")
    return outcome


@attack("redis-answers-wrongly")
def _redis_impostor(target: Target) -> Outcome:
    """REDIS_URL pointing at a server that answers `+OK`, then one answering `:1`."""
    outcome = Outcome()
    query = "{ customers(first: 5) { nodes { id companyProfile { companyName } } } }"
    counted = []
    for reply in (b"+OK\r\n", b":1\r\n"):
        with (
            RedisImpostor(reply) as impostor,
            _own_service(
                target.emulator.url,
                REDIS_URL=impostor.url,
                CACHE_TTL_SECONDS="30",
                UPSTREAM_RATE_PER_MINUTE="400",
            ) as (_, client),
        ):
            for _ in range(10):
                _post_as(client, query, outcome)
            counted.append("partner_center_redis_errors_total{" in client.get("/metrics").text)
    outcome.note = "answers served from in-process state; Redis failures counted: " + str(counted)
    if set(outcome.codes) - {"None"} or not all(counted):
        outcome.failures.append("a Redis that answers wrongly was not treated as down")
    return outcome


@attack("trickling-upstream")
def _trickling_upstream(target: Target) -> Outcome:
    """Billing profiles trickled a byte a second; two operations ask 16 each, then another
    caller asks for a plain list page."""
    outcome = Outcome()
    hoarders = "{ customers(first: 16) { nodes { id billingProfile { email } } } }"
    env = {"GRAPHQL_OPERATION_TIMEOUT": "12"}

    def trickled(path: str) -> str | None:
        return "trickle" if path.split("?")[0].endswith("/profiles/billing") else None

    with (
        FaultyUpstream(target.emulator.url, trickled) as upstream,
        _own_service(upstream.url, **env) as (_, client),
        ThreadPoolExecutor(2) as pool,
    ):
        held = [
            pool.submit(_post_as, client, hoarders, outcome, f"Bearer hoarder-{n}")
            for n in range(2)
        ]
        time.sleep(1.0)  # every in-flight slot now waits on a trickle
        started = time.monotonic()
        _post_as(client, "{ customers(first: 5) { nodes { id } } }", outcome, "Bearer other")
        waited = time.monotonic() - started
        for future in held:
            future.result()
    outcome.note = f"another caller's list page answered in {waited:.1f} s while 32 trickled"
    if waited > 10:
        outcome.failures.append(f"a healthy route waited {waited:.1f} s behind trickles")
    return outcome


@attack("slow-page-walk")
def _slow_page_walk(target: Target) -> Outcome:
    """A 20-page walk against an upstream answering each page in 1 s."""
    outcome = Outcome()
    env = {"GRAPHQL_OPERATION_TIMEOUT": "5", "UPSTREAM_PAGE_SIZE": "1"}

    def slow_pages(path: str) -> str | None:
        return "delay:1" if path.split("?")[0] == "/v1/customers" else None

    with (
        FaultyUpstream(target.emulator.url, slow_pages) as upstream,
        _own_service(upstream.url, **env) as (_, client),
    ):
        started = time.monotonic()
        _post_as(client, "{ customers(first: 20) { nodes { id } } }", outcome)
        took = time.monotonic() - started
    outcome.note = (
        f"ended after {took:.1f} s (GRAPHQL_OPERATION_TIMEOUT=5), {upstream.requests} pages"
    )
    if took > 8 or "UPSTREAM_TIMEOUT" not in outcome.codes:
        outcome.failures.append(f"the walk was not ended at its deadline ({took:.1f} s)")
    return outcome


@attack("shutdown-mid-request")
def _shutdown_mid_request(target: Target) -> Outcome:
    """SIGTERM while a request waits on an upstream that never answers."""
    outcome = Outcome()
    env = {"SHUTDOWN_TIMEOUT": "2", "LOG_LEVEL": "INFO"}
    with (
        FaultyUpstream(target.emulator.url, lambda path: "hang") as upstream,
        _own_service(upstream.url, **env) as (service, client),
        ThreadPoolExecutor(1) as pool,
    ):
        pending = pool.submit(
            client.post,
            "/graphql",
            json={"query": "{ customers(first: 1) { nodes { id } } }"},
            headers=AUTH,
        )
        while not upstream.requests:
            time.sleep(0.05)
        service.process.send_signal(signal.SIGTERM)
        answer = pending.result(timeout=60)
        service.process.wait(timeout=60)
        log = service.log_tail(100_000)
    try:
        codes = [error["extensions"]["code"] for error in answer.json()["errors"]]
    except (ValueError, KeyError, TypeError):
        codes = []
    # Recorded in the note, not as a status: a 503 is this attack's expected answer.
    outcome.note = f"the cut request got {answer.status_code} {codes}"
    if answer.status_code != 503 or codes != ["SHUTTING_DOWN"]:
        outcome.failures.append(f"cut at shutdown: {answer.status_code} {answer.text[:80]!r}")
    if '"level": "ERROR"' in log or '"status": 503' not in log:
        outcome.failures.append("the shutdown was not logged as the 503 sent, without errors")
    return outcome


class HealthProbe:
    """Calls /healthz every 50 ms in a thread; keeps the slowest answer."""

    def __init__(self, url: str) -> None:
        self._url = url + "/healthz"
        self._stop = threading.Event()
        self.slowest = 0.0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    ok = client.get(self._url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.slowest = max(self.slowest, time.monotonic() - started)
                self.failed += not ok
                self._stop.wait(0.05)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _upstream_calls(emulator: httpx.Client) -> int:
    return int(emulator.get("/_emulator/stats").json()["total"])


_ROW = "{:<30} {:<24} {:<44} {:>10} {:>11} {:>6} {:>7}"


def run(names: list[str]) -> int:
    rows: list[tuple[str, Outcome, float, float, int, float]] = []
    failures: list[str] = []
    with (
        emulator_process(customers=500, extra_args=("--latency-ms", "20")) as emulator,
        service_process(
            emulator.url,
            # Keep-alive as short as uvicorn's own default, so that crlf-after-request need
            # not wait 75 s to see whether an idle connection is closed.
            env={
                "GRAPHQL_INTROSPECTION": "false",
                "LOG_LEVEL": "WARNING",
                "HTTP_KEEPALIVE_TIMEOUT": "5",
            },
        ) as service,
        httpx.Client(base_url=service.url, timeout=120) as client,
        httpx.Client(base_url=emulator.url) as emulator_client,
    ):
        target = Target(service, emulator, client)
        for name in names:
            emulator_client.post("/_emulator/stats/reset").raise_for_status()
            with HealthProbe(service.url) as probe:
                started = time.monotonic()
                outcome = ATTACKS[name](target)
                elapsed = time.monotonic() - started
            calls = _upstream_calls(emulator_client)
            rss = service.rss_bytes() / 1024 / 1024
            rows.append((name, outcome, elapsed, probe.slowest, calls, rss))
            failures += [f"{name}: {failure}" for failure in outcome.failures]
            if any(status.startswith("5") for status in outcome.statuses):
                failures.append(f"{name}: a 5xx answer {dict(outcome.statuses)}")
            if calls > MAX_UPSTREAM_CALLS:
                failures.append(f"{name}: {calls} upstream calls, over {MAX_UPSTREAM_CALLS}")
            if probe.slowest > HEALTHZ_BOUND or probe.failed:
                failures.append(
                    f"{name}: /healthz slowest {probe.slowest:.2f} s, {probe.failed} failed"
                )
        metrics = client.get("/metrics").text
        if 'code="INTERNAL_SERVER_ERROR"' in metrics:
            failures.append("/metrics counted an INTERNAL_SERVER_ERROR")
    header = ("attack", "answers", "codes", "refused in", "healthz max", "calls", "RSS MB")
    print(_ROW.format(*header))
    for name, outcome, elapsed, slowest, calls, rss in rows:
        answers = ", ".join(
            f"{status}x{count}" for status, count in sorted(outcome.statuses.items())
        )
        codes = ", ".join(f"{code}x{count}" for code, count in sorted(outcome.codes.items()))
        timings = (f"{elapsed:.2f} s", f"{slowest * 1000:.0f} ms")
        print(_ROW.format(name, answers, codes[:44], *timings, calls, f"{rss:.0f}"))
        if outcome.note:
            print(f"{'':<30} {outcome.note}")
    for failure in failures:
        print(f"FAIL {failure}")
    print("all attacks refused" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", help="comma-separated attack names (default: all)")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(ATTACKS)
    unknown = [name for name in names if name not in ATTACKS]
    if unknown:
        parser.error(f"unknown attack(s) {unknown}; known: {', '.join(ATTACKS)}")
    return run(names)


if __name__ == "__main__":
    sys.exit(main())
