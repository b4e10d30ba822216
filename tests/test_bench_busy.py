"""`python -m bench --busy-cpus`: its spinners run at the lowest priority, one per CPU, and stop."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench.busy import busy_cpus


def _niceness(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field, counted after the parenthesised command name.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


def test_spinners_run_one_per_cpu_at_the_lowest_priority_and_stop() -> None:
    with busy_cpus(True) as pids:
        assert len(pids) == (os.cpu_count() or 1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_niceness(pid) != 19 for pid in pids):
            time.sleep(0.05)  # each sets its own niceness as it starts
        assert [_niceness(pid) for pid in pids] == [19] * len(pids)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)


def test_nothing_is_started_when_not_asked() -> None:
    with busy_cpus(False) as pids:
        assert pids == []
