"""The service itself for tests: built from settings, served over real HTTP by uvicorn."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from graphql_api.config import Settings
from graphql_api.partner_center import Clocks
from graphql_api.web.app import create_app
from tests.live_server import live_server


@contextmanager
def live_service(env: Mapping[str, str], *, clocks: Clocks | None = None) -> Iterator[httpx.Client]:
    """The service configured by `env` (as from the environment), on `clocks` (None: the real
    ones), and a client bound to it."""
    settings = Settings.from_env(dict(env))
    app = create_app(settings, clocks=clocks)
    with live_server(app) as base, httpx.Client(base_url=base) as client:
        yield client
