"""`EmulatorConfig`: what the emulator serves and how it misbehaves.

Two kinds of field live here. The *data* fields (`customers`, `seed`, `token_secret`,
`token_checker`, `require_issued_tokens`) are fixed when the app is built. Every other
field is a *knob*: the live `Emulator` reads it on each request, so tests and the
`/_emulator/faults` route may change it while the server runs (`KNOBS` names them and
`apply_knobs` validates a change before making it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

NextLinkStyle = Literal["v1", "legacy"]

# Kinds the 5xx `error_rate` picks from; faults.py defines each one.
DEFAULT_ERROR_KINDS: tuple[str, ...] = (
    "server_error",
    "bad_gateway",
    "service_unavailable",
    "gateway_timeout",
)
# Kinds the `misbehave_rate` picks from: answers that are wrong without an error status, or
# cut short. `huge_response` is left out: opt in, since each one streams 50 MB.
DEFAULT_MISBEHAVE_KINDS: tuple[str, ...] = (
    "truncated_json",
    "html_error_page",
    "html_page",
    "wrong_shape",
    "connection_reset",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token speaks for, as far as the emulator needs to know.

    `key` scopes the per-minute budget (Partner Center throttles per tenant); `app_only`
    marks an application-only token, which the company-profile route refuses (403 900329).
    """

    key: str
    app_only: bool = False


# Given the raw bearer token, return who it is, or None to answer 401.
TokenChecker = Callable[[str], Principal | None]


@dataclass(slots=True)
class EmulatorConfig:
    """Settings of one emulator instance; see the module docstring for data vs knobs."""

    # --- data (fixed once the app is built) ---
    customers: int = 2000
    seed: int = 1
    # HMAC key of continuation tokens. None derives it from `seed`, so several processes
    # started with one seed (e.g. `serve --workers N`) accept each other's tokens.
    token_secret: bytes | None = None
    # The seam for issued-token checks: when `token_checker` is set it decides every
    # bearer token (None from it means 401); when unset any non-empty bearer is accepted,
    # as the demo behind `make serve` needs. `require_issued_tokens` without a checker
    # makes `create_emulator_app` check tokens against its identity provider (identity.py).
    require_issued_tokens: bool = False
    token_checker: TokenChecker | None = None

    # --- knobs (changeable at run time) ---
    latency_ms: float = 0.0
    # Calls per principal per clock minute before 429; 0 means unlimited. The real
    # customer resource allows 500 a minute per tenant; the default stays unlimited so
    # that demos and benchmarks are not throttled unless asked to be.
    throttle_per_minute: int = 0
    # Continuation tokens older than this are refused; 0 means they never expire.
    token_ttl_seconds: float = 900.0
    # Prefix JSON bodies with a UTF-8 byte-order mark, as real responses sometimes are.
    bom: bool = True
    # "v1": links read `/v1/customers?...`; "legacy": `/customers?...` (pre-2021 form).
    next_link_style: NextLinkStyle = "v1"
    # When True, a full last page still carries a token and the seek that follows it
    # answers 400 with code 2000, the ending Microsoft's NCE tool was written against.
    end_with_seek_error: bool = False
    # Fraction of customer-route calls answered with an injected 5xx (see error_kinds).
    error_rate: float = 0.0
    error_kinds: tuple[str, ...] = DEFAULT_ERROR_KINDS
    # Fraction of customer-route calls answered 429 with `Retry-After: retry_after_seconds`.
    throttle_rate: float = 0.0
    retry_after_seconds: int = 1
    # Fraction of customer-route calls answered by a misbehaving upstream (see
    # misbehave_kinds): truncated JSON, HTML pages, a 200 of the wrong shape, a dropped
    # connection, or (when listed) a `huge_response` of `huge_response_bytes`, streamed.
    misbehave_rate: float = 0.0
    misbehave_kinds: tuple[str, ...] = DEFAULT_MISBEHAVE_KINDS
    huge_response_bytes: int = 50 * 1024 * 1024
    # Fraction of customer-route calls held back `slow_ms` more (on top of `latency_ms`)
    # before they are answered: the slow tail of a real service.
    slow_rate: float = 0.0
    slow_ms: float = 0.0
    # Path prefixes (e.g. "/v1/customers/") that never answer until the client gives up
    # or `hang_seconds` pass, whichever comes first.
    hang_paths: tuple[str, ...] = ()
    hang_seconds: float = 300.0
    # Per-customer failures: key "<customer id>" (all its routes) or "<id>/profiles/billing",
    # "<id>/profiles/company" (that route only); value an HTTP status or a fault kind name.
    customer_faults: dict[str, int | str] = field(default_factory=dict)
    # Bearer tokens answered 401 on every customer route (revoked, or never issued), whoever
    # decides the others.
    refused_tokens: tuple[str, ...] = ()

    def knobs(self) -> dict[str, Any]:
        """The run-time knobs as JSON-ready values."""
        out: dict[str, Any] = {}
        for name in KNOBS:
            value = getattr(self, name)
            out[name] = list(value) if isinstance(value, tuple) else value
        return out


