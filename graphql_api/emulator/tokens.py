"""Continuation tokens: the state of a listing, sealed so a client can carry but not forge it.

Partner Center's seek request carries no size and no filter, only the token (the SDKs send
`seekOperation=Next` alone), so the token must hold the whole query state [inferred in the
notes]. Here it holds the offset of the next item, the page size, the filter and the time it
was issued. The format is `1,<base64 JSON>,<base64url HMAC-SHA256>`: opaque to clients, and
full of `,` `/` `+` `=` `_` and `-` like real tokens, so a client that puts one in a URL
instead of the `MS-ContinuationToken` header breaks visibly. The HMAC (keyed per emulator)
makes a tampered, truncated or foreign token fail verification instead of being trusted.

Expiry is not documented upstream [U]. The emulator refuses a token older than the
configured TTL with a description distinct from a garbled one; app.py picks the status.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

_VERSION = "1"
_MAC_BYTES = 18


class TokenError(Exception):
    """The token cannot be honoured."""


class InvalidToken(TokenError):
    """Garbled, tampered with, or issued by another emulator."""


class ExpiredToken(TokenError):
    """Genuine, but older than the token lifetime."""


@dataclass(frozen=True, slots=True)
class PageState:
    """Where the next page starts, and the query it belongs to."""

    offset: int
    size: int
    field: str | None
    value: str | None
    issued_at: float


def secret_for_seed(seed: int) -> bytes:
    """A token key derived from the data seed, so processes sharing a seed share tokens."""
    return hashlib.sha256(f"graphql_api emulator token key {seed}".encode()).digest()


class TokenCodec:
    """Issues and verifies continuation tokens with one HMAC key."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._secret, f"{_VERSION},{payload}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:_MAC_BYTES]).decode("ascii")

    def issue(self, state: PageState) -> str:
        """Seal `state` into a token."""
        body = {
            "o": state.offset,
            "s": state.size,
            "f": [state.field, state.value] if state.field is not None else None,
            "t": round(state.issued_at, 3),
        }
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        payload = base64.b64encode(raw).decode("ascii")
        return f"{_VERSION},{payload},{self._mac(payload)}"

    def read(self, token: str, *, now: float, ttl_seconds: float) -> PageState:
        """Verify `token` and return its state; raise InvalidToken or ExpiredToken."""
        parts = token.strip().split(",")
        if len(parts) != 3 or parts[0] != _VERSION:
            raise InvalidToken("malformed continuation token")
        payload, mac = parts[1], parts[2]
        if not hmac.compare_digest(self._mac(payload), mac):
            raise InvalidToken("continuation token failed verification")
        try:
            body = json.loads(base64.b64decode(payload, validate=True))
            filt = body["f"]
            state = PageState(
                offset=int(body["o"]),
                size=int(body["s"]),
                field=None if filt is None else str(filt[0]),
                value=None if filt is None else str(filt[1]),
                issued_at=float(body["t"]),
            )
        except (binascii.Error, ValueError, KeyError, TypeError, IndexError):
            # Only reachable with a forged MAC, i.e. a leaked key; still never a 500.
            raise InvalidToken("continuation token unreadable") from None
        if ttl_seconds > 0 and now - state.issued_at > ttl_seconds:
            raise ExpiredToken("continuation token expired")
        return state


__all__ = [
    "ExpiredToken",
    "InvalidToken",
    "PageState",
    "TokenCodec",
    "TokenError",
    "secret_for_seed",
]
