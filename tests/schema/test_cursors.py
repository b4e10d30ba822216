"""The cursor codec on its own: round trips, and refusal of anything it did not issue."""

from __future__ import annotations

import base64
import json

import pytest

from graphql_api.partner_center import CustomerFilter, CustomerSearchField
from graphql_api.schema.cursors import (
    MAX_CURSOR_LENGTH,
    VERSION,
    Cursor,
    CursorCodec,
    InvalidCursor,
    PageCursors,
)

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
    assert text.replace("-", "").replace("_", "").replace(".", "").isalnum()
    assert "=" not in text


def test_a_cursor_names_its_version() -> None:
    assert CursorCodec(SECRET).encode(Cursor(None, 1, 5, None)).startswith(f"{VERSION}.")


def test_page_cursors_are_what_encode_gives_for_each_offset() -> None:
    codec = CursorCodec(SECRET)
    page = codec.page(TOKEN, 10, SEARCH)
    for offset in (0, 1, 9, 10):
        assert page.at(offset) == codec.encode(Cursor(TOKEN, offset, 10, SEARCH))
        assert codec.decode(page.at(offset)) == Cursor(TOKEN, offset, 10, SEARCH)


def test_a_changed_offset_is_refused() -> None:
    codec = CursorCodec(SECRET)
    version, page, _, tag = codec.encode(Cursor(TOKEN, 3, 10, None)).split(".")
    for other in ("4", "03", "30"):
        with pytest.raises(InvalidCursor):
            codec.decode(".".join((version, page, other, tag)))


def test_a_page_part_from_another_cursor_is_refused() -> None:
    codec = CursorCodec(SECRET)
    first = codec.encode(Cursor(None, 3, 10, None)).split(".")
    other = codec.encode(Cursor(TOKEN, 3, 10, None)).split(".")
    with pytest.raises(InvalidCursor):
        codec.decode(".".join((first[0], other[1], first[2], first[3])))


def v1_text(codec: CursorCodec, cursor: Cursor) -> str:
    """A cursor as version 1 wrote it (one HMAC-SHA256 over a JSON payload per cursor)."""
    search = cursor.search
    payload = json.dumps(
        [
            cursor.token,
            cursor.offset,
            cursor.page_size,
            None if search is None else search.field.value,
            None if search is None else search.value,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    head = bytes([1])
    return as_text(head + codec._tag(head + payload) + payload)


@pytest.mark.parametrize(
    "cursor",
    [Cursor(None, 0, 1, None), Cursor(TOKEN, 7, 7, SEARCH), Cursor(TOKEN, 500, 500, None)],
)
def test_a_version_1_cursor_still_decodes(cursor: Cursor) -> None:
    codec = CursorCodec(SECRET)
    assert codec.decode(v1_text(codec, cursor)) == cursor


def test_a_tampered_version_1_cursor_is_refused() -> None:
    codec = CursorCodec(SECRET)
    blob = bytearray(raw_blob(v1_text(codec, Cursor(TOKEN, 3, 10, None))))
    blob[-3] ^= 0x01
    with pytest.raises(InvalidCursor):
        codec.decode(as_text(bytes(blob)))


def test_a_cursor_signed_with_another_secret_is_refused_naming_cursor_secret() -> None:
    text = CursorCodec(b"another-secret-of-enough-length!").encode(Cursor(None, 1, 5, None))
    with pytest.raises(InvalidCursor, match=r"CURSOR_SECRET.*restart"):
        CursorCodec(SECRET).decode(text)
    version_1 = v1_text(CursorCodec(b"another-secret-of-enough-length!"), Cursor(None, 1, 5, None))
    with pytest.raises(InvalidCursor, match="CURSOR_SECRET"):
        CursorCodec(SECRET).decode(version_1)


def test_a_tampered_payload_is_refused() -> None:
    codec = CursorCodec(SECRET)
    version, page, offset, tag = codec.encode(Cursor(TOKEN, 3, 10, None)).split(".")
    blob = bytearray(raw_blob(page))
    blob[-3] ^= 0x01
    with pytest.raises(InvalidCursor):
        codec.decode(".".join((version, as_text(bytes(blob)), offset, tag)))


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
    blob = raw_blob(v1_text(codec, Cursor(None, 1, 5, None)))
    with pytest.raises(InvalidCursor, match="version"):
        codec.decode(as_text(bytes([3]) + blob[1:]))
    version_2 = codec.encode(Cursor(None, 1, 5, None))
    with pytest.raises(InvalidCursor):
        codec.decode("3" + version_2[1:])


def forge(payload: object) -> str:
    """A correctly signed version 1 cursor around any payload: what a format bug would
    produce."""
    codec = CursorCodec(SECRET)
    body = json.dumps(payload).encode()
    head = bytes([1])
    return as_text(head + codec._tag(head + body) + body)


def forge_v2(page_payload: object, offset: int = 0) -> str:
    """A correctly tagged version 2 cursor around any page part."""
    codec = CursorCodec(SECRET)
    page = as_text(json.dumps(page_payload).encode())
    return PageCursors(codec._key, f"2.{page}.").at(offset)


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


@pytest.mark.parametrize(
    ("page_payload", "offset"),
    [
        (["token\r\nX-Injected: 1", 10, None, None], 0),
        (["", 10, None, None], 0),
        ([None, 10, None, None], 501),
        ([None, 0, None, None], 0),
        ([None, 501, None, None], 0),
        ([None, True, None, None], 0),
        ([None, 10, "Password", "x"], 0),
        ([None, 10, "CompanyName", ""], 0),
        ([None, 10], 0),
        ({"token": None}, 0),
        ("not json", 0),
    ],
)
def test_a_tagged_version_2_payload_out_of_bounds_is_refused(
    page_payload: object, offset: int
) -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).decode(forge_v2(page_payload, offset))


def test_encoding_refuses_a_token_that_cannot_travel_in_a_header() -> None:
    with pytest.raises(InvalidCursor):
        CursorCodec(SECRET).encode(Cursor("bad\ntoken", 0, 10, None))


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        CursorCodec(b"short")


def test_the_codec_repr_hides_the_secret() -> None:
    assert SECRET.decode() not in repr(CursorCodec(SECRET))
