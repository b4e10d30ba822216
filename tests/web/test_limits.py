"""Hardening: each limit refuses with its documented status and code, before any upstream call."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import strawberry
from graphql import DocumentNode, GraphQLSchema, parse, specified_rules
from prometheus_client.parser import text_string_to_metric_families
from strawberry.schema.schema import validate_document

from graphql_api.web import document_cache, limits
from graphql_api.web.document_cache import DocumentCache
from graphql_api.web.graphql_view import GRAPHQL_RESPONSE_JSON
from tests.web.conftest import AUTH, JSON_POST, ServiceFactory, graphql


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert isinstance(error, dict)
    return error


def test_query_deeper_than_the_limit_is_refused(make_service: ServiceFactory) -> None:
    with make_service({"GRAPHQL_MAX_DEPTH": "3"}) as client:
        deep = "{ customers { edges { node { companyProfile { companyName } } } } }"
        response = graphql(client, deep, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "exceeds maximum operation depth of 3" in str(error["message"])


def test_query_within_the_depth_limit_runs(make_service: ServiceFactory) -> None:
    with make_service({"GRAPHQL_MAX_DEPTH": "3"}) as client:
        response = graphql(client, "{ customers(first: 1) { nodes { id } } }")
    assert response.status_code == 200
    assert response.json()["data"]["customers"]["nodes"]


def test_document_with_more_tokens_than_the_limit_is_refused(
    make_service: ServiceFactory,
) -> None:
    with make_service({"GRAPHQL_MAX_TOKENS": "100"}) as client:
        many = "{ " + " ".join(f"f{i}: __typename" for i in range(40)) + " }"
        response = graphql(client, many, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert "more than 100 tokens" in str(error["message"])


def test_more_aliases_than_the_limit_are_refused(make_service: ServiceFactory) -> None:
    with make_service({"GRAPHQL_MAX_ALIASES": "2"}) as client:
        aliased = "{ a: __typename b: __typename c: __typename }"
        response = graphql(client, aliased, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "3 aliases found. Allowed: 2" in str(error["message"])


def test_body_declared_larger_than_the_limit_is_413(make_service: ServiceFactory) -> None:
    with make_service({"GRAPHQL_MAX_BODY_BYTES": "2048"}) as client:
        padding = "#" + "x" * 4096 + "\n"
        response = client.post(
            "/graphql", json={"query": padding + "{ __typename }"}, headers=AUTH
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert _error(response)["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}


def test_streamed_body_past_the_limit_is_413(make_service: ServiceFactory) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        yield b'{"query": "#'
        for _ in range(8):
            yield b"x" * 512
        yield b'\\n{ __typename }"}'

    with make_service({"GRAPHQL_MAX_BODY_BYTES": "2048"}) as client:
        response = client.post("/graphql", content=chunks(), headers=JSON_POST)
    assert response.status_code == 413
    assert _error(response)["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}


class _ErrorRecords(logging.Handler):
    """Every ERROR-or-worse record of the loggers it is attached to."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def error_records() -> Iterator[_ErrorRecords]:
    handler = _ErrorRecords()
    # uvicorn's own loggers may not propagate to the root one: listen to both.
    loggers = [logging.getLogger(), logging.getLogger("uvicorn.error")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _request_counts(metrics_text: str) -> dict[str, float]:
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == "graphql_requests_total"
    }


def test_streamed_body_past_the_limit_is_counted_as_rejected_not_as_a_failure(
    make_service: ServiceFactory, error_records: _ErrorRecords
) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"query": "#'
        for _ in range(8):
            yield b"x" * 512
        yield b'\\n{ __typename }"}'

    with make_service({"GRAPHQL_MAX_BODY_BYTES": "2048"}) as client:
        response = client.post("/graphql", content=chunks(), headers=JSON_POST)
        metrics_text = client.get("/metrics").text
    assert response.status_code == 413
    assert _request_counts(metrics_text) == {"rejected": 1.0}
    assert 'code="PAYLOAD_TOO_LARGE"' in metrics_text
    assert "INTERNAL_SERVER_ERROR" not in metrics_text
    assert error_records.records == []


def test_client_gone_mid_body_is_counted_as_disconnected_without_an_error_line(
    make_service: ServiceFactory, error_records: _ErrorRecords
) -> None:
    with make_service() as client:
        port = httpx.URL(str(client.base_url)).port
        assert port is not None
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer t\r\nContent-Length: 1000\r\n\r\n{\"query\": \"{"
            )
            time.sleep(0.2)  # the view is now waiting for the rest of the body
        for _ in range(100):  # until the server has seen the disconnect and counted it
            metrics_text = client.get("/metrics").text
            if _request_counts(metrics_text):
                break
            time.sleep(0.05)
    assert _request_counts(metrics_text) == {"disconnected": 1.0}
    assert "INTERNAL_SERVER_ERROR" not in metrics_text
    assert error_records.records == []


