"""Benchmark: end-to-end ``priceOptionBatch`` of 10,000 options against the transport floor.

Both servers are real uvicorn processes on 127.0.0.1: the service (auth off, no data
import) and ``bench.echo_app``, which only parses and echoes an equally large JSON body.
Requests alternate between the two so both see the same machine state; each side reports
its median over ``ROUNDS`` requests.

Run: ``python -m bench.api_pricing``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from tests.live_server import free_port, running_server

OPTIONS = 10_000
ROUNDS = 15
SEED = 7


def batch_body(count: int = OPTIONS, seed: int = SEED) -> bytes:
    """A ``priceOptionBatch`` body of ``count`` random in-domain Black–Scholes options."""
    rng = np.random.default_rng(seed)
    options = [
        {
            "spot": round(float(rng.uniform(50, 150)), 4),
            "strike": round(float(rng.uniform(50, 150)), 4),
            "time_to_expiry": round(float(rng.uniform(0.02, 3)), 4),
            "rate": round(float(rng.uniform(0, 0.08)), 4),
            "volatility": round(float(rng.uniform(0.05, 0.9)), 4),
            "dividend_yield": round(float(rng.uniform(0, 0.04)), 4),
            "option_type": "call" if rng.random() < 0.5 else "put",
        }
        for _ in range(count)
    ]
    return json.dumps({"options": options}).encode()


def _echo_server(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.echo_app:app", "--port", str(port),
         "--log-level", "warning"],
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip


def _wait_up(client: httpx.Client, url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            client.post(url, content=b"{}")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _timed_post(client: httpx.Client, url: str, body: bytes) -> float:
    started = time.perf_counter()
    reply = client.post(url, content=body, headers={"Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    reply.raise_for_status()
    return elapsed


def run() -> list[dict[str, object]]:
    """One row: median seconds of the service vs the echo floor, alternating requests."""
    body = batch_body()
    port = free_port()
    echo = _echo_server(port)
    echo_url = f"http://127.0.0.1:{port}/"
    env = {"QE_AUTO_IMPORT": "0", "QE_LOG_LEVEL": "WARNING"}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="qe-bench-") as home,
            running_server(Path(home), env) as server,
            httpx.Client(timeout=120) as client,
        ):
            service_url = f"{server.base_url}/api/v1/pricing/batch"
            _wait_up(client, echo_url)
            for _ in range(2):  # warm both up
                _timed_post(client, service_url, body)
                _timed_post(client, echo_url, body)
            ours, floor = [], []
            for _ in range(ROUNDS):
                ours.append(_timed_post(client, service_url, body))
                floor.append(_timed_post(client, echo_url, body))
    finally:
        echo.terminate()
        echo.wait(timeout=10)
    service_seconds, floor_seconds = statistics.median(ours), statistics.median(floor)
    return [
        {
            "name": f"priceOptionBatch, {OPTIONS:,} options, median of {ROUNDS} (HTTP)",
            "seconds": service_seconds,
            "reference": "bare ASGI JSON echo of the same body",
            "reference_seconds": floor_seconds,
            "ratio": service_seconds / floor_seconds,
        }
    ]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    for row in run():
        print(row)
