"""Request validation on the list route: page size, seek operation and continuation tokens."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from graphql_api.emulator import EmulatorConfig
from tests.clocks import HandClock
from tests.emulator.conftest import Served, body


def _seek(client: httpx.Client, token: str | None, op: str = "Next") -> httpx.Response:
    headers = {} if token is None else {"MS-ContinuationToken": token}
    return client.get("/v1/customers", params={"seekOperation": op}, headers=headers)


def _token(client: httpx.Client, size: int = 5) -> str:
    token: str = body(client.get("/v1/customers", params={"size": size}))["continuationToken"]
    return token


@pytest.mark.parametrize("size", ["1", "250", "500"])
def test_size_in_range_is_honoured(default_emulator: Served, size: str) -> None:
    response = default_emulator.client.get("/v1/customers", params={"size": size})
    assert len(body(response)["items"]) == int(size)


@pytest.mark.parametrize("size", ["501", "-1", "abc", "1.5", "10000000000000000000000"])
def test_bad_size_is_400_invalid_input(default_emulator: Served, size: str) -> None:
    response = default_emulator.client.get("/v1/customers", params={"size": size})
    assert response.status_code == 400
    assert body(response) == {
        "code": 800002,
        "description": "Invalid request input: size must be an integer between 1 and 500",
        "data": [],
        "source": "PartnerFD",
    }


def test_seek_without_token_is_400(default_emulator: Served) -> None:
    response = _seek(default_emulator.client, None)
    assert response.status_code == 400
    assert body(response)["code"] == 800002


def test_garbage_token_is_400_invalid_token(default_emulator: Served) -> None:
    response = _seek(default_emulator.client, "not-a-token")
    assert response.status_code == 400
    assert body(response)["description"] == "Invalid continuation token"


def test_tampered_token_is_400_invalid_token(default_emulator: Served) -> None:
    version, payload, mac = _token(default_emulator.client).split(",")
    forged = base64.b64decode(payload).replace(b'"o":5', b'"o":9')
    assert forged != base64.b64decode(payload)
    response = _seek(default_emulator.client,
                     f"{version},{base64.b64encode(forged).decode()},{mac}")
    assert response.status_code == 400
    assert body(response)["description"] == "Invalid continuation token"


def test_token_from_another_seed_is_400_invalid_token(
    default_emulator: Served, serve: Callable[..., Served]
) -> None:
    other = serve(EmulatorConfig(customers=50, seed=2))
    response = _seek(default_emulator.client, _token(other.client))
    assert response.status_code == 400
    assert body(response)["description"] == "Invalid continuation token"


def test_token_is_accepted_by_another_emulator_with_the_same_seed(
    serve: Callable[..., Served],
) -> None:
    one, two = serve(EmulatorConfig(customers=50)), serve(EmulatorConfig(customers=50))
    response = _seek(two.client, _token(one.client))
    assert response.status_code == 200
    assert body(response)["items"][0]["id"] == one.emulator.dataset.customers[5].id


def test_expired_token_is_400_with_its_own_description(serve: Callable[..., Served]) -> None:
    clock = HandClock(1_800_000_000.0)
    served = serve(EmulatorConfig(customers=50, token_ttl_seconds=60), clock=clock)
    token = _token(served.client)
    clock.now += 61
    response = _seek(served.client, token)
    assert response.status_code == 400
    assert body(response) == {"code": 800002, "description": "Continuation token has expired",
                              "data": [], "source": "PartnerFD"}


def test_token_within_its_lifetime_is_accepted(serve: Callable[..., Served]) -> None:
    clock = HandClock(1_800_000_000.0)
    served = serve(EmulatorConfig(customers=50, token_ttl_seconds=60), clock=clock)
    token = _token(served.client)
    clock.now += 59
    assert _seek(served.client, token).status_code == 200


def test_zero_ttl_tokens_never_expire(serve: Callable[..., Served]) -> None:
    clock = HandClock(1_800_000_000.0)
    served = serve(EmulatorConfig(customers=50, token_ttl_seconds=0), clock=clock)
    token = _token(served.client)
    clock.now += 10**7
    assert _seek(served.client, token).status_code == 200


def test_seek_past_the_end_is_400_code_2000(serve: Callable[..., Served]) -> None:
    served = serve(EmulatorConfig(customers=10, end_with_seek_error=True))
    last = body(_seek(served.client, _token(served.client, 5)))
    response = _seek(served.client, last["continuationToken"])
    assert response.status_code == 400
    assert body(response) == {"code": 2000, "description": "No more items: the end of the "
                              "list was reached", "data": [], "source": "PartnerFD"}


@pytest.mark.parametrize("op", ["Previous", "first", "LAST", "PageIndex"])
def test_other_seek_operations_are_400_invalid_input(default_emulator: Served, op: str) -> None:
    response = _seek(default_emulator.client, _token(default_emulator.client), op)
    assert response.status_code == 400
    assert body(response)["code"] == 800002


def test_unknown_seek_operation_is_400_unparsable_enum(default_emulator: Served) -> None:
    response = _seek(default_emulator.client, _token(default_emulator.client), "Sideways")
    assert response.status_code == 400
    assert body(response)["code"] == 900126
