"""Settings for the service, read from the environment and overridden by command-line flags."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args
from urllib.parse import urlsplit

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


def _check_ca_bundle(name: str, path: str | None) -> None:
    if path is not None and not os.path.isfile(path):
        raise ConfigError(f"{name} must be a PEM file, got {path!r}")


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
    # Of those, the most one operation holds at once; freed slots go to waiting operations
    # in turn, so a large operation cannot make a small one wait for its whole queue.
    max_in_flight_per_operation: int = 8
    max_response_bytes: int = 16 * 1024 * 1024
    # Exponential back-off between retries: the first wait (also the jitter bound) and the cap.
    retry_backoff_initial: float = 0.5
    retry_backoff_max: float = 8.0
    # A PEM bundle trusted for Partner Center's TLS instead of certifi's (private CAs,
    # TLS-inspecting proxies, an emulator behind TLS).
    ca_bundle: str | None = None

    def __post_init__(self) -> None:
        _check_ca_bundle("UPSTREAM_CA_BUNDLE", self.ca_bundle)


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
    # A node_modules directory holding GraphiQL's assets; None means the project's own.
    graphiql_assets_dir: str | None = None
    max_body_bytes: int = 1024 * 1024
    max_depth: int = 10
    max_tokens: int = 2000
    max_aliases: int = 30
    max_fragments: int = 100
    max_fragment_spreads: int = 300
    max_selections: int = 100
    max_field_merges: int = 200
    # Upstream calls one operation may cause, estimated before the first and counted on each.
    max_upstream_calls: int = 200
    shutdown_timeout: float = 20.0
    # Seconds an idle caller connection stays open. Longer than the idle timeout of the load
    # balancers and clients in front (60 s is common), so that they, not we, close idle
    # connections: a server that closes first races the caller's next request on that
    # connection, which then fails with a reset (seen in bench scenario 3 at 64 clients).
    keepalive_timeout: int = 75
    readiness_timeout: float = 2.0
    log_level: str = "INFO"
    # What one caller's connection may cost before the app sees a request
    # (connection_guard.py): the head's size and time, the body's time, and how many
    # connections are open at once.
    max_header_bytes: int = 32 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    # Apollo federated traces (ftv1) only for requests that send it in `FTV1-Secret`.
    ftv1_secret: str | None = field(default=None, repr=False)

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
            graphiql_assets_dir=_text(env, "GRAPHIQL_ASSETS_DIR"),
            max_body_bytes=_integer(env, "GRAPHQL_MAX_BODY_BYTES", 1024 * 1024, minimum=1024),
            max_depth=_integer(env, "GRAPHQL_MAX_DEPTH", 10, minimum=1),
            max_tokens=_integer(env, "GRAPHQL_MAX_TOKENS", 2000, minimum=100),
            max_aliases=_integer(env, "GRAPHQL_MAX_ALIASES", 30, minimum=0),
            max_fragments=_integer(env, "GRAPHQL_MAX_FRAGMENTS", 100, minimum=0),
            max_fragment_spreads=_integer(env, "GRAPHQL_MAX_FRAGMENT_SPREADS", 300, minimum=0),
            max_selections=_integer(env, "GRAPHQL_MAX_SELECTIONS", 100, minimum=1),
            max_field_merges=_integer(env, "GRAPHQL_MAX_FIELD_MERGES", 200, minimum=0),
            max_upstream_calls=_integer(env, "GRAPHQL_MAX_UPSTREAM_CALLS", 200, minimum=1),
            shutdown_timeout=_seconds(env, "SHUTDOWN_TIMEOUT", 20.0),
            keepalive_timeout=_integer(env, "HTTP_KEEPALIVE_TIMEOUT", 75, minimum=1),
            readiness_timeout=_seconds(env, "READYZ_TIMEOUT", 2.0),
            log_level=log_level,
            max_header_bytes=_integer(env, "HTTP_MAX_HEADER_BYTES", 32 * 1024, minimum=1024),
            header_timeout=_seconds(env, "HTTP_HEADER_TIMEOUT", 10.0),
            body_timeout=_seconds(env, "HTTP_BODY_TIMEOUT", 30.0),
            max_connections=_integer(env, "HTTP_MAX_CONNECTIONS", 1000, minimum=1),
            ftv1_secret=_header_secret(env, "FTV1_SECRET"),
        )


def _header_secret(env: Mapping[str, str], name: str) -> str | None:
    raw = _text(env, name)
    if raw is not None and (len(raw) < 16 or not raw.isascii() or not raw.isprintable()):
        raise ConfigError(f"{name} must be at least 16 printable ASCII characters")
    return raw


AuthMode = Literal["passthrough", "client_credentials"]
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = _text(env, name) or ""
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """How callers prove who they are, and which credentials go to Partner Center.

    Construction refuses a combination that cannot work, naming the missing setting, so a
    bad deployment fails at start-up rather than on the first request.
    """

    mode: AuthMode = "passthrough"
    tenant_id: str | None = None
    client_id: str | None = None
    # repr=False: the secret must never reach a log line through repr(settings).
    client_secret: str | None = field(default=None, repr=False)
    authority_host: str = DEFAULT_AUTHORITY_HOST
    # Caller token validation is on when jwks_url is set; client_credentials requires it,
    # or anyone who can reach the port could read the customer list with our identity.
    jwks_url: str | None = None
    issuers: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    # Pinned: never let a token's own header choose a weaker algorithm (none, HS256).
    algorithms: tuple[str, ...] = ("RS256",)
    # Tolerated clock difference with the token issuer, in seconds.
    leeway: float = 60.0
    # A PEM bundle trusted for the sign-in authority and the JWKS URL (private CAs, tests).
    ca_bundle: str | None = None
    # Renew the service's own token this long before it expires. Below msal's own rule (its
    # cache treats a token with under 5 minutes left as expired), so that when our copy is
    # due msal agrees and signs in, instead of handing back the same ageing token.
    token_refresh_margin: float = 240.0

    def __post_init__(self) -> None:
        if self.mode not in get_args(AuthMode):
            modes = " or ".join(get_args(AuthMode))
            raise ConfigError(f"PARTNER_CENTER_AUTH must be {modes}, got {self.mode!r}")
        if self.mode == "client_credentials":
            _require(
                "PARTNER_CENTER_AUTH=client_credentials needs",
                AZURE_TENANT_ID=self.tenant_id,
                AZURE_CLIENT_ID=self.client_id,
                AZURE_CLIENT_SECRET=self.client_secret,
                AUTH_JWKS_URL=self.jwks_url,
            )
        if self.jwks_url is None and (self.issuers or self.audiences):
            raise ConfigError("AUTH_ISSUER/AUTH_AUDIENCE are set but AUTH_JWKS_URL is not")
        if self.jwks_url is not None:
            _require(
                "AUTH_JWKS_URL is set, so caller tokens need",
                AUTH_ISSUER=self.issuers,
                AUTH_AUDIENCE=self.audiences,
            )
            _check_jwks_url(self.jwks_url)
        authority = urlsplit(self.authority_host)
        if authority.scheme != "https" or not authority.hostname:
            # msal talks to an authority over https only.
            raise ConfigError(
                f"AZURE_AUTHORITY_HOST must be an https URL, got {self.authority_host!r}"
            )
        _check_ca_bundle("AUTH_CA_BUNDLE", self.ca_bundle)
        if self.token_refresh_margin < 0 or self.leeway < 0:
            raise ConfigError("token refresh margin and leeway must not be negative")

    @property
    def validates_callers(self) -> bool:
        """True when every caller's bearer token must be a valid JWT for this service."""
        return self.jwks_url is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuthSettings:
        """Read the authentication settings from environment variables."""
        mode = (_text(env, "PARTNER_CENTER_AUTH") or "passthrough").lower()
        return cls(
            mode=mode,  # type: ignore[arg-type]  # checked in __post_init__
            tenant_id=_text(env, "AZURE_TENANT_ID"),
            client_id=_text(env, "AZURE_CLIENT_ID"),
            client_secret=_text(env, "AZURE_CLIENT_SECRET"),
            authority_host=_text(env, "AZURE_AUTHORITY_HOST", DEFAULT_AUTHORITY_HOST) or "",
            jwks_url=_text(env, "AUTH_JWKS_URL"),
            issuers=_list(env, "AUTH_ISSUER"),
            audiences=_list(env, "AUTH_AUDIENCE"),
            ca_bundle=_text(env, "AUTH_CA_BUNDLE"),
        )


