"""Logs: one JSON object per line, with the operation's correlation id, never a credential."""

from __future__ import annotations

import io
import json
import logging

import pytest

from graphql_api.observability.logging_setup import (
    REDACTED,
    redact_text,
)
from graphql_api.web.graphql_view import GraphQLView
from tests.web.conftest import ServiceFactory, graphql

SECRET_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJlLXNlY3JldA"



def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_each_record_is_one_json_object_per_line(log_stream: io.StringIO) -> None:
    logger = logging.getLogger("graphql_api.test")
    logger.info("first\nwith a newline")
    logger.warning("second", extra={"customers": 3})
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "first\nwith a newline"
    assert second["level"] == "WARNING"
    assert second["customers"] == 3


def test_request_log_line_carries_the_correlation_id_of_the_response(
    make_service: ServiceFactory, log_stream: io.StringIO
) -> None:
    with make_service() as client:
        response = graphql(client, "query Probe { customers(first: 1) { nodes { id } } }")
    correlation_id = response.headers["MS-CorrelationId"]
    (line,) = [entry for entry in _lines(log_stream) if entry.get("operation") == "Probe"]
    assert line["correlation_id"] == correlation_id
    assert line["outcome"] == "ok"
    assert line["status"] == 200
    assert line["logger"] == "graphql_api.http"


def test_the_callers_token_never_reaches_a_log_line(
    make_service: ServiceFactory, log_stream: io.StringIO
) -> None:
    with make_service() as client:
        client.post(
            "/graphql",
            json={"query": "{ customers(first: 1) { nodes { id } } }"},
            headers={"Authorization": f"Bearer {SECRET_TOKEN}"},
        )
    assert _lines(log_stream), "the request was logged"
    assert SECRET_TOKEN not in log_stream.getvalue()


def test_credentials_in_messages_and_fields_are_redacted(log_stream: io.StringIO) -> None:
    logger = logging.getLogger("graphql_api.test")
    logger.info("calling with Authorization: Bearer %s", "abc.def-ghi")
    logger.info("token response client_secret=s3cr3t&password=hunter2 id_token=%s", SECRET_TOKEN)
    logger.info(
        "settings",
        extra={"client_secret": "s3cr3t", "nested": {"Authorization": "Bearer abc.def-ghi"}},
    )
    output = log_stream.getvalue()
    for secret in ("abc.def-ghi", "s3cr3t", "hunter2", SECRET_TOKEN):
        assert secret not in output
    first, second, third = _lines(log_stream)
    assert first["message"] == f"calling with Authorization: Bearer {REDACTED}"
    assert "client_secret=" in str(second["message"])
    assert third["client_secret"] == REDACTED
    assert third["nested"] == {"Authorization": REDACTED}


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("header was Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("BEARER abc.def", "abc.def"),
        (f"raw {SECRET_TOKEN} seen", SECRET_TOKEN),
        ("api_key=k3y", "k3y"),
        ("API-KEY: k3y", "k3y"),
        ("refresh_token: r3fr3sh", "r3fr3sh"),
        ('{"clientSecret": "s3cr3t"}', "s3cr3t"),
        ("passwd=hunter2", "hunter2"),
        ("Authorization=xyz", "xyz"),
    ],
)
def test_every_credential_shape_is_masked_in_free_text(text: str, secret: str) -> None:
    # redact_text skips texts with none of the patterns' key words: each shape must pass it.
    assert secret not in redact_text(text)
    assert REDACTED in redact_text(text)


def test_text_without_credentials_is_left_as_is() -> None:
    assert redact_text("graphql request for Page: 50 customers") == (
        "graphql request for Page: 50 customers"
    )


def test_exceptions_are_logged_without_a_stack_trace(log_stream: io.StringIO) -> None:
    def fail() -> None:
        raise ValueError(f"bad token {SECRET_TOKEN}")

    try:
        fail()
    except ValueError:
        logging.getLogger("graphql_api.test").exception("it broke")
    (line,) = _lines(log_stream)
    assert line["error"] == {"type": "ValueError", "message": f"bad token {REDACTED}"}
    assert "Traceback" not in log_stream.getvalue()
    assert "fail()" not in log_stream.getvalue()


def test_lines_logged_while_serving_an_operation_carry_its_correlation_id(
    make_service: ServiceFactory, log_stream: io.StringIO
) -> None:
    logging.getLogger().setLevel("DEBUG")  # the client's line per upstream call is DEBUG
    missing = "00000000-0000-0000-0000-000000000000"
    with make_service() as client:
        response = graphql(client, f'query Missing {{ customer(id: "{missing}") {{ id }} }}')
    correlation_id = response.headers["MS-CorrelationId"]
    lines = _lines(log_stream)
    upstream = [entry for entry in lines if entry["logger"] == "graphql_api.partner_center"]
    typed = [entry for entry in lines if entry["logger"] == "graphql_api.schema"]
    request = [entry for entry in lines if entry.get("operation") == "Missing"]
    assert (len(upstream), len(typed), len(request)) == (1, 1, 1)
    assert {entry["correlation_id"] for entry in upstream + typed + request} == {correlation_id}
    logging.getLogger("graphql_api.test").info("outside any operation")
    assert "correlation_id" not in _lines(log_stream)[-1]


@pytest.mark.parametrize("where", ["run", "_cache_control"])
def test_a_bug_around_the_schema_is_a_500_logged_as_failed(
    make_service: ServiceFactory,
    log_stream: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    # A bug while running the request, or while shaping its answer: either way the caller
    # gets Starlette's 500 and the line says failed, never ok nor disconnected.
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(GraphQLView, where, broken)
    with make_service() as client:
        response = graphql(client, "query Broken { customers(first: 1) { nodes { id } } }")
    assert response.status_code == 500
    (line,) = [entry for entry in _lines(log_stream) if entry.get("logger") == "graphql_api.http"]
    assert (line["outcome"], line["status"], line["error_codes"]) == (
        "failed",
        500,
        ["INTERNAL_SERVER_ERROR"],
    )
