"""What the deploy kit's tests share: its files, the service's own names, and the system tools.

The kit (deploy/) is checked against the service itself, never against a copy of its names:
environment variables against the settings models' aliases, probe paths against the app's
routes, metric names against a live scrape.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import opentelemetry.sdk.environment_variables as otel_variables
import pytest
import yaml
from pydantic import BaseModel

from graphql_api.config import (
    AuthSettings,
    SchemaSettings,
    ServerSettings,
    SharedStateSettings,
    SpeedSettings,
    UpstreamSettings,
)
from tests.node_tools import ROOT, on_ci

DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
PROMETHEUS = DEPLOY / "prometheus"
GRAFANA = DEPLOY / "grafana"
COMPOSE_FILE = DEPLOY / "compose.yaml"
# Debian's packages; .ci/run installs them.
PROMTOOL = Path("/usr/bin/promtool")
DOCKER_COMPOSE = Path("/usr/bin/docker-compose")
# Variables the service reads outside its settings models: prometheus-client's own, and the
# standard OpenTelemetry ones the SDK reads (observability/tracing.py).
_OUTSIDE_THE_MODELS = frozenset({"PROMETHEUS_MULTIPROC_DIR"})


def system_tool(path: Path, package: str) -> Path:
    """A tool from a Debian package: skipped locally when absent, a failure on CI."""
    if not path.is_file():
        message = f"{path} is missing: apt-get install {package} (.ci/run does)"
        if on_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


def load_all(path: Path) -> list[dict[str, Any]]:
    """Every YAML document in `path` (empty documents left out)."""
    with path.open(encoding="utf-8") as stream:
        return [document for document in yaml.safe_load_all(stream) if document]


def load(path: Path) -> dict[str, Any]:
    """The one YAML document in `path`."""
    (document,) = load_all(path)
    return document


def service_variables() -> frozenset[str]:
    """Every environment variable the service reads."""
    names: set[str] = set(_OUTSIDE_THE_MODELS)
    model: type[BaseModel]
    for model in (
        UpstreamSettings,
        SharedStateSettings,
        ServerSettings,
        SchemaSettings,
        AuthSettings,
        SpeedSettings,
    ):
        names.update(field.alias for field in model.model_fields.values() if field.alias)
    names.update(
        value
        for name in dir(otel_variables)
        if name.startswith("OTEL_") and isinstance(value := getattr(otel_variables, name), str)
    )
    return frozenset(names)


def compose_config(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` of the kit's compose file, interpolated from `env` alone.

    Debian's docker-compose validates and resolves the file with no Docker engine.
    """
    tool = system_tool(DOCKER_COMPOSE, "docker-compose")
    return subprocess.run(
        [str(tool), "--file", str(COMPOSE_FILE), "config"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def compose_services(env: Mapping[str, str]) -> dict[str, Any]:
    """The compose file's services, as `docker-compose config` resolves them with `env`."""
    resolved = compose_config(env)
    assert resolved.returncode == 0, resolved.stderr
    services: dict[str, Any] = yaml.safe_load(resolved.stdout)["services"]
    return services


# -- PromQL: which series an expression reads ------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_RANGE = re.compile(r"\[[^\]]*\]")
# A label value may hold braces (a route template): the body skips over quoted strings.
_SELECTOR = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{((?:[^}"]|"(?:[^"\\]|\\.)*")*)\}')
_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')
_IDENTIFIER = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b")
_NUMBER_OR_DURATION = re.compile(r"\b\d+(\.\d+)?([smhdwy]|ms)?\b")
# PromQL's functions, aggregations and keywords the kit's expressions use.
_PROMQL_WORDS = frozenset(
    {
        "sum", "max", "min", "avg", "count", "rate", "irate", "increase", "histogram_quantile",
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
        "unless", "bool", "offset", "clamp_min", "clamp_max", "max_over_time",
        "min_over_time", "avg_over_time", "topk", "bottomk", "abs", "vector", "scalar",
        "time", "inf", "nan", "Inf", "NaN",
    }
)


class Selector:
    """One series selector of an expression: a metric name and its label matchers."""

    def __init__(self, metric: str, matchers: list[tuple[str, str, str]]) -> None:
        self.metric = metric
        self.matchers = matchers

    def __repr__(self) -> str:
        return f"Selector({self.metric!r}, {self.matchers!r})"


def selectors(expression: str) -> tuple[list[Selector], set[str]]:
    """The series selectors of a PromQL expression, and the labels it groups by."""
    grouped = {
        label.strip()
        for _, labels in _GROUPING.findall(expression)
        for label in labels.split(",")
        if label.strip()
    }
    text = _RANGE.sub(" ", _GROUPING.sub(" ", expression))
    found: list[Selector] = []
    for metric, body in _SELECTOR.findall(text):
        found.append(Selector(metric, [m for m in _MATCHER.findall(body)]))
    bare = _SELECTOR.sub(" ", text)
    bare = _NUMBER_OR_DURATION.sub(" ", _STRING.sub(" ", bare))
    for word in _IDENTIFIER.findall(bare):
        if word not in _PROMQL_WORDS:
            found.append(Selector(word, []))
    return found, grouped


__all__ = [
    "COMPOSE_FILE",
    "DEPLOY",
    "DOCKER_COMPOSE",
    "GRAFANA",
    "KUBERNETES",
    "PROMETHEUS",
    "PROMTOOL",
    "Selector",
    "compose_config",
    "compose_services",
    "load",
    "load_all",
    "selectors",
    "service_variables",
    "system_tool",
]
