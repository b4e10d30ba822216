"""`--busy-cpus`: keep every CPU of the machine from going idle while the bench runs.

A diagnostic, off by default. On the virtual machines we bench on, a CPU that idles between
two requests pays to wake up, and at concurrency 1 each process idles while it waits for
the other two: the façade's CPU per scenario-1 request nearly halved (4.2 → 2.4 ms) with
spinners at the lowest priority on both CPUs. They take only time nothing else wants, so
the figures show what the code costs on a CPU that stays awake, as on a loaded server.
Latency figures with and without it are not comparable; the JSON records which it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# Lowest priority: a spinner runs only when no bench process wants the CPU.
_NICENESS = 19


@contextmanager
def busy_cpus(enabled: bool) -> Iterator[list[int]]:
    """While the block runs, one lowest-priority spinner per CPU; yields their pids."""
    if not enabled:
        yield []
        return
    spinners = [
        subprocess.Popen(
            [sys.executable, "-c", f"import os\nos.nice({_NICENESS})\nwhile True: pass"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(os.cpu_count() or 1)
    ]
    try:
        yield [spinner.pid for spinner in spinners]
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


__all__ = ["busy_cpus"]
