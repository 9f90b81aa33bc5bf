"""The autopilot over HTTP: one cycle from a fresh home, ten replay cycles, a live cycle
without new data, the replay look-ahead test, cancelling during training, a kill during a
cycle, conflicts and validation."""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from qe_contract.models import AutopilotStateEnvelope, JobEnvelope, PaperAccountEnvelope

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from quant_engine.data import Store, import_directory
from tests.api.test_health_api import _error, _wait
from tests.live_server import running_server, start_server, stop_server, wait_for_data

API = "/api/v1"
SMALL = {"years": 2, "folds": 2, "lightgbm": {"n_estimators": 20}}
STEPS = ["data_refresh", "train", "governance", "signals", "paper", "tracking"]


def _configure(client: TestClient, **changes: Any) -> dict[str, Any]:
    reply = client.put(f"{API}/autopilot/config", json={"training": SMALL, **changes})
    assert reply.status_code == 200, reply.text
    AutopilotStateEnvelope.model_validate_json(reply.content)
    data: dict[str, Any] = reply.json()["data"]
    return data


def _cycle(client: TestClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = client.post(f"{API}/autopilot/run", json=body or {})
    assert reply.status_code == 202, reply.text
    JobEnvelope.model_validate_json(reply.content)
    job = _wait(client, reply.json()["data"]["job_id"], timeout=180)
    assert job["status"] == "succeeded", job["error"]
    return job


def _state(client: TestClient) -> dict[str, Any]:
    data: dict[str, Any] = client.get(f"{API}/autopilot").json()["data"]
    return data


def _paper(client: TestClient) -> dict[str, Any]:
    account = client.get(f"{API}/paper/account").json()["data"]
    orders = client.get(f"{API}/paper/orders?limit=500").json()["data"]["items"]
    return {
        "account": account,
        "positions": client.get(f"{API}/paper/positions").json()["data"]["items"],
        "orders": orders,
        "equity": client.get(f"{API}/paper/equity").json()["data"]["points"],
    }


def _until_training(state: Callable[[], dict[str, Any]]) -> None:
    """Wait until the running cycle's record says its train step is running (the cycle
    stores its steps before each one starts)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        cycles = state()["data"]["cycles"]
        if cycles and cycles[0]["steps"][1]["status"] == "running":
            return
        time.sleep(0.05)
    raise AssertionError("the cycle never reached its train step")


@pytest.fixture
def autopilot_client(data_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(data_settings)) as client:
        yield client


def test_one_cycle_from_a_fresh_home(autopilot_client: TestClient) -> None:
    client = autopilot_client
    _error(client.get(f"{API}/paper/account"), 404, "NOT_FOUND")
    state = _configure(client)
    assert state["config"]["mode"] == "replay"  # the sample is fixed history
    assert state["config"]["enabled"] is False
    first_as_of = state["as_of"]
    job = _cycle(client)
    steps = job["result"]["steps"]
    assert [step["name"] for step in steps] == STEPS
    assert [step["status"] for step in steps] == ["skipped"] + ["succeeded"] * 5
    assert all(step["duration_seconds"] is not None for step in steps)
    assert job["result"]["as_of"] == first_as_of
    assert job["result"]["champion"] == "v1"
    assert "promoted" in steps[2]["outcome"]
    state = _state(client)
    assert state["cycles"][0]["job_id"] == job["job_id"]
    assert state["cycles"][0]["status"] == "succeeded"
    assert state["as_of"] == job["result"]["next_as_of"] > first_as_of
    account = PaperAccountEnvelope.model_validate_json(client.get(f"{API}/paper/account").content)
    assert account.data.start_date.isoformat() == first_as_of
    orders = _paper(client)["orders"]
    assert orders
    assert all(order["status"] == "pending" for order in orders)  # they fill at the next open


def test_ten_replay_cycles_advance_fill_mark_and_score(
    autopilot_client: TestClient, data_settings: Settings
) -> None:
    client = autopilot_client
    _configure(client, step_days=5)
    as_ofs = [_cycle(client)["result"]["as_of"] for _ in range(10)]
    calendar = [
        str(day) for day in Store(data_settings.store_dir).bars("SYNTEC01").date.astype(str)
    ]
    rows = [calendar.index(day) for day in as_ofs]
    assert np.diff(rows).tolist() == [5] * 9  # ten steps of five trading days
    paper = _paper(client)
    assert paper["account"]["as_of"] == as_ofs[-1]
    marks = [point["date"] for point in paper["equity"]]
    assert marks == calendar[rows[0] : rows[-1] + 1]  # one mark per trading day reached
    filled = [order for order in paper["orders"] if order["status"] == "filled"]
    assert filled
    assert all(as_ofs[0] < order["fill_date"] <= as_ofs[-1] for order in filled)
    state = client.app.state.qe  # type: ignore[attr-defined]
    assert len(state.trackers.execution.fills("paper")) >= len(filled)
    ic = client.get(f"{API}/tracking/ic?version=v1").json()["data"]
    assert ic["points"]  # the first signal dates have matured on the clock
    assert all(point["date"] <= as_ofs[-1] for point in ic["points"])


def test_live_cycle_without_new_data_places_no_duplicate_orders(
    autopilot_client: TestClient,
) -> None:
    client = autopilot_client
    _configure(client, mode="live", interval_seconds=3600)
    first = _cycle(client)
    assert first["result"]["steps"][0]["status"] == "succeeded"  # a live cycle refreshes
    assert "unchanged" in first["result"]["steps"][0]["outcome"]
    before = _paper(client)
    second = _cycle(client)
    steps = {step["name"]: step for step in second["result"]["steps"]}
    assert steps["train"]["outcome"].startswith("v2 trained")
    assert "kept" in steps["governance"]["outcome"] or "promoted" in steps["governance"]["outcome"]
    assert "no new signal set" in steps["paper"]["outcome"]
    after = _paper(client)
    assert after["orders"] == before["orders"]
    assert after["positions"] == before["positions"]
    assert after["equity"] == before["equity"]


def _export(store: Store, folder: Path, until: str | None) -> None:
    """The store's tickers as Yahoo-layout CSV files (rows up to ``until`` when given)."""
    folder.mkdir(parents=True)
    for ticker in store.tickers():
        bars = store.bars(ticker)
        keep = bars.date <= np.datetime64(until) if until else np.ones(len(bars), bool)
        lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
        lines += [
            ",".join([str(d), *(repr(float(x)) for x in (o, h, lo, c, a, v))])
            for d, o, h, lo, c, a, v in zip(
                bars.date[keep].astype(str),
                bars.open[keep],
                bars.high[keep],
                bars.low[keep],
                bars.close[keep],
                bars.adj_close[keep],
                bars.volume[keep],
                strict=True,
            )
        ]
        (folder / f"{ticker}.csv").write_text("\n".join(lines) + "\n")


def _replay_home(tmp_path: Path, name: str, sample_store: Path, until: str | None) -> Settings:
    folder = tmp_path / f"{name}-csv"
    _export(Store(sample_store), folder, until)
    home = tmp_path / name
    import_directory(folder, Store(home / "store"))
    return Settings(home=home, env="dev", auto_import=False, data_dir=folder)


def test_replay_account_at_t_does_not_depend_on_data_after_t(
    tmp_path: Path, sample_store: Path
) -> None:
    start, cut = "2018-06-01", "2018-06-08"  # two cycles, five trading days apart
    results = []
    for name, until in (("full", None), ("cut", cut)):
        settings = _replay_home(tmp_path, name, sample_store, until)
        with TestClient(create_app(settings)) as client:
            _configure(client, mode="replay", replay_start=start, step_days=5)
            as_ofs = [_cycle(client)["result"]["as_of"] for _ in range(2)]
            assert as_ofs == [start, cut]
            models = client.get(f"{API}/models/v2").json()["data"]
            results.append(
                {
                    "paper": _paper(client),
                    "signals": client.get(f"{API}/signals?version=v1&as_of={cut}").json()["data"][
                        "signals"
                    ],
                    "model_files": models["files"],
                    "ic": client.get(f"{API}/tracking/ic?version=v1").json()["data"]["points"],
                }
            )
    full, truncated = results
    assert full["model_files"] == truncated["model_files"]  # same sha256, byte for byte
    assert full["signals"] == truncated["signals"]
    assert full["paper"] == truncated["paper"]
    assert full["ic"] == truncated["ic"]


def test_cancelling_during_training_leaves_no_version_and_no_orders(
    autopilot_client: TestClient, data_settings: Settings
) -> None:
    client = autopilot_client
    client.put(
        f"{API}/autopilot/config",
        json={"training": {"years": 5, "lightgbm": {"n_estimators": 2000, "learning_rate": 0.01}}},
    )
    reply = client.post(f"{API}/autopilot/run", json={})
    job_id = reply.json()["data"]["job_id"]
    _until_training(lambda: client.get(f"{API}/autopilot").json())
    time.sleep(0.5)
    assert client.post(f"{API}/jobs/{job_id}/cancel").status_code == 200
    started = time.monotonic()
    job = _wait(client, job_id)
    assert job["status"] == "cancelled"
    assert time.monotonic() - started < 5
    assert client.get(f"{API}/models").json()["data"]["items"] == []
    assert not (data_settings.home / "registry" / "v1").exists()
    _error(client.get(f"{API}/paper/account"), 404, "NOT_FOUND")
    cycle = _state(client)["cycles"][0]
    assert cycle["status"] == "cancelled"
    statuses = {step["name"]: step["status"] for step in cycle["steps"]}
    assert statuses["train"] == "cancelled"
    assert statuses["paper"] == "cancelled"


def test_one_cycle_at_a_time_and_reset_needs_confirmation(autopilot_client: TestClient) -> None:
    client = autopilot_client
    client.put(
        f"{API}/autopilot/config",
        json={"training": {"years": 5, "lightgbm": {"n_estimators": 2000}}},
    )
    running = client.post(f"{API}/autopilot/run", json={}).json()["data"]["job_id"]
    error = _error(client.post(f"{API}/autopilot/run", json={}), 409, "CONFLICT")
    assert running in error["message"]
    _error(client.post(f"{API}/paper/reset", json={"confirm": True}), 409, "CONFLICT")
    client.post(f"{API}/jobs/{running}/cancel")
    _wait(client, running)
    for body in ({}, {"confirm": False}, {"confirm": "yes"}):
        _error(client.post(f"{API}/paper/reset", json=body), 422, "VALIDATION_ERROR")
    assert client.post(f"{API}/paper/reset", json={"confirm": True}).json()["data"] == {
        "reset": True
    }


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"mode": "live", "interval_seconds": 600}, ["body", "interval_seconds"]),
        ({"training": {"end": "2018-01-02"}}, ["body", "training", "end"]),
        ({"interval_seconds": 30}, ["body", "interval_seconds"]),
        ({"skip_days": 3}, ["body", "skip_days"]),
    ],
)
def test_invalid_configuration_is_refused_and_nothing_changes(
    autopilot_client: TestClient, body: dict[str, Any], loc: list[str]
) -> None:
    before = _state(autopilot_client)["config"]
    error = _error(
        autopilot_client.put(f"{API}/autopilot/config", json=body), 422, "VALIDATION_ERROR"
    )
    assert loc in [detail["loc"] for detail in error["details"]]
    assert _state(autopilot_client)["config"] == before


