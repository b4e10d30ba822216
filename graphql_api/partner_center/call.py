"""What every upstream call made for one GraphQL operation shares."""

from __future__ import annotations

from dataclasses import dataclass, field

from .acceptance import credential_key
from .allowance import Allowance
from .answer_cache import AnswerReport
from .tracing import CallTracer


@dataclass(frozen=True, slots=True, weakref_slot=True)
class CallContext:
    """Per-operation call settings: one correlation id ties all of an operation's calls together.

    `authorization` is the full `Authorization` header value sent upstream ("Bearer ...").
    `locale` becomes `X-Locale` when the caller sent `Accept-Language`. `allowance`, when set,
    is spent by every logical call before it leaves (its retries are not counted again).

    `cache_scope` says whose cache entries this operation may read and write: a digest
    computed above this package from the caller's credentials (never the token itself), or
    None to bypass the cache. `refresh` (the caller sent `Cache-Control: no-cache`) fetches
    anew instead of reading a fresh entry. `report` collects what the cache served.

    `caller` names whose share of the partner's bucket the calls spend: a digest computed
    above this package (never a credential), or None for no share of its own.

    `tracer`, when set, follows every attempt and adds its headers (`traceparent`).

    `deadline`, when set, is the `time.monotonic()` by which the operation must be over: a
    call not finished by then ends with OperationDeadlineExceeded, and none starts after it.

    `credential` is the digest Partner Center's verdicts on `authorization` are remembered by
    (`credential_key`), made once for all of the operation's calls.
    """

    authorization: str
    correlation_id: str
    locale: str | None = None
    allowance: Allowance | None = None
    cache_scope: str | None = None
    refresh: bool = False
    report: AnswerReport | None = None
    tracer: CallTracer | None = None
    caller: str | None = None
    deadline: float | None = None
    credential: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "credential", credential_key(self.authorization))

    def __repr__(self) -> str:
        # Never let the bearer token reach a log line or a traceback through repr().
        return f"CallContext(correlation_id={self.correlation_id!r}, locale={self.locale!r})"
