"""Injected failures: a registry of named fault kinds and the rules that choose one.

A fault kind is a function from `FaultContext` to a Starlette `Response` (any ASGI app a
`Response` subclass can express, so a kind that streams half a body and then drops the
connection fits too). Adding one is a few lines:

    @fault("truncated_json")
    def _truncated(ctx: FaultContext) -> Response:
        return Response(b'{"totalCount": 3, "items": [', 200, media_type=errors.JSON_TYPE)

after which it can be named in `error_kinds` and as a `customer_faults` value.

Which calls fail is decided by `choose` from a seeded `random.Random`, so a run with the
same seed and the same sequence of calls fails the same calls.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from graphql_api.emulator import errors
from graphql_api.emulator.config import EmulatorConfig


@dataclass(frozen=True, slots=True)
class FaultContext:
    """What a fault kind may need to shape its answer."""

    bom: bool
    retry_after: int
    # Size of the `huge_response` body; streamed, so the emulator never holds it.
    huge_response_bytes: int = 50 * 1024 * 1024


Fault = Callable[[FaultContext], Response]
FAULTS: dict[str, Fault] = {}


def fault(name: str) -> Callable[[Fault], Fault]:
    """Register a fault kind under `name`."""

    def register(func: Fault) -> Fault:
        FAULTS[name] = func
        return func

    return register


@fault("server_error")
def _server_error(ctx: FaultContext) -> Response:
    return errors.partner_fd(500, errors.UNEXPECTED, "Unexpected service error", bom=ctx.bom)


@fault("bad_gateway")
def _bad_gateway(ctx: FaultContext) -> Response:
    # Load balancers answer with an HTML page, not JSON.
    html = (
        "<html><head><title>502 Bad Gateway</title></head>"
        "<body><h1>Bad Gateway</h1></body></html>"
    )
    return Response(html, status_code=502, media_type="text/html")


@fault("service_unavailable")
def _service_unavailable(ctx: FaultContext) -> Response:
    return errors.gateway(503, "The service is temporarily unavailable.",
                          headers={"Retry-After": str(ctx.retry_after)})


@fault("gateway_timeout")
def _gateway_timeout(ctx: FaultContext) -> Response:
    return Response(b"", status_code=504)


@fault("throttled")
def _throttled(ctx: FaultContext) -> Response:
    return errors.throttled(ctx.retry_after)


@fault("bad_request")
def _bad_request(ctx: FaultContext) -> Response:
    return errors.partner_fd(400, errors.INVALID_INPUT, "Invalid request input", bom=ctx.bom)


@fault("unauthorized")
def _unauthorized(ctx: FaultContext) -> Response:
    return errors.partner_fd(401, errors.ACCESS_DENIED, "Access denied", bom=ctx.bom)


@fault("forbidden")
def _forbidden(ctx: FaultContext) -> Response:
    return errors.partner_fd(
        403, errors.NO_RELATIONSHIP, "No relationship between caller and account.", bom=ctx.bom
    )


@fault("not_found")
def _not_found(ctx: FaultContext) -> Response:
    return errors.partner_fd(404, errors.TENANT_NOT_FOUND, "Tenant not found", bom=ctx.bom)


@fault("not_implemented")
def _not_implemented(ctx: FaultContext) -> Response:
    return errors.partner_fd(501, errors.NOT_DEFINED, "Exception not defined", bom=ctx.bom)


# --- Misbehaving upstreams: answers that are not errors by status, or not whole -----------
# These exist for the reliability suite: a 200 the client cannot read, an answer too big to
# hold, a connection dropped half-way. Each fits every customer route (list, get, profiles).


@fault("truncated_json")
def _truncated_json(ctx: FaultContext) -> Response:
    # A complete HTTP message (Content-Length matches) whose JSON stops mid-value, as when a
    # proxy cuts a buffered body short.
    body = b'{"totalCount":2,"items":[{"id":"0b5c1f0e-3f7a-4c55-9a55-2f0d5c8a1e01","companyProf'
    return Response((errors.BOM if ctx.bom else b"") + body, 200, media_type=errors.JSON_TYPE)


@fault("html_error_page")
def _html_error_page(ctx: FaultContext) -> Response:
    # A web server's own error page, in front of the API: a 500 that is not JSON at all.
    html = (
        "<!DOCTYPE html><html><head><title>500 - Internal server error.</title></head><body>"
        "<h1>Server Error</h1><h2>500 - Internal server error.</h2>"
        "<p>There is a problem with the resource you are looking for.</p></body></html>"
    )
    return Response(html, status_code=500, media_type="text/html")


@fault("html_page")
def _html_page(ctx: FaultContext) -> Response:
    # A 200 that is an HTML page: a sign-in or captive-portal page from a proxy on the way.
    html = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in</body></html>"
    return Response(html, status_code=200, media_type="text/html")


@fault("wrong_shape")
def _wrong_shape(ctx: FaultContext) -> Response:
    # Valid JSON of the wrong shape for every customer route: a list page needs `items` as a
    # list, a customer a string `id`, a profile string fields.
    payload = {
        "id": 12345,
        "items": {"unexpected": True},
        "totalCount": "many",
        "email": ["not", "a", "string"],
        "companyName": False,
    }
    return errors.json_response(200, payload, bom=ctx.bom)


_HUGE_CHUNK = 64 * 1024


@fault("huge_response")
def _huge_response(ctx: FaultContext) -> Response:
    # A 200 list page whose one item carries a string of `huge_response_bytes`, sent chunked
    # (no Content-Length, so a client cannot refuse it up front): only reading stops it.
    head = b'{"totalCount":1,"items":[{"id":"0b5c1f0e-3f7a-4c55-9a55-2f0d5c8a1e01","padding":"'
    tail = b'"}]}'
    size = max(ctx.huge_response_bytes - len(head) - len(tail), 0)
    chunk = b"x" * _HUGE_CHUNK

    async def body() -> AsyncIterator[bytes]:
        yield head
        left = size
        while left > 0:
            # One shared chunk object: memory stays flat whatever the size.
            yield chunk if left >= _HUGE_CHUNK else chunk[:left]
            left -= _HUGE_CHUNK
        yield tail

    return StreamingResponse(body(), status_code=200, media_type=errors.JSON_TYPE)


class _DroppedMidBody(Response):
    """Declares a Content-Length, sends part of the body, then lets the connection close.

    Returning without the rest makes uvicorn close the connection (it logs one line saying
    the response was not completed): the client sees the peer go away mid-body.
    """

    def __init__(self, declared: int, sent: bytes) -> None:
        super().__init__(status_code=200, media_type=errors.JSON_TYPE)
        self.declared = declared
        self.sent = sent
        self.headers["content-length"] = str(declared)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code,
             "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.sent, "more_body": True})


@fault("connection_reset")
def _connection_reset(ctx: FaultContext) -> Response:
    sent = b'{"totalCount":500,"items":[{"id":"0b5c1f0e-3f7a-4c55-9a55-2f0d5c8a1e01",'
    return _DroppedMidBody(declared=64 * 1024, sent=sent)


# The kind a bare status in `customer_faults` stands for.
STATUS_KINDS: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    429: "throttled",
    500: "server_error",
    501: "not_implemented",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def known_kinds() -> frozenset[str]:
    """Names usable in `error_kinds` and `customer_faults`."""
    return frozenset(FAULTS)


def render(spec: int | str, ctx: FaultContext) -> Response:
    """The response for a fault given by kind name or by HTTP status."""
    if isinstance(spec, str):
        return FAULTS[spec](ctx)
    kind = STATUS_KINDS.get(spec)
    if kind is not None:
        return FAULTS[kind](ctx)
    return errors.partner_fd(spec, errors.NOT_DEFINED, "Injected failure", bom=ctx.bom)


def choose(config: EmulatorConfig, rng: random.Random) -> str | None:
    """Roll the dice for one call: a fault kind from the 429, 5xx and misbehaving rates, or None.

    A rate of 0 rolls nothing, so turning a new knob on never shifts the calls that the
    other rates pick for a seed while it is off.
    """
    if config.throttle_rate > 0 and rng.random() < config.throttle_rate:
        return "throttled"
    if config.error_rate > 0 and rng.random() < config.error_rate:
        return rng.choice(config.error_kinds)
    if config.misbehave_rate > 0 and rng.random() < config.misbehave_rate:
        return rng.choice(config.misbehave_kinds)
    return None


def slow_delay(config: EmulatorConfig, rng: random.Random) -> float:
    """Seconds to hold one call back: `slow_ms` for a `slow_rate` fraction of calls, else 0."""
    if config.slow_rate > 0 and config.slow_ms > 0 and rng.random() < config.slow_rate:
        return config.slow_ms / 1000
    return 0.0


def for_customer(config: EmulatorConfig, route_path: str) -> int | str | None:
    """The configured fault for a per-customer path like `<id>/profiles/billing`, if any.

    A key naming the exact route wins over one naming just the customer.
    """
    if not config.customer_faults:
        return None
    route_path = route_path.lower()
    exact = config.customer_faults.get(route_path)
    if exact is not None:
        return exact
    return config.customer_faults.get(route_path.split("/", 1)[0])


def hangs(config: EmulatorConfig, url_path: str) -> bool:
    """True when `url_path` falls under one of the configured hang prefixes."""
    return any(url_path.startswith(prefix) for prefix in config.hang_paths)


async def hang(receive: Receive, seconds: float) -> bool:
    """Answer nothing until the client goes away (True) or `seconds` pass (False).

    Waiting on `receive` rather than sleeping blind lets the handler end as soon as the
    client disconnects, so a server with a hung call can still shut down promptly.
    """

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_disconnect(), timeout=seconds)
    except TimeoutError:
        return False
    return True


__all__ = [
    "FAULTS",
    "STATUS_KINDS",
    "Fault",
    "FaultContext",
    "choose",
    "fault",
    "for_customer",
    "hang",
    "hangs",
    "known_kinds",
    "render",
    "slow_delay",
]
