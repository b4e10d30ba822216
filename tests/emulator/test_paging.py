"""Paging: every customer exactly once and in order, by links.next and by continuationToken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from graphql_api.emulator import EmulatorConfig
from tests.emulator.conftest import Served, body

Walk = Callable[[httpx.Client, int | None], list[dict[str, Any]]]


def _first(client: httpx.Client, size: int | None) -> dict[str, Any]:
    params = {} if size is None else {"size": size}
    response = client.get("/v1/customers", params=params)
    assert response.status_code == 200
    page: dict[str, Any] = body(response)
    return page


def walk_links(client: httpx.Client, size: int | None) -> list[dict[str, Any]]:
    """Follow links.next (uri and headers) as the SDK enumerators do."""
    pages = [_first(client, size)]
    while "next" in pages[-1]["links"]:
        nxt = pages[-1]["links"]["next"]
        uri = nxt["uri"] if nxt["uri"].startswith("/v1/") else "/v1" + nxt["uri"]
        headers = {pair["key"]: pair["value"] for pair in nxt["headers"]}
        response = client.request(nxt["method"], uri, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(body(response))
    return pages


def walk_tokens(client: httpx.Client, size: int | None) -> list[dict[str, Any]]:
    """Read continuationToken from the body and seek as Microsoft's NCE tool does."""
    pages = [_first(client, size)]
    while pages[-1].get("continuationToken"):
        params: dict[str, str | int] = {"seekOperation": "next"}
        if size is not None:
            params["size"] = size
        response = client.get(
            "/v1/customers", params=params,
            headers={"MS-ContinuationToken": pages[-1]["continuationToken"]},
        )
        assert response.status_code == 200, response.text
        pages.append(body(response))
    return pages


def _ids(pages: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for page in pages for item in page["items"]]


@pytest.mark.parametrize("walk", [walk_links, walk_tokens], ids=["links", "tokens"])
@pytest.mark.parametrize("size", [None, 137, 500])
def test_walk_returns_every_customer_once_in_order(
    default_emulator: Served, walk: Walk, size: int | None
) -> None:
    pages = walk(default_emulator.client, size)
    expected = [c.id for c in default_emulator.emulator.dataset.customers]
    assert _ids(pages) == expected


@pytest.mark.parametrize("walk", [walk_links, walk_tokens], ids=["links", "tokens"])
@pytest.mark.parametrize("size", [1, 7, 23, 46])
def test_walk_small_pages_returns_every_customer_once_in_order(
    serve: Callable[..., Served], walk: Walk, size: int
) -> None:
    served = serve(EmulatorConfig(customers=46))
    pages = walk(served.client, size)
    assert _ids(pages) == [c.id for c in served.emulator.dataset.customers]


def test_page_sizes_follow_the_requested_size(default_emulator: Served) -> None:
    pages = walk_tokens(default_emulator.client, 300)
    assert [len(page["items"]) for page in pages] == [300] * 6 + [200]


def test_missing_size_means_pages_of_500(default_emulator: Served) -> None:
    assert len(_first(default_emulator.client, None)["items"]) == 500


def test_size_zero_means_pages_of_500(default_emulator: Served) -> None:
    assert len(_first(default_emulator.client, 0)["items"]) == 500


def test_total_count_counts_the_page_not_the_list(default_emulator: Served) -> None:
    pages = walk_tokens(default_emulator.client, 300)
    assert [page["totalCount"] for page in pages] == [len(page["items"]) for page in pages]


def test_last_page_has_no_next_link_and_no_token(default_emulator: Served) -> None:
    last = walk_links(default_emulator.client, 500)[-1]
    assert "next" not in last["links"]
    assert "continuationToken" not in last


def test_next_link_carries_the_token_header(default_emulator: Served) -> None:
    page = _first(default_emulator.client, 10)
    nxt = page["links"]["next"]
    assert nxt["method"] == "GET"
    assert nxt["headers"] == [{"key": "MS-ContinuationToken", "value": page["continuationToken"]}]
    assert nxt["uri"] == "/v1/customers?size=10&seekOperation=Next"


