"""TypedErrors and the error mapping: typed errors pass, expected exceptions get their code,
bugs are masked, and no log line carries a stack trace or a bug's message."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import strawberry

from graphql_api.partner_center import (
    BadRequest,
    ContinuationTokenRejected,
    Forbidden,
    NotFound,
    PartnerCenterError,
    ServerError,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
    UpstreamHTTPError,
    UpstreamMalformedResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from graphql_api.schema import CustomersSchema
from graphql_api.schema.context import NotAuthenticated
from graphql_api.schema.errors import bad_user_input, known_error
from graphql_api.schema.masking import TypedErrors
from graphql_api.schema.paging import UpstreamInconsistent

SECRET_DETAIL = "Bearer leaked-token-0123"
CORRELATION_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def http(cls: type[UpstreamHTTPError], status: int, **extra: Any) -> UpstreamHTTPError:
    return cls("upstream said no", status=status, code="123", description="why",
               correlation_id=CORRELATION_ID, request_id="req-1", **extra)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (http(ContinuationTokenRejected, 400), "CURSOR_EXPIRED"),
        (http(BadRequest, 400), "BAD_USER_INPUT"),
        (http(Unauthorized, 401), "UNAUTHENTICATED"),
        (http(Forbidden, 403), "FORBIDDEN"),
        (http(NotFound, 404), "NOT_FOUND"),
        (http(Throttled, 429, retry_after=2.5), "THROTTLED"),
        (http(UpstreamHTTPError, 409), "UPSTREAM_ERROR"),
        (http(ServerError, 500), "UPSTREAM_ERROR"),
        (http(ServiceUnavailable, 503), "UPSTREAM_UNAVAILABLE"),
        (UpstreamTimeout("slow"), "UPSTREAM_TIMEOUT"),
        (UpstreamUnavailable("down"), "UPSTREAM_UNAVAILABLE"),
        (UpstreamMalformedResponse("bad json", status=200), "UPSTREAM_ERROR"),
        (PartnerCenterError("other"), "UPSTREAM_ERROR"),
        (UpstreamInconsistent("empty pages"), "UPSTREAM_ERROR"),
        (NotAuthenticated("no token"), "UNAUTHENTICATED"),
    ],
)
def test_every_expected_exception_maps_to_its_code(exc: Exception, code: str) -> None:
    error = known_error(exc)
    assert error is not None
    assert error.extensions is not None
    assert error.extensions["code"] == code


def test_upstream_http_errors_carry_partner_center_details() -> None:
    error = known_error(http(Forbidden, 403))
    assert error is not None
    assert error.extensions is not None
    assert error.extensions["partnerCenter"] == {
        "status": 403,
        "code": "123",
        "description": "why",
        "correlationId": CORRELATION_ID,
        "requestId": "req-1",
    }


def test_throttled_rounds_retry_after_up_to_whole_seconds() -> None:
    error = known_error(http(Throttled, 429, retry_after=2.5))
    assert error is not None
    assert error.extensions is not None
    assert error.extensions["retryAfter"] == 3
    assert "3 seconds" in error.message


def test_an_unexpected_exception_is_not_a_known_error() -> None:
    assert known_error(RuntimeError("bug")) is None


@strawberry.type
class Probe:
    """A tiny schema with one resolver per kind of failure."""

    @strawberry.field
    def fine(self) -> str:
        return "ok"

    @strawberry.field
    def bug(self) -> str | None:
        raise RuntimeError(f"failed while holding {SECRET_DETAIL}")

    @strawberry.field
    def missing(self) -> str | None:
        raise NotFound("gone", status=404, correlation_id=CORRELATION_ID, request_id="r")

    @strawberry.field
    def typed(self) -> str | None:
        raise bad_user_input("first must be between 0 and 5.", argument="first")


class Context:
    correlation_id = CORRELATION_ID


async def execute(query: str) -> Any:
    schema = CustomersSchema(query=Probe, extensions=[TypedErrors])
    return await schema.execute(query, context_value=Context())


async def test_a_bug_is_masked_as_internal_server_error_with_the_correlation_id() -> None:
    result = await execute("{ fine bug }")
    assert result.data == {"fine": "ok", "bug": None}
    formatted = result.errors[0].formatted
    assert formatted["message"] == "Internal server error."
    assert formatted["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "correlationId": CORRELATION_ID,
    }
    assert formatted["path"] == ["bug"]
    assert formatted["locations"] == [{"line": 1, "column": 8}]
    assert SECRET_DETAIL not in str(formatted)


async def test_a_bug_is_logged_with_its_type_and_place_but_no_message_or_stack(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        await execute("{ bug }")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in text
    assert CORRELATION_ID in text
    assert "test_masking.py" in text
    assert SECRET_DETAIL not in caplog.text
    assert "Traceback" not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)


async def test_a_partner_center_exception_gets_its_code_at_its_path() -> None:
    result = await execute("{ fine missing }")
    assert result.data == {"fine": "ok", "missing": None}
    formatted = result.errors[0].formatted
    assert formatted["extensions"]["code"] == "NOT_FOUND"
    assert formatted["extensions"]["partnerCenter"]["status"] == 404
    assert formatted["path"] == ["missing"]


async def test_a_typed_error_passes_through_with_its_extensions() -> None:
    result = await execute("{ typed }")
    formatted = result.errors[0].formatted
    assert formatted["message"] == "first must be between 0 and 5."
    assert formatted["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}


async def test_request_errors_of_graphql_itself_are_left_as_they_are() -> None:
    result = await execute("{ nope }")
    assert result.data is None
    assert "Cannot query field 'nope'" in result.errors[0].message
