"""Benchmark: event-loop lag while two CPU-heavy jobs run in the job runner.

A probe coroutine asks to sleep ``PROBE_INTERVAL`` seconds over and over and records how
late it wakes up. It runs once with the runner idle (the reference) and once while two
jobs each price 400 American options (with greeks) on a 1,000-step binomial tree in worker threads.
A runner that blocked the loop (job work on the loop, or holding the GIL in long
pure-Python sections) shows up as a large p99 lag.

Run: ``python -m bench.loop_lag``.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from quant_engine.core.tasks import TaskSupervisor
from quant_engine.jobs import CancelToken, JobRunner, JobStore, ProgressReporter
from quant_engine.pricing import OptionBatch, price_options

PROBE_INTERVAL = 0.005  # seconds the probe asks to sleep
OPTIONS_PER_JOB = 400
STEPS = 1_000
CHUNK = 50  # options priced between two cancellation checks


def _heavy_job(
    params: Mapping[str, Any], token: CancelToken, progress: ProgressReporter
) -> Mapping[str, Any]:
    rng = np.random.default_rng(int(params["seed"]))
    total = 0.0
    for start in range(0, OPTIONS_PER_JOB, CHUNK):
        token.raise_if_cancelled()
        batch = OptionBatch.create(
            spot=rng.uniform(80, 120, CHUNK),
            strike=rng.uniform(80, 120, CHUNK),
            time_to_expiry=rng.uniform(0.1, 2.0, CHUNK),
            volatility=rng.uniform(0.1, 0.5, CHUNK),
            rate=0.03,
            is_call=False,
            is_american=True,
        )
        total += float(price_options(batch, "binomial", {"steps": STEPS}).price.sum())
        progress((start + CHUNK) / OPTIONS_PER_JOB, f"{start + CHUNK} options")
    return {"total": total}


async def _probe(until: asyncio.Event) -> list[float]:
    lags: list[float] = []
    while not until.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(PROBE_INTERVAL)
        lags.append(time.perf_counter() - asked - PROBE_INTERVAL)
    return lags


def _p99(values: list[float]) -> float:
    return float(np.percentile(values, 99))


async def _measure(home: Path) -> tuple[list[float], list[float], float]:
    runner = JobRunner(
        JobStore(home / "jobs.sqlite3"),
        {"heavy": _heavy_job},
        max_concurrent=2,
        max_queued=10,
        supervisor=TaskSupervisor(),
    )
    await runner.start()
    idle_done = asyncio.Event()
    idle_task = asyncio.create_task(_probe(idle_done))
    await asyncio.sleep(2.0)
    idle_done.set()
    idle = await idle_task

    busy_done = asyncio.Event()
    busy_task = asyncio.create_task(_probe(busy_done))
    started = time.perf_counter()
    jobs = [await runner.submit("heavy", {"seed": seed}, None) for seed in (1, 2)]
    while True:
        records = [await runner.get(job.job_id) for job in jobs]
        if all(record.is_terminal for record in records):
            break
        await asyncio.sleep(0.05)
    busy_done.set()
    busy = await busy_task
    runner.store.close()
    return idle, busy, time.perf_counter() - started


def run() -> list[dict[str, object]]:
    """Rows: p99 loop lag idle vs with two heavy jobs running (seconds)."""
    with tempfile.TemporaryDirectory(prefix="qe-lag-") as home:
        idle, busy, busy_seconds = asyncio.run(_measure(Path(home)))
    return [
        {
            "name": f"event-loop lag p99, 2 binomial jobs running ({busy_seconds:.1f} s)",
            "seconds": _p99(busy),
            "reference": "same probe, runner idle",
            "reference_seconds": _p99(idle),
            "ratio": _p99(busy) / max(_p99(idle), 1e-9),
        },
        {
            "name": "event-loop lag median, 2 binomial jobs running",
            "seconds": statistics.median(busy),
            "reference": "same probe, runner idle",
            "reference_seconds": statistics.median(idle),
            "ratio": statistics.median(busy) / max(statistics.median(idle), 1e-9),
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
