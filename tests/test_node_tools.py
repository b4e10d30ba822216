"""The node/Chromium helper: a missing browser skips on a developer's machine, fails on CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import node_tools


def test_missing_chromium_fails_when_ci_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(node_tools, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed"):
        node_tools.chromium()


def test_missing_chromium_skips_without_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(node_tools, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        node_tools.chromium()


def test_missing_npm_package_fails_naming_it() -> None:
    with pytest.raises(pytest.fail.Exception, match="no-such-package-here"):
        node_tools.node("no-such-package-here")
