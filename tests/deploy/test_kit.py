"""The deploy kit's test helpers: the CI convention for missing tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.kit import service_variables, system_tool


def test_a_missing_tool_fails_on_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "promtool"
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install prometheus"):
        system_tool(missing, "prometheus")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        system_tool(missing, "prometheus")


def test_the_services_variables_hold_settings_and_the_standard_otel_ones() -> None:
    names = service_variables()
    assert {"CURSOR_SECRET", "REDIS_URL", "AZURE_CLIENT_SECRET", "SHUTDOWN_TIMEOUT"} <= names
    assert {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"} <= names
    assert "CURSOR_SECRETS" not in names
