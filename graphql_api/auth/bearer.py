"""The caller's bearer credentials: how `Authorization` is read, and the failure without any."""

from __future__ import annotations

import re

# RFC 6750 `b64token`; anything else is not a bearer token we would forward.
_BEARER = re.compile(r"\A[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)\Z")
_MAX_AUTHORIZATION_LENGTH = 16 * 1024

MISSING_CREDENTIALS = "a bearer token is required: send `Authorization: Bearer ...`"


class NotAuthenticated(Exception):
    """The request carries no bearer credentials to call Partner Center with."""


def bearer_authorization(value: str | None) -> str | None:
    """`Bearer <token>` normalised from an Authorization header, or None if it is not one."""
    if value is None or len(value) > _MAX_AUTHORIZATION_LENGTH:
        return None
    match = _BEARER.match(value.strip())
    return None if match is None else f"Bearer {match.group(1)}"


__all__ = ["MISSING_CREDENTIALS", "NotAuthenticated", "bearer_authorization"]
