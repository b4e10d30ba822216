"""`graphql-api serve` workers run with the collector set for serving (collector.py)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

from graphql_api.web.collector import YOUNG_THRESHOLD, tune_for_serving

_PROBE = """
import gc, json
from graphql_api.web.app import app_from_env
before = gc.get_freeze_count()
app_from_env()
after, threshold = gc.get_freeze_count(), gc.get_threshold()
print(json.dumps({"before": before, "after": after, "threshold": threshold}))
"""


def test_the_serving_factory_freezes_start_up_objects_and_raises_the_young_threshold() -> None:
    # A fresh interpreter: the factory changes process-wide state, not the test runner's.
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PATH": "/usr/bin:/bin", "CURSOR_SECRET": "collector-test-cursor-secret"},
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["before"] == 0
    # The schema and the modules behind it: tens of thousands of objects.
    assert probe["after"] > 10_000
    assert probe["threshold"][0] == YOUNG_THRESHOLD


def test_tune_for_serving_keeps_the_older_generations_thresholds() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 7, 9)
        tune_for_serving()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 7, 9)
    finally:
        gc.unfreeze()
        gc.set_threshold(*saved)
