"""Error responses: status mapping, both body shapes, ids, Retry-After, nothing leaked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from graphql_api.partner_center import (
    BadRequest,
    CallContext,
    Forbidden,
    NotFound,
    PartnerCenterClient,
    ServerError,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    UpstreamHTTPError,
)
from graphql_api.partner_center._failures import MAX_DESCRIPTION_LENGTH, parse_retry_after
from tests.partner_center.conftest import CORRELATION_ID, CUSTOMER_ID, TOKEN, json_response

MakeClient = Callable[..., PartnerCenterClient]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (405, UpstreamHTTPError),
        (409, UpstreamHTTPError),
        (429, Throttled),
        (500, ServerError),
        (501, ServerError),
        (502, ServiceUnavailable),
        (503, ServiceUnavailable),
        (504, ServiceUnavailable),
    ],
)
async def test_status_maps_to_its_exception(
    mock_client: MakeClient, call: CallContext, status: int, expected: type[Exception]
) -> None:
    client = mock_client(
        lambda _: json_response(status, {"code": 1234, "description": "nope"}),
        max_attempts=1,
    )
    with pytest.raises(expected) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert type(caught.value) is expected
    assert isinstance(caught.value, UpstreamHTTPError)
    assert caught.value.status == status


async def test_numeric_code_becomes_text(mock_client: MakeClient, call: CallContext) -> None:
    client = mock_client(
        lambda _: json_response(
            403,
            {
                "code": 1002,
                "description": "Authorization Failed",
                "data": [],
                "source": "PartnerFD",
            },
        )
    )
    with pytest.raises(Forbidden) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.code == "1002"
    assert caught.value.description == "Authorization Failed"


async def test_string_code_is_kept(mock_client: MakeClient, call: CallContext) -> None:
    client = mock_client(
        lambda _: json_response(404, {"code": "60003", "description": "Tenant not found"})
    )
    with pytest.raises(NotFound) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.code == "60003"


async def test_gateway_body_gives_description_without_code(
    mock_client: MakeClient, call: CallContext
) -> None:
    client = mock_client(
        lambda _: json_response(404, {"statusCode": 404, "message": "Resource not found"})
    )
    with pytest.raises(NotFound) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.code is None
    assert caught.value.description == "Resource not found"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500),
        httpx.Response(500, content=b"<html><body>Oops</body></html>",
                       headers={"Content-Type": "text/html"}),
        httpx.Response(500, content=b'{"code": 8', headers={"Content-Type": "application/json"}),
    ],
    ids=["empty", "html", "truncated-json"],
)
async def test_unreadable_error_body_falls_back_to_reason_phrase(
    mock_client: MakeClient, call: CallContext, response: httpx.Response
) -> None:
    client = mock_client(lambda _: response)
    with pytest.raises(ServerError) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.code is None
    assert caught.value.description is None
    assert "Internal Server Error" in str(caught.value)
    assert "Oops" not in str(caught.value)


async def test_error_body_with_bom_is_parsed(mock_client: MakeClient, call: CallContext) -> None:
    client = mock_client(
        lambda _: json_response(
            400, {"code": 900118, "description": "Invalid Customer Id"}, bom=True
        )
    )
    with pytest.raises(BadRequest) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.code == "900118"


async def test_ids_come_from_response_headers(mock_client: MakeClient, call: CallContext) -> None:
    client = mock_client(
        lambda _: json_response(
            404,
            {"code": 1000, "description": "Not found"},
            headers={"MS-CorrelationId": "corr-from-server", "MS-RequestId": "req-from-server"},
        )
    )
    with pytest.raises(NotFound) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.correlation_id == "corr-from-server"
    assert caught.value.request_id == "req-from-server"


async def test_ids_fall_back_to_what_was_sent(mock_client: MakeClient, call: CallContext) -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["MS-RequestId"])
        return json_response(404, {"code": 1000, "description": "Not found"})

    client = mock_client(handler)
    with pytest.raises(NotFound) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.correlation_id == CORRELATION_ID
    assert caught.value.request_id == sent[0]


async def test_long_description_is_truncated(mock_client: MakeClient, call: CallContext) -> None:
    client = mock_client(lambda _: json_response(400, {"code": 1, "description": "x" * 5000}))
    with pytest.raises(BadRequest) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.description == "x" * MAX_DESCRIPTION_LENGTH
    assert len(str(caught.value)) < MAX_DESCRIPTION_LENGTH + 100


async def test_error_never_carries_the_token_or_raw_body(
    mock_client: MakeClient, call: CallContext
) -> None:
    client = mock_client(
        lambda _: json_response(
            401, {"code": 900420, "description": "Bad audience", "data": ["internal-detail"]}
        )
    )
    with pytest.raises(Unauthorized) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    text = f"{caught.value!s} {caught.value!r} {vars(caught.value)}"
    assert TOKEN.split()[1] not in text
    assert "internal-detail" not in text


async def test_throttled_carries_retry_after_seconds(
    mock_client: MakeClient, call: CallContext
) -> None:
    client = mock_client(
        lambda _: json_response(
            429,
            {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."},
            headers={"Retry-After": "57"},
        )
    )
    with pytest.raises(Throttled) as caught:
        await client.get_customer(call, CUSTOMER_ID)
    assert caught.value.retry_after == 57.0


def test_retry_after_as_http_date_gives_seconds_from_now() -> None:
    now = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now) == 30.0


def test_retry_after_date_in_the_past_means_now() -> None:
    now = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now=now) == 0.0


@pytest.mark.parametrize("header", ["soon", "-5", "nan", "inf", ""])
def test_unusable_retry_after_is_ignored(header: str) -> None:
    assert parse_retry_after(header) is None
