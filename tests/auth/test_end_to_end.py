"""Each authentication mode end to end: POST /graphql to a live service in front of the emulator.

The emulator's customer routes accept only tokens its identity provider issued. Its identity
routes are served over TLS (msal insists on https) and its Partner Center routes over plain
http on a second port: one app, two servers, one set of counters.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from graphql_api.config import Settings
from graphql_api.web.app import create_app
from tests.auth.conftest import API_AUDIENCE, CALLER_CLIENT_ID, SERVICE_SECRET, Served
from tests.live_server import free_port, live_server

QUERY = "{ customers(first: 3) { nodes { id } } }"
JWT_SHAPE = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")

StartService = Callable[[Mapping[str, str]], AbstractContextManager[str]]


@pytest.fixture
def start_service(emulator: Served) -> Iterator[StartService]:
    """Starts the service from environment settings, upstream the emulator's plain-http port."""
    with live_server(emulator.app) as upstream:

        @contextmanager
        def start(env: Mapping[str, str]) -> Iterator[str]:
            settings = Settings.from_env({"PARTNER_CENTER_URL": upstream, **env})
            with live_server(create_app(settings)) as base:
                yield base

        yield start


def _post(base: str, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return httpx.post(f"{base}/graphql", json={"query": QUERY}, headers=headers, timeout=30)


def _codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


def _forged(emulator: Served) -> str:
    """A token with every right claim, signed by a key the identity provider never had."""
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(emulator.caller_token(), options={"verify_signature": False})
    return jwt.encode(
        claims, other_key, algorithm="RS256", headers={"kid": emulator.identity.key_id}
    )


def _expired(emulator: Served) -> str:
    return emulator.identity.issue_token(
        issuer=emulator.issuer, audience=API_AUDIENCE, client_id=CALLER_CLIENT_ID, lifetime=-3600
    )


def _wrong_issuer(emulator: Served) -> str:
    return emulator.identity.issue_token(
        issuer="https://login.microsoftonline.com/another-tenant/v2.0",
        audience=API_AUDIENCE,
        client_id=CALLER_CLIENT_ID,
    )


# Each builds the Authorization header a caller sends; None sends none.
BAD_CALLERS: dict[str, Callable[[Served], str | None]] = {
    "no-token": lambda emulator: None,
    "basic-scheme": lambda emulator: "Basic dXNlcjpwYXNzd29yZA==",
    "expired": lambda emulator: f"Bearer {_expired(emulator)}",
    "other-audience": lambda emulator: f"Bearer {emulator.partner_center_token()}",
    "forged-signature": lambda emulator: f"Bearer {_forged(emulator)}",
    "wrong-issuer": lambda emulator: f"Bearer {_wrong_issuer(emulator)}",
    "not-a-jwt": lambda emulator: "Bearer not-a-jwt",
}


# -- passthrough -----------------------------------------------------------------------------


def test_passthrough_forwards_the_callers_token(
    emulator: Served, start_service: StartService
) -> None:
    with start_service({}) as base:
        response = _post(base, f"Bearer {emulator.partner_center_token()}")
    assert len(response.json()["data"]["customers"]["nodes"]) == 3
    assert emulator.identity.stats.snapshot()["checks_accepted"] >= 1


@pytest.mark.parametrize("caller", ["no-token", "basic-scheme"])
def test_passthrough_without_a_bearer_is_unauthenticated_without_upstream_call(
    emulator: Served, start_service: StartService, caller: str
) -> None:
    with start_service({}) as base:
        response = _post(base, BAD_CALLERS[caller](emulator))
    assert _codes(response) == ["UNAUTHENTICATED"]
    assert emulator.customer_calls() == 0


def test_passthrough_token_refused_upstream_is_unauthenticated(
    emulator: Served, start_service: StartService
) -> None:
    with start_service({}) as base:
        response = _post(base, f"Bearer {emulator.caller_token()}")  # not for Partner Center
    assert _codes(response) == ["UNAUTHENTICATED"]
    assert emulator.emulator.stats.snapshot()["by_status"] == {"401": 1}


def test_passthrough_with_caller_validation_rejects_before_forwarding(
    emulator: Served, start_service: StartService
) -> None:
    full = emulator.client_credentials_env()
    env = {key: full[key] for key in ("AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_CA_BUNDLE")}
    env["AUTH_AUDIENCE"] = "https://api.partnercenter.microsoft.com"
    with start_service(env) as base:
        accepted = _post(base, f"Bearer {emulator.partner_center_token()}")
        rejected = _post(base, f"Bearer {_expired(emulator)}")
    assert "errors" not in accepted.json()
    assert _codes(rejected) == ["UNAUTHENTICATED"]
    assert emulator.customer_calls() == 1


# -- client credentials ----------------------------------------------------------------------


def test_client_credentials_serves_a_validated_caller_with_the_services_token(
    emulator: Served, start_service: StartService
) -> None:
    caller = emulator.caller_token()
    before = emulator.token_requests()
    with start_service(emulator.client_credentials_env()) as base:
        response = _post(base, f"Bearer {caller}")
    assert len(response.json()["data"]["customers"]["nodes"]) == 3
    # The caller's token is for this service, not Partner Center: only the service's own
    # token, got from the token endpoint, can have passed the emulator's check.
    assert emulator.token_requests() == before + 1


@pytest.mark.parametrize("caller", list(BAD_CALLERS))
def test_client_credentials_rejects_a_bad_caller_without_upstream_call(
    emulator: Served, start_service: StartService, caller: str
) -> None:
    authorization = BAD_CALLERS[caller](emulator)
    before = emulator.token_requests()
    with start_service(emulator.client_credentials_env()) as base:
        response = _post(base, authorization)
    assert _codes(response) == ["UNAUTHENTICATED"]
    assert emulator.customer_calls() == 0
    assert emulator.token_requests() == before  # no sign-in on behalf of a stranger


def test_trusted_mode_tells_a_bad_caller_to_authenticate_before_refusing_its_text(
    emulator: Served, start_service: StartService, tmp_path: Path
) -> None:
    manifest = tmp_path / "persisted-documents.json"
    manifest.write_text(json.dumps({"page-1": QUERY}))
    env = {
        **emulator.client_credentials_env(),
        "GRAPHQL_PERSISTED_DOCUMENTS": str(manifest),
        "GRAPHQL_TRUSTED_DOCUMENTS_ONLY": "true",
    }
    with start_service(env) as base:
        bad = {name: _post(base, BAD_CALLERS[name](emulator)) for name in BAD_CALLERS}
        good = _post(base, f"Bearer {emulator.caller_token()}")
        by_id = httpx.post(
            f"{base}/graphql",
            json={"doc_id": "page-1"},
            headers={"Authorization": f"Bearer {emulator.caller_token()}"},
        )
    for name, response in bad.items():
        assert (response.status_code, _codes(response)) == (401, ["UNAUTHENTICATED"]), name
    assert "expired" in bad["expired"].json()["errors"][0]["message"]
    # Only a caller that authenticated learns that this deployment runs manifest ids only.
    assert (good.status_code, _codes(good)) == (400, ["TRUSTED_DOCUMENT_REQUIRED"])
    assert len(by_id.json()["data"]["customers"]["nodes"]) == 3
    assert emulator.customer_calls() == 1


def test_client_credentials_fifty_concurrent_callers_cause_one_sign_in(
    emulator: Served, start_service: StartService
) -> None:
    caller = emulator.caller_token()
    before = emulator.token_requests()

    async def fifty(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            headers = {"Authorization": f"Bearer {caller}"}
            return await asyncio.gather(
                *(
                    client.post("/graphql", json={"query": QUERY}, headers=headers)
                    for _ in range(50)
                )
            )

    with start_service(emulator.client_credentials_env()) as base:
        responses = asyncio.run(fifty(base))
    assert all("errors" not in response.json() for response in responses)
    assert emulator.token_requests() == before + 1


def test_client_credentials_unreachable_key_set_is_unavailable_without_upstream_call(
    emulator: Served, start_service: StartService
) -> None:
    env = {
        **emulator.client_credentials_env(),
        "AUTH_JWKS_URL": f"https://127.0.0.1:{free_port()}/k",
    }
    with start_service(env) as base:
        response = _post(base, f"Bearer {emulator.caller_token()}")
    assert _codes(response) == ["UPSTREAM_UNAVAILABLE"]  # not the caller's fault, nor a bug
    assert emulator.customer_calls() == 0


def test_client_credentials_wrong_secret_fails_without_revealing_it(
    emulator: Served, start_service: StartService
) -> None:
    env = {**emulator.client_credentials_env(), "AZURE_CLIENT_SECRET": "not-the-secret-Pz41"}
    with start_service(env) as base:
        response = _post(base, f"Bearer {emulator.caller_token()}")
    assert _codes(response) == ["UPSTREAM_ERROR"]
    assert "could not sign in to Partner Center" in response.json()["errors"][0]["message"]
    assert "not-the-secret-Pz41" not in response.text
    assert emulator.customer_calls() == 0


def test_no_token_or_secret_reaches_logs_or_responses(
    emulator: Served,
    start_service: StartService,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    with start_service(emulator.client_credentials_env()) as base:
        for authorization in [
            f"Bearer {emulator.caller_token()}",
            *(BAD_CALLERS[name](emulator) for name in BAD_CALLERS),
        ]:
            bodies.append(_post(base, authorization).text)
    out, err = capfd.readouterr()
    seen: dict[str, Any] = {"logs": caplog.text + out + err, "responses": "\n".join(bodies)}
    assert "caller token rejected" in seen["logs"]  # logs were captured: absence means something
    for where, text in seen.items():
        assert SERVICE_SECRET not in text, where
        assert JWT_SHAPE.search(text) is None, where
