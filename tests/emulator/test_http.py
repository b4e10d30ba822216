"""HTTP-level behaviour: auth, unknown routes, headers, content type and the byte-order mark."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from graphql_api.emulator import EmulatorConfig, Principal
from tests.emulator.conftest import Served, body

_ROUTES = ["/v1/customers", "/v1/customers/{id}", "/v1/customers/{id}/profiles/company",
           "/v1/customers/{id}/profiles/billing"]


def _path(served: Served, template: str) -> str:
    return template.format(id=served.emulator.dataset.customers[0].id)


@pytest.mark.parametrize("template", _ROUTES)
def test_missing_bearer_is_401_token_missing(default_emulator: Served, template: str) -> None:
    response = httpx.get(default_emulator.base + _path(default_emulator, template))
    assert response.status_code == 401
    assert body(response) == {"code": 800001,
                              "description": "Partner token missing in request context",
                              "data": [], "source": "PartnerFD"}


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "token"])
def test_non_bearer_authorization_is_401(default_emulator: Served, authorization: str) -> None:
    response = httpx.get(default_emulator.base + "/v1/customers",
                         headers={"Authorization": authorization})
    assert response.status_code == 401
    assert body(response)["code"] == 400


def test_any_bearer_is_accepted_by_default(default_emulator: Served) -> None:
    response = httpx.get(default_emulator.base + "/v1/customers?size=1",
                         headers={"Authorization": "Bearer anything-at-all"})
    assert response.status_code == 200


def test_token_checker_refusal_is_401(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(
        customers=5, require_issued_tokens=True,
        token_checker=lambda token: Principal(token) if token == "good" else None,
    ))
    refused = served.client.get("/v1/customers")
    accepted = served.client.get("/v1/customers", headers={"Authorization": "Bearer good"})
    assert (refused.status_code, accepted.status_code) == (401, 200)


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1//v1/customers", "/customers",
                                  "/v1/customers/", "/v2/customers"])
def test_unknown_route_is_gateway_404(default_emulator: Served, path: str) -> None:
    response = default_emulator.client.get(path)
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Resource not found"}


def test_wrong_method_is_405(default_emulator: Served) -> None:
    response = default_emulator.client.post("/v1/customers")
    assert response.status_code == 405
    assert response.json()["statusCode"] == 405


def test_request_and_correlation_ids_are_echoed(default_emulator: Served) -> None:
    ids = {"MS-RequestId": "11111111-2222-4333-8444-555555555555",
           "MS-CorrelationId": "66666666-7777-4888-8999-000000000000"}
    response = default_emulator.client.get("/v1/customers?size=1", headers=ids)
    assert {name: response.headers[name] for name in ids} == ids


def test_missing_ids_are_generated(default_emulator: Served) -> None:
    response = default_emulator.client.get("/v1/customers/nope")
    assert response.headers["MS-RequestId"] != response.headers["MS-CorrelationId"]
    assert len(response.headers["MS-RequestId"]) == 36


def test_ids_are_stamped_on_errors_too(default_emulator: Served) -> None:
    response = default_emulator.client.get("/v1/elsewhere", headers={"MS-RequestId": "abc"})
    assert response.headers["MS-RequestId"] == "abc"


@pytest.mark.parametrize("template", _ROUTES)
def test_json_bodies_start_with_a_bom_and_declare_utf8(
    default_emulator: Served, template: str
) -> None:
    response = default_emulator.client.get(_path(default_emulator, template))
    assert response.content.startswith(b"\xef\xbb\xbf{")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_partner_fd_errors_start_with_a_bom(default_emulator: Served) -> None:
    assert default_emulator.client.get("/v1/customers/x").content.startswith(b"\xef\xbb\xbf")


def test_bom_can_be_switched_off(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=5, bom=False))
    assert served.client.get("/v1/customers").content.startswith(b"{")


def test_non_ascii_is_sent_as_raw_utf8(default_emulator: Served) -> None:
    response = default_emulator.client.get(
        "/v1/customers", params={"filter": '{"Field":"CompanyName","Value":"Zürich Ä",'
                                           '"Operator":"starts_with"}'})
    assert "Zürich Ärzte GmbH".encode() in response.content
