"""Settings for the service, read from the environment and overridden by command-line flags.

Each section is a pydantic model whose field aliases are the environment variables, so a
default is written once, beside its variable, and `Settings.from_env` is one validation per
section. A value that does not fit is a `ConfigError` naming the variable; a secret's value
is never repeated in it.

pydantic-settings was weighed and not taken: its sources read `os.environ` and `.env` files
themselves, while the service reads one mapping (the environment, flags written into it by
`serve`, or a test's dict), and that is exactly what `model_validate` over aliases does.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretBytes,
    SecretStr,
    ValidationError,
    model_validator,
)

from .partner_center.settings import (
    DEFAULT_UPSTREAM,
    PemFile,
    SharedStateSettings,
    UpstreamSettings,
)


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the setting."""


def _comma_list(raw: Any) -> Any:
    if isinstance(raw, str):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    return raw


def _origins(origins: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(origin.rstrip("/") for origin in origins)
    for origin in cleaned:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"entries must be http(s) origins or *, got {origin!r}")
    return cleaned


# An HTTP field name is an RFC 9110 token.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _header_names(names: tuple[str, ...]) -> tuple[str, ...]:
    for name in names:
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"entries must be HTTP header names, got {name!r}")
    return names


def _header_secret(raw: Any) -> Any:
    if isinstance(raw, str) and (len(raw) < 16 or not raw.isascii() or not raw.isprintable()):
        raise ValueError("must be at least 16 printable ASCII characters")
    return raw


def _upper(raw: Any) -> Any:
    return raw.upper() if isinstance(raw, str) else raw


def _lower(raw: Any) -> Any:
    return raw.lower() if isinstance(raw, str) else raw


