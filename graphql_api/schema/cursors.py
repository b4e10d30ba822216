"""Relay cursors over Partner Center continuation tokens: a pure, signed codec.

A cursor names the position *after* an edge, as Partner Center can reach it again:

    (continuation token of the upstream page, or None for the first page,
     offset of the next item in that page, upstream page size of the walk, search)

Wire form (version 2): `2.<page>.<offset>.<tag>`, where `<page>` is base64url (no padding)
of the JSON `[token, page size, search field, search value]`, `<offset>` a decimal number
and `<tag>` the 12 bytes (24 hex digits) at 12 x offset of SHAKE256(key | `2.<page>.`).
Every edge of an upstream page shares `<page>` and one MAC computation (`PageCursors`), and
each edge costs a slice and a concatenation; yet each tag stands for its own (page, offset),
so a tampered, truncated or forged cursor, or one moved to another offset, fails to decode.
The payload is not secret (the token is Partner Center's, handed to whoever lists), only
tamper-proof.

Version 1 (base64url of `1 | 16-byte HMAC-SHA256 tag | JSON payload`, one HMAC and one
JSON document per edge) is still read, so cursors handed out before keep working.

Example:
    codec = CursorCodec(secret)
    text = codec.encode(Cursor(token=None, offset=7, page_size=7, search=None))
    assert codec.decode(text).offset == 7
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import re
from typing import NamedTuple

from ..partner_center import (
    MAX_CONTINUATION_TOKEN_LENGTH,
    MAX_FILTER_VALUE_LENGTH,
    MAX_PAGE_SIZE,
    CustomerFilter,
    CustomerSearchField,
)

VERSION = 2
_V1 = 1
_TAG_LENGTH = 16
_V2_PREFIX = "2."
_V2_TAG_BYTES = 12
_TAG_HEX = 2 * _V2_TAG_BYTES
# The whole text of a version 2 cursor; anything else is not one (checked before any work).
_V2_TEXT = re.compile(r"\A2\.([A-Za-z0-9_-]+)\.(0|[1-9][0-9]{0,3})\.([0-9a-f]{24})\Z")
# Token, search value (up to 4 UTF-8 bytes a character) and framing, base64-expanded; a bound
# checked before decoding so a huge `after` costs nothing.
MAX_CURSOR_LENGTH = 8192
_TEXT = re.compile(r"\A[A-Za-z0-9_-]+\Z")
# What may travel in the MS-ContinuationToken header: printable ASCII, no edge spaces.
_HEADER_SAFE = re.compile(r"\A[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?\Z")
_FIELDS = {field.value: field for field in CustomerSearchField}


class InvalidCursor(ValueError):
    """A cursor that this service did not issue, or issued for another format; never echoed."""


class Cursor(NamedTuple):
    """A resumable position in a customer walk.

    A NamedTuple rather than a frozen dataclass: a page reads one per customer (the position
    after it), and a frozen dataclass sets each field through `object.__setattr__`, which
    makes it several times slower to build.
    """

    token: str | None
    offset: int
    page_size: int
    search: CustomerFilter | None


@functools.lru_cache(maxsize=8)
def _version_2_key(secret: bytes) -> bytes:
    """The key of version 2 tags: derived, so that the two versions' tags stay apart; cached,
    since a codec is made per request and the secret rarely changes."""
    return hmac.digest(secret, b"graphql_api cursor tag, version 2", "sha256")


class PageCursors:
    """The cursors of positions in one upstream page: `at(offset)` is the text for one.

    One keyed SHAKE256 stream per page holds every offset's tag (12 bytes at 12 x offset),
    worked out for 64 offsets at first and for twice as many whenever one lies beyond; a
    cursor is then a slice of that text and a concatenation.
    """

    __slots__ = ("_keyed", "_prefix", "_tags")

    def __init__(self, key: bytes, prefix: str) -> None:
        self._prefix = prefix
        self._keyed = key + prefix.encode()
        self._tags = ""

    def at(self, offset: int) -> str:
        """The cursor text for `offset` in this page (0 to the page size, unchecked)."""
        return self.span(offset, offset + 1)[0]

    def span(self, start: int, stop: int) -> list[str]:
        """The cursor texts for offsets `start` to `stop - 1`, in one pass."""
        if stop * _TAG_HEX > len(self._tags):
            self._tags = _tag_stream(self._keyed, max(64, 2 * stop))
        prefix, tags = self._prefix, self._tags
        return [
            f"{prefix}{offset}.{tags[offset * _TAG_HEX : (offset + 1) * _TAG_HEX]}"
            for offset in range(start, stop)
        ]


def _tag_stream(keyed: bytes, offsets: int) -> str:
    """The hex tags of offsets 0 to `offsets - 1` of the page that `keyed` names."""
    # SHAKE256 over key then message is a MAC (a sponge has no length extension; KMAC is
    # this with framing), and its output, read as far as needed, gives each position a
    # tag of its own from one computation per page.
    return hashlib.shake_256(keyed).hexdigest(offsets * _V2_TAG_BYTES)


# A well-formed cursor whose signature does not match: most often one issued before a restart
# (or by another replica) while CURSOR_SECRET was unset, so each process made its own key.
_NOT_SIGNED_HERE = (
    "cursor is not signed with this service's CURSOR_SECRET (it was issued before a restart "
    "or by another replica without a shared CURSOR_SECRET, or altered); start again from the "
    "first page"
)


class CursorCodec:
    """Encodes and verifies cursors with one secret (shared by all replicas)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("cursor secret must be at least 16 bytes")
        self._secret = secret
        self._key = _version_2_key(secret)

    def __repr__(self) -> str:
        return "CursorCodec(<secret>)"

    def page(self, token: str | None, page_size: int, search: CustomerFilter | None) -> PageCursors:
        """The cursors into one upstream page; raises InvalidCursor for a part out of bounds."""
        _check(Cursor(token, 0, page_size, search))
        payload = json.dumps(
            [
                token,
                page_size,
                None if search is None else search.field.value,
                None if search is None else search.value,
            ],
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")
        return PageCursors(self._key, f"{_V2_PREFIX}{encoded}.")

    def encode(self, cursor: Cursor) -> str:
        """The opaque text of `cursor`."""
        _check(cursor)
        return self.page(cursor.token, cursor.page_size, cursor.search).at(cursor.offset)

    def decode(self, text: str) -> Cursor:
        """The cursor `text` names; raises InvalidCursor for anything this codec did not issue."""
        if not text or len(text) > MAX_CURSOR_LENGTH:
            raise InvalidCursor("cursor is not a cursor this service issued")
        if text.startswith(_V2_PREFIX):
            return self._decode_v2(text)
        return self._decode_v1(text)

    def _decode_v2(self, text: str) -> Cursor:
        match = _V2_TEXT.match(text)
        if match is None:
            raise InvalidCursor("cursor is not a cursor this service issued")
        page, offset_text, tag = match.groups()
        offset = int(offset_text)
        if offset > MAX_PAGE_SIZE:
            raise InvalidCursor("cursor offset is out of range")
        prefix = text[: match.start(2)]
        expected = _tag_stream(self._key + prefix.encode(), offset + 1)[offset * _TAG_HEX :]
        if not hmac.compare_digest(tag, expected):
            raise InvalidCursor(_NOT_SIGNED_HERE)
        try:
            payload = base64.urlsafe_b64decode(page + "=" * (-len(page) % 4))
            fields = json.loads(payload.decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidCursor("cursor payload is unreadable") from None
        if not isinstance(fields, list) or len(fields) != 4:
            raise InvalidCursor("cursor payload has the wrong shape")
        token, page_size, field_name, value = fields
        return _parse([token, offset, page_size, field_name, value])

    def _decode_v1(self, text: str) -> Cursor:
        if _TEXT.match(text) is None:
            raise InvalidCursor("cursor is not a cursor this service issued")
        try:
            blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            raise InvalidCursor("cursor is not a cursor this service issued") from None
        if len(blob) <= 1 + _TAG_LENGTH:
            raise InvalidCursor("cursor is truncated")
        head, tag, payload = blob[:1], blob[1 : 1 + _TAG_LENGTH], blob[1 + _TAG_LENGTH :]
        if head[0] != _V1:
            raise InvalidCursor("cursor comes from an unsupported cursor version")
        if not hmac.compare_digest(tag, self._tag(head + payload)):
            raise InvalidCursor(_NOT_SIGNED_HERE)
        # Signed by us, so well-formed unless the format itself changed without a version bump;
        # checked all the same, because the token goes into an upstream header.
        try:
            fields = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise InvalidCursor("cursor payload is unreadable") from None
        return _parse(fields)

    def _tag(self, data: bytes) -> bytes:
        return hmac.digest(self._secret, data, "sha256")[:_TAG_LENGTH]


def _parse(fields: object) -> Cursor:
    if not isinstance(fields, list) or len(fields) != 5:
        raise InvalidCursor("cursor payload has the wrong shape")
    token, offset, page_size, field_name, value = fields
    search: CustomerFilter | None = None
    if field_name is not None or value is not None:
        if not isinstance(field_name, str) or field_name not in _FIELDS:
            raise InvalidCursor("cursor names an unknown search field")
        if not isinstance(value, str):
            raise InvalidCursor("cursor search value is not text")
        search = CustomerFilter(field=_FIELDS[field_name], value=value)
    cursor = Cursor(token=token, offset=offset, page_size=page_size, search=search)
    _check(cursor)
    return cursor


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(cursor: Cursor) -> None:
    """Raise InvalidCursor unless every part of `cursor` is within its bounds."""
    token = cursor.token
    if token is not None and (
        not isinstance(token, str)
        or len(token) > MAX_CONTINUATION_TOKEN_LENGTH
        or _HEADER_SAFE.match(token) is None
    ):
        raise InvalidCursor("cursor token cannot travel in a header")
    if not _is_int(cursor.page_size) or not 1 <= cursor.page_size <= MAX_PAGE_SIZE:
        raise InvalidCursor("cursor page size is out of range")
    # An offset may equal the page size: the position after a page's last item.
    if not _is_int(cursor.offset) or not 0 <= cursor.offset <= MAX_PAGE_SIZE:
        raise InvalidCursor("cursor offset is out of range")
    search = cursor.search
    if search is not None and (
        not isinstance(search.value, str)
        or not 1 <= len(search.value) <= MAX_FILTER_VALUE_LENGTH
    ):
        raise InvalidCursor("cursor search value is out of range")


__all__ = [
    "MAX_CURSOR_LENGTH",
    "VERSION",
    "Cursor",
    "CursorCodec",
    "InvalidCursor",
    "PageCursors",
]
