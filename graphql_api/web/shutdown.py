"""What a GraphQL request still running when the server stops is answered: a JSON 503.

uvicorn waits `SHUTDOWN_TIMEOUT` for running requests, then cancels their tasks. A task that
lets the cancellation through gets uvicorn's bare `500 text/plain` and an "Exception in ASGI
application" error line, though nothing failed but the wait. The GraphQL view catches it
instead (`cut_by_shutdown`), answers `503` with a GraphQL error body coded `SHUTTING_DOWN` and
`Retry-After` (another replica, or this one restarted, will serve the retry), and logs the
request with what was sent.

Example:
    try:
        response = await run(request)
    except asyncio.CancelledError:
        response, failure = cut_by_shutdown(media_type, correlation_id)
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.responses import Response

CODE = "SHUTTING_DOWN"
STATUS = 503
# Seconds a client should wait before retrying: the balancer has taken this replica out by then.
RETRY_AFTER = "1"
MESSAGE = "The server stopped before this request could finish; retry it."


class ServerStopping(Exception):
    """The request was cut by the server's shutdown; its answer is the 503 made here."""


def cut_by_shutdown(media_type: str, correlation_id: str | None) -> tuple[Response, Exception]:
    """The 503 for a request whose task the server cancelled, with the failure to log.

    Takes the cancellation back (`Task.uncancel`): answering is how this request ends, and
    the task ends right after, so nothing else was waiting on the cancellation.
    """
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()
    headers = {"Cache-Control": "no-store", "Retry-After": RETRY_AFTER}
    if correlation_id:
        headers["MS-CorrelationId"] = correlation_id
    body = {"errors": [{"message": MESSAGE, "extensions": {"code": CODE}}]}
    response = Response(
        orjson.dumps(body),
        status_code=STATUS,
        headers=headers,
        media_type=f"{media_type}; charset=utf-8",
    )
    return response, ServerStopping()


__all__ = ["CODE", "STATUS", "ServerStopping", "cut_by_shutdown"]
