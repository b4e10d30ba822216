"""Start-up refuses authentication settings that cannot work, naming what is missing."""

from __future__ import annotations

import pytest

from graphql_api.config import ConfigError, Settings

CLIENT_CREDENTIALS = {
    "PARTNER_CENTER_AUTH": "client_credentials",
    "AZURE_TENANT_ID": "contoso.onmicrosoft.com",
    "AZURE_CLIENT_ID": "0f7c2d3e-5a41-4a8e-9d0c-5e2b7f1a9c11",
    "AZURE_CLIENT_SECRET": "a-secret-value-Kq83",
    "AUTH_JWKS_URL": "https://login.microsoftonline.com/contoso.onmicrosoft.com/discovery/v2.0/keys",
    "AUTH_ISSUER": "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0",
    "AUTH_AUDIENCE": "api://graphql-api",
}


def _without(*names: str) -> dict[str, str]:
    return {key: value for key, value in CLIENT_CREDENTIALS.items() if key not in names}


def test_passthrough_is_the_default() -> None:
    auth = Settings.from_env({}).auth
    assert (auth.mode, auth.validates_callers) == ("passthrough", False)


def test_complete_client_credentials_settings_are_read() -> None:
    auth = Settings.from_env(CLIENT_CREDENTIALS).auth
    assert (auth.mode, auth.audiences, auth.authority_host) == (
        "client_credentials",
        ("api://graphql-api",),
        "https://login.microsoftonline.com",
    )


@pytest.mark.parametrize(
    "missing",
    ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AUTH_JWKS_URL"],
)
def test_client_credentials_without_a_setting_is_refused_by_name(missing: str) -> None:
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env(_without(missing))


@pytest.mark.parametrize("missing", ["AUTH_ISSUER", "AUTH_AUDIENCE"])
def test_caller_validation_without_issuer_or_audience_is_refused_by_name(missing: str) -> None:
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env(_without(missing))


def test_issuer_without_a_jwks_url_is_refused() -> None:
    env = {"AUTH_ISSUER": "https://issuer", "AUTH_AUDIENCE": "api://x"}
    with pytest.raises(ConfigError, match="AUTH_JWKS_URL"):
        Settings.from_env(env)


def test_unknown_mode_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="PARTNER_CENTER_AUTH"):
        Settings.from_env({"PARTNER_CENTER_AUTH": "magic"})


def test_plain_http_authority_is_refused() -> None:
    env = {**CLIENT_CREDENTIALS, "AZURE_AUTHORITY_HOST": "http://login.example"}
    with pytest.raises(ConfigError, match="AZURE_AUTHORITY_HOST"):
        Settings.from_env(env)


def test_plain_http_jwks_url_off_loopback_is_refused() -> None:
    env = {**CLIENT_CREDENTIALS, "AUTH_JWKS_URL": "http://keys.example/keys"}
    with pytest.raises(ConfigError, match="AUTH_JWKS_URL"):
        Settings.from_env(env)


def test_missing_ca_bundle_file_is_refused() -> None:
    env = {**CLIENT_CREDENTIALS, "AUTH_CA_BUNDLE": "/nonexistent/ca.pem"}
    with pytest.raises(ConfigError, match="AUTH_CA_BUNDLE"):
        Settings.from_env(env)


def test_several_audiences_and_issuers_are_read_from_commas() -> None:
    env = {**CLIENT_CREDENTIALS, "AUTH_AUDIENCE": "api://graphql-api, 0f7c2d3e"}
    assert Settings.from_env(env).auth.audiences == ("api://graphql-api", "0f7c2d3e")


def test_secret_is_not_in_the_settings_repr() -> None:
    settings = Settings.from_env(CLIENT_CREDENTIALS)
    assert CLIENT_CREDENTIALS["AZURE_CLIENT_SECRET"] not in repr(settings)