def test_collection_has_partner_center_shape(default_emulator: Served) -> None:
    page = _first(default_emulator.client, 2)
    assert page["attributes"] == {"objectType": "Collection"}
    assert page["links"]["self"]["uri"] == "/v1/customers?size=2"
    item = page["items"][0]
    assert set(item) == {"id", "companyProfile", "relationshipToPartner", "links", "attributes"}
    assert set(item["companyProfile"]) == {"tenantId", "domain", "companyName", "links",
                                           "attributes"}
    assert item["attributes"] == {"objectType": "Customer"}


def test_legacy_style_links_have_no_v1_prefix(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10, next_link_style="legacy"))
    page = _first(served.client, 3)
    assert page["links"]["next"]["uri"] == "/customers?size=3&seekOperation=Next"
    assert page["items"][0]["links"]["self"]["uri"].startswith("/customers/")


def test_legacy_style_walk_returns_every_customer(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10, next_link_style="legacy"))
    assert _ids(walk_links(served.client, 3)) == [c.id for c in served.emulator.dataset.customers]


def test_seek_value_is_case_insensitive(default_emulator: Served) -> None:
    token = _first(default_emulator.client, 5)["continuationToken"]
    answers = [
        default_emulator.client.get(
            "/v1/customers", params={"seekOperation": op},
            headers={"MS-ContinuationToken": token},
        )
        for op in ("Next", "next", "NEXT")
    ]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert len({tuple(item["id"] for item in body(r)["items"]) for r in answers}) == 1


def test_seek_ignores_size_and_filter_on_the_request(default_emulator: Served) -> None:
    token = _first(default_emulator.client, 5)["continuationToken"]
    response = default_emulator.client.get(
        "/v1/customers",
        params={"size": 50, "seekOperation": "Next",
                "filter": '{"Field":"CompanyName","Value":"zz","Operator":"starts_with"}'},
        headers={"MS-ContinuationToken": token},
    )
    expected = [c.id for c in default_emulator.emulator.dataset.customers[5:10]]
    assert [item["id"] for item in body(response)["items"]] == expected


def test_token_contains_characters_that_break_urls(default_emulator: Served) -> None:
    tokens = [page["continuationToken"] for page in walk_tokens(default_emulator.client, 137)[:-1]]
    seen = set("".join(tokens))
    assert {",", "="} <= seen
    assert seen & {"/", "+", "_", "-"}


def test_end_with_seek_error_gives_full_last_page_a_token(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=20, end_with_seek_error=True))
    last = _first(served.client, 20)
    assert last["links"]["next"]["headers"][0]["value"] == last["continuationToken"]


def test_end_with_seek_error_leaves_partial_last_page_without_token(
    serve: Callable[..., Served],
) -> None:
    served = serve(EmulatorConfig(customers=20, end_with_seek_error=True))
    pages = walk_tokens(served.client, 8)
    assert [len(page["items"]) for page in pages] == [8, 8, 4]
    assert "continuationToken" not in pages[-1]


def test_filtered_walk_keeps_the_filter_on_later_pages(default_emulator: Served) -> None:
    client = default_emulator.client
    query = '{"Field":"Domain","Value":"s","Operator":"starts_with"}'
    first = client.get("/v1/customers", params={"size": 10, "filter": query})
    pages = [body(first)]
    while pages[-1].get("continuationToken"):
        response = client.get("/v1/customers", params={"seekOperation": "Next"},
                              headers={"MS-ContinuationToken": pages[-1]["continuationToken"]})
        pages.append(body(response))
    expected = [c.id for c in default_emulator.emulator.dataset.customers
                if c.domain.startswith("s")]
    assert len(pages) > 2
    assert _ids(pages) == expected
