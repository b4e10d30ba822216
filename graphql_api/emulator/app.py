"""`create_emulator_app`: the Starlette app, and the gate every customer call passes first.

Order of the gate, for each call to a `/v1` customer route:

1. count the call in the stats (so failed and injected calls are counted too);
2. wait `latency_ms`, plus `slow_ms` for a `slow_rate` fraction of calls;
3. hang, if the path is under a `hang_paths` prefix;
4. 401 without `Authorization: Bearer <token>` (or when the token checker refuses it);
5. 429 past `throttle_per_minute` for this principal in this clock minute;
6. a random fault from `throttle_rate` / `error_rate` / `misbehave_rate`;
7. a per-customer fault from `customer_faults`;
8. the route's own validation and answer.

Every answer carries `MS-RequestId` and `MS-CorrelationId`, echoed from the request when
it sent them and generated otherwise.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graphql_api.emulator import errors, faults, ops, routes
from graphql_api.emulator.config import EmulatorConfig, Principal
from graphql_api.emulator.identity import IdentityProvider
from graphql_api.emulator.state import Clock, Emulator
from graphql_api.emulator.stats import CallRecord

Handler = Callable[[Emulator, Request, Principal], Response]
_CUSTOMER_PREFIX = "/v1/customers/"


def _stamp(response: Response, request: Request) -> Response:
    for name in ("MS-RequestId", "MS-CorrelationId"):
        response.headers[name] = request.headers.get(name) or str(uuid.uuid4())
    return response


def _unauthorized(em: Emulator, request: Request) -> Response:
    bom = em.config.bom
    if not request.headers.get("authorization"):
        return errors.partner_fd(401, errors.TOKEN_MISSING,
                                 "Partner token missing in request context", bom=bom)
    return errors.partner_fd(401, errors.ACCESS_DENIED, "Access denied", bom=bom)


async def _answer(em: Emulator, request: Request, handler: Handler) -> Response | None:
    config = em.config
    ctx = faults.FaultContext(
        bom=config.bom,
        retry_after=config.retry_after_seconds,
        huge_response_bytes=config.huge_response_bytes,
    )
    path: str = request.scope["path"]
    delay = config.latency_ms / 1000 + faults.slow_delay(config, em.dice)
    if delay > 0:
        await asyncio.sleep(delay)
    if faults.hangs(config, path):
        if await faults.hang(request.receive, config.hang_seconds):
            return None
        return faults.render("gateway_timeout", ctx)
    principal = em.authenticate(request.headers.get("authorization"))
    if principal is None:
        return _unauthorized(em, request)
    retry_after = em.budget.take(
        principal.key, now=em.clock(), per_minute=config.throttle_per_minute
    )
    if retry_after is not None:
        return errors.throttled(retry_after)
    kind = faults.choose(config, em.dice)
    if kind is not None:
        return faults.render(kind, ctx)
    if path.startswith(_CUSTOMER_PREFIX):
        spec = faults.for_customer(config, path[len(_CUSTOMER_PREFIX) :])
        if spec is not None:
            return faults.render(spec, ctx)
    try:
        return handler(em, request, principal)
    except errors.RequestRejected as rejected:
        return errors.rejected(rejected, bom=config.bom)


def _record(request: Request, route: str, status: int | None) -> CallRecord:
    headers = request.headers
    return CallRecord(
        route=route,
        method=request.method,
        path=request.scope["path"],
        status=status,
        request_id=headers.get("ms-requestid"),
        correlation_id=headers.get("ms-correlationid"),
        locale=headers.get("x-locale"),
        traceparent=headers.get("traceparent"),
        tracestate=headers.get("tracestate"),
    )


def _endpoint(route: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        em: Emulator = request.app.state.emulator
        name = "next" if route == "list" and routes.seek_param(request) is not None else route
        em.stats.arrived(name)
        status: int | None = 500  # what a crash below would become
        try:
            response = await _answer(em, request, handler)
            status = None if response is None else response.status_code
        finally:
            em.stats.finished(_record(request, name, status))
        # None: the client left during a hang; nobody reads this answer.
        return _stamp(response or Response(b"", 504), request)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown routes and wrong methods, answered in the gateway's shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    em: Emulator = request.app.state.emulator
    counted = not request.scope["path"].startswith("/_emulator")
    if counted:
        em.stats.arrived("other")
    if status == 404:
        response = errors.gateway(404, "Resource not found")
    else:
        detail = exc.detail if isinstance(exc, HTTPException) else "Internal Server Error"
        response = errors.gateway(status, detail)
    if isinstance(exc, HTTPException) and exc.headers:
        response.headers.update(exc.headers)
    if counted:
        em.stats.finished(_record(request, "other", status))
    return _stamp(response, request)


def create_emulator_app(
    config: EmulatorConfig | None = None,
    *,
    clock: Clock = time.time,
    identity: IdentityProvider | None = None,
) -> Starlette:
    """Build the emulator app; its live state is `app.state.emulator` (an `Emulator`).

    `app.state.identity` is its Entra-shaped identity provider (token endpoint, JWKS).
    With `require_issued_tokens` and no `token_checker`, the customer routes accept only
    tokens that provider issued.
    """
    identity = identity or IdentityProvider()
    config = config or EmulatorConfig()
    if config.require_issued_tokens and config.token_checker is None:
        config = replace(config, token_checker=identity.check_token)
    emulator = Emulator(config, clock=clock)
    app = Starlette(
        routes=[
            Route("/v1/customers", _endpoint("list", routes.list_customers)),
            Route("/v1/customers/{customer_id}", _endpoint("customer", routes.get_customer)),
            Route("/v1/customers/{customer_id}/profiles/company",
                  _endpoint("company", routes.get_company_profile)),
            Route("/v1/customers/{customer_id}/profiles/billing",
                  _endpoint("billing", routes.get_billing_profile)),
            *ops.routes(),
            *identity.routes(),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    # Partner Center does not redirect `/v1/customers/` to `/v1/customers`; neither do we.
    app.router.redirect_slashes = False
    app.state.emulator = emulator
    app.state.identity = identity
    return app


__all__ = ["create_emulator_app"]
