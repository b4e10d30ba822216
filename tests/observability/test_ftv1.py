"""Apollo federated traces (ftv1): only for a caller that sends `FTV1-Secret`, never for anyone
who merely asks with `apollo-federation-include-trace: ftv1`."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import MiddlewareManager
from strawberry.extensions import SchemaExtension

from graphql_api.config import ConfigError, Settings
from graphql_api.emulator import EmulatorConfig, create_emulator_app
from graphql_api.schema import CustomersSchema
from graphql_api.web.app import create_app
from tests.live_server import live_server

SECRET = "router-only-ftv1-secret-0123456789"
ASKS = {"apollo-federation-include-trace": "ftv1"}
QUERY = "{ customers(first: 2) { nodes { id companyProfile { companyName } } } }"


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    with live_server(create_emulator_app(EmulatorConfig(customers=5, seed=2))) as url:
        yield url


def _service(emulator_url: str, **env: str) -> Settings:
    return Settings.from_env({"PARTNER_CENTER_URL": emulator_url, "GRAPHIQL": "false", **env})


@pytest.fixture(scope="module")
def trusting(emulator_url: str) -> Iterator[httpx.Client]:
    """The service with FTV1_SECRET set."""
    app = create_app(_service(emulator_url, FTV1_SECRET=SECRET))
    with live_server(app) as base, httpx.Client(base_url=base) as client:
        yield client


def _post(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": "Bearer t", **headers}
    )
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    assert "errors" not in body
    return body


def test_without_the_setting_the_header_is_ignored(emulator_url: str) -> None:
    with live_server(create_app(_service(emulator_url))) as base, httpx.Client(
        base_url=base
    ) as client:
        body = _post(client, {**ASKS, "FTV1-Secret": SECRET})

    assert "extensions" not in body


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(ASKS, id="asks-without-secret"),
        pytest.param({**ASKS, "FTV1-Secret": SECRET[:-1] + "x"}, id="wrong-secret"),
        pytest.param({**ASKS, "FTV1-Secret": SECRET + "x"}, id="longer-secret"),
        pytest.param({"FTV1-Secret": SECRET}, id="secret-without-asking"),
        pytest.param(
            {"apollo-federation-include-trace": "ftv2", "FTV1-Secret": SECRET}, id="other-format"
        ),
    ],
)
def test_an_untrusted_or_unasked_request_gets_no_trace(
    trusting: httpx.Client, headers: dict[str, str]
) -> None:
    assert "extensions" not in _post(trusting, headers)


def test_a_trusted_caller_that_asks_gets_the_trace_of_every_field(
    trusting: httpx.Client,
) -> None:
    plain = _post(trusting, {})
    traced = _post(trusting, {**ASKS, "FTV1-Secret": SECRET})

    assert traced["data"] == plain["data"]
    trace = base64.b64decode(traced["extensions"]["ftv1"], validate=True)
    # The protobuf Trace names each response field it timed (plain attribute reads of
    # scalars are not timed, as in Apollo's own servers).
    for field in (b"customers", b"nodes", b"companyProfile"):
        assert field in trace


@pytest.mark.parametrize("value", ["short", "é" * 20, "line\nbreak-0123456789"])
def test_a_weak_or_unsendable_secret_stops_start_up(value: str) -> None:
    with pytest.raises(ConfigError, match="FTV1_SECRET"):
        Settings.from_env({"FTV1_SECRET": value})


def test_only_a_trusted_request_pays_for_resolver_middleware(
    trusting: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Field middleware turns the lean executor off: untrusted requests must run without it.
    built: list[int] = []
    original = CustomersSchema._get_middleware_manager

    def counting(self: CustomersSchema, extensions: list[SchemaExtension]) -> MiddlewareManager:
        manager = original(self, extensions)
        built.append(len(manager.middlewares))
        return manager

    monkeypatch.setattr(CustomersSchema, "_get_middleware_manager", counting)
    _post(trusting, ASKS)
    _post(trusting, {**ASKS, "FTV1-Secret": SECRET})

    assert built == [0, 1]
