"""`ClientCredentials`: msal signing in for real against the emulator's token endpoint over TLS.

Token requests are counted where they arrive, at the emulator's token endpoint. Tokens here
live 200 s: under msal's own five-minute rule, so msal's cache never answers for us and every
renewal we decide on is visible as a request. A hand-moved clock stands in for waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from graphql_api.auth.service_token import ClientCredentials, SignInError
from graphql_api.emulator.identity import IdentityConfig
from graphql_api.partner_center.errors import UpstreamUnavailable
from tests.auth.conftest import SERVICE_CLIENT_ID, SERVICE_SECRET, Served
from tests.clocks import HandClock
from tests.live_server import free_port

MakeCredentials = Callable[..., ClientCredentials]


@pytest.fixture
def token_lifetime() -> int:
    return 200


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
async def credentials(emulator: Served, clock: HandClock) -> AsyncIterator[MakeCredentials]:
    """Builds ClientCredentials against the emulator (settings overridable); closes them after."""
    made: list[ClientCredentials] = []

    def make(**overrides: Any) -> ClientCredentials:
        made.append(ClientCredentials(emulator.auth_settings(**overrides), clock=clock))
        return made[-1]

    yield make
    for item in made:
        await item.aclose()


async def test_signed_in_token_is_accepted_by_partner_center(
    emulator: Served, credentials: MakeCredentials
) -> None:
    header = await credentials().authorization("the caller's own token")
    async with httpx.AsyncClient(verify=emulator.verify) as client:
        response = await client.get(
            f"{emulator.base}/v1/customers", headers={"Authorization": header}
        )
    assert response.status_code == 200


async def test_callers_token_is_not_what_goes_upstream(credentials: MakeCredentials) -> None:
    header = await credentials().authorization("the caller's own token")
    assert header.startswith("Bearer ey")


async def test_token_is_reused_until_due(emulator: Served, credentials: MakeCredentials) -> None:
    provider = credentials()
    tokens = {await provider.token() for _ in range(5)}
    assert (len(tokens), emulator.token_requests()) == (1, 1)


async def test_fifty_concurrent_first_requests_sign_in_once(
    emulator: Served, credentials: MakeCredentials
) -> None:
    provider = credentials()
    tokens = await asyncio.gather(*(provider.token() for _ in range(50)))
    assert (len(set(tokens)), emulator.token_requests()) == (1, 1)


async def test_fifty_concurrent_requests_at_expiry_sign_in_once(
    emulator: Served, credentials: MakeCredentials, clock: HandClock
) -> None:
    provider = credentials()
    first = await provider.token()
    clock.now += 200  # the token's whole lifetime: expired
    tokens = await asyncio.gather(*(provider.token() for _ in range(50)))
    assert emulator.token_requests() == 2
    assert len(set(tokens)) == 1
    assert tokens[0] != first


async def test_token_is_renewed_a_margin_before_expiry(
    emulator: Served, credentials: MakeCredentials, clock: HandClock
) -> None:
    provider = credentials(token_refresh_margin=60)
    await provider.token()
    clock.now += 139  # 61 s left: not due yet
    await provider.token()
    before = emulator.token_requests()
    clock.now += 2  # 59 s left: inside the margin
    await provider.token()
    assert (before, emulator.token_requests()) == (1, 2)


async def test_token_shorter_lived_than_the_margin_is_renewed_half_way(
    emulator: Served, credentials: MakeCredentials, clock: HandClock
) -> None:
    provider = credentials(token_refresh_margin=240)  # longer than the 200 s lifetime
    await provider.token()
    clock.now += 99
    await provider.token()
    before = emulator.token_requests()
    clock.now += 2
    await provider.token()
    assert (before, emulator.token_requests()) == (1, 2)


async def test_failed_renewal_keeps_serving_the_still_valid_token(
    emulator: Served, credentials: MakeCredentials, clock: HandClock
) -> None:
    provider = credentials()
    first = await provider.token()
    # The secret is rotated in the directory: renewals now fail with invalid_client.
    emulator.identity.config = IdentityConfig(clients={SERVICE_CLIENT_ID: "rotated"})
    clock.now += 150  # due (half-way), not expired
    served = [await provider.token(), await provider.token()]
    assert served == [first, first]
    assert emulator.token_requests() == 2  # one failed attempt, then a pause before the next


async def test_failed_renewal_after_expiry_is_a_sign_in_error(
    emulator: Served, credentials: MakeCredentials, clock: HandClock
) -> None:
    provider = credentials()
    await provider.token()
    emulator.identity.config = IdentityConfig(clients={SERVICE_CLIENT_ID: "rotated"})
    clock.now += 200
    with pytest.raises(SignInError):
        await provider.token()


async def test_wrong_secret_is_a_sign_in_error_with_the_aadsts_code(
    credentials: MakeCredentials,
) -> None:
    provider = credentials(client_secret="not-the-secret")
    with pytest.raises(SignInError, match=r"invalid_client \(AADSTS7000215\)"):
        await provider.token()


async def test_unknown_tenant_is_a_sign_in_error_naming_the_settings(
    credentials: MakeCredentials,
) -> None:
    provider = credentials(tenant_id="no-such-tenant")
    with pytest.raises(SignInError, match="AZURE_TENANT_ID"):
        await provider.token()


async def test_unreachable_authority_is_upstream_unavailable(
    credentials: MakeCredentials,
) -> None:
    provider = credentials(authority_host=f"https://127.0.0.1:{free_port()}")
    with pytest.raises(UpstreamUnavailable):
        await provider.token()


async def test_sign_in_after_a_failure_tries_again(
    emulator: Served, credentials: MakeCredentials, clock: HandClock
) -> None:
    provider = credentials()
    emulator.identity.config = IdentityConfig(clients={SERVICE_CLIENT_ID: "rotated"})
    with pytest.raises(SignInError):
        await provider.token()
    emulator.identity.config = IdentityConfig(clients={SERVICE_CLIENT_ID: SERVICE_SECRET})
    clock.now += 2  # past the first back-off
    assert await provider.token()


async def test_a_failed_sign_in_is_remembered_until_its_back_off_ends(
    emulator: Served, credentials: MakeCredentials, clock: HandClock
) -> None:
    provider = credentials(client_secret="not-the-secret")
    for _ in range(20):
        with pytest.raises(SignInError, match=r"AADSTS7000215"):
            await provider.token()
    assert emulator.token_requests() == 1
    clock.now += 2  # the first back-off ends: one new attempt, which fails again
    for _ in range(5):
        with pytest.raises(SignInError):
            await provider.token()
    assert emulator.token_requests() == 2
    clock.now += 2  # the back-off doubled to 4 s: not yet
    with pytest.raises(SignInError):
        await provider.token()
    assert emulator.token_requests() == 2
    clock.now += 2
    with pytest.raises(SignInError):
        await provider.token()
    assert emulator.token_requests() == 3


async def test_concurrent_requests_share_one_failed_sign_in(
    emulator: Served, credentials: MakeCredentials
) -> None:
    provider = credentials(client_secret="not-the-secret")
    outcomes = await asyncio.gather(
        *(provider.token() for _ in range(30)), return_exceptions=True
    )
    assert all(isinstance(outcome, SignInError) for outcome in outcomes)
    assert emulator.token_requests() == 1


async def test_back_off_ends_and_grows_no_further_than_a_minute(
    emulator: Served, credentials: MakeCredentials, clock: HandClock
) -> None:
    provider = credentials(client_secret="not-the-secret")
    for _ in range(10):  # 2, 4, 8, ... seconds, capped at 60
        with pytest.raises(SignInError):
            await provider.token()
        clock.now += 60
    assert emulator.token_requests() == 10


async def test_no_secret_or_token_reaches_logs_or_errors(
    emulator: Served,
    credentials: MakeCredentials,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, msal's and httpx's debug lines included
    token = await credentials().token()
    wrong_secret = "wrong-secret-Zx81Pq"
    with pytest.raises(SignInError) as failure:
        await credentials(client_secret=wrong_secret).token()
    out, err = capfd.readouterr()
    seen = "\n".join([caplog.text, out, err, str(failure.value), repr(failure.value)])
    assert "sign-in refused" in seen  # the logs were captured, so their absence means something
    for secret in (SERVICE_SECRET, wrong_secret, token):
        assert secret not in seen
