"""Benchmark: ``getBars`` latency for one ticker's full history, uncached and cached.

A real uvicorn serves the sample universe (5,031 daily bars per ticker). Uncached
requests use a different ``start`` each time (all before the first bar, so each returns
the full history but misses the cache); cached requests repeat one URL. Medians over
``ROUNDS`` requests each, measured alternately.

Run: ``python -m bench.api_data``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tests.live_server import running_server, wait_for_data

ROUNDS = 40
TICKER = "SP500"


def _timed_get(client: httpx.Client, url: str) -> tuple[float, bool]:
    started = time.perf_counter()
    reply = client.get(url)
    elapsed = time.perf_counter() - started
    reply.raise_for_status()
    body = reply.json()
    assert body["data"]["count"] == 5031
    return elapsed, bool(body["meta"]["cached"])


def run() -> list[dict[str, object]]:
    """One row: median getBars latency uncached vs cached (seconds)."""
    env = {"QE_LOG_LEVEL": "WARNING"}
    with (
        tempfile.TemporaryDirectory(prefix="qe-bench-") as home,
        running_server(Path(home), env) as server,
        httpx.Client(timeout=60) as client,
    ):
        wait_for_data(server)
        base = f"{server.base_url}/api/v1/data/tickers/{TICKER}/bars"
        cached_url = f"{base}?start=1990-01-01"
        _timed_get(client, cached_url)
        uncached, cached = [], []
        first_day = dt.date(1980, 1, 1)
        for round_number in range(ROUNDS):
            start = first_day + dt.timedelta(days=round_number)
            seconds, was_cached = _timed_get(client, f"{base}?start={start.isoformat()}")
            assert not was_cached
            uncached.append(seconds)
            seconds, was_cached = _timed_get(client, cached_url)
            assert was_cached
            cached.append(seconds)
    return [
        {
            "name": f"getBars {TICKER} full history (5,031 bars), cached, median (HTTP)",
            "seconds": statistics.median(cached),
            "reference": "same request uncached",
            "reference_seconds": statistics.median(uncached),
            "ratio": statistics.median(cached) / statistics.median(uncached),
        }
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
