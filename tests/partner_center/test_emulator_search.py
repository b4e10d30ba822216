"""Prefix search against the live emulator: every field, any case, odd characters."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from graphql_api.emulator.data import Customer as EmulatedCustomer
from graphql_api.partner_center import (
    MAX_FILTER_VALUE_LENGTH,
    CallContext,
    CustomerFilter,
    CustomerSearchField,
    PartnerCenterClient,
)
from tests.live_emulator import LiveEmulator

MakeClient = Callable[..., PartnerCenterClient]

FIELD_OF: dict[CustomerSearchField, Callable[[EmulatedCustomer], str | None]] = {
    CustomerSearchField.COMPANY_NAME: lambda c: c.company_name,
    CustomerSearchField.DOMAIN: lambda c: c.domain,
    CustomerSearchField.INDIRECT_RESELLER: lambda c: c.indirect_reseller_id,
    CustomerSearchField.INDIRECT_CLOUD_SOLUTION_PROVIDER: lambda c: c.indirect_csp_id,
}

GUID_FIELDS = {
    CustomerSearchField.INDIRECT_RESELLER,
    CustomerSearchField.INDIRECT_CLOUD_SOLUTION_PROVIDER,
}


async def search_all(
    client: PartnerCenterClient, call: CallContext, search: CustomerFilter, size: int = 50
) -> list[str]:
    """Every id the search finds, following continuation tokens to the end."""
    page = await client.list_customers(call, size=size, search=search)
    found = [c.id for c in page.items]
    while page.continuation_token:
        page = await client.next_customers(call, page.continuation_token)
        found.extend(c.id for c in page.items)
    return found


def expected_ids(live: LiveEmulator, field: CustomerSearchField, prefix: str) -> list[str]:
    value_of = FIELD_OF[field]
    return [
        c.id
        for c in live.state.dataset.customers
        if (value := value_of(c)) and value.casefold().startswith(prefix.casefold())
    ]


@pytest.mark.parametrize("field", list(CustomerSearchField))
async def test_each_field_matches_by_prefix_ignoring_case(
    live: LiveEmulator, live_client: MakeClient, call: CallContext, field: CustomerSearchField
) -> None:
    sample = next(v for c in live.state.dataset.customers if (v := FIELD_OF[field](c)))
    # Names and domains: three characters; partner GUIDs: eight. Always in the other case.
    prefix = sample[: 8 if field in GUID_FIELDS else 3].swapcase()
    found = await search_all(live_client(), call, CustomerFilter(field, prefix))
    assert found == expected_ids(live, field, prefix)
    assert found  # the sample customer itself matches


@pytest.mark.parametrize(
    "name",
    [
        'The "Quoted" Company & Sons',
        "100% Organic Farms & Co.",
        "A+B=C Labs #1",
        "Path/Slash Holdings",
        "O'Brien & Partners",
        "Zürich Ärzte GmbH",
        "Ελληνικά Τρόφιμα",
        "株式会社コントソ",
    ],
)
async def test_odd_characters_reach_upstream_intact(
    live: LiveEmulator, live_client: MakeClient, call: CallContext, name: str
) -> None:
    found = await search_all(
        live_client(), call, CustomerFilter(CustomerSearchField.COMPANY_NAME, name)
    )
    assert found == expected_ids(live, CustomerSearchField.COMPANY_NAME, name)
    assert len(found) >= 1


async def test_longest_allowed_value_is_sent_and_matches_nothing(
    live_client: MakeClient, call: CallContext
) -> None:
    value = ("Zürich & 100% \"x\" " * 20)[:MAX_FILTER_VALUE_LENGTH]
    page = await live_client().list_customers(
        call, search=CustomerFilter(CustomerSearchField.COMPANY_NAME, value)
    )
    assert page.items == ()
    assert page.continuation_token is None


async def test_filtered_walk_keeps_the_filter_across_pages(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    search = CustomerFilter(CustomerSearchField.COMPANY_NAME, "c")
    expected = expected_ids(live, CustomerSearchField.COMPANY_NAME, "c")
    assert len(expected) > 3  # several pages at size 2
    assert await search_all(live_client(), call, search, size=2) == expected
