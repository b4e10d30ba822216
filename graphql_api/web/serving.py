"""`graphql-api serve`: run the service under uvicorn, with the embedded emulator when no upstream.

Flags become environment variables before anything reads settings, so that a single process
and `--workers N` processes (uvicorn's factory mode: each worker builds its app from the
environment) see the same configuration. For several workers the parent also makes sure they
share what must be shared: one `CURSOR_SECRET` (a cursor made by one worker is read by
another) and one `PROMETHEUS_MULTIPROC_DIR` (`/metrics` sums all workers); without
`REDIS_URL`, each worker gets its share of the partner's call budget.

Without `--upstream` or `PARTNER_CENTER_URL`, the Partner Center emulator runs in this process
on its own loopback port, in a thread, and the service talks to it over real HTTP, exactly as
it would to Partner Center; GraphiQL then opens with a demo bearer token the emulator accepts.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager

import uvicorn
from uvicorn.supervisors import Multiprocess

from ..config import ConfigError, Settings
from ..observability import exporters_from_env
from ..observability.logging_setup import configure_logging, uvicorn_log_config
from .connection_guard import GuardedHttpProtocol
from .persisted import check_manifests
from .startup import STARTUP_FAILURE, StartupError, banner, bind, warn_of_unreachable

# Not a credential: the embedded emulator accepts any bearer token; this one is only shown.
DEMO_TOKEN = "demo-token-for-the-embedded-emulator"  # noqa: S105
APP_FACTORY = "graphql_api.web.app:app_from_env"
_EMULATOR_THREAD = "partner-center-emulator"


class _NotFromEmulatorThread(logging.Filter):
    """Drops the emulator's access lines: uvicorn's access logger is shared by both servers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != _EMULATOR_THREAD