_DATA_FIELDS = frozenset(
    {"customers", "seed", "token_secret", "require_issued_tokens", "token_checker"}
)
KNOBS: tuple[str, ...] = tuple(
    f.name for f in fields(EmulatorConfig) if f.name not in _DATA_FIELDS
)


def _number(name: str, value: Any, *, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if not (low <= value <= high) or math.isnan(value):
        raise ValueError(f"{name} must be between {low} and {high}")
    return float(value)


def _integer(name: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}")
    return value


def _strings(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"{name} must be a list of strings")
    if not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} must be a list of strings")
    return tuple(value)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _customer_faults(value: Any, known_kinds: frozenset[str]) -> dict[str, int | str]:
    if not isinstance(value, Mapping):
        raise ValueError("customer_faults must map customer ids to a status or fault kind")
    out: dict[str, int | str] = {}
    for key, fault in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError("customer_faults keys must be customer ids")
        if isinstance(fault, bool) or not isinstance(fault, int | str):
            raise ValueError(f"customer_faults[{key!r}] must be a status or a fault kind")
        if isinstance(fault, int) and not 400 <= fault <= 599:
            raise ValueError(f"customer_faults[{key!r}] must be a status from 400 to 599")
        if isinstance(fault, str) and fault not in known_kinds:
            raise ValueError(f"customer_faults[{key!r}]: unknown fault kind {fault!r}")
        out[key.lower()] = fault
    return out


def validate_knobs(changes: Mapping[str, Any], known_kinds: frozenset[str]) -> dict[str, Any]:
    """Check a partial knob update (JSON-shaped values); return it normalised, or ValueError."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in KNOBS:
            raise ValueError(f"unknown or read-only setting {name!r}")
        if name in {"error_rate", "throttle_rate", "misbehave_rate", "slow_rate"}:
            out[name] = _number(name, value, low=0.0, high=1.0)
        elif name in {"latency_ms", "token_ttl_seconds", "hang_seconds", "slow_ms"}:
            out[name] = _number(name, value, low=0.0)
        elif name == "huge_response_bytes":
            out[name] = _integer(name, value, low=1)
        elif name == "throttle_per_minute":
            out[name] = _integer(name, value, low=0)
        elif name == "retry_after_seconds":
            out[name] = _integer(name, value, low=1)
        elif name in {"bom", "end_with_seek_error"}:
            out[name] = _flag(name, value)
        elif name == "next_link_style":
            if value not in ("v1", "legacy"):
                raise ValueError("next_link_style must be 'v1' or 'legacy'")
            out[name] = value
        elif name in {"error_kinds", "misbehave_kinds"}:
            kinds = _strings(name, value)
            unknown = [kind for kind in kinds if kind not in known_kinds]
            if not kinds or unknown:
                raise ValueError(f"{name} must be a non-empty list of {sorted(known_kinds)}")
            out[name] = kinds
        elif name in {"hang_paths", "refused_tokens"}:
            out[name] = _strings(name, value)
        elif name == "customer_faults":
            out[name] = _customer_faults(value, known_kinds)
    return out


__all__ = [
    "DEFAULT_ERROR_KINDS",
    "DEFAULT_MISBEHAVE_KINDS",
    "KNOBS",
    "EmulatorConfig",
    "NextLinkStyle",
    "Principal",
    "TokenChecker",
    "validate_knobs",
]
