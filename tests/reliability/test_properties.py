"""Property tests (hypothesis) of the two encoders caller input flows through.

- The cursor codec: any position it can encode decodes back to itself; any other text, a
  cursor with one character changed, or a cursor signed with another secret is refused as
  InvalidCursor, never another exception (which would surface as a masked internal error).
- The filter encoding: any prefix it accepts reaches the emulator intact through JSON, URL
  encoding and the emulator's own parsing (the first page of matches is exactly the one
  the emulator's search gives for the original prefix); anything else is a ValueError.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphql_api.config import UpstreamSettings
from graphql_api.emulator import Emulator, EmulatorConfig, create_emulator_app
from graphql_api.partner_center import (
    MAX_CONTINUATION_TOKEN_LENGTH,
    MAX_FILTER_VALUE_LENGTH,
    MAX_PAGE_SIZE,
    CallContext,
    CustomerFilter,
    CustomerSearchField,
    PartnerCenterClient,
)
from graphql_api.partner_center._filters import encode_filter
from graphql_api.schema.cursors import Cursor, CursorCodec, InvalidCursor
from tests.live_server import live_server
from tests.reliability.tally import TALLY

SECRET = b"reliability-property-secret-0123456789"
CODEC = CursorCodec(SECRET)
EXAMPLES = settings(max_examples=200, deadline=None, database=None, derandomize=True)

header_safe_tokens = st.from_regex(r"\A[\x21-\x7e]([\x20-\x7e]{0,200}[\x21-\x7e])?\Z")
search_values = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=64
)
searches = st.one_of(
    st.none(),
    st.builds(CustomerFilter, field=st.sampled_from(CustomerSearchField), value=search_values),
)
cursors = st.builds(
    Cursor,
    token=st.one_of(st.none(), header_safe_tokens),
    offset=st.integers(0, MAX_PAGE_SIZE),
    page_size=st.integers(1, MAX_PAGE_SIZE),
    search=searches,
)


@given(cursors)
@EXAMPLES
def test_every_encodable_cursor_decodes_to_itself(cursor: Cursor) -> None:
    TALLY.property_examples += 1
    try:
        text = CODEC.encode(cursor)
    except InvalidCursor:
        # Only a position no upstream page could have: refused, never emitted.
        assert cursor.search is not None
        assert len(cursor.search.value) > MAX_FILTER_VALUE_LENGTH or not cursor.search.value
        return
    assert CODEC.decode(text) == cursor


@given(st.text(max_size=300))
@EXAMPLES
def test_any_text_is_a_cursor_or_invalid_cursor(text: str) -> None:
    TALLY.property_examples += 1
    try:
        CODEC.decode(text)
    except InvalidCursor:
        return


@given(cursors, st.data())
@EXAMPLES
def test_a_cursor_with_one_character_changed_is_refused(
    cursor: Cursor, data: st.DataObject
) -> None:
    TALLY.property_examples += 1
    text = CODEC.encode(cursor)
    index = data.draw(st.integers(0, len(text) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=."
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != text[index]))
    tampered = text[:index] + replacement + text[index + 1 :]
    try:
        decoded = CODEC.decode(tampered)
    except InvalidCursor:
        return
    # Base64's last character may carry unused bits: such a change names the same bytes.
    assert decoded == cursor


@given(cursors)
@EXAMPLES
def test_a_cursor_signed_with_another_secret_is_refused(cursor: Cursor) -> None:
    TALLY.property_examples += 1
    other = CursorCodec(b"another-deployment-secret-9876543210")
    with pytest.raises(InvalidCursor):
        CODEC.decode(other.encode(cursor))


@given(st.sampled_from(CustomerSearchField), st.text(max_size=MAX_FILTER_VALUE_LENGTH + 20))
@EXAMPLES
def test_filter_encoding_keeps_the_value_as_data_or_refuses_it(
    field: CustomerSearchField, value: str
) -> None:
    TALLY.property_examples += 1
    try:
        encoded = encode_filter(CustomerFilter(field=field, value=value))
    except ValueError:
        assert value == "" or len(value) > MAX_FILTER_VALUE_LENGTH or _has_surrogate(value)
        return
    assert json.loads(encoded) == {"Field": field.value, "Value": value, "Operator": "starts_with"}


def _has_surrogate(value: str) -> bool:
    return any(0xD800 <= ord(character) <= 0xDFFF for character in value)


# --- over HTTP, against a live emulator -----------------------------------------------------

_EMULATOR_CUSTOMERS = 300


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, Emulator]]:
    """A live emulator (in a thread) whose search index gives the expected matches."""
    app = create_emulator_app(EmulatorConfig(customers=_EMULATOR_CUSTOMERS, seed=5))
    with live_server(app) as url:
        yield url, app.state.emulator


def _names(emulator: Emulator) -> list[str]:
    return [customer.company_name for customer in emulator.dataset.customers]


@st.composite
def _prefixes(draw: st.DrawFn, names: list[str]) -> str:
    # Half real prefixes (names with quotes, &, %, +, #, /, accents, Greek, Japanese), half
    # arbitrary text, so that both matches and misses are checked.
    if draw(st.booleans()):
        name = draw(st.sampled_from(names))
        return name[: draw(st.integers(1, len(name)))]
    return draw(search_values)


def test_a_prefix_reaches_the_emulator_intact(emulator: tuple[str, Emulator]) -> None:
    url, state = emulator
    settings_ = UpstreamSettings(base_url=url, max_attempts=1)
    call = CallContext(
        authorization="Bearer property-tests", correlation_id="0c6e4f7e-0d7a-4f44-9e43-5b1c3c7e2d10"
    )

    matched = 0

    @given(_prefixes(_names(state)))
    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    def check(prefix: str) -> None:
        TALLY.property_examples += 1
        expected = [c.id for c in state.search.select("CompanyName", prefix)][:MAX_PAGE_SIZE]

        async def listed() -> list[str]:
            async with PartnerCenterClient(settings_) as client:
                search = CustomerFilter(field=CustomerSearchField.COMPANY_NAME, value=prefix)
                page = await client.list_customers(call, size=MAX_PAGE_SIZE, search=search)
                return [item.id for item in page.items]

        nonlocal matched
        matched += bool(expected)
        assert asyncio.run(listed()) == expected

    check()
    # The property was checked on real matches, not only on empty pages.
    assert matched >= 20


def test_continuation_token_bound_matches_the_cursor_bound() -> None:
    # A cursor must be able to carry any token the client accepts from Partner Center.
    TALLY.property_examples += 1
    token = "x" * MAX_CONTINUATION_TOKEN_LENGTH
    cursor = Cursor(token=token, offset=0, page_size=MAX_PAGE_SIZE, search=None)
    assert CODEC.decode(CODEC.encode(cursor)) == cursor
