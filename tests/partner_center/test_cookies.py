"""The shared client keeps no cookie: what one answer sets never reaches another request."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from graphql_api.partner_center import CallContext, PartnerCenterClient
from tests.partner_center.conftest import json_response, page_payload


async def test_a_cookie_set_by_one_answer_is_not_sent_with_the_next_request(
    mock_client: Callable[..., PartnerCenterClient], call: CallContext
) -> None:
    sent: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        return json_response(
            200,
            page_payload(["0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"]),
            headers={"Set-Cookie": "ARRAffinity=caller-one; Path=/; HttpOnly"},
        )

    client = mock_client(handler)
    await client.list_customers(call, size=1)
    await client.list_customers(call, size=1)
    assert sent == [None, None]
