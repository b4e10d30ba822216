"""`CallerTokenValidator`: callers' JWTs checked against the emulator's live JWKS over TLS."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from graphql_api.auth.caller_tokens import (
    CallerRejected,
    CallerTokenValidator,
    KeySetUnavailable,
)
from tests.auth.conftest import API_AUDIENCE, CALLER_CLIENT_ID, Served
from tests.live_server import free_port


@pytest.fixture
def validator(emulator: Served) -> CallerTokenValidator:
    return CallerTokenValidator(emulator.auth_settings())


def _mint(emulator: Served, **overrides: Any) -> str:
    """A token signed by the emulator's own key, with some claims changed."""
    values: dict[str, Any] = {
        "issuer": emulator.issuer,
        "audience": API_AUDIENCE,
        "client_id": CALLER_CLIENT_ID,
    }
    values.update(overrides)
    return emulator.identity.issue_token(**values)


def _claims(emulator: Served) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": emulator.issuer, "aud": API_AUDIENCE, "iat": now, "exp": now + 3600}


async def test_token_from_the_identity_provider_is_accepted(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    caller = await validator.validate(emulator.caller_token())
    assert (caller.app_id, caller.tenant_id, caller.issuer) == (
        CALLER_CLIENT_ID,
        emulator.tenant_id,
        emulator.issuer,
    )


async def test_expired_token_is_rejected(emulator: Served, validator: CallerTokenValidator) -> None:
    with pytest.raises(CallerRejected, match="expired"):
        await validator.validate(_mint(emulator, lifetime=-3600))


async def test_token_for_another_audience_is_rejected(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    with pytest.raises(CallerRejected, match="audience"):
        await validator.validate(emulator.partner_center_token())


async def test_token_from_another_issuer_is_rejected(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    token = _mint(emulator, issuer="https://login.microsoftonline.com/other-tenant/v2.0")
    with pytest.raises(CallerRejected, match="issuer"):
        await validator.validate(token)


async def test_token_signed_by_another_key_under_a_known_kid_is_rejected(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        _claims(emulator), other_key, algorithm="RS256", headers={"kid": emulator.identity.key_id}
    )
    with pytest.raises(CallerRejected, match="signature"):
        await validator.validate(forged)


async def test_token_naming_an_unknown_key_is_rejected(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(emulator), other_key, algorithm="RS256", headers={"kid": "mine"})
    with pytest.raises(CallerRejected, match="key"):
        await validator.validate(forged)


async def test_symmetric_token_is_rejected_before_any_key_lookup(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    # The classic confusion attack: HS256 "signed" with something public.
    token = jwt.encode(
        _claims(emulator),
        "a-shared-secret-of-32-bytes-or-more!",
        algorithm="HS256",
        headers={"kid": emulator.identity.key_id},
    )
    with pytest.raises(CallerRejected, match="algorithm"):
        await validator.validate(token)
    assert emulator.identity.stats.snapshot()["keys"] == 0


async def test_unsigned_token_is_rejected(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    token = jwt.encode(_claims(emulator), "", algorithm="none")
    with pytest.raises(CallerRejected, match="algorithm"):
        await validator.validate(token)


async def test_garbage_is_rejected_as_malformed(validator: CallerTokenValidator) -> None:
    with pytest.raises(CallerRejected, match="malformed"):
        await validator.validate("not-a-jwt")


async def test_key_set_is_fetched_once_for_many_validations(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    token = emulator.caller_token()
    await asyncio.gather(*(validator.validate(token) for _ in range(20)))
    assert emulator.identity.stats.snapshot()["keys"] == 1


async def test_unreachable_key_set_is_a_service_fault_not_a_rejection(
    emulator: Served,
) -> None:
    settings = emulator.auth_settings(jwks_url=f"https://127.0.0.1:{free_port()}/keys")
    with pytest.raises(KeySetUnavailable):
        await CallerTokenValidator(settings).validate(emulator.caller_token())


async def test_rejection_message_never_contains_the_token(
    emulator: Served, validator: CallerTokenValidator
) -> None:
    token = emulator.partner_center_token()
    with pytest.raises(CallerRejected) as rejected:
        await validator.validate(token)
    assert token not in str(rejected.value)
