"""How the REST client talks to Partner Center and spends the partner's budget: its own
settings types, read by the app."""

from __future__ import annotations

import os
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

DEFAULT_UPSTREAM = "https://api.partnercenter.microsoft.com"


def _pem_file(path: str | None) -> str | None:
    if path is not None and not os.path.isfile(path):
        raise ValueError("must be a PEM file that exists")
    return path


PemFile = Annotated[str | None, AfterValidator(_pem_file)]
"""An optional path to a PEM file of CA certificates, checked to exist."""


def _base_url(url: str) -> str:
    # Refused at start: a URL that cannot be called would otherwise surface only as every
    # query's "Partner Center could not be reached", after the retries.
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"must be an http(s) URL such as {DEFAULT_UPSTREAM}")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or a fragment: paths go under its /v1")
    return url.rstrip("/")


class UpstreamSettings(BaseModel):
    """How the REST client talks to Partner Center.

    Each field's alias is the environment variable that sets it; fields may also be given by
    name (`UpstreamSettings(base_url=...)`).
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    base_url: Annotated[str, AfterValidator(_base_url)] = Field(
        DEFAULT_UPSTREAM, alias="PARTNER_CENTER_URL"
    )
    connect_timeout: float = Field(5.0, alias="UPSTREAM_CONNECT_TIMEOUT", gt=0)
    read_timeout: float = Field(30.0, alias="UPSTREAM_READ_TIMEOUT", gt=0)
    # Bound on one logical call, retries and back-off included.
    call_timeout: float = Field(60.0, alias="UPSTREAM_CALL_TIMEOUT", gt=0)
    # Bound on one attempt as a whole (the read timeout is between reads, so an answer
    # trickled a byte at a time would otherwise hold its slot up to the call's bound).
    attempt_timeout: float = Field(30.0, alias="UPSTREAM_ATTEMPT_TIMEOUT", gt=0)
    # An attempt running this long is slow; at most half the in-flight slots may be held by
    # slow attempts, and one more that turns slow is ended (and retried), so that calls to
    # healthy routes always find slots.
    slow_call_seconds: float = Field(5.0, alias="UPSTREAM_SLOW_CALL_SECONDS", gt=0)
    max_attempts: int = Field(4, alias="UPSTREAM_MAX_ATTEMPTS", ge=1)
    retry_after_cap: float = Field(30.0, alias="UPSTREAM_RETRY_AFTER_CAP", gt=0)
    max_in_flight: int = Field(16, alias="UPSTREAM_MAX_IN_FLIGHT", ge=1)
    # Of those, the most one operation holds at once; freed slots go to waiting operations
    # in turn, so a large operation cannot make a small one wait for its whole queue.
    max_in_flight_per_operation: int = Field(
        8, alias="UPSTREAM_MAX_IN_FLIGHT_PER_OPERATION", ge=1
    )
    max_response_bytes: int = Field(
        16 * 1024 * 1024, alias="UPSTREAM_MAX_RESPONSE_BYTES", ge=1024
    )
    # Exponential back-off between retries: the first wait (also the jitter bound) and the cap.
    retry_backoff_initial: float = Field(0.5, alias="UPSTREAM_RETRY_BACKOFF_INITIAL", gt=0)
    retry_backoff_max: float = Field(8.0, alias="UPSTREAM_RETRY_BACKOFF_MAX", gt=0)
    # A PEM bundle trusted for Partner Center's TLS instead of certifi's (private CAs,
    # TLS-inspecting proxies, an emulator behind TLS).
    ca_bundle: PemFile = Field(None, alias="UPSTREAM_CA_BUNDLE")


def _redis_url(url: str | None) -> str | None:
    if url is not None and urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        # Never echo the URL: it may carry a password.
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return url


class SharedStateSettings(BaseModel):
    """What the service shares to stretch the partner's calls: answer cache, bucket, Redis.

    Partner Center throttles per partner tenant, so every caller and replica spends one
    budget; these settings decide how answers are shared and how fast calls may leave.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    # Seconds an upstream answer is served from the cache as fresh; 0 turns the cache off.
    cache_ttl: float = Field(30.0, alias="CACHE_TTL_SECONDS", ge=0, allow_inf_nan=False)
    # Oldest answer (seconds since it was fetched) served, marked stale, when the call
    # budget is spent or Partner Center throttles; 0 never serves a stale answer.
    cache_stale: float = Field(300.0, alias="CACHE_STALE_SECONDS", ge=0, allow_inf_nan=False)
    # Entries kept per process, and the bytes they may hold together (in Redis the TTL alone
    # bounds them; size it with maxmemory). The bytes bound is what keeps a process's size:
    # one 500-customer page is about a quarter of a megabyte.
    cache_max_entries: int = Field(10_000, alias="CACHE_MAX_ENTRIES", ge=1)
    cache_max_bytes: int = Field(64 * 1024 * 1024, alias="CACHE_MAX_BYTES", ge=1024 * 1024)
    # Calls a minute this service (all workers and replicas with Redis) sends Partner Center,
    # and how many may leave at once after a quiet spell. Their sum is the most one clock
    # minute can see: 400 + 100 stays within the 500 quoted for customer routes, and a burst
    # of 100 lets a cold 100-customer dashboard with billing (101 calls) through at once.
    rate_per_minute: int = Field(400, alias="UPSTREAM_RATE_PER_MINUTE", ge=0)
    rate_burst: int = Field(100, alias="UPSTREAM_RATE_BURST", ge=0)
    # Longest a call waits for the budget before it is not sent (THROTTLED, or stale).
    rate_max_wait: float = Field(2.0, alias="UPSTREAM_RATE_MAX_WAIT", ge=0, allow_inf_nan=False)
    # The part of the calls a minute one caller may spend (its burst is the whole burst), so
    # that one caller cannot keep the bucket dry for the others; 1 shares nothing out.
    rate_caller_share: float = Field(
        0.5, alias="UPSTREAM_RATE_CALLER_SHARE", gt=0, le=1, allow_inf_nan=False
    )
    # Seconds Partner Center's verdict on a credential (accepted, or refused with 401) is
    # remembered; until it has given one, a credential sends one call at a time. 0: no probe.
    credential_memory: float = Field(
        60.0, alias="UPSTREAM_CREDENTIAL_MEMORY_SECONDS", ge=0, allow_inf_nan=False
    )
    # Shared state for workers and replicas; None keeps all of it in-process. Kept out of
    # repr(): the URL may carry a password.
    redis_url: Annotated[str | None, AfterValidator(_redis_url)] = Field(
        None, alias="REDIS_URL", repr=False
    )

    @property
    def cache_enabled(self) -> bool:
        """True when upstream answers are cached at all."""
        return self.cache_ttl > 0

    @property
    def rate_limited(self) -> bool:
        """True when calls leave only as the budget allows (UPSTREAM_RATE_PER_MINUTE > 0)."""
        return self.rate_per_minute > 0


__all__ = ["DEFAULT_UPSTREAM", "PemFile", "SharedStateSettings", "UpstreamSettings"]
