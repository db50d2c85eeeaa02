"""Shared benchmark plumbing: time callables, print a table, write benchmarks/results/<name>.json.

Every figure is the median of repeated runs, in milliseconds unless its key says otherwise, so
results from different runs and machines compare key by key.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def median_ms(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of `fn()` in milliseconds over `repeats` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def report(name: str, results: dict[str, float | int | str], notes: str = "") -> Path:
    """Print `results` as a two-column table and write them to results/<name>.json."""
    width = max((len(key) for key in results), default=10)
    print(f"\n{name}")
    print("-" * (width + 16))
    for key, value in results.items():
        shown = f"{value:12.3f}" if isinstance(value, float) else f"{value!s:>12}"
        print(f"{key:<{width}}  {shown}")
    if notes:
        print(notes)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"results": results, "machine": machine(), "notes": notes}
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    print(f"wrote {path}")
    return path
