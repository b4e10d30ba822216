"""The cursor codec on its own: round trips, and refusal of anything it did not issue."""

from __future__ import annotations

import base64
import json

import pytest

from graphql_api.partner_center import CustomerFilter, CustomerSearchField
from graphql_api.schema.cursors import MAX_CURSOR_LENGTH, Cursor, CursorCodec, InvalidCursor

SECRET = b"unit-test-cursor-secret-0123456789"
SEARCH = CustomerFilter(field=CustomerSearchField.COMPANY_NAME, value='Zürich "Ärzte" & Co')
TOKEN = "eyJvIjozLCJzIjozfQ==,abc/def_ghi"


def raw_blob(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def as_text(blob: bytes) -> str:
    return base64.urlsafe_b64encode(blob).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(token=None, offset=0, page_size=1, search=None),
        Cursor(token=TOKEN, offset=499, page_size=500, search=None),
        Cursor(token=TOKEN, offset=7, page_size=7, search=SEARCH),
        Cursor(token=None, offset=500, page_size=500, search=SEARCH),
    ],
)
def test_a_cursor_decodes_to_what_was_encoded(cursor: Cursor) -> None:
    codec = CursorCodec(SECRET)
    assert codec.decode(codec.encode(cursor)) == cursor


def test_a_cursor_is_url_safe_text_without_padding() -> None:
    text = CursorCodec(SECRET).encode(Cursor(TOKEN, 3, 10, SEARCH))
    assert text.replace("-", "").replace("_", "").isalnum()
    assert "=" not in text


def test_a_cursor_signed_with_another_secret_is_refused() -> None:
    text = CursorCodec(b"another-secret-of-enough-length!").encode(Cursor(None, 1, 5, None))
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode(text)


def test_a_tampered_payload_is_refused() -> None:
    codec = CursorCodec(SECRET)
    blob = bytearray(raw_blob(codec.encode(Cursor(TOKEN, 3, 10, None))))
    blob[-3] ^= 0x01
    with pytest.raises(InvalidCursor):
        codec.decode(as_text(bytes(blob)))


def test_a_truncated_cursor_is_refused() -> None:
    codec = CursorCodec(SECRET)
    text = codec.encode(Cursor(TOKEN, 3, 10, None))
    for cut in (1, 5, len(text) // 2, len(text) - 1):
        with pytest.raises(InvalidCursor):
            codec.decode(text[:cut])


@pytest.mark.parametrize("text", ["", "not a cursor", "abc$def", "é", "AAAA", "=" * 8])
def test_garbage_is_refused(text: str) -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode(text)


def test_an_over_long_cursor_is_refused_before_decoding() -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode("A" * (MAX_CURSOR_LENGTH + 1))


def test_an_unknown_version_is_refused() -> None:
    codec = CursorCodec(SECRET)
    blob = raw_blob(codec.encode(Cursor(None, 1, 5, None)))
    with pytest.raises(InvalidCursor, match="version"):
        codec.decode(as_text(bytes([2]) + blob[1:]))


def forge(payload: object) -> str:
    """A correctly signed cursor around any payload: what a format bug would produce."""
    codec = CursorCodec(SECRET)
    body = json.dumps(payload).encode()
    head = bytes([1])
    return as_text(head + codec._tag(head + body) + body)


@pytest.mark.parametrize(
    "payload",
    [
        ["token\r\nX-Injected: 1", 0, 10, None, None],
        ["", 0, 10, None, None],
        [" padded", 0, 10, None, None],
        ["x" * 5000, 0, 10, None, None],
        [None, -1, 10, None, None],
        [None, 501, 10, None, None],
        [None, 0, 0, None, None],
        [None, 0, 501, None, None],
        [None, True, 10, None, None],
        [None, 0, 10, "Password", "x"],
        [None, 0, 10, "CompanyName", ""],
        [None, 0, 10, "CompanyName", None],
        [None, 0, 10],
        {"token": None},
    ],
)
def test_a_signed_payload_out_of_bounds_is_refused(payload: object) -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode(forge(payload))


def test_encoding_refuses_a_token_that_cannot_travel_in_a_header() -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).encode(Cursor("bad\ntoken", 0, 10, None))


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        CursorCodec(b"short")


def test_the_codec_repr_hides_the_secret() -> None:
    assert SECRET.decode() not in repr(CursorCodec(SECRET))
