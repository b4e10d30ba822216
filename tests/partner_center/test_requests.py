"""What goes out: headers on every call, filter encoding, input checks before any request."""

from __future__ import annotations

import json
import uuid
import weakref
from collections.abc import Callable

import httpx
import pytest

from graphql_api.partner_center import (
    MAX_CONTINUATION_TOKEN_LENGTH,
    MAX_FILTER_VALUE_LENGTH,
    CallContext,
    CustomerFilter,
    CustomerSearchField,
    PartnerCenterClient,
)
from tests.live_emulator import LiveEmulator
from tests.partner_center.conftest import (
    CORRELATION_ID,
    CUSTOMER_ID,
    TOKEN,
    json_response,
    page_payload,
)

MakeClient = Callable[..., PartnerCenterClient]


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
def client(mock_client: MakeClient, seen: list[httpx.Request]) -> PartnerCenterClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/customers":
            return json_response(200, page_payload([]))
        return json_response(200, {"id": CUSTOMER_ID})

    return mock_client(handler)


async def test_every_call_sends_the_partner_center_headers(
    client: PartnerCenterClient, call: CallContext, seen: list[httpx.Request]
) -> None:
    await client.list_customers(call)
    await client.next_customers(call, "tok")
    await client.get_customer(call, CUSTOMER_ID)
    await client.get_company_profile(call, CUSTOMER_ID)
    await client.get_billing_profile(call, CUSTOMER_ID)
    assert len(seen) == 5
    for request in seen:
        assert request.method == "GET"
        assert request.headers["Authorization"] == TOKEN
        assert request.headers["Accept"] == "application/json"
        assert request.headers["MS-CorrelationId"] == CORRELATION_ID
        assert request.headers["X-Locale"] == "nl-NL"
        assert len(request.headers["MS-RequestId"]) == 36


async def test_no_locale_means_no_x_locale_header(
    client: PartnerCenterClient, seen: list[httpx.Request]
) -> None:
    await client.list_customers(CallContext(authorization=TOKEN, correlation_id="c-1"))
    assert "X-Locale" not in seen[0].headers


async def test_profile_routes_are_under_the_customer(
    client: PartnerCenterClient, call: CallContext, seen: list[httpx.Request]
) -> None:
    await client.get_company_profile(call, CUSTOMER_ID)
    await client.get_billing_profile(call, CUSTOMER_ID)
    assert [r.url.path for r in seen] == [
        f"/v1/customers/{CUSTOMER_ID}/profiles/company",
        f"/v1/customers/{CUSTOMER_ID}/profiles/billing",
    ]


@pytest.mark.parametrize(
    "value",
    [
        'The "Quoted" Company & Sons',
        "100% Organic",
        "Zürich Ärzte",
        "株式会社コントソ",
        "a+b=c#1/2?x",
        "back\\slash",
        "x" * MAX_FILTER_VALUE_LENGTH,
    ],
)
async def test_filter_is_json_url_encoded_as_one_parameter(
    client: PartnerCenterClient, call: CallContext, seen: list[httpx.Request], value: str
) -> None:
    search = CustomerFilter(CustomerSearchField.COMPANY_NAME, value)
    await client.list_customers(call, size=25, search=search)
    params = seen[0].url.params
    assert params["size"] == "25"
    assert json.loads(params["filter"]) == {
        "Field": "CompanyName",
        "Value": value,
        "Operator": "starts_with",
    }
    assert set(params.keys()) == {"size", "filter"}


@pytest.mark.parametrize("field", list(CustomerSearchField))
async def test_each_search_field_uses_its_rest_spelling(
    client: PartnerCenterClient,
    call: CallContext,
    seen: list[httpx.Request],
    field: CustomerSearchField,
) -> None:
    await client.list_customers(call, search=CustomerFilter(field, "abc"))
    assert json.loads(seen[0].url.params["filter"])["Field"] == field.value


@pytest.mark.parametrize("size", [0, 501, -1, True, 2.5])
async def test_bad_page_size_is_refused_before_any_request(
    client: PartnerCenterClient, call: CallContext, seen: list[httpx.Request], size: object
) -> None:
    with pytest.raises(ValueError, match="page size"):
        await client.list_customers(call, size=size)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="page size"):
        await client.next_customers(call, "tok", size=size)  # type: ignore[arg-type]
    assert seen == []


@pytest.mark.parametrize(
    "value",
    ["", "x" * (MAX_FILTER_VALUE_LENGTH + 1), "lone \ud800 surrogate"],
)
async def test_bad_filter_value_is_refused_before_any_request(
    client: PartnerCenterClient, call: CallContext, seen: list[httpx.Request], value: str
) -> None:
    with pytest.raises(ValueError, match="search value"):
        await client.list_customers(
            call, search=CustomerFilter(CustomerSearchField.DOMAIN, value)
        )
    assert seen == []


@pytest.mark.parametrize(
    "customer_id",
    ["", "not-a-guid", "../customers", f"{CUSTOMER_ID}/profiles/company", f" {CUSTOMER_ID}"],
)
async def test_customer_id_must_be_a_guid(
    client: PartnerCenterClient, call: CallContext, seen: list[httpx.Request], customer_id: str
) -> None:
    for method in (client.get_customer, client.get_company_profile, client.get_billing_profile):
        with pytest.raises(ValueError, match="GUID"):
            await method(call, customer_id)
    assert seen == []


@pytest.mark.parametrize(
    "token",
    [
        "",
        "line\nbreak",
        "carriage\rreturn",
        "naïve",
        " padded",
        "x" * (MAX_CONTINUATION_TOKEN_LENGTH + 1),
    ],
)
async def test_continuation_token_must_be_header_safe(
    client: PartnerCenterClient, call: CallContext, seen: list[httpx.Request], token: str
) -> None:
    with pytest.raises(ValueError, match="continuation token"):
        await client.next_customers(call, token)
    assert seen == []


async def test_unsafe_authorization_is_refused_without_echoing_it(
    client: PartnerCenterClient, seen: list[httpx.Request]
) -> None:
    call = CallContext(authorization="Bearer abc\r\nX-Evil: 1", correlation_id="c-1")
    with pytest.raises(ValueError, match="authorization") as caught:
        await client.list_customers(call)
    assert "abc" not in str(caught.value)
    assert seen == []



async def test_the_client_keeps_no_reference_to_a_finished_operations_credentials(
    live_client: MakeClient, live: LiveEmulator
) -> None:
    client = live_client()
    first = CallContext(authorization="Bearer first-caller", correlation_id=CORRELATION_ID)
    await client.list_customers(first, size=1)
    await client.list_customers(first, size=2)
    held = weakref.ref(first)
    del first
    assert held() is None
    # The next operation's calls carry its own headers, not the ones checked for the last.
    other = str(uuid.uuid4())
    await client.list_customers(CallContext(authorization="Bearer second", correlation_id=other))
    sent = [record["correlationId"] for record in live.state.stats.requests()]
    assert sent == [CORRELATION_ID, CORRELATION_ID, other]
