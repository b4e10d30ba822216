"""docs/configuration.md against the settings models: every variable, with its default."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from graphql_api.config import (
    AuthSettings,
    SchemaSettings,
    ServerSettings,
    SharedStateSettings,
    SpeedSettings,
    UpstreamSettings,
)

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", re.M)
# Variables read outside the settings models (prometheus-client reads this one itself).
_OUTSIDE_THE_MODELS = {"PROMETHEUS_MULTIPROC_DIR"}
# Unset means something the reference says in words: the embedded emulator.
_DEFAULT_IN_WORDS = {"PARTNER_CENTER_URL"}


def _documented() -> dict[str, str]:
    return {name: default.strip() for name, default in _ROW.findall(REFERENCE.read_text())}


def _variables() -> dict[str, Any]:
    """Each environment variable of the settings models, with its default."""
    found: dict[str, Any] = {}
    model: type[BaseModel]
    for model in (
        UpstreamSettings,
        SharedStateSettings,
        ServerSettings,
        SchemaSettings,
        AuthSettings,
        SpeedSettings,
    ):
        for field in model.model_fields.values():
            if field.alias is not None:
                found[field.alias] = field.default
    return found


def test_every_variable_of_the_settings_is_documented() -> None:
    missing = set(_variables()) - set(_documented())
    assert not missing, f"not in docs/configuration.md: {sorted(missing)}"


def test_every_documented_variable_is_a_setting() -> None:
    unknown = set(_documented()) - set(_variables()) - _OUTSIDE_THE_MODELS
    assert not unknown, f"documented but read by no settings model: {sorted(unknown)}"


def _shown(default: Any) -> str | None:
    """How the reference writes a plain default, or None when it describes it in words."""
    if default is None or default is PydanticUndefined or default in ((), frozenset()):
        return None
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


_LITERAL_DEFAULTS = {
    name: shown
    for name, default in _variables().items()
    if name not in _DEFAULT_IN_WORDS and (shown := _shown(default)) is not None
}


@pytest.mark.parametrize("variable", sorted(_LITERAL_DEFAULTS))
def test_each_documented_default_is_the_models(variable: str) -> None:
    assert _documented().get(variable) == _LITERAL_DEFAULTS[variable]