class _EmulatorProblemsOnly(logging.Filter):
    """Keeps the emulator's warnings and errors on uvicorn's shared error logger, but not its
    start and shutdown lines: with the same pid they read as the service's own, twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != _EMULATOR_THREAD or record.levelno >= logging.WARNING


class EmbeddedEmulator:
    """The Partner Center emulator served over HTTP on a loopback port, in a daemon thread."""

    def __init__(self) -> None:
        from ..emulator import EmulatorConfig, create_emulator_app
        from ..emulator.serve import KEEPALIVE_SECONDS as EMULATOR_KEEPALIVE_SECONDS

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Bound here, before uvicorn starts: no window in which another process takes the port.
        self._socket.bind(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_emulator_app(EmulatorConfig()),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="auto",
            http="httptools",
            # Longer than the client's own keep-alive (partner_center/_httpx_wire.py), so the
            # client always closes an idle connection first and never races our close.
            timeout_keep_alive=EMULATOR_KEEPALIVE_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=_EMULATOR_THREAD,
            daemon=True,
        )

    def start(self, timeout: float = 15.0) -> None:
        """Start serving; returns once the emulator accepts connections."""
        logging.getLogger("uvicorn.access").addFilter(_NotFromEmulatorThread())
        logging.getLogger("uvicorn.error").addFilter(_EmulatorProblemsOnly())
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the embedded Partner Center emulator did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@contextmanager
def shared_worker_state(env: MutableMapping[str, str], workers: int) -> Iterator[None]:
    """Give several workers one cursor secret and one metrics directory (made here if unset).

    Without `REDIS_URL` every worker keeps its own token bucket, and together they would
    spend `workers` times the partner's budget: each then gets its share instead.
    """
    made_dir: str | None = None
    saved = {name: env.get(name) for name in ("UPSTREAM_RATE_PER_MINUTE", "UPSTREAM_RATE_BURST")}
    if workers > 1 and not env.get("REDIS_URL"):
        shared = Settings.from_env(env).shared
        if shared.rate_limited:
            env["UPSTREAM_RATE_PER_MINUTE"] = str(max(1, shared.rate_per_minute // workers))
            env["UPSTREAM_RATE_BURST"] = str(max(1, shared.rate_burst // workers))
    if workers > 1:
        # Generated once here and inherited: every worker then signs cursors alike.
        env.setdefault("CURSOR_SECRET", secrets.token_urlsafe(32))
        if not env.get("PROMETHEUS_MULTIPROC_DIR"):
            made_dir = tempfile.mkdtemp(prefix="graphql-api-metrics-")
            env["PROMETHEUS_MULTIPROC_DIR"] = made_dir
    try:
        yield
    finally:
        if made_dir is not None:
            shutil.rmtree(made_dir, ignore_errors=True)
            env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        for name, value in saved.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value


def _browser_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/graphql"


def _uvicorn_config(settings: Settings, workers: int) -> uvicorn.Config:
    return uvicorn.Config(
        APP_FACTORY,
        factory=True,
        workers=workers,
        log_config=uvicorn_log_config(settings.server.log_level),
        timeout_graceful_shutdown=math.ceil(settings.server.shutdown_timeout),
        # The service sits behind load balancers; it reads no client-IP headers.
        proxy_headers=False,
        server_header=False,
        # Bounds on each caller's connection (connection_guard.py), over uvicorn's own
        # httptools protocol. The class, not an instance of it: workers read its
        # limits from the environment.
        http=GuardedHttpProtocol,
        timeout_keep_alive=settings.server.keepalive_timeout,
    )


def _serve(config: uvicorn.Config, listener: socket.socket) -> int:
    """uvicorn on the bound socket: in this process, or in `workers` processes sharing it."""
    if config.workers > 1:
        # What uvicorn.run does for workers, given our socket instead of one it binds.
        Multiprocess(config, sockets=[listener]).run()
        return 0
    server = uvicorn.Server(config)
    server.run(sockets=[listener])
    # uvicorn.run's own rule: an app that never started (its lifespan failed) is exit 3.
    return 0 if server.started else STARTUP_FAILURE


def main(args: argparse.Namespace) -> int:
    """Serve until interrupted (graceful shutdown on SIGINT/SIGTERM); 2 on bad configuration,
    3 when the port cannot be listened on or the app does not start."""
    env = os.environ
    if args.workers < 1:
        print("graphql-api serve: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.upstream:
        env["PARTNER_CENTER_URL"] = args.upstream
    try:
        settings = Settings.from_env()
        exporters = exporters_from_env(env)  # an exporter we lack: said here, not in each worker
        check_manifests(settings)  # a bad persisted-document manifest: the same
    except ConfigError as exc:
        print(f"graphql-api serve: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.server.log_level)
    try:
        listener = bind(args.host, args.port)
    except StartupError as exc:
        print(f"graphql-api serve: {exc}", file=sys.stderr)
        return STARTUP_FAILURE
    port = listener.getsockname()[1]

    emulator: EmbeddedEmulator | None = None
    try:
        if settings.use_embedded_emulator:
            emulator = EmbeddedEmulator()
            emulator.start()
            env["PARTNER_CENTER_URL"] = emulator.url
            env.setdefault("GRAPHIQL_DEMO_TOKEN", DEMO_TOKEN)
            settings = Settings.from_env()
        warnings = warn_of_unreachable(settings, embedded=emulator is not None)
        with shared_worker_state(env, args.workers):
            graphiql = (
                f"GraphiQL: {_browser_url(args.host, port)} (open it in a browser)"
                if settings.server.graphiql
                else "GraphiQL is off (GRAPHIQL=false)"
            )
            shown = banner(
                settings,
                url=f"http://{args.host}:{port}/graphql",
                workers=args.workers,
                embedded=emulator is not None,
                exporters=exporters,
                env=env,
                redis_problem=any(warning.startswith("Redis") for warning in warnings),
            )
            print(f"{shown.text()}\n{graphiql}", flush=True)
            return _serve(_uvicorn_config(settings, args.workers), listener)
    finally:
        listener.close()
        if emulator is not None:
            emulator.stop()


__all__ = ["APP_FACTORY", "DEMO_TOKEN", "EmbeddedEmulator", "main", "shared_worker_state"]
