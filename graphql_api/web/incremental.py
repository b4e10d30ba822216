"""Incremental delivery (`@defer`, `@stream`) over HTTP: the format `Accept` asks for; the parts.

graphql-core 3.3 answers an operation that defers or streams with a first result and a stream
of later ones, in the format graphql-js 17.0.0-alpha.9 writes (`pending` announcements,
`incremental` entries named by `id` and `subPath`, `completed`, `hasNext`). What a client
gets depends on its `Accept`:

- `multipart/mixed;incrementalSpec=v0.2` (Apollo Client's `GraphQL17Alpha9Handler`), or
  `multipart/mixed` naming no spec: those results as they are, each one part of a
  `multipart/mixed` body;
- `multipart/mixed;deferSpec=20220824` (Apollo Client's `Defer20220824Handler`, Relay's
  flat payloads): the results translated to the 2022 format (graphql-js 17.0.0-alpha.2),
  whose `incremental` entries carry their whole `path` and `label`, with no `pending` or
  `completed`;
- anything else: the results merged into one complete answer, sent as JSON like any other;
  never an error.

Every part's errors are typed as the schema types a result's (`typed_errors`), since
Strawberry's operation hooks end with the first result. A multipart answer is
`Cache-Control: no-store`: its headers leave before the later parts, so before anyone knows
whether they will carry errors. The request's outcome (log line, metrics, span) is settled
when the last part is sent, or as `disconnected` when the client leaves first; leaving closes
graphql-core's stream, which cancels the deferred work, and the request's release then
cancels the upstream calls no other operation awaits.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from enum import StrEnum
from typing import Any, Final

import orjson
from graphql import (
    ExperimentalIncrementalExecutionResults,
    GraphQLError,
    IncrementalResult,
    IncrementalStreamResult,
    InitialIncrementalExecutionResult,
    SubsequentIncrementalExecutionResult,
)
from starlette.requests import Request
from starlette.responses import StreamingResponse
from strawberry.types import ExecutionResult

from ..schema.context import RequestContext
from ..schema.masking import typed_errors
from .cache_policy import stale_note
from .exchange import DISCONNECTED, FAILED, OK, PARTIAL, Outcome, Verdict, exchange_of
from .outcome import CLIENT_CLOSED_STATUS

logger = logging.getLogger("graphql_api.http")

MULTIPART = "multipart/mixed"
BOUNDARY: Final = "-"
_DELIMITER: Final = b"\r\n---"
_PART_HEAD: Final = b"\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
# After the last part's delimiter: the close delimiter's `--`.
_CLOSE: Final = b"--\r\n"


class Format(StrEnum):
    """A multipart format a client may ask for, as `Accept` names it."""

    # graphql-core's own (graphql-js 17.0.0-alpha.9): `pending`, `id`/`subPath`, `completed`.
    V0_2 = "incrementalSpec=v0.2"
    # graphql-js 17.0.0-alpha.2's, of 2022: `incremental` entries with `path` and `label`.
    DEFER_2022 = "deferSpec=20220824"


_SPECS: Mapping[tuple[str, str], Format] = {
    ("incrementalspec", "v0.2"): Format.V0_2,
    ("deferspec", "20220824"): Format.DEFER_2022,
}
_SPEC_PARAMETERS = frozenset({"incrementalspec", "deferspec", "subscriptionspec"})


def _parameters(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in text.split(";"):
        name, equals, value = item.partition("=")
        if equals:
            found[name.strip().lower()] = value.strip().strip("\"'")
    return found


@functools.lru_cache(maxsize=256)
def negotiate(accept: str | None) -> Format | None:
    """The multipart format `accept` asks for, or None: answer with one merged JSON result.

    The `multipart/mixed` range of highest quality that names a format served here wins (the
    first listed among equals); one naming no spec gets graphql-core's own format; a range
    naming another spec (a subscription's, an unknown version) is not one served here.
    """
    best: Format | None = None
    best_quality = 0.0
    for item in (accept or "").split(","):
        media, _, rest = item.partition(";")
        if media.strip().lower() != MULTIPART:
            continue
        parameters = _parameters(rest)
        try:
            quality = float(parameters.get("q", "1"))
        except ValueError:
            quality = 0.0
        chosen = next(
            (fmt for key, fmt in _SPECS.items() if parameters.get(key[0]) == key[1]), None
        )
        if chosen is None and not _SPEC_PARAMETERS & parameters.keys():
            chosen = Format.V0_2
        if chosen is not None and quality > best_quality:
            best, best_quality = chosen, quality
    return best


class _Tally:
    """What the parts came to so far: the request's verdict once the last is sent."""

    def __init__(self, correlation_id: str | None) -> None:
        self.correlation_id = correlation_id
        self.codes: list[str] = []
        self.has_data = False

    def typed(self, errors: list[GraphQLError] | None) -> list[GraphQLError] | None:
        if not errors:
            return errors
        typed = typed_errors(errors, self.correlation_id)
        for error in typed:
            code = (error.extensions or {}).get("code")
            self.codes.append(code if isinstance(code, str) else "UNKNOWN")
        return typed

    def verdict(self) -> Verdict:
        if not self.has_data:
            return Verdict(FAILED, tuple(self.codes))
        return Verdict(PARTIAL if self.codes else OK, tuple(self.codes))


def _at(data: Any, path: list[str | int]) -> Any:
    """The value at `path` in `data`, or None when a null on the way cut it off."""
    for key in path:
        if data is None:
            return None
        data = data[key]
    return data


def _merge(into: dict[str, Any], data: Mapping[str, Any]) -> None:
    """`data` merged into `into`: objects key by key, lists of objects item by item."""
    for key, value in data.items():
        present = into.get(key)
        if isinstance(present, dict) and isinstance(value, Mapping):
            _merge(present, value)
        elif (
            isinstance(present, list)
            and isinstance(value, list)
            and len(present) == len(value)
            and all(isinstance(item, dict) for item in present)
        ):
            for item, more in zip(present, value, strict=True):
                if isinstance(more, Mapping):
                    _merge(item, more)
        else:
            into[key] = value


def _apply(data: Any, path: list[str | int], entry: IncrementalResult) -> None:
    """`entry`'s data or items added at `path` of `data` (nothing where a null cut it off)."""
    target = _at(data, path)
    if isinstance(entry, IncrementalStreamResult):
        if isinstance(target, list):
            target.extend(entry.items)
    elif isinstance(target, dict):
        _merge(target, entry.data)


async def merged(
    results: ExperimentalIncrementalExecutionResults, context: RequestContext | None
) -> tuple[dict[str, Any] | None, list[GraphQLError]]:
    """Every part of `results` merged into one answer's data, and all of their errors typed.

    For a client that accepts no multipart answer: it gets what the operation without its
    `@defer` and `@stream` would have given (a deferred fragment that failed whole leaves its
    fields out, with its error).
    """
    tally = _Tally(None if context is None else context.correlation_id)
    initial = results.initial_result
    data = initial.data
    errors = list(tally.typed(initial.errors) or ())
    paths = {pending.id: pending.path for pending in initial.pending}
    async with aclosing(results.subsequent_results) as later:
        async for part in later:
            for pending in part.pending or ():
                paths[pending.id] = pending.path
            for entry in part.incremental or ():
                _apply(data, [*paths[entry.id], *(entry.sub_path or ())], entry)
                errors.extend(tally.typed(entry.errors) or ())
            for done in part.completed or ():
                errors.extend(tally.typed(done.errors) or ())
    return data, errors


class Parts:
    """One incremental result as the parts of a multipart answer, in the client's format."""

    def __init__(
        self,
        results: ExperimentalIncrementalExecutionResults,
        fmt: Format,
        context: RequestContext | None,
    ) -> None:
        self.format = fmt
        self._results = results
        self._context = context
        self._tally = _Tally(None if context is None else context.correlation_id)
        # Set once every part is sent; `failed`, when a bug cut the parts short.
        self.finished = False
        self.failed = False
        # The 2022 format: each pending result's path and label, and the data sent so far,
        # where a streamed list's length is the index of its next item.
        self._pending: dict[str, tuple[list[str | int], str | None]] = {}
        self._data: dict[str, Any] | None = None

    def response(self, headers: Mapping[str, str]) -> MultipartAnswer:
        """The HTTP answer; `headers` are those the view set already (the correlation id)."""
        return MultipartAnswer(self, headers)

    def outcome(self) -> Outcome:
        """How the request ended: its verdict when every part went out, else disconnected."""
        verdict = self.verdict()
        if self.failed:
            return Outcome(FAILED, 200, (*verdict.error_codes, "INTERNAL_SERVER_ERROR"))
        if not self.finished:
            return Outcome(DISCONNECTED, CLIENT_CLOSED_STATUS, verdict.error_codes)
        return Outcome(verdict.label, 200, verdict.error_codes)

    def verdict(self) -> Verdict:
        """What the parts sent so far came to."""
        return self._tally.verdict()

    async def encoded(self) -> AsyncIterator[bytes]:
        """The multipart body, one chunk per result, each ending with the delimiter after it.

        A client takes a part as whole when it sees the delimiter that follows: sent with
        the part rather than with the next, the first part is read while the calls of the
        later ones are still out.
        """
        yield _DELIMITER + _PART_HEAD + orjson.dumps(self._initial()) + _DELIMITER
        try:
            async for chunk in self._later_chunks():
                yield chunk
        except Exception as bug:
            # The status went out with the first part: all that is left is to end the body
            # (a client sees no `hasNext: false`) and to log the bug, without its message.
            self.failed = True
            logger.error(
                "unexpected %s while sending the later parts (correlation id %s)",
                type(bug).__name__,
                self._tally.correlation_id,
                extra={"correlation_id": self._tally.correlation_id},
            )
        else:
            self.finished = True
        yield _CLOSE

    async def _later_chunks(self) -> AsyncIterator[bytes]:
        async with aclosing(self._results.subsequent_results) as later:
            async for part in later:
                payload = self._subsequent(part)
                if not part.has_next:
                    extension = None if self._context is None else stale_note(self._context.answers)
                    if extension is not None:
                        extensions = {**payload.get("extensions", {}), "cache": extension}
                        payload["extensions"] = extensions
                # A 2022 part with nothing to deliver (only announcements) is left out.
                if not part.has_next or len(payload) > 1:
                    yield _PART_HEAD + orjson.dumps(payload) + _DELIMITER

    def _initial(self) -> dict[str, Any]:
        initial: InitialIncrementalExecutionResult = self._results.initial_result
        initial.errors = self._tally.typed(initial.errors)
        self._tally.has_data = initial.data is not None
        if self.format is Format.V0_2:
            return dict(initial.formatted)
        self._announce(initial.pending)
        self._data = initial.data
        payload: dict[str, Any] = {"data": initial.data}
        if initial.errors:
            payload["errors"] = [error.formatted for error in initial.errors]
        payload["hasNext"] = initial.has_next
        if initial.extensions:
            payload["extensions"] = initial.extensions
        return payload

    def _subsequent(self, part: SubsequentIncrementalExecutionResult) -> dict[str, Any]:
        for entry in part.incremental or ():
            entry.errors = self._tally.typed(entry.errors)
        for done in part.completed or ():
            done.errors = self._tally.typed(done.errors)
        if self.format is Format.V0_2:
            return dict(part.formatted)
        return self._as_2022(part)

    def _announce(self, pending: list[Any] | None) -> None:
        for announced in pending or ():
            self._pending[announced.id] = (announced.path, announced.label)

    def _as_2022(self, part: SubsequentIncrementalExecutionResult) -> dict[str, Any]:
        """`part` in the 2022 format: entries located by path and label."""
        self._announce(part.pending)
        entries: list[dict[str, Any]] = []
        for entry in part.incremental or ():
            path, label = self._pending[entry.id]
            if isinstance(entry, IncrementalStreamResult):
                sent = _at(self._data, path)
                start = len(sent) if isinstance(sent, list) else 0
                located: dict[str, Any] = {"items": entry.items, "path": [*path, start]}
                _apply(self._data, path, entry)
            else:
                located = {"data": entry.data, "path": [*path, *(entry.sub_path or ())]}
                _apply(self._data, located["path"], entry)
            if label is not None:
                located["label"] = label
            if entry.errors:
                located["errors"] = [error.formatted for error in entry.errors]
            entries.append(located)
        for done in part.completed or ():
            path, label = self._pending.pop(done.id)
            if done.errors:
                # A fragment nulled whole (or a stream that failed): 2022 said so with a null.
                failed: dict[str, Any] = {"data": None, "path": path}
                if label is not None:
                    failed["label"] = label
                failed["errors"] = [error.formatted for error in done.errors]
                entries.append(failed)
        payload: dict[str, Any] = {"hasNext": part.has_next}
        if entries:
            payload["incremental"] = entries
        if part.extensions:
            payload["extensions"] = part.extensions
        return payload


async def deliver(
    request: Request, results: ExperimentalIncrementalExecutionResults
) -> ExecutionResult:
    """What the view goes on with: `results` merged when `Accept` takes no multipart answer;
    else `results` itself, its parts noted on the request's exchange for the view to stream.
    """
    exchange = exchange_of(request)
    fmt = negotiate(request.headers.get("accept"))
    if fmt is None:
        data, errors = await merged(results, exchange.context)
        return ExecutionResult(data=data, errors=errors or None)
    exchange.incremental = Parts(results, fmt, exchange.context)
    # Strawberry's view streams it, through the view's `create_streaming_response`.
    return results  # type: ignore[return-value]


class MultipartAnswer(StreamingResponse):
    """A `multipart/mixed` answer whose parts are an incremental result's."""

    def __init__(self, parts: Parts, headers: Mapping[str, str]) -> None:
        super().__init__(
            parts.encoded(),
            status_code=200,
            headers={
                **headers,
                "Content-Type": f'{MULTIPART}; boundary="{BOUNDARY}"; {parts.format.value}',
                "Cache-Control": "no-store",
            },
        )
        self.parts = parts


__all__ = [
    "Format",
    "MultipartAnswer",
    "Parts",
    "deliver",
    "merged",
    "negotiate",
]