class _Section(BaseModel):
    """A settings section: field aliases are the environment variables."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        """This section from environment variables; a ConfigError names a bad one."""
        return _section(cls, _set_values(env))


CommaList = Annotated[tuple[str, ...], BeforeValidator(_comma_list)]


class ServerSettings(_Section):
    """How the HTTP service faces its callers: limits, switches, CORS, logging, shutdown."""

    # Browser origins allowed by CORS; empty means no cross-origin browser access.
    cors_origins: Annotated[CommaList, AfterValidator(_origins)] = Field(
        (), alias="CORS_ORIGINS"
    )
    # Request headers browsers may send cross-origin, beyond the defaults (web/cors.py).
    cors_allow_headers: Annotated[CommaList, AfterValidator(_header_names)] = Field(
        (), alias="CORS_ALLOW_HEADERS"
    )
    introspection: bool = Field(True, alias="GRAPHQL_INTROSPECTION")
    graphiql: bool = Field(True, alias="GRAPHIQL")
    # A bearer token GraphiQL opens with; set by `serve` only for the embedded emulator.
    graphiql_demo_token: str | None = Field(None, alias="GRAPHIQL_DEMO_TOKEN")
    # A node_modules directory holding GraphiQL's assets; None means the project's own.
    graphiql_assets_dir: str | None = Field(None, alias="GRAPHIQL_ASSETS_DIR")
    max_body_bytes: int = Field(1024 * 1024, alias="GRAPHQL_MAX_BODY_BYTES", ge=1024)
    max_depth: int = Field(10, alias="GRAPHQL_MAX_DEPTH", ge=1)
    max_tokens: int = Field(2000, alias="GRAPHQL_MAX_TOKENS", ge=100)
    max_aliases: int = Field(30, alias="GRAPHQL_MAX_ALIASES", ge=0)
    max_fragments: int = Field(100, alias="GRAPHQL_MAX_FRAGMENTS", ge=0)
    max_fragment_spreads: int = Field(300, alias="GRAPHQL_MAX_FRAGMENT_SPREADS", ge=0)
    max_selections: int = Field(100, alias="GRAPHQL_MAX_SELECTIONS", ge=1)
    max_field_merges: int = Field(200, alias="GRAPHQL_MAX_FIELD_MERGES", ge=0)
    # Bytes the parsed and validated documents kept per process may hold (their texts and
    # syntax trees, web/document_cache.py).
    document_cache_bytes: int = Field(
        16 * 1024 * 1024, alias="GRAPHQL_DOCUMENT_CACHE_BYTES", ge=1024 * 1024
    )
    # Seconds one operation may run from its request's arrival; the upstream calls still
    # running then end, and those not sent are not, each field left answering UPSTREAM_TIMEOUT.
    operation_timeout: float = Field(
        30.0, alias="GRAPHQL_OPERATION_TIMEOUT", gt=0, allow_inf_nan=False
    )
    # Upstream calls one operation may cause, estimated before the first and counted on each.
    max_upstream_calls: int = Field(200, alias="GRAPHQL_MAX_UPSTREAM_CALLS", ge=1)
    shutdown_timeout: float = Field(20.0, alias="SHUTDOWN_TIMEOUT", gt=0)
    # Seconds an idle caller connection stays open. Longer than the idle timeout of the load
    # balancers and clients in front (60 s is common), so that they, not we, close idle
    # connections: a server that closes first races the caller's next request on that
    # connection, which then fails with a reset.
    keepalive_timeout: int = Field(75, alias="HTTP_KEEPALIVE_TIMEOUT", ge=1)
    readiness_timeout: float = Field(2.0, alias="READYZ_TIMEOUT", gt=0)
    # Seconds a /readyz result answers every asker before Partner Center is probed again.
    readiness_reuse: float = Field(
        2.0, alias="READYZ_REUSE_SECONDS", ge=0, allow_inf_nan=False
    )
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)
    ] = Field("INFO", alias="LOG_LEVEL")
    # What one caller's connection may cost before the app sees a request
    # (web/connection_guard.py): the head's size and time, the body's time, and how many
    # connections are open at once.
    max_header_bytes: int = Field(32 * 1024, alias="HTTP_MAX_HEADER_BYTES", ge=1024)
    header_timeout: float = Field(10.0, alias="HTTP_HEADER_TIMEOUT", gt=0)
    body_timeout: float = Field(30.0, alias="HTTP_BODY_TIMEOUT", gt=0)
    max_connections: int = Field(1000, alias="HTTP_MAX_CONNECTIONS", ge=1)
    # Apollo federated traces (ftv1) only for requests that send this in `FTV1-Secret`.
    ftv1_secret: Annotated[SecretStr | None, BeforeValidator(_header_secret)] = Field(
        None, alias="FTV1_SECRET"
    )
    # Persisted documents (web/manifest.py, web/persisted.py): manifest files read at start,
    # whether only their documents run, and automatic persisted queries (APQ).
    persisted_documents: CommaList = Field((), alias="GRAPHQL_PERSISTED_DOCUMENTS")
    trusted_documents_only: bool = Field(False, alias="GRAPHQL_TRUSTED_DOCUMENTS_ONLY")
    # Requests sending this in `Trusted-Documents-Bypass` may send text in trusted mode: the
    # router's own operations (`_entities`, `_service`) are written per query plan.
    trusted_bypass_secret: Annotated[SecretStr | None, BeforeValidator(_header_secret)] = Field(
        None, alias="GRAPHQL_TRUSTED_BYPASS_SECRET"
    )
    apq: bool = Field(True, alias="GRAPHQL_APQ")
    apq_max_documents: int = Field(1000, alias="GRAPHQL_APQ_MAX_DOCUMENTS", ge=1)
    apq_max_bytes: int = Field(4 * 1024 * 1024, alias="GRAPHQL_APQ_MAX_BYTES", ge=1024)
    apq_max_document_bytes: int = Field(
        32 * 1024, alias="GRAPHQL_APQ_MAX_DOCUMENT_BYTES", ge=256
    )


AuthMode = Literal["passthrough", "client_credentials"]
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class AuthSettings(_Section):
    """How callers prove who they are, and which credentials go to Partner Center.

    Construction refuses a combination that cannot work, naming the missing setting, so a
    bad deployment fails at start-up rather than on the first request.
    """

    mode: Annotated[AuthMode, BeforeValidator(_lower)] = Field(
        "passthrough", alias="PARTNER_CENTER_AUTH"
    )
    tenant_id: str | None = Field(None, alias="AZURE_TENANT_ID")
    client_id: str | None = Field(None, alias="AZURE_CLIENT_ID")
    # A secret type: neither repr() nor a log line nor an error message shows it.
    client_secret: SecretStr | None = Field(None, alias="AZURE_CLIENT_SECRET")
    authority_host: str = Field(DEFAULT_AUTHORITY_HOST, alias="AZURE_AUTHORITY_HOST")
    # Caller token validation is on when jwks_url is set; client_credentials requires it,
    # or anyone who can reach the port could read the customer list with our identity.
    jwks_url: str | None = Field(None, alias="AUTH_JWKS_URL")
    issuers: CommaList = Field((), alias="AUTH_ISSUER")
    audiences: CommaList = Field((), alias="AUTH_AUDIENCE")
    # Pinned: never let a token's own header choose a weaker algorithm (none, HS256).
    algorithms: tuple[str, ...] = ("RS256",)
    # Tolerated clock difference with the token issuer, in seconds.
    leeway: float = Field(60.0, ge=0)
    # A PEM bundle trusted for the sign-in authority and the JWKS URL (private CAs, tests).
    ca_bundle: PemFile = Field(None, alias="AUTH_CA_BUNDLE")
    # Renew the service's own token this long before it expires. Below msal's own rule (its
    # cache treats a token with under 5 minutes left as expired), so that when our copy is
    # due msal agrees and signs in, instead of handing back the same ageing token.
    token_refresh_margin: float = Field(240.0, ge=0)

    @model_validator(mode="after")
    def _coherent(self) -> AuthSettings:
        if self.mode == "client_credentials":
            _require(
                "PARTNER_CENTER_AUTH=client_credentials needs",
                AZURE_TENANT_ID=self.tenant_id,
                AZURE_CLIENT_ID=self.client_id,
                AZURE_CLIENT_SECRET=self.client_secret,
                AUTH_JWKS_URL=self.jwks_url,
            )
        if self.jwks_url is None and (self.issuers or self.audiences):
            raise ValueError("AUTH_ISSUER/AUTH_AUDIENCE are set but AUTH_JWKS_URL is not")
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
            raise ValueError(
                f"AZURE_AUTHORITY_HOST must be an https URL, got {self.authority_host!r}"
            )
        return self

    @property
    def validates_callers(self) -> bool:
        """True when every caller's bearer token must be a valid JWT for this service."""
        return self.jwks_url is not None


