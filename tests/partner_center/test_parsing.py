"""Reading success bodies: BOM, content type, unknown and missing fields, enums, bad shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from graphql_api.partner_center import (
    CallContext,
    PartnerCenterClient,
    RelationshipToPartner,
    UpstreamMalformedResponse,
)
from tests.partner_center.conftest import CORRELATION_ID, CUSTOMER_ID, json_response, page_payload

MakeClient = Callable[..., PartnerCenterClient]

FULL_CUSTOMER = {
    "id": CUSTOMER_ID,
    "commerceId": "c0ffee00-0000-0000-0000-000000000000",
    "companyProfile": {
        "tenantId": CUSTOMER_ID,
        "domain": "contoso.onmicrosoft.com",
        "companyName": "Contoso",
        "address": {"country": "US", "city": "Redmond", "addressLine1": "1 Microsoft Way"},
        "email": "admin@contoso.com",
        "links": {"self": {"uri": "/customers/x/profiles/company", "method": "GET"}},
    },
    "billingProfile": {
        "id": "bp-1",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@contoso.com",
        "culture": "en-US",
        "language": "en",
        "companyName": "Contoso",
        "defaultAddress": {"country": "US", "postalCode": "98052"},
        "attributes": {"etag": "\"etag-1\"", "objectType": "CustomerBillingProfile"},
    },
    "relationshipToPartner": "microsoft_support",
    "allowDelegatedAccess": True,
    "customDomains": ["contoso.com", "contoso.net"],
    "userCredentials": {"userName": "admin", "password": {"length": 12}},
    "someFutureField": {"nested": [1, 2, 3]},
    "attributes": {"objectType": "Customer"},
}


async def test_body_led_by_byte_order_mark_is_parsed(
    mock_client: MakeClient, call: CallContext
) -> None:
    client = mock_client(lambda _: json_response(200, FULL_CUSTOMER, bom=True))
    customer = await client.get_customer(call, CUSTOMER_ID)
    assert customer.id == CUSTOMER_ID


async def test_full_customer_maps_every_documented_field(
    mock_client: MakeClient, call: CallContext
) -> None:
    client = mock_client(lambda _: json_response(200, FULL_CUSTOMER))
    customer = await client.get_customer(call, CUSTOMER_ID)
    assert customer.is_summary is False
    assert customer.commerce_id == "c0ffee00-0000-0000-0000-000000000000"
    assert customer.relationship_to_partner is RelationshipToPartner.MICROSOFT_SUPPORT
    assert customer.allow_delegated_access is True
    assert customer.custom_domains == ("contoso.com", "contoso.net")
    assert customer.company_profile is not None
    assert customer.company_profile.address is not None
    assert customer.company_profile.address.address_line1 == "1 Microsoft Way"
    assert customer.billing_profile is not None
    assert customer.billing_profile.etag == '"etag-1"'
    assert customer.billing_profile.default_address is not None
    assert customer.billing_profile.default_address.postal_code == "98052"


async def test_user_credentials_are_never_parsed(
    mock_client: MakeClient, call: CallContext
) -> None:
    client = mock_client(lambda _: json_response(200, FULL_CUSTOMER))
    customer = await client.get_customer(call, CUSTOMER_ID)
    assert "password" not in repr(customer).lower()
    assert "userName" not in repr(customer)
    assert not hasattr(customer, "user_credentials")


async def test_missing_optional_fields_become_none(
    mock_client: MakeClient, call: CallContext
) -> None:
    client = mock_client(lambda _: json_response(200, {"id": CUSTOMER_ID}))
    customer = await client.get_customer(call, CUSTOMER_ID)
    assert customer.company_profile is None
    assert customer.relationship_to_partner is None
    assert customer.custom_domains is None


async def test_list_items_are_summaries(mock_client: MakeClient, call: CallContext) -> None:
    client = mock_client(lambda _: json_response(200, page_payload(["a", "b"])))
    page = await client.list_customers(call, size=2)
    assert [c.id for c in page.items] == ["a", "b"]
    assert all(c.is_summary for c in page.items)
    assert page.total_count == 2
    assert page.continuation_token is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("reseller", RelationshipToPartner.RESELLER),
        ("Reseller", RelationshipToPartner.RESELLER),
        ("MICROSOFT_SUPPORT", RelationshipToPartner.MICROSOFT_SUPPORT),
        ("MicrosoftSupport", RelationshipToPartner.MICROSOFT_SUPPORT),
        ("none", RelationshipToPartner.NONE),
        ("brand_new_kind", RelationshipToPartner.UNKNOWN),
        (3, RelationshipToPartner.UNKNOWN),
    ],
)
def test_relationship_is_parsed_case_insensitively(
    raw: object, expected: RelationshipToPartner
) -> None:
    assert RelationshipToPartner.read(raw) is expected


async def test_company_and_billing_profiles_parse_from_their_routes(
    mock_client: MakeClient, call: CallContext
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/company"):
            return json_response(200, FULL_CUSTOMER["companyProfile"])
        return json_response(200, FULL_CUSTOMER["billingProfile"])

    client = mock_client(handler)
    company = await client.get_company_profile(call, CUSTOMER_ID)
    billing = await client.get_billing_profile(call, CUSTOMER_ID)
    assert company.company_name == "Contoso"
    assert billing.first_name == "Ada"


@pytest.mark.parametrize(
    "content_type",
    ["text/html; charset=utf-8", "text/plain", "application/xml", ""],
)
async def test_non_json_content_type_is_malformed(
    mock_client: MakeClient, call: CallContext, content_type: str
) -> None:
    client = mock_client(
        lambda _: httpx.Response(
            200, content=b'{"id": "x"}', headers={"Content-Type": content_type}
        )
    )
    with pytest.raises(UpstreamMalformedResponse) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.status == 200
    assert caught.value.correlation_id == CORRELATION_ID
    assert caught.value.request_id


async def test_problem_json_content_type_is_accepted(
    mock_client: MakeClient, call: CallContext
) -> None:
    client = mock_client(
        lambda _: httpx.Response(
            200,
            content=b'{"id": "x"}',
            headers={"Content-Type": "application/vnd.partner+json"},
        )
    )
    assert (await client.get_customer(call, CUSTOMER_ID)).id == "x"


@pytest.mark.parametrize(
    "body",
    [
        b'{"totalCount": 1, "items": [{"id": "a"',  # truncated
        b"",
        b"\xff\xfe{}",  # not UTF-8
        b"[" * 100_000 + b"]" * 100_000,  # nesting deep enough to blow the recursion limit
    ],
    ids=["truncated", "empty", "not-utf8", "deep-nesting"],
)
async def test_unreadable_json_is_malformed(
    mock_client: MakeClient, call: CallContext, body: bytes
) -> None:
    client = mock_client(
        lambda _: httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    )
    with pytest.raises(UpstreamMalformedResponse):
        await client.list_customers(call)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"items": {"id": "a"}},
        {"totalCount": 1},
        {"items": [{"companyProfile": {}}]},
        {"items": [{"id": 7}]},
        {"items": ["a"]},
        {"items": [], "totalCount": "1"},
        {"items": [{"id": "a", "companyProfile": "Contoso"}]},
        {"items": [{"id": "a", "customDomains": "contoso.com"}]},
        {"items": [], "continuationToken": "line\r\nbreak"},
    ],
    ids=[
        "not-an-object",
        "items-not-a-list",
        "items-missing",
        "id-missing",
        "id-not-a-string",
        "item-not-an-object",
        "total-not-a-number",
        "profile-not-an-object",
        "domains-not-a-list",
        "token-not-header-safe",
    ],
)
async def test_wrong_shape_is_malformed(
    mock_client: MakeClient, call: CallContext, payload: object
) -> None:
    client = mock_client(lambda _: json_response(200, payload))
    with pytest.raises(UpstreamMalformedResponse):
        await client.list_customers(call)


async def test_body_over_bound_is_cut_off_while_streaming(
    mock_client: MakeClient, call: CallContext
) -> None:
    produced = 0
    chunk = b" " * (1024 * 1024)

    async def fifty_megabytes() -> AsyncIterator[bytes]:
        nonlocal produced
        yield b'{"items": ['
        for _ in range(50):
            produced += len(chunk)
            yield chunk

    client = mock_client(
        lambda _: httpx.Response(
            200, content=fifty_megabytes(), headers={"Content-Type": "application/json"}
        ),
        max_response_bytes=2 * 1024 * 1024,
    )
    with pytest.raises(UpstreamMalformedResponse, match="exceeded"):
        await client.list_customers(call)
    # Reading stopped at the first chunk past the 2 MB bound, not after 50 MB.
    assert produced <= 3 * len(chunk)


async def test_declared_length_over_bound_is_refused_before_reading(
    mock_client: MakeClient, call: CallContext
) -> None:
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        pulled += 1
        yield b"{}"

    client = mock_client(
        lambda _: httpx.Response(
            200,
            content=body(),
            headers={"Content-Type": "application/json", "Content-Length": str(50 * 2**20)},
        ),
        max_response_bytes=2 * 1024 * 1024,
    )
    with pytest.raises(UpstreamMalformedResponse):
        await client.list_customers(call)
    assert pulled == 0


async def test_a_wrong_type_is_reported_by_field_without_its_value(
    mock_client: MakeClient, call: CallContext
) -> None:
    payload = {"items": [{"id": "a", "companyProfile": {"companyName": 8675309123}}]}
    client = mock_client(lambda _: json_response(200, payload))
    with pytest.raises(UpstreamMalformedResponse) as caught:
        await client.list_customers(call)
    message = str(caught.value)
    assert "$.items[0].companyProfile.companyName" in message
    assert "8675309123" not in message