def test_skipped_steps_are_reported_as_skipped(autopilot_client: TestClient) -> None:
    _configure(autopilot_client)
    job = _cycle(autopilot_client, {"skip": ["paper", "tracking"]})
    statuses = {step["name"]: step["status"] for step in job["result"]["steps"]}
    assert statuses["paper"] == statuses["tracking"] == "skipped"
    assert statuses["signals"] == "succeeded"
    _error(autopilot_client.get(f"{API}/paper/account"), 404, "NOT_FOUND")


def test_a_kill_during_a_cycle_is_interrupted_and_the_next_cycle_runs(
    tmp_path: Path, sample_store: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(sample_store, home / "store")
    env = {"QE_AUTO_IMPORT": "0", "QE_LOG_LEVEL": "WARNING"}
    server = start_server(home, env)
    try:
        wait_for_data(server)
        base = f"{server.base_url}{API}"
        httpx.put(
            f"{base}/autopilot/config",
            json={"training": {"years": 5, "lightgbm": {"n_estimators": 2000}}},
        ).raise_for_status()
        job_id = httpx.post(f"{base}/autopilot/run", json={}).json()["data"]["job_id"]
        _until_training(lambda: httpx.get(f"{base}/autopilot").json())
        time.sleep(0.5)
    finally:
        stop_server(server, signal.SIGKILL)
    with running_server(home, env) as server:
        base = f"{server.base_url}{API}"
        job = httpx.get(f"{base}/jobs/{job_id}").json()["data"]
        assert job["status"] == "failed"
        assert job["error"]["code"] == "INTERRUPTED"
        cycle = httpx.get(f"{base}/autopilot").json()["data"]["cycles"][0]
        assert cycle["job_id"] == job_id
        assert cycle["status"] == "failed"
        assert httpx.get(f"{base}/models").json()["data"]["items"] == []
        httpx.put(f"{base}/autopilot/config", json={"training": SMALL}).raise_for_status()
        next_id = httpx.post(f"{base}/autopilot/run", json={}).json()["data"]["job_id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = httpx.get(f"{base}/jobs/{next_id}").json()["data"]
            if job["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.2)
        assert job["status"] == "succeeded", job["error"]
        assert httpx.get(f"{base}/paper/account").status_code == 200


def test_the_scheduler_starts_a_cycle_once_enabled_and_not_before(
    autopilot_client: TestClient,
) -> None:
    client = autopilot_client
    _configure(client, interval_seconds=600)
    time.sleep(2.5)  # the scheduler ticks every second: disabled, it starts nothing
    assert client.get(f"{API}/jobs?job_type=autopilot").json()["data"]["items"] == []
    state = _configure(client, enabled=True)
    assert state["next_run_at"] is not None
    deadline = time.monotonic() + 10
    jobs: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not jobs:
        jobs = client.get(f"{API}/jobs?job_type=autopilot").json()["data"]["items"]
        time.sleep(0.2)
    assert len(jobs) == 1
    assert jobs[0]["params"] == {"skip": [], "trigger": "schedule"}
    job = _wait(client, jobs[0]["job_id"], timeout=180)
    assert job["status"] == "succeeded", job["error"]
    time.sleep(2.5)  # the next one is due in ten minutes
    assert len(client.get(f"{API}/jobs?job_type=autopilot").json()["data"]["items"]) == 1
    after = _state(client)
    assert after["next_run_at"] > state["next_run_at"]
    _configure(client, enabled=False)
