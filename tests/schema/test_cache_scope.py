"""Whose cached upstream answers a request may read: decided from its credentials."""

from __future__ import annotations

from dataclasses import replace

from graphql_api.config import AuthSettings, Settings
from graphql_api.schema.context import cache_scope
from graphql_api.web.request_headers import wants_refresh

PASSTHROUGH = Settings()
SERVICE = replace(
    Settings(),
    auth=AuthSettings(
        mode="client_credentials",
        tenant_id="partner.example",
        client_id="app",
        client_secret="secret",
        jwks_url="https://login.example/keys",
        issuers=("https://login.example/",),
        audiences=("api://graphql",),
    ),
)


def test_in_passthrough_each_token_has_its_own_scope() -> None:
    assert cache_scope(PASSTHROUGH, "Bearer one") != cache_scope(PASSTHROUGH, "Bearer two")
    assert cache_scope(PASSTHROUGH, "Bearer one") == cache_scope(PASSTHROUGH, "Bearer one")


def test_a_scope_never_holds_the_token() -> None:
    scope = cache_scope(PASSTHROUGH, "Bearer a-very-secret-token")
    assert scope is not None
    assert "secret" not in scope


def test_verified_claims_share_a_scope_across_one_users_tokens() -> None:
    first = cache_scope(PASSTHROUGH, "Bearer one", "tenant/user")
    second = cache_scope(PASSTHROUGH, "Bearer two", "tenant/user")
    other = cache_scope(PASSTHROUGH, "Bearer one", "tenant/someone-else")
    assert first == second != other


def test_in_client_credentials_every_authenticated_caller_shares_one_scope() -> None:
    assert cache_scope(SERVICE, "Bearer service-token") == cache_scope(
        SERVICE, "Bearer service-token", "tenant/user"
    )


def test_without_credentials_there_is_no_scope() -> None:
    assert cache_scope(PASSTHROUGH, None) is None


def test_no_cache_and_pragma_ask_for_a_refresh() -> None:
    assert wants_refresh("no-cache")
    assert wants_refresh("max-age=0, no-cache")
    assert wants_refresh(None, "no-cache")
    assert not wants_refresh("max-age=60")
    assert not wants_refresh(None)
