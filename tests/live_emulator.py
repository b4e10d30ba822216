"""A live emulator for tests: served over real HTTP, with its state and a clock tests may move."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql_api.emulator import Emulator, EmulatorConfig, create_emulator_app
from tests.live_server import live_server


class ShiftedClock:
    """Wall-clock time plus an offset a test may move forward (token expiry, budgets)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class LiveEmulator:
    """An emulator server: its URL, live state and clock."""

    url: str
    state: Emulator
    clock: ShiftedClock
    defaults: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Default knobs, zero counters, unshifted clock."""
        self.state.configure(**self.defaults)
        self.state.stats.reset()
        self.clock.offset = 0.0

    def calls(self, route: str | None = None) -> int:
        """Upstream calls counted since the last reset (all routes when `route` is None)."""
        snapshot = self.state.stats.snapshot()
        return int(snapshot["total"] if route is None else snapshot[route])

    @property
    def customers(self) -> list[Any]:
        """The emulator's customers, in upstream order."""
        return list(self.state.dataset.customers)


def serve_emulator(customers: int, seed: int) -> Iterator[LiveEmulator]:
    """Serve an emulator with `customers` customers for `seed` until the generator closes."""
    clock = ShiftedClock()
    app = create_emulator_app(EmulatorConfig(customers=customers, seed=seed), clock=clock)
    state: Emulator = app.state.emulator
    with live_server(app) as url:
        yield LiveEmulator(url, state, clock, state.config.knobs())


def reset_around(emulator: LiveEmulator) -> Iterator[LiveEmulator]:
    """`emulator` reset before and after a test, for a function fixture over a module one."""
    emulator.reset()
    yield emulator
    emulator.reset()