def _require(reason: str, **settings: object) -> None:
    missing = [name for name, value in settings.items() if not value]
    if missing:
        raise ConfigError(f"{reason} {', '.join(missing)}")


def _check_jwks_url(url: str) -> None:
    parts = urlsplit(url)
    # Keys fetched over plain http could be swapped in transit; loopback is the exception
    # so a local emulator works without certificates.
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return
    raise ConfigError(f"AUTH_JWKS_URL must be an https URL, got {url!r}")


# Partner Center pages hold at most 500 customers; a GraphQL page may span several of them.
_UPSTREAM_MAX_PAGE_SIZE = 500
_MIN_CURSOR_SECRET_LENGTH = 16


def _cursor_secret(env: Mapping[str, str]) -> bytes:
    raw = _text(env, "CURSOR_SECRET")
    if raw is None:
        # Fine for one process; workers and replicas must share CURSOR_SECRET (see README).
        return secrets.token_bytes(32)
    if len(raw) < _MIN_CURSOR_SECRET_LENGTH:
        raise ConfigError(f"CURSOR_SECRET must be at least {_MIN_CURSOR_SECRET_LENGTH} characters")
    return raw.encode("utf-8")


@dataclass(frozen=True, slots=True)
class SchemaSettings:
    """How the GraphQL schema pages customers, signs cursors and batches loads."""

    # `first` when the caller gives none, and the largest `first` accepted.
    customers_default_page_size: int = 50
    customers_max_page_size: int = 500
    # Largest upstream page requested. A walk asks for min(first, this) per upstream page, so
    # a walk with a steady `first` costs one upstream call per GraphQL page.
    upstream_page_size: int = _UPSTREAM_MAX_PAGE_SIZE
    # HMAC key of cursors; every worker and replica behind one endpoint must share it.
    cursor_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    loader_max_batch_size: int = 100

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SchemaSettings:
        """Read the schema settings from environment variables."""
        default_size = _integer(env, "CUSTOMERS_DEFAULT_PAGE_SIZE", 50, minimum=1)
        max_size = _integer(env, "CUSTOMERS_MAX_PAGE_SIZE", 500, minimum=1)
        if default_size > max_size:
            raise ConfigError(
                f"CUSTOMERS_DEFAULT_PAGE_SIZE ({default_size}) must not exceed "
                f"CUSTOMERS_MAX_PAGE_SIZE ({max_size})"
            )
        upstream_size = _integer(env, "UPSTREAM_PAGE_SIZE", _UPSTREAM_MAX_PAGE_SIZE, minimum=1)
        if upstream_size > _UPSTREAM_MAX_PAGE_SIZE:
            raise ConfigError(
                f"UPSTREAM_PAGE_SIZE must be at most {_UPSTREAM_MAX_PAGE_SIZE}, got {upstream_size}"
            )
        return cls(
            customers_default_page_size=default_size,
            customers_max_page_size=max_size,
            upstream_page_size=upstream_size,
            cursor_secret=_cursor_secret(env),
            loader_max_batch_size=_integer(env, "LOADER_MAX_BATCH_SIZE", 100, minimum=1),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads at start-up."""

    upstream: UpstreamSettings = field(default_factory=UpstreamSettings)
    # True when no upstream was configured: `serve` then starts the embedded emulator.
    use_embedded_emulator: bool = True
    server: ServerSettings = field(default_factory=ServerSettings)
    schema: SchemaSettings = field(default_factory=SchemaSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)

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
            max_in_flight_per_operation=_integer(
                env, "UPSTREAM_MAX_IN_FLIGHT_PER_OPERATION", 8, minimum=1
            ),
            max_response_bytes=_integer(
                env, "UPSTREAM_MAX_RESPONSE_BYTES", 16 * 1024 * 1024, minimum=1024
            ),
            retry_backoff_initial=_seconds(env, "UPSTREAM_RETRY_BACKOFF_INITIAL", 0.5),
            retry_backoff_max=_seconds(env, "UPSTREAM_RETRY_BACKOFF_MAX", 8.0),
            ca_bundle=_text(env, "UPSTREAM_CA_BUNDLE"),
        )
        return cls(
            server=ServerSettings.from_env(env),
            schema=SchemaSettings.from_env(env),
            auth=AuthSettings.from_env(env),
            upstream=upstream,
            use_embedded_emulator=upstream_url is None,
        )


__all__ = [
    "DEFAULT_AUTHORITY_HOST",
    "DEFAULT_UPSTREAM",
    "AuthMode",
    "AuthSettings",
    "ConfigError",
    "SchemaSettings",
    "ServerSettings",
    "Settings",
    "UpstreamSettings",
]
