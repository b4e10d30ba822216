"""CORS for browser frontends: origins from CORS_ORIGINS, none by default."""

from __future__ import annotations

import httpx
import pytest

from graphql_api.config import ConfigError, Settings
from tests.web.conftest import AUTH, ServiceFactory

FRONTEND = "https://app.example.com"
PREFLIGHT = {
    "Origin": FRONTEND,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def _post_from(client: httpx.Client, origin: str) -> httpx.Response:
    return client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={**AUTH, "Origin": origin}
    )


def test_no_origin_is_allowed_by_default(make_service: ServiceFactory) -> None:
    with make_service() as client:
        response = _post_from(client, FRONTEND)
        preflight = client.options("/graphql", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in preflight.headers


def test_a_configured_origin_passes_preflight(make_service: ServiceFactory) -> None:
    with make_service({"CORS_ORIGINS": f"{FRONTEND}, https://other.example.com"}) as client:
        preflight = client.options("/graphql", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == FRONTEND
    allowed_headers = preflight.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers


def test_a_configured_origin_may_read_responses_and_the_correlation_id(
    make_service: ServiceFactory,
) -> None:
    with make_service({"CORS_ORIGINS": FRONTEND}) as client:
        response = _post_from(client, FRONTEND)
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert "ms-correlationid" in response.headers["access-control-expose-headers"].lower()


def test_an_origin_not_configured_is_denied(make_service: ServiceFactory) -> None:
    with make_service({"CORS_ORIGINS": FRONTEND}) as client:
        preflight = client.options(
            "/graphql", headers={**PREFLIGHT, "Origin": "https://evil.example.net"}
        )
        response = _post_from(client, "https://evil.example.net")
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in response.headers


def test_a_refused_large_body_still_carries_cors_headers(make_service: ServiceFactory) -> None:
    with make_service({"CORS_ORIGINS": FRONTEND, "GRAPHQL_MAX_BODY_BYTES": "1024"}) as client:
        response = client.post(
            "/graphql",
            json={"query": "#" + "x" * 2048 + "\n{ __typename }"},
            headers={**AUTH, "Origin": FRONTEND},
        )
    assert response.status_code == 413
    assert response.headers["access-control-allow-origin"] == FRONTEND


def _preflight_for(client: httpx.Client, headers: str) -> httpx.Response:
    return client.options(
        "/graphql", headers={**PREFLIGHT, "Access-Control-Request-Headers": headers}
    )


def test_browser_clients_trace_and_awareness_headers_pass_preflight_by_default(
    make_service: ServiceFactory,
) -> None:
    asked = (
        "authorization, content-type, traceparent, tracestate, "
        "apollographql-client-name, apollographql-client-version"
    )
    with make_service({"CORS_ORIGINS": FRONTEND}) as client:
        preflight = _preflight_for(client, asked)
        other = _preflight_for(client, "authorization, x-frontend-build")
    assert preflight.status_code == 200
    listed = preflight.headers["access-control-allow-headers"]
    allowed = {header.strip().lower() for header in listed.split(",")}
    assert set(asked.split(", ")) <= allowed
    assert other.status_code == 400


def test_cors_allow_headers_adds_to_the_defaults(make_service: ServiceFactory) -> None:
    with make_service(
        {"CORS_ORIGINS": FRONTEND, "CORS_ALLOW_HEADERS": "X-Frontend-Build, traceparent"}
    ) as client:
        preflight = _preflight_for(client, "x-frontend-build, traceparent, authorization")
    assert preflight.status_code == 200
    allowed = preflight.headers["access-control-allow-headers"].lower().split(", ")
    assert allowed.count("traceparent") == 1
    assert "x-frontend-build" in allowed


def test_cors_allow_headers_refuses_what_is_not_a_header_name() -> None:
    with pytest.raises(ConfigError, match="CORS_ALLOW_HEADERS"):
        Settings.from_env({"CORS_ALLOW_HEADERS": "X-Good, bad header"})
