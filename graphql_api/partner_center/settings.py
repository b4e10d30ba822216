"""How the REST client talks to Partner Center: its own settings type, read by the app."""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

DEFAULT_UPSTREAM = "https://api.partnercenter.microsoft.com"


def _pem_file(path: str | None) -> str | None:
    if path is not None and not os.path.isfile(path):
        raise ValueError("must be a PEM file that exists")
    return path


PemFile = Annotated[str | None, AfterValidator(_pem_file)]
"""An optional path to a PEM file of CA certificates, checked to exist."""


class UpstreamSettings(BaseModel):
    """How the REST client talks to Partner Center.

    Each field's alias is the environment variable that sets it; fields may also be given by
    name (`UpstreamSettings(base_url=...)`).
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    base_url: Annotated[str, AfterValidator(lambda url: url.rstrip("/"))] = Field(
        DEFAULT_UPSTREAM, alias="PARTNER_CENTER_URL"
    )
    connect_timeout: float = Field(5.0, alias="UPSTREAM_CONNECT_TIMEOUT", gt=0)
    read_timeout: float = Field(30.0, alias="UPSTREAM_READ_TIMEOUT", gt=0)
    # Bound on one logical call, retries and back-off included.
    call_timeout: float = Field(60.0, alias="UPSTREAM_CALL_TIMEOUT", gt=0)
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


__all__ = ["DEFAULT_UPSTREAM", "PemFile", "UpstreamSettings"]
