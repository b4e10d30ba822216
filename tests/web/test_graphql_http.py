"""GraphQL over HTTP at /graphql: media types, status codes, and JSON refusals."""

from __future__ import annotations

import uuid

import httpx
import pytest

from graphql_api.web.graphql_view import GRAPHQL_RESPONSE_JSON, JSON, response_media_type
from tests.web.conftest import AUTH, JSON_POST, graphql

FIRST_CUSTOMERS = "{ customers(first: 2) { nodes { id } } }"


def _only_error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert "data" not in body
    (error,) = body["errors"]
    assert isinstance(error, dict)
    return error


def test_post_with_application_json_answers_data_as_application_json(
    service: httpx.Client,
) -> None:
    response = graphql(service, FIRST_CUSTOMERS, accept=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert len(response.json()["data"]["customers"]["nodes"]) == 2


def test_accepting_graphql_response_json_answers_in_that_media_type(
    service: httpx.Client,
) -> None:
    response = graphql(service, FIRST_CUSTOMERS, accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)


def test_get_runs_a_query_from_the_url(service: httpx.Client) -> None:
    response = service.get("/graphql", params={"query": FIRST_CUSTOMERS}, headers=AUTH)
    assert response.status_code == 200
    assert len(response.json()["data"]["customers"]["nodes"]) == 2


def test_validation_failure_is_200_without_data_when_accepting_application_json(
    service: httpx.Client,
) -> None:
    response = graphql(service, "{ noSuchField }", accept=JSON)
    assert response.status_code == 200
    assert _only_error(response)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


def test_validation_failure_is_400_when_accepting_graphql_response_json(
    service: httpx.Client,
) -> None:
    response = graphql(service, "{ noSuchField }", accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    assert _only_error(response)["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


def test_syntax_error_is_coded_graphql_parse_failed(service: httpx.Client) -> None:
    response = graphql(service, "{ customers(first: 2) {", accept=GRAPHQL_RESPONSE_JSON)
    assert response.status_code == 400
    assert _only_error(response)["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


def test_variable_of_the_wrong_type_is_coded_bad_user_input(service: httpx.Client) -> None:
    response = graphql(
        service,
        "query($n: Int) { customers(first: $n) { nodes { id } } }",
        variables={"n": "ten"},
        accept=GRAPHQL_RESPONSE_JSON,
    )
    assert response.status_code == 400
    assert _only_error(response)["extensions"] == {"code": "BAD_USER_INPUT"}


def test_field_error_keeps_data_and_status_200(service: httpx.Client) -> None:
    # No bearer token: the field fails with UNAUTHENTICATED, the response is still GraphQL's.
    response = service.post(
        "/graphql", json={"query": FIRST_CUSTOMERS}, headers={"Accept": GRAPHQL_RESPONSE_JSON}
    )
    assert response.status_code == 200
    body = response.json()
    assert "data" in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_malformed_json_is_400_bad_request(service: httpx.Client) -> None:
    response = service.post("/graphql", content=b'{"query": ', headers=JSON_POST)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert _only_error(response)["extensions"] == {"code": "BAD_REQUEST"}


def test_body_that_is_not_a_json_object_is_400_bad_request(service: httpx.Client) -> None:
    response = service.post("/graphql", content=b'"{ customers }"', headers=JSON_POST)
    assert response.status_code == 400
    assert _only_error(response)["extensions"] == {"code": "BAD_REQUEST"}


def test_missing_query_is_400_bad_request(service: httpx.Client) -> None:
    response = service.post("/graphql", json={"variables": {}})
    assert response.status_code == 400
    error = _only_error(response)
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "query" in str(error["message"]).lower()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_post_that_is_not_application_json_is_415(
    service: httpx.Client, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = service.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)
    assert response.status_code == 415
    assert _only_error(response)["extensions"] == {"code": "UNSUPPORTED_MEDIA_TYPE"}


def test_mutation_over_get_is_405_allowing_post(service: httpx.Client) -> None:
    response = service.get("/graphql", params={"query": "mutation { __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert _only_error(response)["extensions"] == {"code": "METHOD_NOT_ALLOWED"}


def test_other_methods_are_405_allowing_get_and_post(service: httpx.Client) -> None:
    response = service.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert _only_error(response)["extensions"] == {"code": "METHOD_NOT_ALLOWED"}


def test_every_response_carries_a_correlation_id(service: httpx.Client) -> None:
    response = graphql(service, FIRST_CUSTOMERS)
    uuid.UUID(response.headers["MS-CorrelationId"])


def test_refusals_carry_a_correlation_id_too(service: httpx.Client) -> None:
    response = service.post("/graphql", content=b"{", headers=JSON_POST)
    assert response.status_code == 400
    uuid.UUID(response.headers["MS-CorrelationId"])


def test_a_caller_supplied_correlation_id_is_returned(service: httpx.Client) -> None:
    mine = str(uuid.uuid4())
    response = graphql(service, FIRST_CUSTOMERS, headers={"MS-CorrelationId": mine})
    assert response.headers["MS-CorrelationId"] == mine


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.5, application/json", JSON),
        ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0", JSON),
        ("text/html", JSON),
    ],
)
def test_response_media_type_follows_accept(accept: str | None, expected: str) -> None:
    assert response_media_type(accept) == expected


def test_a_long_accept_header_is_negotiated_but_not_cached() -> None:
    from graphql_api.web import negotiation

    long_accept = "text/plain;q=0.1, " * 100 + GRAPHQL_RESPONSE_JSON
    before = negotiation._negotiated.cache_info().currsize
    assert response_media_type(long_accept) == GRAPHQL_RESPONSE_JSON
    assert negotiation._negotiated.cache_info().currsize == before