def test_body_under_the_limit_is_served(make_service: ServiceFactory) -> None:
    with make_service({"GRAPHQL_MAX_BODY_BYTES": "2048"}) as client:
        response = client.post("/graphql", json={"query": "{ __typename }"}, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def test_introspection_is_on_by_default(make_service: ServiceFactory) -> None:
    with make_service() as client:
        response = graphql(client, "{ __schema { queryType { name } } }")
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_introspection_switched_off_is_refused(make_service: ServiceFactory) -> None:
    with make_service({"GRAPHQL_INTROSPECTION": "false"}) as client:
        response = graphql(client, "{ __schema { queryType { name } } }")
        typename = graphql(client, "{ __typename }")
    body = response.json()
    assert "data" not in body
    assert {error["extensions"]["code"] for error in body["errors"]} == {
        "GRAPHQL_VALIDATION_FAILED"
    }
    assert "introspection has been disabled" in body["errors"][0]["message"]
    assert typename.json() == {"data": {"__typename": "Query"}}


def test_validation_errors_suggest_fields_while_introspection_is_on(
    make_service: ServiceFactory,
) -> None:
    with make_service() as client:
        response = graphql(client, "{ customr(id: \"x\") { id } }")
    assert "Did you mean 'customer'" in str(_error(response)["message"])


def test_validation_errors_suggest_nothing_with_introspection_off(
    make_service: ServiceFactory,
) -> None:
    with make_service({"GRAPHQL_INTROSPECTION": "false"}) as client:
        misspelt = graphql(client, "{ customr(id: \"x\") { id } }")
        bad_enum = graphql(
            client,
            '{ customers(search: {field: COMPANY, startsWith: "a"}) { nodes { id } } }',
        )
    for response in (misspelt, bad_enum):
        error = _error(response)
        assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
        assert "Did you mean" not in str(error["message"])
        assert "customer'" not in str(error["message"])
        assert "COMPANY_NAME" not in str(error["message"])


SDL_QUERY = "query Compose { _service { sdl } }"
SDL_THROUGH_FRAGMENTS = (
    "query { ...Root } fragment Root on Query { ... on Query { _service { sdl } } }"
)


def test_service_sdl_answers_anyone_while_introspection_is_on(
    make_service: ServiceFactory,
) -> None:
    with make_service() as client:
        response = client.post("/graphql", json={"query": SDL_QUERY})
    assert "type Customer" in response.json()["data"]["_service"]["sdl"]


@pytest.mark.parametrize("query", [SDL_QUERY, SDL_THROUGH_FRAGMENTS])
def test_service_sdl_needs_an_authenticated_caller_with_introspection_off(
    make_service: ServiceFactory, query: str
) -> None:
    with make_service({"GRAPHQL_INTROSPECTION": "false"}) as client:
        anonymous = client.post("/graphql", json={"query": query})
        authenticated = graphql(client, query)
    body = anonymous.json()
    assert body.get("data") is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert "type Customer" not in anonymous.text
    assert "type Customer" in authenticated.json()["data"]["_service"]["sdl"]


def test_a_repeated_document_is_parsed_and_validated_once(
    make_service: ServiceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    validated: list[DocumentNode] = []

    def counting_parse(text: str, **options: Any) -> DocumentNode:
        parsed.append(text)
        return parse(text, **options)

    def counting_validate(schema: GraphQLSchema, document: DocumentNode, rules: Any) -> Any:
        validated.append(document)
        return validate_document(schema, document, rules)

    monkeypatch.setattr(document_cache, "parse", counting_parse)
    monkeypatch.setattr(limits, "validate_document", counting_validate)
    query = "query CacheProbe { customers(first: 1) { nodes { id } } }"
    with make_service() as client:
        for _ in range(4):
            assert graphql(client, query).status_code == 200
    assert parsed == [query]
    assert len(validated) == 1


def test_validation_outcomes_are_found_by_document_identity_and_bounded() -> None:
    schema = strawberry.Schema(query=_Probe)._schema
    cache = DocumentCache(max_entries=2, max_bytes=1024 * 1024)
    rules = tuple(specified_rules)
    calls: list[DocumentNode] = []

    def counting(schema: GraphQLSchema, document: DocumentNode, rules: Any) -> Any:
        calls.append(document)
        return validate_document(schema, document, rules)

    first = cache.document("{ ok }", {})
    assert cache.document("{ ok }", {}) is first
    assert cache.validation(schema, first, rules, counting) == []
    assert cache.validation(schema, first, rules, counting) == []
    assert calls == [first]
    # An equal document parsed elsewhere is another object: validated on its own, not kept.
    elsewhere = parse("{ ok }")
    cache.validation(schema, elsewhere, rules, counting)
    cache.validation(schema, elsewhere, rules, counting)
    assert calls == [first, elsewhere, elsewhere]
    wrong = cache.document("{ missing }", {})
    assert cache.validation(schema, wrong, rules, counting)  # a real validation: no such field
    cache.document("{ ok __typename }", {})
    # Two entries at most: the least recently used one (`{ ok }`) was dropped.
    assert len(cache) == 2
    assert cache.document("{ ok }", {}) is not first


@strawberry.type
class _Probe:
    ok: bool = True
