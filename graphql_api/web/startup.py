"""What `graphql-api serve` does before it says it is ready: bind, check, and tell.

The listening socket is bound here, before the banner, so that a port in use is one clear
line and exit 3, never a banner followed by a raw `[Errno 98]` log line. The upstream and
Redis are then tried once, briefly: an unreachable one is a warning at once (the service
still starts; `/readyz` and the fallbacks in docs/caching.md take over), where before it
showed only on the first query. A malformed URL is refused earlier, by the settings. The
banner then says what this process will do: upstream, how callers are authenticated, cache,
Redis and tracing.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from ..config import Settings

logger = logging.getLogger("graphql_api.startup")

# Each start-up probe's bound: a start waits at most this long per unreachable dependency.
PROBE_TIMEOUT_SECONDS = 2.0
# The listen backlog uvicorn itself uses by default.
BACKLOG = 2048
# Exit status of a start that could not listen or could not start its app (uvicorn's own).
STARTUP_FAILURE = 3


class StartupError(Exception):
    """A reason not to start, in one line for the terminal."""


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use (another graphql-api, or another program, listens "
            "there): stop it, or choose another port with --port"
        )
    if exc.errno == errno.EACCES:
        return (
            f"not allowed to listen on {where}: ports below 1024 need privileges; use "
            "--port 1024 or above"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this machine: use 127.0.0.1, 0.0.0.0 (every "
            "interface) or one of its own addresses with --host"
        )
    if isinstance(exc, socket.gaierror):
        return f"--host {host} does not resolve to an address of this machine"
    return f"cannot listen on {where}: {exc.strerror or exc}"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: any free port); StartupError when it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # Listening now: a connection made between the banner and the app's start waits in
        # the backlog rather than being refused.
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise StartupError(_bind_problem(host, port, exc)) from None
    # Workers (uvicorn's Multiprocess) inherit it.
    sock.set_inheritable(True)
    return sock


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def probe_upstream(settings: Settings) -> str | None:
    """Why Partner Center's host cannot be reached, or None when it answered at all.

    Any HTTP answer counts (it asks for `/` without a token: 401 or 404 is fine); only a
    failure to connect, resolve, agree on TLS or answer in time is a problem. Proxy
    variables and UPSTREAM_CA_BUNDLE apply, as for the real calls.
    """
    upstream = settings.upstream
    verify: str | bool = upstream.ca_bundle or True
    try:
        with httpx.Client(timeout=PROBE_TIMEOUT_SECONDS, verify=verify) as client:
            client.get(upstream.base_url + "/")
    except httpx.HTTPError as exc:
        return _reason(exc)
    return None


def redis_endpoint(url: str) -> str:
    """Where a Redis URL points, without its credentials (which must never be shown)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix:{parts.path}"
    host = parts.hostname or "localhost"
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path or ''}"


def probe_redis(url: str) -> str | None:
    """Why Redis does not answer PING, or None when it does."""
    import redis

    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        retry_on_timeout=False,
    )
    try:
        client.ping()
    except Exception as exc:
        # Not only RedisError and OSError: a server that answers, but not as Redis does,
        # makes redis-py's handshake raise anything (AttributeError for `+OK`). The service
        # falls back from such a store at run time; its start must not die of it either.
        # redis-py's messages may name the host, never the password; the class is enough.
        return type(exc).__name__
    finally:
        client.close()
    return None


def warn_of_unreachable(settings: Settings, *, embedded: bool) -> list[str]:
    """Try the upstream and Redis once; log a warning for each that does not answer."""
    warnings: list[str] = []
    if not embedded:
        problem = probe_upstream(settings)
        if problem is not None:
            warnings.append(
                f"Partner Center at {settings.upstream.base_url} could not be reached "
                f"({problem}); serving anyway: /readyz answers 503 and queries fail with "
                "UPSTREAM_UNAVAILABLE until it can be"
            )
    redis_url = settings.shared.redis_url
    if redis_url is not None:
        problem = probe_redis(redis_url)
        if problem is not None:
            warnings.append(
                f"Redis at {redis_endpoint(redis_url)} did not answer ({problem}); serving "
                "anyway with each process's own cache and call budget until it does (see "
                "docs/caching.md)"
            )
    for warning in warnings:
        logger.warning(warning)
    return warnings


@dataclass(frozen=True, slots=True)
class Banner:
    """What `serve` prints once it listens."""

    url: str
    workers: int
    lines: Sequence[str]

    def text(self) -> str:
        head = f"graphql-api serving {self.url} with {self.workers} worker(s)"
        return "\n".join([head, *(f"  {line}" for line in self.lines)])


def _auth_line(settings: Settings) -> str:
    auth = settings.auth
    checked = (
        "callers' tokens checked as JWTs against AUTH_JWKS_URL"
        if auth.validates_callers
        else "callers' tokens not checked here (Partner Center checks them)"
    )
    if auth.mode == "client_credentials":
        return f"auth: client_credentials (the service signs in as itself); {checked}"
    return f"auth: passthrough (each caller's bearer token goes to Partner Center); {checked}"


def _tracing_line(exporters: Sequence[str], env: Mapping[str, str]) -> str:
    if not exporters:
        return "tracing: off (set OTEL_EXPORTER_OTLP_ENDPOINT to export spans)"
    shown = []
    for exporter in exporters:
        if exporter == "otlp":
            endpoint = (
                env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
                or env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
                or "http://localhost:4318 (the OTLP default)"
            )
            shown.append(f"OTLP/HTTP to {endpoint}")
        else:
            shown.append(exporter)
    return f"tracing: {', '.join(shown)}"


def banner(
    settings: Settings,
    *,
    url: str,
    workers: int,
    embedded: bool,
    exporters: Sequence[str],
    env: Mapping[str, str],
    redis_problem: bool,
) -> Banner:
    """The start-up banner's lines, from the settings this process serves with."""
    budget = settings.shared
    upstream = (
        f"upstream: the embedded Partner Center emulator at {settings.upstream.base_url}"
        if embedded
        else f"upstream: {settings.upstream.base_url}"
    )
    shared = "shared through Redis" if budget.redis_url else "in each process"
    cache = (
        f"cache: {budget.cache_ttl:g} s per caller's credentials, {shared}"
        if budget.cache_enabled
        else "cache: off (CACHE_TTL_SECONDS=0)"
    )
    if budget.redis_url is None:
        redis_line = "redis: off (cache and call budget in each process; REDIS_URL unset)"
    else:
        state = "not answering, see the warning above" if redis_problem else "answering"
        redis_line = f"redis: {redis_endpoint(budget.redis_url)} ({state})"
    return Banner(
        url=url,
        workers=workers,
        lines=[upstream, _auth_line(settings), cache, redis_line, _tracing_line(exporters, env)],
    )


__all__ = [
    "BACKLOG",
    "PROBE_TIMEOUT_SECONDS",
    "STARTUP_FAILURE",
    "Banner",
    "StartupError",
    "banner",
    "bind",
    "probe_redis",
    "probe_upstream",
    "redis_endpoint",
    "warn_of_unreachable",
]