def _require(reason: str, **settings: object) -> None:
    missing = [name for name, value in settings.items() if not value]
    if missing:
        raise ValueError(f"{reason} {', '.join(missing)}")


def _check_jwks_url(url: str) -> None:
    parts = urlsplit(url)
    # Keys fetched over plain http could be swapped in transit; loopback is the exception
    # so a local emulator works without certificates.
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return
    raise ValueError(f"AUTH_JWKS_URL must be an https URL, got {url!r}")


# Partner Center pages hold at most 500 customers; a GraphQL page may span several of them.
_UPSTREAM_MAX_PAGE_SIZE = 500
_MIN_CURSOR_SECRET_LENGTH = 16


def _cursor_secret(raw: Any) -> Any:
    if isinstance(raw, str | bytes) and len(raw) < _MIN_CURSOR_SECRET_LENGTH:
        raise ValueError(f"must be at least {_MIN_CURSOR_SECRET_LENGTH} characters")
    return raw


class SchemaSettings(_Section):
    """How the GraphQL schema pages customers, signs cursors and batches loads."""

    # `first` when the caller gives none, and the largest `first` accepted.
    customers_default_page_size: int = Field(50, alias="CUSTOMERS_DEFAULT_PAGE_SIZE", ge=1)
    customers_max_page_size: int = Field(500, alias="CUSTOMERS_MAX_PAGE_SIZE", ge=1)
    # Largest upstream page requested. A walk asks for min(first, this) per upstream page, so
    # a walk with a steady `first` costs one upstream call per GraphQL page.
    upstream_page_size: int = Field(
        _UPSTREAM_MAX_PAGE_SIZE, alias="UPSTREAM_PAGE_SIZE", ge=1, le=_UPSTREAM_MAX_PAGE_SIZE
    )
    # HMAC key of cursors; every worker and replica behind one endpoint must share it. Random
    # per process when unset, which is fine for one process only.
    cursor_secret: Annotated[SecretBytes, BeforeValidator(_cursor_secret)] = Field(
        default_factory=lambda: SecretBytes(secrets.token_bytes(32)), alias="CURSOR_SECRET"
    )
    loader_max_batch_size: int = Field(100, alias="LOADER_MAX_BATCH_SIZE", ge=1)

    @model_validator(mode="after")
    def _coherent(self) -> SchemaSettings:
        if self.customers_default_page_size > self.customers_max_page_size:
            raise ValueError(
                f"CUSTOMERS_DEFAULT_PAGE_SIZE ({self.customers_default_page_size}) must not "
                f"exceed CUSTOMERS_MAX_PAGE_SIZE ({self.customers_max_page_size})"
            )
        return self

    @property
    def cursor_key(self) -> bytes:
        """The cursor secret's bytes, for the codec that signs with it."""
        return self.cursor_secret.get_secret_value()


