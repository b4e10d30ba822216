"""Whose cached upstream answers a caller reads, with real tokens from the emulator's identity
provider: one user's tokens share, two users never do, and in client_credentials everyone
authenticated shares the service's answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

import httpx
import pytest

from graphql_api.config import Settings
from graphql_api.emulator.identity import PARTNER_CENTER_RESOURCE
from graphql_api.web.app import create_app
from tests.auth.conftest import API_AUDIENCE, Served
from tests.live_server import live_server

QUERY = "{ customers(first: 3) { nodes { id } } }"

StartService = Callable[[Mapping[str, str]], AbstractContextManager[str]]


@pytest.fixture
def start_service(emulator: Served) -> Iterator[StartService]:
    with live_server(emulator.app) as upstream:

        @contextmanager
        def start(env: Mapping[str, str]) -> Iterator[str]:
            settings = Settings.from_env({"PARTNER_CENTER_URL": upstream, **env})
            with live_server(create_app(settings)) as base:
                yield base

        yield start


def _post(base: str, token: str) -> httpx.Response:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": QUERY},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert "errors" not in response.json(), response.text
    return response


def _partner_center_token(emulator: Served, client_id: str) -> str:
    """A Partner Center token for `client_id`: its `oid` is that client's, `uti` always new."""
    return emulator.identity.issue_token(
        issuer=emulator.issuer, audience=PARTNER_CENTER_RESOURCE, client_id=client_id
    )


def _validated_passthrough(emulator: Served) -> dict[str, str]:
    full = emulator.client_credentials_env()
    env = {key: full[key] for key in ("AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_CA_BUNDLE")}
    env["AUTH_AUDIENCE"] = PARTNER_CENTER_RESOURCE
    return env


def test_two_tokens_of_one_verified_user_share_cached_answers(
    emulator: Served, start_service: StartService
) -> None:
    first, second = (_partner_center_token(emulator, "app-one") for _ in range(2))
    assert first != second
    with start_service(_validated_passthrough(emulator)) as base:
        _post(base, first)
        _post(base, second)
    assert emulator.customer_calls() == 1


def test_two_verified_users_never_share_cached_answers(
    emulator: Served, start_service: StartService
) -> None:
    with start_service(_validated_passthrough(emulator)) as base:
        _post(base, _partner_center_token(emulator, "app-one"))
        _post(base, _partner_center_token(emulator, "app-two"))
    assert emulator.customer_calls() == 2


def test_in_client_credentials_every_authenticated_caller_shares_the_services_answers(
    emulator: Served, start_service: StartService
) -> None:
    callers = [
        emulator.identity.issue_token(
            issuer=emulator.issuer, audience=API_AUDIENCE, client_id=client_id
        )
        for client_id in ("frontend-one", "frontend-two")
    ]
    with start_service(emulator.client_credentials_env()) as base:
        for token in callers:
            _post(base, token)
    assert emulator.customer_calls() == 1
