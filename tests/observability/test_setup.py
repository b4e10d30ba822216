"""When tracing is on, and with which exporter: the standard OTEL_* variables decide."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphql_api.config import ConfigError
from graphql_api.observability import Tracing, exporters_from_env

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}


@pytest.mark.parametrize(
    ("env", "exporters"),
    [
        ({}, ()),
        (ENDPOINT, ("otlp",)),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, ("otlp",)),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, ("otlp",)),
        ({"OTEL_TRACES_EXPORTER": "console"}, ("console",)),
        ({"OTEL_TRACES_EXPORTER": "otlp, console"}, ("otlp", "console")),
        ({**ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, ()),
        ({**ENDPOINT, "OTEL_SDK_DISABLED": "true"}, ()),
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, ("otlp",)),
        # Only traces are this service's business.
        ({"OTEL_METRICS_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp"}, ()),
    ],
)
def test_tracing_is_off_unless_an_endpoint_or_an_exporter_is_named(
    env: dict[str, str], exporters: tuple[str, ...]
) -> None:
    assert exporters_from_env(env) == exporters


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"),
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        (
            {**ENDPOINT, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        ),
    ],
)
def test_an_exporter_or_protocol_not_shipped_stops_start_up_naming_the_variable(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        exporters_from_env(env)


def test_from_env_gives_no_tracing_when_nothing_asks() -> None:
    assert Tracing.from_env({}) is None


def test_serve_stops_at_start_up_naming_a_tracing_variable_it_cannot_honour() -> None:
    cli = str(Path(sys.executable).parent / "graphql-api")
    env = {**os.environ, **ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}

    finished = subprocess.run(
        [cli, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )

    assert finished.returncode == 2
    assert "OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf" in finished.stderr
