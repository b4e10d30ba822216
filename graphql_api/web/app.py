"""The Starlette app: `/graphql` (GraphQL over HTTP, GraphiQL), `/healthz`, `/readyz`, `/metrics`.

One `PartnerCenterClient` (one connection pool) lives for the app's lifetime, opened and closed
by the lifespan; everything per request (context, loaders) is made by the GraphQL view.

Example:
    app = create_app(Settings.from_env())
    uvicorn.run(app)
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry import Schema
from strawberry.extensions import SchemaExtension

from ..auth.authentication import Authenticator
from ..config import Settings
from ..graphiql import STATIC_PATH, AssetDirectory, GraphiQLPage
from ..observability import Tracing
from ..observability.ftv1 import TrustedFederatedTracing
from ..observability.metrics import MeteredWire, Metrics
from ..partner_center import Clocks, PartnerCenterClient, SharedState, Wire, user_agent
from ..schema.operation_record import OperationObserver
from ..speed import upstream_wire
from .body_limit import BodySizeLimitMiddleware
from .collector import tune_for_serving
from .cors import cors_middleware
from .graphql_view import GraphQLView
from .limits import hardening_extensions
from .persisted import PersistedRequests, persisted_requests
from .prepared import PreparedDocuments
from .readiness import ProbeResult, SharedProbe, probe_upstream

GRAPHQL_PATH = "/graphql"


def http_extensions(
    settings: Settings, prepared: PreparedDocuments | None = None
) -> list[Callable[[], SchemaExtension]]:
    """The schema extensions the HTTP layer relies on: its observer, the limits, the caches,
    and ftv1 traces for trusted callers when `FTV1_SECRET` is set.

    Pass them to a schema built outside `create_app` (`create_app` does it for its own);
    `prepared` is where the manifest's documents will be kept once prepared.
    """
    extensions: list[Callable[[], SchemaExtension]] = [
        OperationObserver,
        *hardening_extensions(settings.server, prepared),
    ]
    if settings.server.ftv1_secret is not None:
        secret = settings.server.ftv1_secret.get_secret_value().encode()
        extensions.append(functools.partial(TrustedFederatedTracing, secret=secret))
    return extensions


@dataclass(slots=True)
class _Resources:
    """What the app holds: its settings, metrics and clocks, and what the lifespan opens (the
    shared upstream client, the readiness prober, the authenticator)."""

    settings: Settings
    metrics: Metrics
    clocks: Clocks
    tracing: Tracing | None = None
    persisted: PersistedRequests | None = None
    client: PartnerCenterClient | None = None
    probe: Wire | None = None
    readiness: SharedProbe | None = None
    authenticator: Authenticator | None = None

    def require_client(self) -> PartnerCenterClient:
        if self.client is None:
            raise RuntimeError("the app's lifespan has not started: no Partner Center client")
        return self.client

    def require_authenticator(self) -> Authenticator:
        if self.authenticator is None:
            raise RuntimeError("the app's lifespan has not started: no authenticator")
        return self.authenticator


def _resources(app: Starlette) -> _Resources:
    resources: _Resources = app.state.resources
    return resources


def _upstream_wire(settings: Settings, metrics: Metrics) -> Wire:
    """The client's own wire (the speed layer's choice), counting every request."""
    return MeteredWire(upstream_wire(settings.upstream, settings.speed), metrics)


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """Open the upstream client, the readiness prober and the authenticator; close them."""
    resources = _resources(app)
    settings, metrics, clocks = resources.settings, resources.metrics, resources.clocks
    # The answer cache and the bucket: in-process, or in Redis when REDIS_URL is set so that
    # every worker and replica shares them.
    sharing = SharedState.build(
        settings.shared, upstream=settings.upstream.base_url, observer=metrics, clocks=clocks
    )
    resources.client = PartnerCenterClient(
        settings.upstream, transport=_upstream_wire(settings, metrics), sharing=sharing
    )
    # The readiness probe's own wire, of the client's kind and settings, uncounted.
    resources.probe = probe_wire = upstream_wire(settings.upstream, settings.speed)

    def probe() -> Awaitable[ProbeResult]:
        return probe_upstream(
            probe_wire,
            settings.upstream.base_url,
            within_seconds=settings.server.readiness_timeout,
            user_agent=user_agent(probe_wire),
        )

    resources.readiness = SharedProbe(
        probe, reuse_for=settings.server.readiness_reuse, clock=clocks.monotonic
    )
    # Callers' tokens and the upstream credentials, per settings.auth (authentication.py).
    resources.authenticator = Authenticator(settings.auth)
    if resources.persisted is not None:
        await resources.persisted.open()
    try:
        yield
    finally:
        if resources.persisted is not None:
            await resources.persisted.aclose()
        await resources.client.aclose()
        await resources.probe.aclose()
        await resources.authenticator.aclose()
        if resources.tracing is not None:
            await asyncio.to_thread(resources.tracing.shutdown)
        resources.client = resources.probe = resources.authenticator = None
        resources.readiness = None


async def healthz(_: Request) -> Response:
    """The process is alive."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Partner Center answers, within the readiness timeout."""
    resources = _resources(request.app)
    if resources.readiness is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    result = await resources.readiness.result()
    resources.metrics.readiness(result.ready)
    return JSONResponse(
        {"status": "ready" if result.ready else "unavailable", "upstream": result.detail},
        status_code=200 if result.ready else 503,
    )


