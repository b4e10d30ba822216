"""The request context: credentials, correlation id and locale, read from the caller's headers
by the HTTP layer (`auth.bearer`, `web.request_headers`) and held as plain values."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from graphql_api.auth.bearer import bearer_authorization
from graphql_api.config import Settings
from graphql_api.partner_center import PartnerCenterClient
from graphql_api.schema.context import NotAuthenticated, RequestContext, build_request_context
from graphql_api.web.request_headers import read_request_headers

GUID = "5E1C9F0A-3B7D-4A2E-9C8B-7D6E5F4A3B2C"


def context_from(
    client: PartnerCenterClient, headers: dict[str, str], authorization: str | None = None
) -> RequestContext:
    """The context the view builds for a request with these headers (passthrough, unchecked)."""
    lowered = {name.replace("_", "-").lower(): value for name, value in headers.items()}
    read = read_request_headers(lowered)
    return build_request_context(
        client=client,
        settings=Settings(),
        correlation_id=read.correlation_id,
        locale=read.locale,
        refresh=read.refresh,
        authorization=authorization or bearer_authorization(lowered.get("authorization")),
    )


@pytest.fixture
async def client() -> AsyncIterator[PartnerCenterClient]:
    made = PartnerCenterClient(Settings().upstream)
    yield made
    await made.aclose()


def context(client: PartnerCenterClient, **headers: str) -> RequestContext:
    return context_from(client, headers)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc.def-ghi_jkl~mno+p/q==", "Bearer abc.def-ghi_jkl~mno+p/q=="),
        ("bearer token123", "Bearer token123"),
        ("  Bearer   token123  ", "Bearer token123"),
        ("Basic dXNlcjpwYXNz", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("Bearer two words", None),
        ("Bearer tok,en", None),
        ("token-without-scheme", None),
    ],
)
def test_only_a_bearer_token_is_passed_through(
    client: PartnerCenterClient, header: str, expected: str | None
) -> None:
    assert context(client, authorization=header).authorization == expected


def test_no_authorization_header_means_no_credentials(client: PartnerCenterClient) -> None:
    assert context(client).authorization is None


def test_without_credentials_the_call_context_raises_not_authenticated(
    client: PartnerCenterClient,
) -> None:
    with pytest.raises(NotAuthenticated):
        _ = context(client).call


def test_an_explicit_authorization_replaces_the_callers(client: PartnerCenterClient) -> None:
    made = context_from(
        client, {"authorization": "Bearer caller"}, authorization="Bearer service-token"
    )
    assert made.call.authorization == "Bearer service-token"


@pytest.mark.parametrize("header", ["MS-CorrelationId", "X-Correlation-Id"])
def test_a_guid_correlation_id_from_the_caller_is_kept_in_lower_case(
    client: PartnerCenterClient, header: str
) -> None:
    made = context(client, **{header.replace("-", "_"): GUID})
    assert made.correlation_id == GUID.lower()


def test_ms_correlation_id_wins_over_x_correlation_id(client: PartnerCenterClient) -> None:
    other = str(uuid.uuid4())
    made = context(client, MS_CorrelationId=GUID, X_Correlation_Id=other)
    assert made.correlation_id == GUID.lower()


@pytest.mark.parametrize("value", ["not-a-guid", "x" * 300, "{" + GUID + "}"])
def test_a_correlation_id_that_is_not_a_guid_is_replaced_by_a_fresh_one(
    client: PartnerCenterClient, value: str
) -> None:
    made = context(client, MS_CorrelationId=value)
    assert made.correlation_id != value
    assert uuid.UUID(made.correlation_id).version == 4


def test_each_request_without_a_correlation_id_gets_its_own(
    client: PartnerCenterClient,
) -> None:
    assert context(client).correlation_id != context(client).correlation_id


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [
        ("nl-NL,nl;q=0.9,en;q=0.8", "nl-NL"),
        ("en-US;q=0.8", "en-US"),
        ("de", "de"),
        ("*", None),
        ("<script>", None),
        ("en-US-x-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", None),
        ("", None),
    ],
)
def test_the_locale_is_the_first_plain_language_tag(
    client: PartnerCenterClient, accept_language: str, locale: str | None
) -> None:
    assert context(client, accept_language=accept_language).locale == locale


async def test_loaders_are_made_once_per_context_and_never_shared(
    client: PartnerCenterClient,
) -> None:
    first = context(client, authorization="Bearer a")
    second = context(client, authorization="Bearer a")
    assert first.loaders is first.loaders
    assert first.loaders is not second.loaders


def test_the_token_is_not_in_the_contexts_repr(client: PartnerCenterClient) -> None:
    made = context(client, authorization="Bearer very-secret-token")
    assert "very-secret-token" not in repr(made)
    assert "very-secret-token" not in repr(made.call)
