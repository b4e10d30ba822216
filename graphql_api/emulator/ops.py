"""Operations routes under `/_emulator` (not part of Partner Center): stats, knobs, health.

They need no token: the emulator binds to loopback and these exist for tests, benchmarks
and people at a terminal. Calls to them are never counted in the stats.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from graphql_api.emulator.state import Emulator


def _emulator(request: Request) -> Emulator:
    em: Emulator = request.app.state.emulator
    return em


async def health(request: Request) -> Response:
    """`GET /_emulator/health`: alive, and what data it serves."""
    em = _emulator(request)
    return JSONResponse(
        {"status": "ok", "customers": len(em.dataset.customers), "seed": em.config.seed}
    )


async def stats(request: Request) -> Response:
    """`GET /_emulator/stats`: calls per route, per status, in flight."""
    return JSONResponse(_emulator(request).stats.snapshot())


async def reset_stats(request: Request) -> Response:
    """`POST /_emulator/stats/reset`: zero the counters (and the request log)."""
    em = _emulator(request)
    em.stats.reset()
    return JSONResponse(em.stats.snapshot())


async def requests_log(request: Request) -> Response:
    """`GET /_emulator/requests`: the latest calls with their ids and outcome."""
    return JSONResponse(_emulator(request).stats.requests())


async def get_faults(request: Request) -> Response:
    """`GET /_emulator/faults`: the run-time knobs."""
    return JSONResponse(_emulator(request).config.knobs())


async def put_faults(request: Request) -> Response:
    """`PUT /_emulator/faults`: change some knobs (a JSON object); answer with all of them."""
    try:
        changes: Any = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
    if not isinstance(changes, dict):
        return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
    try:
        return JSONResponse(_emulator(request).configure(**changes))
    except ValueError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


def routes() -> list[Route]:
    """The operations routes, to mount next to the Partner Center ones."""
    return [
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/stats/reset", reset_stats, methods=["POST"]),
        Route("/_emulator/requests", requests_log, methods=["GET"]),
        Route("/_emulator/faults", get_faults, methods=["GET"]),
        Route("/_emulator/faults", put_faults, methods=["PUT"]),
    ]


__all__ = ["routes"]
