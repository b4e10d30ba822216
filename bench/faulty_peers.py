"""Peers that misbehave, over real sockets, for the hostile benchmark's fault attacks.

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

import httpx

# A rule: the path (with its query) -> "trickle", "hang", "delay:<seconds>", or None (pass).
Rule = Callable[[str], str | None]
_PASSED_HEADERS = ("authorization", "ms-correlationid", "ms-requestid", "ms-continuationtoken")


class FaultyUpstream:
    """The emulator behind a proxy that misbehaves where `rule` says; counts requests."""

    def __init__(self, emulator_url: str, rule: Rule, *, trickle_interval: float = 1.0) -> None:
        self.rule = rule
        self.requests = 0
        self._stop = threading.Event()
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
                    self._trickle()
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

            def _trickle(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                self.wfile.write(b"{")
                try:
                    while not owner._stop.wait(trickle_interval):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except OSError:
                    return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultyUpstream:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class RedisImpostor:
    """Answers `reply` to every command it reads; `url` is its redis:// URL."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self.url = f"redis://127.0.0.1:{self._listener.getsockname()[1]}/0"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
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

    def __enter__(self) -> RedisImpostor:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()


__all__ = ["FaultyUpstream", "RedisImpostor", "Rule"]
