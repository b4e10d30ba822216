"""Peers that misbehave, over real sockets, for the hostile benchmark's fault attacks (and
the tests of the same faults).

- `LoopbackPeer`: a loopback TCP server that serves each connection in a thread of its own,
  for the `with` block; a subclass says how (`serve_connection`).
- `FaultyUpstream`: a loopback HTTP server in front of the emulator. GETs pass through,
  except those a rule picks: answered a byte at a time (`trickle`), held before passing on
  (`delay`), or never answered (`hang`).
- `RedisImpostor`: a loopback server that answers every command with one fixed RESP reply
  (`+OK`, `:1`): it answers, but not as Redis does.

Example:
    with FaultyUpstream(emulator.url, lambda path: "trickle" if "billing" in path else None)
        as upstream:
        ...  # point a service at upstream.url
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

import httpx

# A rule: the path (with its query) -> "trickle", "hang", "delay:<seconds>", or None (pass).
Rule = Callable[[str], str | None]
_PASSED_HEADERS = ("authorization", "ms-correlationid", "ms-requestid", "ms-continuationtoken")
# A 200 whose Content-Length promises far more than will ever come, and the body's first byte.
_TRICKLE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
)


def read_head(connection: socket.socket) -> bytes | None:
    """A request's head read off a blocking `connection`, through its blank line (with
    whatever came after it in the same read); None when the other side closed first."""
    head = b""
    while b"\r\n\r\n" not in head:
        data = connection.recv(4096)
        if not data:
            return None
        head += data
    return head


def trickle(send: Callable[[bytes], object], stop: threading.Event, interval: float) -> None:
    """Answer 200 with a JSON body that never ends: a byte every `interval` seconds through
    `send`, until `stop` is set or the other side goes away."""
    try:
        send(_TRICKLE_HEAD)
        while not stop.wait(interval):
            send(b" ")
    except OSError:
        return


class _Peer:
    """A server that runs in a thread of its own for the duration of a `with` block."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        """Serve until `_stop` is set (or `_interrupt` ends it)."""
        raise NotImplementedError

    def _interrupt(self) -> None:
        """Make `_run` return, when setting `_stop` is not enough."""

    def _close(self) -> None:
        """Free what the server holds, once `_run` has returned."""

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._interrupt()
        self._thread.join()
        self._close()


class LoopbackPeer(_Peer):
    """A TCP server on a free loopback port (`port`); each connection is served by
    `serve_connection` in a thread of its own, which should return once `_stop` is set."""

    def __init__(self) -> None:
        super().__init__()
        self._listener = socket.create_server(("127.0.0.1", 0))
        # Short, so that the accepting thread sees `_stop` soon after the block ends.
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]

    def serve_connection(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            self.serve_connection(connection)

    def _close(self) -> None:
        self._listener.close()


class FaultyUpstream(_Peer):
    """The emulator behind a proxy that misbehaves where `rule` says; counts requests."""

    def __init__(self, emulator_url: str, rule: Rule, *, trickle_interval: float = 1.0) -> None:
        super().__init__()
        self.rule = rule
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: the benchmark prints its own figures

            def do_GET(self) -> None:
                owner.requests += 1
                action = owner.rule(self.path) or ""
                if action == "hang":
                    owner._stop.wait()
                    return
                if action == "trickle":
                    trickle(self.wfile.write, owner._stop, trickle_interval)
                    return
                if action.startswith("delay:"):
                    time.sleep(float(action.removeprefix("delay:")))
                headers = {k: v for k, v in self.headers.items() if k.lower() in _PASSED_HEADERS}
                answer = httpx.get(emulator_url + self.path, headers=headers, timeout=60)
                self.send_response(answer.status_code)
                for name in ("Content-Type", "MS-CorrelationId", "MS-RequestId"):
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the service may have given up on it
                    self.wfile.write(answer.content)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _run(self) -> None:
        self._server.serve_forever()

    def _interrupt(self) -> None:
        self._server.shutdown()

    def _close(self) -> None:
        self._server.server_close()


class RedisImpostor(LoopbackPeer):
    """Answers `reply` to every command it reads; `url` is its redis:// URL."""

    def __init__(self, reply: bytes) -> None:
        super().__init__()
        self.reply = reply
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def serve_connection(self, connection: socket.socket) -> None:
        connection.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data = connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            # One reply per command (a pipeline sends several in one chunk).
            commands = data.count(b"\r\n*") + (1 if data.startswith(b"*") else 0)
            connection.sendall(self.reply * max(1, commands))


__all__ = ["FaultyUpstream", "LoopbackPeer", "RedisImpostor", "Rule", "trickle"]
