"""`Emulator`: the live state behind one emulator app (data, knobs, counters, clocks, dice)."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from graphql_api.emulator import faults
from graphql_api.emulator.budget import MinuteBudget
from graphql_api.emulator.config import EmulatorConfig, Principal, validate_knobs
from graphql_api.emulator.data import Customer, Dataset, generate
from graphql_api.emulator.search import SearchIndex
from graphql_api.emulator.stats import Stats
from graphql_api.emulator.tokens import TokenCodec, secret_for_seed

Clock = Callable[[], float]


def _any_bearer(token: str) -> Principal:
    # Key the budget by a digest so the raw token is never held in a map that might be dumped.
    return Principal(key=hashlib.sha256(token.encode()).hexdigest()[:16])


class Emulator:
    """Everything a request handler needs; `app.state.emulator` in a built app.

    Tests change knobs with `configure(...)` (or by assigning to `config` fields) and read
    counts from `stats`. `clock` (seconds, like `time.time`) drives token expiry and the
    per-minute budget, so a test can move time forward instead of waiting.
    """

    def __init__(self, config: EmulatorConfig, *, clock: Clock = time.time) -> None:
        if config.require_issued_tokens and config.token_checker is None:
            raise ValueError("require_issued_tokens needs a token_checker")
        if config.customers < 0:
            raise ValueError("customers must be >= 0")
        # Validating normalises too (lower-case customer ids, tuples): keep that form.
        self.config = replace(config, **validate_knobs(config.knobs(), faults.known_kinds()))
        self.clock = clock
        self.dataset: Dataset = generate(config.customers, config.seed)
        self.customers: dict[str, Customer] = self.dataset.by_id()
        self.search = SearchIndex(self.dataset.customers)
        self.tokens = TokenCodec(config.token_secret or secret_for_seed(config.seed))
        self.stats = Stats()
        self.budget = MinuteBudget()
        # Separate from the data generator so faults never shift the data.
        self.dice = random.Random(f"faults:{config.seed}")  # noqa: S311 (reproducible, not secret)

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Validate and apply knob changes (JSON-shaped values); return all knobs."""
        valid = validate_knobs(changes, faults.known_kinds())
        for name, value in valid.items():
            setattr(self.config, name, value)
        return self.config.knobs()

    def authenticate(self, authorization: str | None) -> Principal | None:
        """Who an `Authorization` header speaks for, or None (answer 401)."""
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or token in self.config.refused_tokens:
            return None
        if self.config.token_checker is not None:
            return self.config.token_checker(token)
        return _any_bearer(token)


__all__ = ["Clock", "Emulator"]
