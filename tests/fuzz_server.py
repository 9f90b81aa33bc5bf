"""``make fuzz``: schemathesis CLI against a real uvicorn on 127.0.0.1.

Auth is switched on and schemathesis sends a token holding every scope, so the
``ignored_auth`` check also verifies the 401 answers. Every check runs (``--checks all``),
including the stateful phase; any finding fails the run.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import jwt

from tests.live_server import REPO_ROOT, running_server, wait_for_data

FUZZ_SECRET = "fuzzing-secret-that-is-long-enough-for-hs256-0123456789"
FUZZ_ENV = {"QE_JWT_SECRET": FUZZ_SECRET, "QE_ENV": "prod"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=60)
    parser.add_argument("--port", type=int, default=0, help="unused; a free port is chosen")
    args = parser.parse_args()
    now = int(time.time())
    token = jwt.encode(
        {"sub": "fuzzer", "scope": "read compute admin", "iat": now, "exp": now + 3 * 3600},
        FUZZ_SECRET,
        algorithm="HS256",
    )
    st = Path(sys.executable).with_name("st")
    with (
        tempfile.TemporaryDirectory(prefix="qe-fuzz-") as home,
        running_server(Path(home), FUZZ_ENV) as server,
    ):
        # The sample universe is imported at first start; fuzz the steady state, with two
        # small trained versions and signals so the model operations have data to find.
        headers = {"Authorization": f"Bearer {token}"}
        wait_for_data(server, headers)
        backtest_id = seed_research(server.base_url, headers)
        ab_test_id = seed_ab_test(server.base_url, headers)
        seed_autopilot(server.base_url, headers)
        command = [
            str(st),
            "--config-file",
            str(fuzz_config(Path(home), backtest_id, ab_test_id)),
            "run",
            f"{server.base_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(args.examples),
            "--seed",
            "1",
            "--continue-on-failure",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--header",
            f"Authorization: Bearer {token}",
            "--no-color",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(Path(home) / "events.ndjson"),
        ]
        with JobReaper(server.base_url, headers):
            result = subprocess.run(command, check=False, env={**os.environ, "NO_COLOR": "1"})
        if result.returncode != 0:
            print("\n--- server log ---\n" + server.log_text()[-20000:], file=sys.stderr)
        events = Path(home) / "events.ndjson"
        if events.is_file():
            print(engine_reach_table(engine_reach(events.read_text().splitlines())))
        return result.returncode


SEED_TRAINING = {"years": 2, "folds": 2, "lightgbm": {"n_estimators": 15}}
SEED_BACKTEST = {
    "years": 2,
    "walk_forward": {"retrain_every": 126, "min_train_days": 252, "lightgbm": {"n_estimators": 10}},
}
JOB_DEADLINE_SECONDS = 120.0


def _finish(base_url: str, headers: dict[str, str], reply: httpx.Response) -> dict[str, Any]:
    """Wait for the job ``reply`` submitted; raise unless it succeeded; returns the job."""
    job_id = reply.json()["data"]["job_id"]
    deadline = time.monotonic() + JOB_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        job = httpx.get(f"{base_url}/api/v1/jobs/{job_id}", headers=headers, timeout=10).json()
        if job["data"]["status"] in {"succeeded", "failed", "cancelled"}:
            if job["data"]["status"] != "succeeded":
                raise RuntimeError(f"seeding job failed: {job['data']}")
            return dict(job["data"])
        time.sleep(0.2)
    raise RuntimeError(f"seeding job {job_id} did not finish")


def seed_research(base_url: str, headers: dict[str, str]) -> str:
    """Train two small versions (v1 champion, v2 challenger, so there is something to
    promote), generate signals of both and run one short walk-forward backtest;
    returns the backtest's id."""
    for seed in (0, 1):
        train = httpx.post(
            f"{base_url}/api/v1/models/train",
            json={**SEED_TRAINING, "seed": seed},
            headers=headers,
            timeout=30,
        )
        _finish(base_url, headers, train)
    # the newest set of the champion, and sets of both versions whose labels have matured,
    # so the tracking operations have IC and disagreement points to answer with
    for body in (
        {},
        {"version": "v1", "as_of": "2018-10-01"},
        {"version": "v2", "as_of": "2018-10-01"},
    ):
        signals = httpx.post(
            f"{base_url}/api/v1/signals/generate", json=body, headers=headers, timeout=30
        )
        _finish(base_url, headers, signals)
    backtest = httpx.post(
        f"{base_url}/api/v1/backtests", json=SEED_BACKTEST, headers=headers, timeout=30
    )
    return str(_finish(base_url, headers, backtest)["result"]["backtest_id"])


