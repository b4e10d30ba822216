"""Next pages over MockTransport: end-of-list, rejected tokens, next-link forms and safety."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from graphql_api.partner_center import (
    BadRequest,
    CallContext,
    ContinuationTokenRejected,
    Forbidden,
    NextLink,
    PartnerCenterClient,
    Throttled,
    Unauthorized,
)
from tests.partner_center.conftest import json_response, page_payload

MakeClient = Callable[..., PartnerCenterClient]


def recording(response: httpx.Response) -> tuple[
    Callable[[httpx.Request], httpx.Response], list[httpx.Request]
]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response

    return handler, seen


async def test_seek_sends_token_in_header_never_in_url(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, seen = recording(json_response(200, page_payload(["a"])))
    await mock_client(handler).next_customers(call, "tok,en/with=odd_chars", size=10)
    request = seen[0]
    assert request.url.path == "/v1/customers"
    assert dict(request.url.params) == {"seekOperation": "Next", "size": "10"}
    assert request.headers["MS-ContinuationToken"] == "tok,en/with=odd_chars"


async def test_seek_past_the_end_is_an_empty_last_page(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, _ = recording(json_response(400, {"code": 2000, "description": "no more"}))
    page = await mock_client(handler).next_customers(call, "token")
    assert page.items == ()
    assert page.continuation_token is None
    assert page.next_link is None


async def test_end_of_list_code_as_string_is_recognised(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, _ = recording(json_response(400, {"code": "2000", "description": "no more"}))
    page = await mock_client(handler).follow_next_link(call, NextLink("/v1/customers"))
    assert page.items == ()


@pytest.mark.parametrize(
    ("status", "code"), [(400, 800002), (404, 1000), (410, None), (400, None)]
)
async def test_other_client_error_on_seek_rejects_the_token(
    mock_client: MakeClient, call: CallContext, status: int, code: int | None
) -> None:
    body = {"code": code, "description": "bad token"} if code else {}
    handler, seen = recording(json_response(status, body))
    with pytest.raises(ContinuationTokenRejected) as caught:
        await mock_client(handler).next_customers(call, "token")
    assert caught.value.status == status
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("status", "expected"), [(401, Unauthorized), (403, Forbidden), (429, Throttled)]
)
async def test_auth_and_throttling_keep_their_meaning_on_seek(
    mock_client: MakeClient, call: CallContext, status: int, expected: type[Exception]
) -> None:
    handler, _ = recording(json_response(status, {"code": 1, "description": "x"}))
    with pytest.raises(expected):
        await mock_client(handler, max_attempts=1).next_customers(call, "token")


async def test_end_of_list_code_on_first_page_is_a_plain_bad_request(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, _ = recording(json_response(400, {"code": 2000, "description": "odd"}))
    with pytest.raises(BadRequest) as caught:
        await mock_client(handler).list_customers(call)
    assert not isinstance(caught.value, ContinuationTokenRejected)
    assert caught.value.code == "2000"


@pytest.mark.parametrize(
    "uri",
    [
        "/v1/customers?size=2&seekOperation=Next",
        "/customers?size=2&seekOperation=Next",
        "customers?size=2&seekOperation=Next",
        "http://partner-center.test/v1/customers?size=2&seekOperation=Next",
    ],
)
async def test_next_link_is_parsed_and_replayed_under_v1_once(
    mock_client: MakeClient, call: CallContext, uri: str
) -> None:
    payload = page_payload(["a"])
    payload["links"] = {
        "next": {
            "uri": uri,
            "method": "GET",
            "headers": [{"key": "MS-ContinuationToken", "value": "tok-1"}],
        }
    }
    handler, seen = recording(json_response(200, payload))
    client = mock_client(handler)
    page = await client.list_customers(call, size=2)
    assert page.next_link == NextLink(
        "/v1/customers?size=2&seekOperation=Next", (("MS-ContinuationToken", "tok-1"),)
    )
    # No continuationToken in the body: the link's header gives it.
    assert page.continuation_token == "tok-1"
    await client.follow_next_link(call, page.next_link)
    replayed = seen[1]
    assert replayed.url.raw_path == b"/v1/customers?size=2&seekOperation=Next"
    assert replayed.headers["MS-ContinuationToken"] == "tok-1"


async def test_follow_next_link_repairs_a_doubled_prefix(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, seen = recording(json_response(200, page_payload([])))
    await mock_client(handler).follow_next_link(call, NextLink("/v1//v1/customers?a=1"))
    assert seen[0].url.raw_path == b"/v1/customers?a=1"


@pytest.mark.parametrize(
    "uri",
    [
        "https://elsewhere.example/v1/customers",
        "//elsewhere.example/v1/customers",
        "http://partner-center.test:8443/v1/customers",
        "/v1/customers/../auditrecords",
        "/v1/invoices?seekOperation=Next",
        "/v1/customers\r\nX-Evil: 1",
    ],
)
async def test_next_link_off_the_customers_collection_is_refused(
    mock_client: MakeClient, call: CallContext, uri: str
) -> None:
    handler, seen = recording(json_response(200, page_payload([])))
    with pytest.raises(ValueError, match="next link"):
        await mock_client(handler).follow_next_link(call, NextLink(uri))
    assert seen == []


async def test_foreign_next_link_in_a_page_is_dropped_but_token_kept(
    mock_client: MakeClient, call: CallContext
) -> None:
    payload = page_payload(["a"], token="tok-2")
    payload["links"] = {"next": {"uri": "https://elsewhere.example/v1/customers"}}
    handler, _ = recording(json_response(200, payload))
    page = await mock_client(handler).list_customers(call)
    assert page.next_link is None
    assert page.continuation_token == "tok-2"


async def test_unsafe_next_link_headers_are_not_copied(
    mock_client: MakeClient, call: CallContext
) -> None:
    handler, seen = recording(json_response(200, page_payload([])))
    link = NextLink(
        "/v1/customers?seekOperation=Next",
        (
            ("MS-ContinuationToken", "tok"),
            ("Authorization", "Bearer stolen"),
            ("Host", "elsewhere.example"),
            ("MS-RequestId", "fixed"),
            ("X-Split", "a\r\nInjected: yes"),
            ("Bad Name", "v"),
        ),
    )
    await mock_client(handler).follow_next_link(call, link)
    sent = seen[0].headers
    assert sent["MS-ContinuationToken"] == "tok"
    assert sent["Authorization"] == call.authorization
    assert sent["Host"] == "partner-center.test"
    assert sent["MS-RequestId"] != "fixed"
    assert "Injected" not in sent
    assert "X-Split" not in sent
