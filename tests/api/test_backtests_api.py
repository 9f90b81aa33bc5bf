"""Backtests over HTTP: the job, typed results, trades pages, corrupt artifacts, deletion,
request validation, the dashboard and benchmark series."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from qe_contract.models import (
    BacktestEquityEnvelope,
    BacktestPageEnvelope,
    BacktestResult,
    BacktestSummaryEnvelope,
    BacktestTradePageEnvelope,
    BenchmarkEnvelope,
    DashboardEnvelope,
)

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings

API = "/api/v1"
TRAINING = {
    "years": 3,
    "end": "2016-12-30",
    "horizons": [10],
    "folds": 2,
    "lightgbm": {"n_estimators": 15},
}
BACKTEST = {"version": "champion", "years": 2, "entry_threshold": 0.0}


def _wait(client: TestClient, job_id: str, timeout: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"{API}/jobs/{job_id}").json()["data"]
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture(scope="module")
def lab(
    sample_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Settings, str]]:
    """An app over the sample with a champion trained to 2016 and one backtest of it."""
    import shutil

    home = tmp_path_factory.mktemp("bt-api") / "home"
    shutil.copytree(sample_store, home / "store")
    settings = Settings(home=home, env="dev", auto_import=False)
    with TestClient(create_app(settings)) as client:
        trained = _wait(
            client, client.post(f"{API}/models/train", json=TRAINING).json()["data"]["job_id"]
        )
        assert trained["status"] == "succeeded", trained["error"]
        reply = client.post(f"{API}/backtests", json=BACKTEST)
        assert reply.status_code == 202
        assert reply.headers["Location"].startswith(f"{API}/jobs/")
        job = _wait(client, reply.json()["data"]["job_id"])
        assert job["status"] == "succeeded", job["error"]
        result = BacktestResult.model_validate(job["result"])
        yield client, settings, str(result.backtest_id)


def test_backtest_summary_is_typed_and_reconciles_with_its_trades(
    lab: tuple[TestClient, Settings, str],
) -> None:
    client, _, backtest_id = lab
    reply = client.get(f"{API}/backtests/{backtest_id}")
    summary = BacktestSummaryEnvelope.model_validate_json(reply.content).data
    trades = client.get(f"{API}/backtests/{backtest_id}/trades", params={"limit": 1000}).json()
    costs = math.fsum(trade["costs"] for trade in trades["data"]["items"])
    assert summary.net.trades == trades["data"]["total"] == len(trades["data"]["items"]) > 0
    assert summary.gross.final_equity - summary.net.final_equity == pytest.approx(costs, rel=1e-9)
    assert summary.versions == ["v1"]
    assert summary.backtests_on_data >= 1
    assert summary.benchmark.name == "SP500"
    assert all("return" in trade for trade in trades["data"]["items"])


def test_trades_page_with_a_cursor(lab: tuple[TestClient, Settings, str]) -> None:
    client, _, backtest_id = lab
    url = f"{API}/backtests/{backtest_id}/trades"
    first = BacktestTradePageEnvelope.model_validate_json(
        client.get(url, params={"limit": 3}).content
    ).data
    assert len(first.items) == 3
    assert first.next_cursor == "3"
    second = client.get(url, params={"limit": 3, "cursor": first.next_cursor}).json()["data"]
    everything = client.get(url, params={"limit": 1000}).json()["data"]["items"]
    assert second["items"] == everything[3:6]


def test_equity_curve_has_one_point_per_window_day(lab: tuple[TestClient, Settings, str]) -> None:
    client, _, backtest_id = lab
    equity = BacktestEquityEnvelope.model_validate_json(
        client.get(f"{API}/backtests/{backtest_id}/equity").content
    ).data
    summary = client.get(f"{API}/backtests/{backtest_id}").json()["data"]
    assert str(equity.points[0].date) == summary["window_start"]
    assert str(equity.points[-1].date) == summary["window_end"]
    assert equity.points[-1].net == pytest.approx(summary["net"]["final_equity"])
    assert all(point.drawdown <= 0 for point in equity.points)


def test_list_dashboard_and_benchmark(lab: tuple[TestClient, Settings, str]) -> None:
    client, _, backtest_id = lab
    page = BacktestPageEnvelope.model_validate_json(client.get(f"{API}/backtests").content).data
    assert str(page.items[0].backtest_id) == backtest_id
    dashboard = DashboardEnvelope.model_validate_json(client.get(f"{API}/dashboard").content).data
    assert dashboard.champion is not None
    assert dashboard.latest_backtest is not None
    assert str(dashboard.latest_backtest.backtest_id) == backtest_id
    assert dashboard.backtests_on_data >= 1
    assert dashboard.jobs.succeeded >= 2
    series = BenchmarkEnvelope.model_validate_json(
        client.get(f"{API}/benchmark", params={"start": "2018-12-24"}).content
    ).data
    assert series.name == "SP500"
    assert [str(p.date) for p in series.points] == [
        "2018-12-24",
        "2018-12-26",
        "2018-12-27",
        "2018-12-28",
        "2018-12-31",
    ]


@pytest.mark.parametrize(
    ("body", "loc", "fragment"),
    [
        (
            {"version": "champion", "walk_forward": {"retrain_every": 63}},
            ["body", "walk_forward"],
            "only to version walk_forward",
        ),
        ({"version": "champion", "horizon": 21}, ["body", "horizon"], "horizons [10]"),
        (
            {"version": "champion", "horizon": 10, "feature_mode": "full"},
            ["body", "feature_mode"],
            "feature_mode core",
        ),
        ({"tickers": ["SYNTEC01", "ZZZQ"]}, ["body", "tickers"], "ZZZQ"),
        ({"benchmark": "QQQQ"}, ["body", "benchmark"], "QQQQ"),
        ({"tickers": ["SYNTEC01", "SYNTEC01"]}, ["body", "tickers"], "repeat"),
        ({"position_size": 0}, ["body", "position_size"], ""),
        ({"risk": {"stop_loss": 0.05}}, ["body", "risk"], "risk_management true"),
        (
            {"end": "2000-06-30", "walk_forward": {"min_train_days": 504}},
            ["body", "walk_forward", "min_train_days"],
            "",
        ),
        ({"tickers": ["SP500"]}, ["body", "tickers"], "not stored stocks"),
        ({"surprise": 1}, ["body", "surprise"], ""),
    ],
)
def test_invalid_backtest_requests_are_refused_before_queueing(
    lab: tuple[TestClient, Settings, str], body: dict[str, Any], loc: list[str], fragment: str
) -> None:
    client, _, _ = lab
    before = client.get(f"{API}/jobs", params={"job_type": "backtest"}).json()["data"]["items"]
    reply = client.post(f"{API}/backtests", json=body)
    assert reply.status_code == 422
    error = reply.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert loc in [detail["loc"] for detail in error["details"]]
    assert fragment in error["message"] or any(fragment in d["msg"] for d in error["details"])
    after = client.get(f"{API}/jobs", params={"job_type": "backtest"}).json()["data"]["items"]
    assert len(after) == len(before)


def test_unknown_version_is_not_found(lab: tuple[TestClient, Settings, str]) -> None:
    client, _, _ = lab
    reply = client.post(f"{API}/backtests", json={"version": "v9"})
    assert reply.status_code == 404


def test_corrupt_artifact_is_422_naming_the_file(
    lab: tuple[TestClient, Settings, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, settings, _ = lab
    job = _wait(client, client.post(f"{API}/backtests", json=BACKTEST).json()["data"]["job_id"])
    backtest_id = job["result"]["backtest_id"]
    folder = settings.home / "artifacts" / "backtests" / backtest_id
    equity = folder / "equity.parquet"
    equity.write_bytes(equity.read_bytes()[:-40])  # truncated
    with caplog.at_level(logging.WARNING):
        reply = client.get(f"{API}/backtests/{backtest_id}/equity")
    assert reply.status_code == 422
    assert reply.json()["error"]["code"] == "ARTIFACT_CORRUPT"
    assert f"{backtest_id}/equity.parquet" in reply.json()["error"]["message"]
    assert any("equity.parquet" in record.getMessage() for record in caplog.records)
    summary = folder / "summary.json"
    summary.write_text(summary.read_text().replace('"trades"', '"tradez"', 1))
    edited = client.get(f"{API}/backtests/{backtest_id}")
    assert edited.status_code == 422
    assert "summary.json" in edited.json()["error"]["message"]
    assert client.get(f"{API}/health").status_code == 200


def test_delete_removes_a_backtest(lab: tuple[TestClient, Settings, str]) -> None:
    client, _, _ = lab
    job = _wait(client, client.post(f"{API}/backtests", json=BACKTEST).json()["data"]["job_id"])
    backtest_id = job["result"]["backtest_id"]
    runs_before = client.get(f"{API}/dashboard").json()["data"]["backtests_on_data"]
    deleted = client.delete(f"{API}/backtests/{backtest_id}")
    assert deleted.status_code == 200
    assert deleted.json()["data"] == {"backtest_id": backtest_id, "deleted": True}
    assert client.get(f"{API}/backtests/{backtest_id}").status_code == 404
    assert client.delete(f"{API}/backtests/{backtest_id}").status_code == 404
    # having looked at a result is not undone by deleting it: the gauge keeps counting
    assert client.get(f"{API}/dashboard").json()["data"]["backtests_on_data"] == runs_before


def test_a_version_without_out_of_sample_days_is_refused(
    lab: tuple[TestClient, Settings, str],
) -> None:
    client, _, _ = lab
    reply = client.post(f"{API}/backtests", json={**BACKTEST, "version": "v1", "end": "2016-12-30"})
    assert reply.status_code == 422
    assert "first usable date is 11 trading days later" in reply.json()["error"]["message"]