def seed_autopilot(base_url: str, headers: dict[str, str]) -> None:
    """One autopilot cycle without training (the champion signals, the paper account opens
    and places orders), so the paper operations have an account to answer with."""
    reply = httpx.post(
        f"{base_url}/api/v1/autopilot/run",
        json={"skip": ["train", "governance"]},
        headers=headers,
        timeout=30,
    )
    _finish(base_url, headers, reply)


def seed_ab_test(base_url: str, headers: dict[str, str]) -> str:
    """An A/B test of the two seeded versions; returns its id."""
    reply = httpx.post(
        f"{base_url}/api/v1/ab-tests",
        json={
            "name": "seed",
            "arms": [{"version": "v1", "weight": 0.5}, {"version": "v2", "weight": 0.5}],
        },
        headers=headers,
        timeout=30,
    )
    if reply.status_code != 201:
        raise RuntimeError(f"seeding the A/B test failed: {reply.text}")
    return str(reply.json()["data"]["test_id"])


def fuzz_config(home: Path, backtest_id: str, ab_test_id: str) -> Path:
    """schemathesis.toml plus the seeded backtest's and A/B test's ids as dictionaries of
    real ids (half of the generated ids), so their operations are reached past 404."""
    config = home / "schemathesis.toml"
    config.write_text(
        (REPO_ROOT / "schemathesis.toml").read_text()
        + f"""
[dictionaries.backtest-ids]
values = ["{backtest_id}"]

[[operations]]
include-operation-id = ["getBacktest", "getBacktestEquity", "listBacktestTrades", "deleteBacktest"]
parameters = {{ "path.backtest_id" = {{ dictionary = "backtest-ids", probability = 0.5 }} }}

[dictionaries.ab-test-ids]
values = ["{ab_test_id}"]

[[operations]]
include-operation-id = ["getAbTest", "stopAbTest"]
parameters = {{ "path.test_id" = {{ dictionary = "ab-test-ids", probability = 0.5 }} }}
"""
    )
    return config


HEAVY_JOBS = ("train", "backtest", "autopilot")


class JobReaper:
    """Cancels every training, backtest and autopilot cycle the fuzzer submits, about
    once a second.

    The fuzzer draws valid but heavy trainings (up to 2,000 trees over 15 years); left to
    run they would hold the job slots for minutes, and every event stream the stateful
    phase opens on a job queued behind them would wait as long. Cancelling them keeps the
    run short and exercises cancellation of running trainings under load.
    """

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self._base_url = base_url
        self._headers = headers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-reaper", daemon=True)

    def __enter__(self) -> JobReaper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            for status, job_type in itertools.product(("running", "queued"), HEAVY_JOBS):
                try:
                    page = httpx.get(
                        f"{self._base_url}/api/v1/jobs",
                        params={"status": status, "job_type": job_type, "limit": 100},
                        headers=self._headers,
                        timeout=10,
                    ).json()
                    for job in page["data"]["items"]:
                        httpx.post(
                            f"{self._base_url}/api/v1/jobs/{job['job_id']}/cancel",
                            headers=self._headers,
                            timeout=10,
                        )
                except (httpx.HTTPError, KeyError, TypeError, ValueError):
                    continue  # the server is busy or answered an error: try next round


ENGINE_OPERATIONS = ("POST /api/v1/pricing/price", "POST /api/v1/pricing/implied-volatility")


def engine_reach(lines: list[str]) -> dict[str, Counter[str]]:
    """Per pricing operation, how schemathesis' schema-valid (positive) requests were
    answered: ``2xx``, or the status and error code of the refusal. Shows whether the
    generated requests reach the engines or stop at validation."""
    tally: dict[str, Counter[str]] = {label: Counter() for label in ENGINE_OPERATIONS}
    for line in lines:
        recorder = json.loads(line).get("ScenarioFinished", {}).get("recorder")
        if not recorder or recorder.get("label") not in tally:
            continue
        for case_id, case in recorder.get("cases", {}).items():
            interaction = recorder.get("interactions", {}).get(case_id)
            meta = case["value"].get("meta") or {}
            if interaction is None or interaction.get("response") is None:
                continue
            if (meta.get("generation") or {}).get("mode") != "positive":
                continue
            response = interaction["response"]
            status = int(response["status_code"])
            if 200 <= status < 300:
                outcome = "2xx"
            else:
                body = json.loads(base64.b64decode(response["content"].get("$base64", "")) or b"{}")
                outcome = f"{status} {(body.get('error') or {}).get('code')}"
            tally[recorder["label"]][outcome] += 1
    return tally


def engine_reach_table(tally: dict[str, Counter[str]]) -> str:
    """The tally as text, one line per operation."""
    lines = ["", "schema-valid requests to the pricing engines, by answer:"]
    for label, outcomes in tally.items():
        total = sum(outcomes.values())
        parts = ", ".join(f"{name} {count}" for name, count in outcomes.most_common())
        lines.append(f"  {label}: {total} requests: {parts}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
