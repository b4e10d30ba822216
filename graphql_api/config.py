"""Settings for the service, read from the environment and overridden by command-line flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_UPSTREAM = "https://api.partnercenter.microsoft.com"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the setting."""


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "").strip()
    return value or default


def _integer(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _text(env, name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True, slots=True)
class UpstreamSettings:
    """How the REST client talks to Partner Center."""

    base_url: str = DEFAULT_UPSTREAM
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # Bound on one logical call, retries and back-off included.
    call_timeout: float = 60.0
    max_attempts: int = 4
    retry_after_cap: float = 30.0
    max_in_flight: int = 16
    max_response_bytes: int = 16 * 1024 * 1024
    # Exponential back-off between retries: the first wait (also the jitter bound) and the cap.
    retry_backoff_initial: float = 0.5
    retry_backoff_max: float = 8.0


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = _text(env, name) or ""
    origins = tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ConfigError(f"{name} entries must be http(s) origins or *, got {origin!r}")
    return origins


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How the HTTP service faces its callers: limits, switches, CORS, logging, shutdown."""

    # Browser origins allowed by CORS; empty means no cross-origin browser access.
    cors_origins: tuple[str, ...] = ()
    introspection: bool = True
    graphiql: bool = True
    # A bearer token GraphiQL opens with; set by `serve` only for the embedded emulator.
    graphiql_demo_token: str | None = None
    max_body_bytes: int = 1024 * 1024
    max_depth: int = 10
    max_tokens: int = 2000
    max_aliases: int = 30
    shutdown_timeout: float = 20.0
    readiness_timeout: float = 2.0
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServerSettings:
        """Read the server settings from environment variables."""
        log_level = (_text(env, "LOG_LEVEL") or "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(f"LOG_LEVEL must be a logging level name, got {log_level!r}")
        return cls(
            cors_origins=_origins(env, "CORS_ORIGINS"),
            introspection=_flag(env, "GRAPHQL_INTROSPECTION", True),
            graphiql=_flag(env, "GRAPHIQL", True),
            graphiql_demo_token=_text(env, "GRAPHIQL_DEMO_TOKEN"),
            max_body_bytes=_integer(env, "GRAPHQL_MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
            max_depth=_integer(env, "GRAPHQL_MAX_DEPTH", 10, minimum=1),
            max_tokens=_integer(env, "GRAPHQL_MAX_TOKENS", 2000, minimum=100),
            max_aliases=_integer(env, "GRAPHQL_MAX_ALIASES", 30, minimum=0),
            shutdown_timeout=_seconds(env, "SHUTDOWN_TIMEOUT", 20.0),
            readiness_timeout=_seconds(env, "READYZ_TIMEOUT", 2.0),
            log_level=log_level,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads at start-up."""

    upstream: UpstreamSettings = field(default_factory=UpstreamSettings)
    # True when no upstream was configured: `serve` then starts the embedded emulator.
    use_embedded_emulator: bool = True
    server: ServerSettings = field(default_factory=ServerSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from environment variables (os.environ by default)."""
        env = os.environ if env is None else env
        upstream_url = _text(env, "PARTNER_CENTER_URL")
        upstream = UpstreamSettings(
            base_url=(upstream_url or DEFAULT_UPSTREAM).rstrip("/"),
            connect_timeout=_seconds(env, "UPSTREAM_CONNECT_TIMEOUT", 5.0),
            read_timeout=_seconds(env, "UPSTREAM_READ_TIMEOUT", 30.0),
            call_timeout=_seconds(env, "UPSTREAM_CALL_TIMEOUT", 60.0),
            max_attempts=_integer(env, "UPSTREAM_MAX_ATTEMPTS", 4, minimum=1),
            retry_after_cap=_seconds(env, "UPSTREAM_RETRY_AFTER_CAP", 30.0),
            max_in_flight=_integer(env, "UPSTREAM_MAX_IN_FLIGHT", 16, minimum=1),
            max_response_bytes=_integer(
                env, "UPSTREAM_MAX_RESPONSE_BYTES", 16 * 1024 * 1024, minimum=1024
            ),
            retry_backoff_initial=_seconds(env, "UPSTREAM_RETRY_BACKOFF_INITIAL", 0.5),
            retry_backoff_max=_seconds(env, "UPSTREAM_RETRY_BACKOFF_MAX", 8.0),
        )
        return cls(
            server=ServerSettings.from_env(env),
            upstream=upstream,
            use_embedded_emulator=upstream_url is None,
        )


__all__ = ["DEFAULT_UPSTREAM", "ConfigError", "ServerSettings", "Settings", "UpstreamSettings"]