async def metrics_endpoint(request: Request) -> Response:
    """The Prometheus text of the app's metrics."""
    body, content_type = _resources(request.app).metrics.render()
    return Response(body, headers={"Content-Type": content_type})


def create_app(
    settings: Settings | None = None,
    *,
    schema: Schema | None = None,
    tracing: Tracing | None = None,
    clocks: Clocks | None = None,
) -> Starlette:
    """The service as an ASGI app.

    `schema` defaults to the service's own; one given here should carry `http_extensions`.
    `tracing` (None: off) is shut down, its last spans exported, when the app stops.
    `clocks` (None: the real ones) time the answer cache, the bucket, the verdicts on
    credentials, the pause after a Redis failure and the reuse of a readiness result.
    """
    settings = settings if settings is not None else Settings.from_env()
    server = settings.server
    prepared = PreparedDocuments()
    if schema is None:
        from ..schema import create_schema

        schema = create_schema(settings, extensions=http_extensions(settings, prepared))
    resources = _Resources(
        settings=settings, metrics=Metrics(), clocks=clocks or Clocks(), tracing=tracing
    )
    # The manifests' documents, prepared once; a bad one is a ManifestError naming it.
    resources.persisted = persisted_requests(settings, schema, prepared, resources.metrics)
    graphiql = (
        GraphiQLPage(
            endpoint=GRAPHQL_PATH,
            assets=AssetDirectory.locate(server.graphiql_assets_dir),
            demo_token=server.graphiql_demo_token,
        )
        # Trusted mode runs no typed text, so GraphiQL would have nothing to run.
        if server.graphiql and not server.trusted_documents_only
        else None
    )
    view = GraphQLView(
        schema,
        settings=settings,
        client=resources.require_client,
        authenticator=resources.require_authenticator,
        metrics=resources.metrics,
        graphiql=graphiql,
        spans=None if tracing is None else tracing.spans,
        persisted=resources.persisted,
    )
    routes = [
        Route(GRAPHQL_PATH, view),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]
    if graphiql is not None:
        routes.append(Route(f"{STATIC_PATH}/{{name}}", graphiql.asset, methods=["GET"]))
    middleware = []
    cors = cors_middleware(server)
    if cors is not None:
        middleware.append(cors)
    # Inside CORS, so that a 413 still carries the CORS headers a browser needs to read it.
    middleware.append(Middleware(BodySizeLimitMiddleware, max_bytes=server.max_body_bytes))

    app = Starlette(routes=routes, middleware=middleware, lifespan=_lifespan)
    app.state.resources = resources
    app.state.metrics = resources.metrics
    return app


def app_from_env() -> Starlette:
    """Factory for `uvicorn --factory` (each worker process builds its own app from env).

    It is what `graphql-api serve` runs in each worker, so it also sets the process's
    garbage collector for serving (collector.py).
    """
    app = create_app(Settings.from_env(), tracing=Tracing.from_env())
    tune_for_serving()
    return app


__all__ = ["GRAPHQL_PATH", "app_from_env", "create_app", "http_extensions"]
