"""ASGI middleware that refuses request bodies over a size limit with 413 and a JSON error.

A declared `Content-Length` over the limit is refused before the app sees anything (and
before `100 Continue`, when the client asked for one); a chunked
or understated body is counted as it streams and refused as soon as it passes the limit, so
the app never holds more than `max_bytes` of it.

Before answering, the rest of the body is read and dropped (never kept), up to `DRAIN_BYTES`
and `DRAIN_SECONDS`: a server that closes a connection with unread request data makes the
kernel send a TCP reset, which can destroy the 413 before the client reads it (async httpx
then sees a bare ReadError). Past those bounds the 413 is sent at once and the connection
closed, whatever the client makes of it.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CODE = "PAYLOAD_TOO_LARGE"
# How much of an over-limit body is read and dropped so that the 413 reaches the client.
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 5.0


class BodyTooLarge(Exception):
    """The body being read passed the limit; this middleware answers 413 when it comes back.

    The app may catch it to record the outcome, but must let it propagate.
    """


def _error_body(max_bytes: int) -> bytes:
    message = f"Request body is larger than the limit of {max_bytes} bytes"
    return json.dumps({"errors": [{"message": message, "extensions": {"code": CODE}}]}).encode()


class BodySizeLimitMiddleware:
    """Refuse HTTP request bodies larger than `max_bytes` (413, JSON error body)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a counting `receive`, or answer 413."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            # A client that asked for `100 Continue` has not sent the body: nothing to drain,
            # and reading would make the server invite the upload it is about to refuse.
            if declared <= DRAIN_BYTES and not _expects_continue(scope):
                await _drain(receive)
            await self._refuse(send)
            return

        received = 0
        response_started = False
        body_complete = False

        async def counting_receive() -> Message:
            nonlocal received, body_complete
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if response_started:
                raise
            if not body_complete:
                await _drain(receive)
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = _error_body(self.max_bytes)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is not read: the connection cannot be reused.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    """Read and drop the rest of the request body, within DRAIN_BYTES and DRAIN_SECONDS."""
    drained = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while drained <= DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return
                drained += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        return


def _expects_continue(scope: Scope) -> bool:
    return any(
        name == b"expect" and value.strip().lower() == b"100-continue"
        for name, value in scope.get("headers", ())
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


__all__ = ["CODE", "BodySizeLimitMiddleware", "BodyTooLarge"]
