"""Benchmark: ``getQuickStatus`` latency with a year of status history stored, idle and
while two CPU-heavy training jobs run, with the event loop's lag alongside.

The app runs in this process (ASGI, its lifespan driven here) so a probe coroutine on the
same event loop measures how late the loop wakes up. The home holds the sample universe,
a small champion with scored signals, and one year of snapshots every 300 s for the
eight components (~840,000 rows in ``state/health.db``). The reference is the same
request with the runner idle; the busy run trains two large LightGBM models
(2,000 trees, 5 years, 4 folds) at once, cancelled once the measurement ends.

Run: ``python -m bench.health``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from quant_engine.data import Store, materialize_sample
from quant_engine.tracking import TrackingDatabase
from quant_engine.tracking.history import HISTORY_SCHEMA

REQUESTS = 200
PROBE_INTERVAL = 0.005
SNAPSHOT_SECONDS = 300
COMPONENTS = (
    "data_freshness",
    "model_age",
    "ic_trend",
    "disagreement",
    "job_queue",
    "disk",
    "registry",
    "cache",
)
HEAVY_TRAINING = {"years": 5, "folds": 4, "lightgbm": {"n_estimators": 2000}}
API = "http://bench/api/v1"


def _seed_history(state_dir: Path, now: dt.datetime) -> int:
    """One year of snapshots, written in bulk (the service writes one per transaction)."""
    database = TrackingDatabase(state_dir / "health.db", HISTORY_SCHEMA)
    count = 365 * 86_400 // SNAPSHOT_SECONDS
    rng = np.random.default_rng(0)
    rows: list[tuple[str, str, str, float, str]] = []
    for index in range(count):
        at = (now - dt.timedelta(seconds=SNAPSHOT_SECONDS * (count - index))).isoformat(
            timespec="microseconds"
        )
        rows.extend((at, name, "ok", float(rng.normal()), "seeded") for name in COMPONENTS)
    with database.transaction(write=True) as connection:
        connection.executemany(
            "INSERT INTO snapshots (at, component, status, value, message) VALUES (?,?,?,?,?)",
            rows,
        )
    return len(rows)


async def _wait(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    while True:
        job: dict[str, Any] = (await client.get(f"{API}/jobs/{job_id}")).json()["data"]
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.1)


async def _submit(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> str:
    reply = await client.post(f"{API}{path}", json=body)
    reply.raise_for_status()
    return str(reply.json()["data"]["job_id"])


async def _probe(until: asyncio.Event) -> list[float]:
    lags: list[float] = []
    while not until.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(PROBE_INTERVAL)
        lags.append(time.perf_counter() - asked - PROBE_INTERVAL)
    return lags


async def _status_latencies(client: httpx.AsyncClient) -> tuple[list[float], list[float]]:
    done = asyncio.Event()
    probe = asyncio.create_task(_probe(done))
    seconds: list[float] = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        reply = await client.get(f"{API}/health/status")
        seconds.append(time.perf_counter() - started)
        reply.raise_for_status()
        await asyncio.sleep(0.01)
    done.set()
    return seconds, await probe


async def _measure(home: Path) -> dict[str, Any]:
    settings = Settings(home=home, auto_import=False, log_level="WARNING")
    rows = _seed_history(settings.state_dir, dt.datetime.now(dt.UTC))
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, timeout=120) as client,
    ):
        small = {"years": 2, "folds": 2, "lightgbm": {"n_estimators": 15}, "end": "2018-06-29"}
        await _wait(client, await _submit(client, "/models/train", small))
        await _wait(client, await _submit(client, "/signals/generate", {"as_of": "2018-09-04"}))
        await _status_latencies(client)  # warm up
        idle, idle_lag = await _status_latencies(client)
        jobs = [
            await _submit(client, "/models/train", {**HEAVY_TRAINING, "seed": seed})
            for seed in (1, 2)
        ]
        await asyncio.sleep(3.0)  # both past loading, into boosting
        busy, busy_lag = await _status_latencies(client)
        running = [(await client.get(f"{API}/jobs/{job}")).json()["data"]["status"] for job in jobs]
        for job in jobs:
            await client.post(f"{API}/jobs/{job}/cancel")
        for job in jobs:
            await _wait(client, job)
    return {
        "rows": rows,
        "idle": idle,
        "busy": busy,
        "idle_lag": idle_lag,
        "busy_lag": busy_lag,
        "running": running,
    }


def run() -> list[dict[str, object]]:
    """Rows: getQuickStatus median and p99 loop lag, busy vs idle (seconds)."""
    with tempfile.TemporaryDirectory(prefix="qe-bench-health-") as folder:
        home = Path(folder) / "home"
        materialize_sample(Store(home / "store"))
        result = asyncio.run(_measure(home))
    running = ", ".join(result["running"])
    idle, busy = statistics.median(result["idle"]), statistics.median(result["busy"])
    idle_lag = float(np.percentile(result["idle_lag"], 99))
    busy_lag = float(np.percentile(result["busy_lag"], 99))
    return [
        {
            "name": (
                f"getQuickStatus median, {result['rows']:,} snapshot rows, "
                f"2 trainings running ({running})"
            ),
            "seconds": busy,
            "reference": "same request, runner idle",
            "reference_seconds": idle,
            "ratio": busy / idle,
        },
        {
            "name": "event-loop lag p99 during those requests",
            "seconds": busy_lag,
            "reference": "same probe, runner idle",
            "reference_seconds": idle_lag,
            "ratio": busy_lag / max(idle_lag, 1e-9),
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