SPEED_LAYER_OFF = "SPEED_LAYER_OFF"


class SpeedPiece(StrEnum):
    """A piece of the speed layer (graphql_api/speed/) that can be switched off."""

    EXECUTOR = "executor"
    WIRE = "wire"


def _speed_pieces(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    names = {part.strip().lower() for part in raw.split(",") if part.strip()}
    if "all" in names:
        return frozenset(SpeedPiece)
    unknown = sorted(names - {piece.value for piece in SpeedPiece})
    if unknown:
        known = ", ".join(["all", *(piece.value for piece in SpeedPiece)])
        raise ValueError(f"unknown piece(s) {unknown}; known: {known}")
    return frozenset(SpeedPiece(name) for name in names)


class SpeedSettings(_Section):
    """Which pieces of the speed layer run; each one off puts the stock component back.

    A process-wide switch: `SPEED_LAYER_OFF` in the process environment applies to settings
    read from a mapping that does not name it, so a whole test run, or every worker of
    `graphql-api serve`, takes the path the environment chose.
    """

    off: Annotated[frozenset[SpeedPiece], BeforeValidator(_speed_pieces)] = Field(
        frozenset(), alias=SPEED_LAYER_OFF
    )

    @classmethod
    def from_process(cls) -> SpeedSettings:
        """The switch as the process environment sets it."""
        return cls.from_env(os.environ)

    def is_on(self, piece: SpeedPiece) -> bool:
        """True unless `SPEED_LAYER_OFF` switches `piece` off."""
        return piece not in self.off


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the service reads at start-up."""

    upstream: UpstreamSettings = field(default_factory=UpstreamSettings)
    # True when no upstream was configured: `serve` then starts the embedded emulator.
    use_embedded_emulator: bool = True
    server: ServerSettings = field(default_factory=ServerSettings)
    schema: SchemaSettings = field(default_factory=SchemaSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    shared: SharedStateSettings = field(default_factory=SharedStateSettings)
    speed: SpeedSettings = field(default_factory=SpeedSettings.from_process)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from environment variables (os.environ by default).

        A variable set to an empty string counts as unset.
        """
        values = _set_values(os.environ if env is None else env)
        return cls(
            upstream=_section(UpstreamSettings, values),
            use_embedded_emulator="PARTNER_CENTER_URL" not in values,
            server=ServerSettings.from_env(values),
            schema=SchemaSettings.from_env(values),
            auth=AuthSettings.from_env(values),
            shared=_section(SharedStateSettings, values),
            speed=(
                SpeedSettings.from_env(values)
                if SPEED_LAYER_OFF in values
                else SpeedSettings.from_process()
            ),
        )


_Model = TypeVar("_Model", bound=BaseModel)
# Never repeated in an error message.
_SECRET_VARIABLES = frozenset(
    {"AZURE_CLIENT_SECRET", "CURSOR_SECRET", "FTV1_SECRET", "GRAPHQL_TRUSTED_BYPASS_SECRET"}
)


def _section(model: type[_Model], values: Mapping[str, str]) -> _Model:
    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        raise _config_error(invalid) from None


def _config_error(invalid: ValidationError) -> ConfigError:
    problems = []
    for error in invalid.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if not name:
            problems.append(message)
            continue
        shown = "" if name in _SECRET_VARIABLES else f", got {error.get('input')!r}"
        problems.append(f"{name}: {message}{shown}")
    return ConfigError("; ".join(problems))


def _set_values(env: Mapping[str, str]) -> dict[str, str]:
    return {name: value.strip() for name, value in env.items() if value.strip()}


__all__ = [
    "DEFAULT_AUTHORITY_HOST",
    "DEFAULT_UPSTREAM",
    "SPEED_LAYER_OFF",
    "AuthMode",
    "AuthSettings",
    "ConfigError",
    "SchemaSettings",
    "ServerSettings",
    "Settings",
    "SharedStateSettings",
    "SpeedPiece",
    "SpeedSettings",
    "UpstreamSettings",
]
