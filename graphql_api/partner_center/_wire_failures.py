"""A wire's failures in the client's own words: one table per HTTP library, one lookup.

Each wire maps the exceptions of the library it wraps straight to the client's transport
errors (as httpx maps httpcore's), so a failure is translated once, where it happens:

    UpstreamTimeout             no answer in time: connecting, or between reads
    UpstreamUnavailable         no answer: refused, reset, DNS, TLS, a broken answer
    UpstreamMalformedResponse   an answer whose `Content-Encoding` does not decode

Each row also names the failure the way httpx does (`ConnectError`, `ReadTimeout`, ...),
so that the message reads the same whichever library carries the call. The wire does not
know the call's ids; the client adds them.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import PartnerCenterError, UpstreamMalformedResponse, UpstreamTimeout

# (the library's exception types, the client's error, its name; None: the exception's own).
# Most specific first: the first row that matches decides.
_Kinds = type[BaseException] | tuple[type[BaseException], ...]
FailureTable = Sequence[tuple[_Kinds, type[PartnerCenterError], str | None]]


def wire_failure(exc: BaseException, table: FailureTable) -> PartnerCenterError | None:
    """The client's error for the library's failure `exc`, or None when the table has none."""
    for kinds, error, name in table:
        if isinstance(exc, kinds):
            return _failure(error, name or type(exc).__name__)
    return None


def _failure(error: type[PartnerCenterError], name: str) -> PartnerCenterError:
    if issubclass(error, UpstreamTimeout):
        return error(f"Partner Center did not answer in time ({name})")
    if issubclass(error, UpstreamMalformedResponse):
        return error("Partner Center sent a body that could not be decoded")
    return error(f"Partner Center could not be reached ({name})")


__all__ = ["FailureTable", "wire_failure"]
