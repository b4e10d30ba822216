"""Walking the emulator's customer list over real HTTP, by token and by next link."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from graphql_api.partner_center import (
    CallContext,
    ContinuationTokenRejected,
    CustomerPage,
    PartnerCenterClient,
)
from tests.live_emulator import LiveEmulator

MakeClient = Callable[..., PartnerCenterClient]


async def walk_by_token(
    client: PartnerCenterClient, call: CallContext, size: int
) -> list[CustomerPage]:
    pages = [await client.list_customers(call, size=size)]
    while pages[-1].continuation_token:
        pages.append(await client.next_customers(call, pages[-1].continuation_token))
    return pages


async def walk_by_link(
    client: PartnerCenterClient, call: CallContext, size: int
) -> list[CustomerPage]:
    pages = [await client.list_customers(call, size=size)]
    while (link := pages[-1].next_link) is not None:
        pages.append(await client.follow_next_link(call, link))
    return pages


def ids(pages: list[CustomerPage]) -> list[str]:
    return [customer.id for page in pages for customer in page.items]


@pytest.mark.parametrize("size", [1, 7, 100, 236, 237, 500])
async def test_walk_by_token_returns_every_customer_once_in_order(
    live: LiveEmulator, live_client: MakeClient, call: CallContext, size: int
) -> None:
    pages = await walk_by_token(live_client(), call, size)
    assert ids(pages) == [c.id for c in live.state.dataset.customers]
    assert all(page.total_count == len(page.items) for page in pages)
    assert live.state.stats.snapshot()["total"] == len(pages)


@pytest.mark.parametrize("style", ["v1", "legacy"])
@pytest.mark.parametrize("size", [13, 500])
async def test_walk_by_next_link_returns_every_customer_once_in_order(
    live: LiveEmulator, live_client: MakeClient, call: CallContext, style: str, size: int
) -> None:
    live.state.configure(next_link_style=style)
    pages = await walk_by_link(live_client(), call, size)
    assert ids(pages) == [c.id for c in live.state.dataset.customers]
    assert all(p.next_link is None or p.next_link.uri.startswith("/v1/customers?") for p in pages)


async def test_walk_ending_in_seek_error_stops_cleanly(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    # Full last page still carrying a token; the seek after it answers 400 / 2000.
    live.state.configure(end_with_seek_error=True)
    size = 79  # 237 = 3 * 79
    pages = await walk_by_token(live_client(), call, size)
    assert ids(pages) == [c.id for c in live.state.dataset.customers]
    assert pages[-1].items == ()
    assert live.state.stats.snapshot()["by_status"] == {"200": 3, "400": 1}


async def test_list_items_are_summaries_with_company_names(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    page = await live_client().list_customers(call, size=5)
    expected = live.state.dataset.customers[:5]
    assert [c.company_profile.company_name if c.company_profile else None for c in page.items] == [
        c.company_name for c in expected
    ]
    assert all(c.is_summary and c.allow_delegated_access is None for c in page.items)


async def test_expired_token_is_rejected(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    client = live_client()
    page = await client.list_customers(call, size=10)
    assert page.continuation_token
    live.clock.offset = live.state.config.token_ttl_seconds + 60
    with pytest.raises(ContinuationTokenRejected) as caught:
        await client.next_customers(call, page.continuation_token)
    assert caught.value.status == 400
    assert caught.value.code == "800002"


async def test_forged_token_is_rejected(live_client: MakeClient, call: CallContext) -> None:
    with pytest.raises(ContinuationTokenRejected):
        await live_client().next_customers(call, "1,Zm9yZ2Vk,bm90LWEtbWFj")


async def test_seek_requests_carry_the_token_only_in_the_header(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    client = live_client()
    page = await client.list_customers(call, size=50)
    assert page.continuation_token
    await client.next_customers(call, page.continuation_token)
    seek = live.state.stats.requests()[-1]
    assert seek["route"] == "next"
    assert page.continuation_token not in seek["path"]


async def test_body_starts_with_a_bom_and_still_parses(
    live: LiveEmulator, live_client: MakeClient, call: CallContext
) -> None:
    async with httpx.AsyncClient(base_url=live.url) as raw:
        response = await raw.get(
            "/v1/customers", params={"size": "1"}, headers={"Authorization": "Bearer x"}
        )
    assert response.content.startswith(b"\xef\xbb\xbf")
    page = await live_client().list_customers(call, size=1)
    assert len(page.items) == 1
