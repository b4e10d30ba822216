"""The emulator's Entra-shaped identity provider, spoken to over TLS with plain httpx."""

from __future__ import annotations

import base64
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.auth.conftest import (
    API_AUDIENCE,
    CALLER_CLIENT_ID,
    CALLER_SECRET,
    PARTNER_CENTER_SCOPE,
    SERVICE_CLIENT_ID,
    Served,
)


def _customers(served: Served, token: str) -> httpx.Response:
    return httpx.get(
        f"{served.base}/v1/customers",
        headers={"Authorization": f"Bearer {token}"},
        verify=served.verify,
    )


def test_openid_configuration_names_endpoints_under_the_tenant(emulator: Served) -> None:
    url = f"{emulator.base}/{emulator.tenant_id}/v2.0/.well-known/openid-configuration"
    document = httpx.get(url, verify=emulator.verify).json()
    assert document["issuer"] == emulator.issuer
    assert document["token_endpoint"] == emulator.token_url
    assert document["jwks_uri"] == emulator.jwks_url


def test_unknown_tenant_is_refused_like_entra(emulator: Served) -> None:
    url = f"{emulator.base}/another-tenant/v2.0/.well-known/openid-configuration"
    response = httpx.get(url, verify=emulator.verify)
    assert response.status_code == 400
    assert response.json()["error_codes"] == [90002]


def test_issued_token_verifies_against_the_published_key_set(emulator: Served) -> None:
    keys = jwt.PyJWKSet.from_dict(httpx.get(emulator.jwks_url, verify=emulator.verify).json())
    token = emulator.caller_token()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(key for key in keys.keys if key.key_id == kid)
    claims = jwt.decode(token, key, algorithms=["RS256"], audience=API_AUDIENCE)
    assert (claims["iss"], claims["tid"], claims["appid"]) == (
        emulator.issuer,
        emulator.tenant_id,
        CALLER_CLIENT_ID,
    )


def test_token_response_has_entra_fields(emulator: Served) -> None:
    response = emulator.request_token(CALLER_CLIENT_ID, CALLER_SECRET, PARTNER_CENTER_SCOPE)
    body = response.json()
    assert response.headers["cache-control"] == "no-store"
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3599)


def test_client_secret_in_basic_header_is_accepted(emulator: Served) -> None:
    basic = base64.b64encode(f"{CALLER_CLIENT_ID}:{CALLER_SECRET}".encode()).decode()
    response = httpx.post(
        emulator.token_url,
        data={"grant_type": "client_credentials", "scope": PARTNER_CENTER_SCOPE},
        headers={"Authorization": f"Basic {basic}"},
        verify=emulator.verify,
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("client_id", "secret", "scope", "grant", "status", "error", "code"),
    [
        (CALLER_CLIENT_ID, "wrong", PARTNER_CENTER_SCOPE, None, 401, "invalid_client", 7000215),
        ("unknown-app", "x", PARTNER_CENTER_SCOPE, None, 400, "unauthorized_client", 700016),
        (CALLER_CLIENT_ID, CALLER_SECRET, "https://x/read", None, 400, "invalid_scope", 1002012),
        (
            CALLER_CLIENT_ID,
            CALLER_SECRET,
            PARTNER_CENTER_SCOPE,
            "password",
            400,
            "unsupported_grant_type",
            70003,
        ),
    ],
    ids=["wrong-secret", "unknown-client", "scope-not-default", "other-grant"],
)
def test_token_request_refusals_use_entra_errors(
    emulator: Served,
    client_id: str,
    secret: str,
    scope: str,
    grant: str | None,
    status: int,
    error: str,
    code: int,
) -> None:
    form = {
        "grant_type": grant or "client_credentials",
        "client_id": client_id,
        "client_secret": secret,
        "scope": scope,
    }
    response = httpx.post(emulator.token_url, data=form, verify=emulator.verify)
    body = response.json()
    assert (response.status_code, body["error"], body["error_codes"]) == (status, error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}:")


def test_refused_token_request_issues_nothing(emulator: Served) -> None:
    emulator.request_token(SERVICE_CLIENT_ID, "wrong", PARTNER_CENTER_SCOPE)
    stats = emulator.identity.stats.snapshot()
    assert (stats["token_requests"], stats["tokens_issued"], stats["tokens_refused"]) == (1, 0, 1)


def test_customer_routes_accept_an_issued_partner_center_token(emulator: Served) -> None:
    assert _customers(emulator, emulator.partner_center_token()).status_code == 200


def test_customer_routes_refuse_a_token_for_another_audience(emulator: Served) -> None:
    assert _customers(emulator, emulator.caller_token()).status_code == 401


def test_customer_routes_refuse_an_expired_issued_token(emulator: Served) -> None:
    token = emulator.identity.issue_token(
        issuer=emulator.issuer,
        audience="https://api.partnercenter.microsoft.com",
        client_id=CALLER_CLIENT_ID,
        lifetime=-60,
    )
    assert _customers(emulator, token).status_code == 401


def test_customer_routes_refuse_a_token_signed_by_another_key(emulator: Served) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "aud": "https://api.partnercenter.microsoft.com",
        "iss": emulator.issuer,
        "tid": emulator.tenant_id,
        "iat": now,
        "exp": now + 3600,
    }
    forged = jwt.encode(
        claims, other_key, algorithm="RS256", headers={"kid": emulator.identity.key_id}
    )
    assert _customers(emulator, forged).status_code == 401
