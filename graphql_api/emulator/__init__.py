"""The Partner Center customers API emulator: real HTTP, deterministic data, injectable faults.

    from graphql_api.emulator import EmulatorConfig, create_emulator_app

    app = create_emulator_app(EmulatorConfig(customers=200, seed=7))
    app.state.emulator.configure(error_rate=0.1)   # change knobs while it runs
    app.state.emulator.stats.snapshot()            # calls per route

It shares no code with the REST client in `graphql_api.partner_center`: a bug they shared
would hide itself in every test.
"""

from graphql_api.emulator.app import create_emulator_app
from graphql_api.emulator.config import KNOBS, EmulatorConfig, Principal, TokenChecker
from graphql_api.emulator.data import Dataset, generate
from graphql_api.emulator.faults import FAULTS, fault
from graphql_api.emulator.state import Emulator

__all__ = [
    "FAULTS",
    "KNOBS",
    "Dataset",
    "Emulator",
    "EmulatorConfig",
    "Principal",
    "TokenChecker",
    "create_emulator_app",
    "fault",
    "generate",
]
