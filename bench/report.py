"""Benchmark output: a table on stdout, a JSON file and a PNG chart under bench/results/."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from bench.scenarios import Cell


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = int(line.split()[1]) / 2**20
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _note(cell: Cell) -> str:
    extra = cell.extra
    if "p50_ratio_to_floor" in extra:
        return (
            f"floor p50 {extra['floor_p50_ms']:.2f} ms, x{extra['p50_ratio_to_floor']:.2f}, "
            f"+{extra['added_p50_ms']:.2f} ms; floor CPU {extra['floor_cpu_ms']:.2f} ms"
        )
    if "p50_ratio_to_bound" in extra:
        if cell.concurrency == 1:
            return (
                f"critical-path bound {extra['bound_ms']:.0f} ms, "
                f"x{extra['p50_ratio_to_bound']:.2f}"
            )
        return (
            f"cap bound {extra['bound_rps']:.2f} rps, reached "
            f"{extra['rps_share_of_bound'] * 100:.0f}%"
        )
    if "upstream_pages" in extra:
        return (
            f"{extra['upstream_pages']:.0f} upstream pages, "
            f"{extra['incomplete_walks']:.0f} incomplete walks"
        )
    return ""


def table(cells: list[Cell]) -> str:
    """The figures as a fixed-width text table."""
    header = (
        f"{'scenario':<10} {'conc':>4} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'calls/req':>9} {'min':>5} {'errors':>6} {'RSS MB':>7} {'CPU ms':>7}  notes"
    )
    lines = [header, "-" * len(header)]
    for cell in cells:
        f = cell.figures
        lines.append(
            f"{cell.scenario:<10} {cell.concurrency:>4} {f.rps:>8.1f} {f.p50_ms:>8.2f} "
            f"{f.p95_ms:>8.2f} {f.p99_ms:>8.2f} {f.upstream_calls_per_request:>9.2f} "
            f"{cell.min_upstream_calls:>5.0f} {f.errors:>6} {cell.peak_rss_mb:>7.1f} "
            f"{f.server_cpu_ms_per_request:>7.2f}  {_note(cell)}"
        )
    return "\n".join(lines)


def write_json(cells: list[Cell], directory: Path, settings: dict[str, Any]) -> Path:
    """bench/results/bench-<time>.json and latest.json; returns the former."""
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "settings": settings,
        "cells": [cell.as_dict() for cell in cells],
    }
    text = json.dumps(document, indent=2)
    path = directory / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(text)
    (directory / "latest.json").write_text(text)
    return path


def write_chart(cells: list[Cell], path: Path) -> Path:
    """A PNG: p50 latency (with the REST floor where there is one) and rps per cell."""
    import matplotlib

    matplotlib.use("Agg")  # no display here
    import matplotlib.pyplot as plt

    labels = [f"{c.scenario}\nc={c.concurrency}" for c in cells]
    positions = list(range(len(cells)))
    fig, (latency, rps) = plt.subplots(2, 1, figsize=(max(8, len(cells) * 0.9), 8))
    latency.bar(positions, [c.figures.p50_ms for c in cells], label="GraphQL p50")
    latency.bar(
        positions,
        [c.floor.p50_ms if c.floor else 0.0 for c in cells],
        width=0.4,
        label="REST floor p50",
    )
    latency.set_yscale("log")
    latency.set_ylabel("ms (log)")
    latency.set_title("Latency p50 per request (scenario 3: per whole walk)")
    latency.legend()
    rps.bar(positions, [c.figures.rps for c in cells])
    rps.set_yscale("log")
    rps.set_ylabel("requests/s (log)")
    rps.set_title("Throughput, closed loop")
    for axis in (latency, rps):
        axis.set_xticks(positions, labels, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


__all__ = ["machine", "table", "write_chart", "write_json"]
