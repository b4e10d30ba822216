"""deploy/prometheus/alerts.yaml under promtool (Debian's prometheus package).

`promtool test rules` runs alerts.test.yaml: each alert fires on a bad hour of series shaped
like the service's /metrics, and none fires on a healthy one (test_metric_names.py checks the
series' shape against a live scrape).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.deploy.kit import PROMETHEUS, PROMTOOL, load, system_tool

# What the issue asks the rules to watch, by alert name.
EXPECTED_ALERTS = {
    "PartnerCenterThrottling",  # Partner Center's 429s
    "ThrottledAnswers",  # THROTTLED answers to callers
    "CallBudgetRefusing",  # the call budget running dry: calls not sent
    "CallBudgetRunningDry",  # ... and nearly empty for long
    "RedisFallback",
    "ServerErrors",  # 5xx
    "FailedAnswers",
    "PartnerCenterErrors",
    "LatencyP99High",
    "NotReady",
    "ReplicaDown",
}


def _promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    tool = system_tool(PROMTOOL, "prometheus")
    return subprocess.run(
        [str(tool), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _alert_names() -> list[str]:
    rules = load(PROMETHEUS / "alerts.yaml")
    return [rule["alert"] for group in rules["groups"] for rule in group["rules"]]


def test_the_rules_are_the_ones_asked_for() -> None:
    assert sorted(_alert_names()) == sorted(EXPECTED_ALERTS)


def test_promtool_accepts_the_rules() -> None:
    checked = _promtool("check", "rules", "alerts.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_unit_tests_pass() -> None:
    tested = _promtool("test", "rules", "alerts.test.yaml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_is_tested_firing_and_quiet() -> None:
    tests = load(PROMETHEUS / "alerts.test.yaml")
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in tests["tests"]:
        for check in case["alert_rule_test"]:
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert firing == quiet == set(_alert_names())


def test_every_alert_says_how_bad_and_what_happened() -> None:
    rules = load(PROMETHEUS / "alerts.yaml")
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"info", "warning", "critical"}
            assert rule["annotations"]["summary"]
            assert rule["annotations"]["description"]


def test_promtool_catches_a_failing_expectation(tmp_path: Path) -> None:
    # The unit tests can fail: an alert expected where none fires is reported.
    original = (PROMETHEUS / "alerts.test.yaml").read_text()
    broken = original.replace(
        "{eval_time: 30m, alertname: RedisFallback, exp_alerts: []}",
        "{eval_time: 30m, alertname: RedisFallback, exp_alerts: [{exp_labels: {}}]}",
    )
    assert broken != original
    shutil.copy(PROMETHEUS / "alerts.yaml", tmp_path / "alerts.yaml")
    (tmp_path / "alerts.test.yaml").write_text(broken)
    tested = _promtool("test", "rules", "alerts.test.yaml", cwd=tmp_path)
    assert tested.returncode != 0
    assert "RedisFallback" in tested.stdout + tested.stderr
