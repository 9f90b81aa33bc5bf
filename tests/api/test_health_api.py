"""Model health over HTTP: quick status, model age, status history with its trend, the IC
and disagreement series, and every failure answered as a failure (or, inside the status,
as a critical component) while the service keeps answering."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from qe_contract.models import (
    DisagreementHistoryEnvelope,
    ErrorEnvelope,
    HealthHistoryEnvelope,
    IcHistoryEnvelope,
    ModelAgeEnvelope,
    QuickStatusEnvelope,
)
from scipy.stats import pearsonr, spearmanr

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from quant_engine.data import Store
from quant_engine.tracking import ComponentReading, HealthHistory, TrackingDatabase
from quant_engine.tracking.history import HISTORY_SCHEMA
from tests.conftest import install_store

API = "/api/v1"
SMALL_TRAINING: dict[str, Any] = {"years": 2, "folds": 2, "lightgbm": {"n_estimators": 15}}
TRAIN_END = "2018-06-29"
SIGNAL_DATES = ("2018-09-04", "2018-10-01", "2018-12-21")  # the last one has not matured
HORIZON = 5
TERMINAL = {"succeeded", "failed", "cancelled"}
COMPONENTS = {
    "data_freshness",
    "model_age",
    "ic_trend",
    "disagreement",
    "job_queue",
    "disk",
    "registry",
    "cache",
}


def _wait(client: TestClient, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"{API}/jobs/{job_id}").json()["data"]
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def _run(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = client.post(f"{API}{path}", json=body)
    assert reply.status_code == 202, reply.text
    job = _wait(client, reply.json()["data"]["job_id"])
    assert job["status"] == "succeeded", job["error"]
    return job


def _error(reply: Any, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    ErrorEnvelope.model_validate_json(reply.content)
    body = reply.json()
    assert body["ok"] is False
    error: dict[str, Any] = body["error"]
    assert error["code"] == code
    return error


def _status(client: TestClient) -> dict[str, dict[str, Any]]:
    reply = client.get(f"{API}/health/status")
    assert reply.status_code == 200, reply.text
    QuickStatusEnvelope.model_validate_json(reply.content)
    body = reply.json()
    assert body["ok"] is True
    return {c["name"]: c for c in body["data"]["components"]}


def _still_serving(client: TestClient) -> None:
    assert client.get(f"{API}/health").status_code == 200
    assert client.get(f"{API}/data/tickers/SYNTEC01/bars?limit=3").status_code == 200


@pytest.fixture(scope="module")
def tracked_home(tmp_path_factory: pytest.TempPathFactory, sample_store: Path) -> Path:
    """The sample with v1 (champion, trained to TRAIN_END), v2 (a challenger: same data,
    another seed) and signal sets of both at SIGNAL_DATES; copy it."""
    home = tmp_path_factory.mktemp("tracked") / "home"
    install_store(sample_store, home)
    settings = Settings(home=home, env="dev", auto_import=False)
    with TestClient(create_app(settings)) as client:
        _run(client, "/models/train", {**SMALL_TRAINING, "end": TRAIN_END})
        _run(client, "/models/train", {**SMALL_TRAINING, "end": TRAIN_END, "seed": 7})
        roles = {
            m["version"]: m["role"] for m in client.get(f"{API}/models").json()["data"]["items"]
        }
        assert roles == {"v1": "champion", "v2": "challenger"}, roles
        for version in ("v1", "v2"):
            for as_of in SIGNAL_DATES:
                _run(client, "/signals/generate", {"version": version, "as_of": as_of})
    return home


@pytest.fixture
def tracked_settings(tmp_path: Path, tracked_home: Path) -> Settings:
    home = tmp_path / "home"
    shutil.copytree(tracked_home, home)
    return Settings(home=home, env="dev", auto_import=False)


@pytest.fixture
def tracked_client(tracked_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(tracked_settings)) as client:
        yield client


# ------------------------------------------------------------------ quick status


def test_fresh_sample_home_is_a_warning_for_want_of_a_champion(data_client: TestClient) -> None:
    components = _status(data_client)
    assert set(components) == COMPONENTS
    assert components["model_age"]["status"] == "warning"
    assert components["model_age"]["message"] == "no champion yet"
    assert components["model_age"]["value"] is None
    assert components["data_freshness"] == {
        "name": "data_freshness",
        "status": "ok",
        "value": 0.0,
        "threshold": 3.0,
        "message": components["data_freshness"]["message"],
    }
    assert "sample's end" in components["data_freshness"]["message"]
    assert components["registry"]["status"] == "ok"
    assert components["job_queue"]["value"] == 0.0
    overall = data_client.get(f"{API}/health/status").json()["data"]["overall"]
    assert overall == "warning"  # the worst component


def test_status_of_a_tracked_home_scores_the_champion(tracked_client: TestClient) -> None:
    components = _status(tracked_client)
    assert components["model_age"]["status"] == "ok"
    assert components["model_age"]["value"] < 0.1
    ic = tracked_client.get(f"{API}/tracking/ic").json()["data"]
    rank_ics = [p["rank_ic"] for p in ic["points"] if not p["in_sample"]]
    assert components["ic_trend"]["value"] == pytest.approx(np.mean(rank_ics), abs=1e-12)
    assert components["disagreement"]["value"] is not None
    assert "v1 and v2" in components["disagreement"]["message"]


def test_empty_store_makes_data_freshness_critical(client: TestClient) -> None:
    components = _status(client)
    assert components["data_freshness"]["status"] == "critical"
    assert "no data imported" in components["data_freshness"]["message"]
    assert client.get(f"{API}/health/status").json()["data"]["overall"] == "critical"


def test_unreadable_store_is_a_critical_component_not_a_failed_status(
    data_settings: Settings,
) -> None:
    (data_settings.store_dir / "manifest.json").write_bytes(b"{ not json")
    with TestClient(create_app(data_settings)) as client:
        components = _status(client)
        assert components["data_freshness"]["status"] == "critical"
        assert "manifest" in components["data_freshness"]["message"]
        assert client.get(f"{API}/health").status_code == 200
        assert client.get(f"{API}/pricing/models").status_code == 200


def test_queue_depth_against_its_bound(data_settings: Settings) -> None:
    settings = data_settings.model_copy(
        update={"max_queued": 2, "max_concurrent_jobs": 1, "queue_warning_ratio": 0.5}
    )
    heavy = {"years": 5, "lightgbm": {"n_estimators": 2000}}
    with TestClient(create_app(settings)) as client:
        assert _status(client)["job_queue"]["status"] == "ok"
        jobs = []
        # the first runs, the second waits (1 of 2: warning), the third fills the queue
        for expected in ("ok", "warning", "critical"):
            reply = client.post(f"{API}/models/train", json=heavy)
            assert reply.status_code == 202, reply.text
            jobs.append(reply.json()["data"]["job_id"])
            component = _status(client)["job_queue"]
            assert component["status"] == expected, component
        assert component["value"] == 2.0
        assert component["threshold"] is None  # nothing worse than critical
        for job_id in jobs:
            client.post(f"{API}/jobs/{job_id}/cancel")
        for job_id in jobs:
            _wait(client, job_id)


# ------------------------------------------------------------------ model age


def test_model_age_without_a_champion_is_not_found(data_client: TestClient) -> None:
    error = _error(data_client.get(f"{API}/health/model-age"), 404, "NOT_FOUND")
    assert "no champion" in error["message"]


@pytest.mark.parametrize(
    "stored",
    ["2026-11-02T06:00:00", "2026-11-02T06:00:00+00:00", "2026-11-02T08:00:00+02:00"],
)
def test_naive_utc_and_offset_timestamps_give_the_same_age(
    tracked_settings: Settings, stored: str
) -> None:
    metadata = tracked_settings.home / "registry" / "v1" / "metadata.json"
    document = json.loads(metadata.read_text())
    document["created_at"] = stored
    metadata.write_text(json.dumps(document))
    with TestClient(create_app(tracked_settings)) as client:
        before = dt.datetime.now(dt.UTC)
        reply = client.get(f"{API}/health/model-age")
        after = dt.datetime.now(dt.UTC)
    assert reply.status_code == 200, reply.text
    age = ModelAgeEnvelope.model_validate_json(reply.content).data
    trained = dt.datetime(2026, 11, 2, 6, tzinfo=dt.UTC)
    assert age.version == "v1"
    assert age.trained_at == trained
    assert reply.json()["data"]["trained_at"].endswith(("+00:00", "Z"))
    low = (before - trained).total_seconds() / 86400
    high = (after - trained).total_seconds() / 86400
    assert low <= age.age_days <= high


def test_corrupt_champion_metadata(tracked_settings: Settings) -> None:
    (tracked_settings.home / "registry" / "v1" / "metadata.json").write_text("{ truncated")
    with TestClient(create_app(tracked_settings)) as client:
        error = _error(client.get(f"{API}/health/model-age"), 422, "ARTIFACT_CORRUPT")
        assert "v1/metadata.json" in error["message"]
        components = _status(client)
        for name in ("registry", "model_age"):
            assert components[name]["status"] == "critical"
            assert "v1/metadata.json" in components[name]["message"]
        _still_serving(client)


def test_unreadable_registry(data_settings: Settings) -> None:
    (data_settings.home / "registry").write_text("not a folder\n")
    with TestClient(create_app(data_settings)) as client:
        error = _error(client.get(f"{API}/health/model-age"), 503, "UNAVAILABLE")
        assert "is not a directory" in error["message"]
        _error(client.get(f"{API}/tracking/ic"), 503, "UNAVAILABLE")
        components = _status(client)
        for name in ("registry", "model_age", "ic_trend"):
            assert components[name]["status"] == "critical", components[name]
            assert "is not a directory" in components[name]["message"]
        _still_serving(client)


# ------------------------------------------------------------------ tracking.db failures


def test_corrupt_tracking_database_is_reported_and_never_replaced(
    tracked_settings: Settings,
) -> None:
    path = tracked_settings.state_dir / "tracking.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    garbage = b"this is not an SQLite database, it is the user's history\n" * 100
    path.write_bytes(garbage)
    with TestClient(create_app(tracked_settings)) as client:
        for operation in ("/tracking/ic", "/tracking/disagreement"):
            error = _error(client.get(f"{API}{operation}"), 503, "UNAVAILABLE")
            assert str(path) in error["message"]
        components = _status(client)
        for name in ("ic_trend", "disagreement"):
            assert components[name]["status"] == "critical"
            assert str(path) in components[name]["message"]
        assert client.get(f"{API}/health/status").json()["data"]["overall"] == "critical"
        # a signal generation still succeeds; its tracking update is logged, not fatal
        _run(client, "/signals/generate", {"version": "v1", "as_of": "2018-11-01"})
        _still_serving(client)
    assert path.read_bytes() == garbage


def test_locked_tracking_database_is_unavailable_then_recovers(
    tracked_client: TestClient, tracked_settings: Settings
) -> None:
    path = tracked_settings.state_dir / "tracking.db"
    assert tracked_client.get(f"{API}/tracking/ic").status_code == 200
    # the startup snapshot reads tracking.db: let it finish before taking the lock
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        history = tracked_client.get(f"{API}/health/history?component=disk").json()["data"]
        if history["points"]:
            break
        time.sleep(0.05)
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)
    holder.execute("PRAGMA journal_mode=DELETE")  # an exclusive lock then blocks readers too
    holder.execute("BEGIN EXCLUSIVE")
    try:
        error = _error(tracked_client.get(f"{API}/tracking/ic"), 503, "UNAVAILABLE")
        assert str(path) in error["message"]
        assert _status(tracked_client)["ic_trend"]["status"] == "critical"
        _still_serving(tracked_client)
    finally:
        holder.execute("ROLLBACK")
        holder.execute("PRAGMA journal_mode=WAL")
        holder.close()
    assert tracked_client.get(f"{API}/tracking/ic").status_code == 200


# ------------------------------------------------------------------ IC and disagreement


def _independent_labels(store: Store, tickers: list[str], as_of: str) -> np.ndarray:
    """open_adj[t+1+h] / open_adj[t+1] - 1 from each ticker's stored bars on the trading
    calendar of the benchmark (SP500), adjusted open = open × adj_close / close."""
    calendar = store.bars("SP500").date
    position = int(np.searchsorted(calendar, np.datetime64(as_of)))
    assert calendar[position] == np.datetime64(as_of)
    entry_day, exit_day = calendar[position + 1], calendar[position + 1 + HORIZON]
    values = []
    for ticker in tickers:
        bars = store.bars(ticker)
        adjusted = dict(zip(bars.date, bars.open * bars.adj_close / bars.close, strict=True))
        entry, exit_ = adjusted.get(entry_day), adjusted.get(exit_day)
        values.append(np.nan if entry is None or exit_ is None else exit_ / entry - 1.0)
    return np.array(values)


def test_ic_history_equals_scipy_on_independent_labels(
    tracked_client: TestClient, tracked_settings: Settings
) -> None:
    reply = tracked_client.get(f"{API}/tracking/ic?version=v1&window=2")
    assert reply.status_code == 200, reply.text
    history = IcHistoryEnvelope.model_validate_json(reply.content).data
    assert history.version == "v1"
    assert history.horizon == HORIZON
    # 2018-12-21 + 1 + 5 trading days is past the sample's end: not scored
    assert [p.date.isoformat() for p in history.points] == list(SIGNAL_DATES[:2])
    store = Store(tracked_settings.store_dir)
    for point in history.points:
        signals = tracked_client.get(
            f"{API}/signals?version=v1&as_of={point.date.isoformat()}"
        ).json()["data"]
        tickers = [row["ticker"] for row in signals["signals"]]
        scores = np.array([row["score"] for row in signals["signals"]])
        realized = _independent_labels(store, tickers, point.date.isoformat())
        keep = np.isfinite(realized)
        assert point.names == int(keep.sum()) > 20
        assert point.in_sample is False
        assert point.ic == pytest.approx(pearsonr(scores[keep], realized[keep])[0], abs=1e-12)
        assert point.rank_ic == pytest.approx(spearmanr(scores[keep], realized[keep])[0], abs=1e-12)
    first, second = history.points
    assert first.rolling_rank_ic == pytest.approx(first.rank_ic, abs=1e-15)
    assert second.rolling_rank_ic == pytest.approx((first.rank_ic + second.rank_ic) / 2, abs=1e-15)
    assert history.scored_dates == 2


def test_rescoring_adds_nothing(tracked_client: TestClient) -> None:
    before = tracked_client.get(f"{API}/tracking/ic?version=v1").json()["data"]
    _run(tracked_client, "/signals/generate", {"version": "v1", "as_of": SIGNAL_DATES[0]})
    after = tracked_client.get(f"{API}/tracking/ic?version=v1").json()["data"]
    assert after == before


def test_disagreement_equals_scipy_on_the_common_tickers(tracked_client: TestClient) -> None:
    reply = tracked_client.get(f"{API}/tracking/disagreement")
    assert reply.status_code == 200, reply.text
    history = DisagreementHistoryEnvelope.model_validate_json(reply.content).data
    assert (history.champion, history.challenger) == ("v1", "v2")
    assert [p.date.isoformat() for p in history.points] == list(SIGNAL_DATES)
    for point in history.points:
        sets = [
            tracked_client.get(f"{API}/signals?version={v}&as_of={point.date.isoformat()}").json()[
                "data"
            ]["signals"]
            for v in ("v1", "v2")
        ]
        a = {row["ticker"]: row["score"] for row in sets[0]}
        b = {row["ticker"]: row["score"] for row in sets[1]}
        common = sorted(a.keys() & b.keys())
        assert point.names == len(common)
        expected = spearmanr([a[t] for t in common], [b[t] for t in common])[0]
        assert point.rank_correlation == pytest.approx(expected, abs=1e-12)
        top = min(20, len(common))
        best_a = set(sorted(common, key=lambda t: (-a[t], t))[:top])
        best_b = set(sorted(common, key=lambda t: (-b[t], t))[:top])
        assert point.top_overlap == pytest.approx(len(best_a & best_b) / top)


def test_ic_of_an_unknown_version_is_not_found(tracked_client: TestClient) -> None:
    _error(tracked_client.get(f"{API}/tracking/ic?version=v9"), 404, "NOT_FOUND")
    _error(tracked_client.get(f"{API}/tracking/ic?horizon=21"), 404, "NOT_FOUND")


def test_disagreement_without_a_challenger_is_not_found(data_client: TestClient) -> None:
    _error(data_client.get(f"{API}/tracking/disagreement"), 404, "NOT_FOUND")


# ------------------------------------------------------------------ history


def test_history_trend_equals_numpy_polyfit(tracked_settings: Settings) -> None:
    history = HealthHistory(
        TrackingDatabase(tracked_settings.state_dir / "health.db", HISTORY_SCHEMA)
    )
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rng = np.random.default_rng(3)
    offsets = np.sort(rng.uniform(0, 30 * 86400, 40))
    values = 0.02 - 0.001 * offsets / 86400 + rng.normal(0, 0.002, 40)
    for offset, value in zip(offsets, values, strict=True):
        at = start + dt.timedelta(seconds=float(offset))
        history.write(at, [ComponentReading("ic_trend", "ok", float(value), "seeded")])
    with TestClient(create_app(tracked_settings)) as client:
        reply = client.get(
            f"{API}/health/history",
            params={
                "component": "ic_trend",
                "since": "2026-01-05T00:00:00Z",
                "until": "2026-01-25T00:00:00+00:00",
            },
        )
        assert reply.status_code == 200, reply.text
        data = HealthHistoryEnvelope.model_validate_json(reply.content).data
        assert data.points
        assert not data.truncated
        times = np.array([p.at.timestamp() for p in data.points])
        ys = np.array([p.value for p in data.points])
        x = (times - times[0]) / 86400
        assert data.trend is not None
        assert data.trend.slope_per_day == pytest.approx(np.polyfit(x, ys, 1)[0], rel=1e-9)
        assert data.trend.direction.value == "down"
        assert data.trend.points == len(data.points)
        assert all(
            dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
            <= p.at
            <= dt.datetime(2026, 1, 25, tzinfo=dt.UTC)
            for p in data.points
        )
        limited = client.get(
            f"{API}/health/history",
            params={"component": "ic_trend", "since": "2026-01-01T00:00:00Z", "limit": 5},
        ).json()["data"]
        assert limited["truncated"] is True
        assert len(limited["points"]) == 5
        assert limited["points"][-1]["at"] == max(p["at"] for p in limited["points"])


def test_history_rejects_since_after_until_and_unknown_components(
    data_client: TestClient,
) -> None:
    error = _error(
        data_client.get(
            f"{API}/health/history",
            params={
                "component": "disk",
                "since": "2026-02-01T00:00:00Z",
                "until": "2026-01-01T00:00:00Z",
            },
        ),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"][0]["loc"] == ["query", "since"]
    _error(data_client.get(f"{API}/health/history?component=cpu"), 422, "VALIDATION_ERROR")
    _error(
        data_client.get(f"{API}/health/history?component=disk&since=2026-01-01"),
        422,
        "VALIDATION_ERROR",
    )


def test_snapshotter_writes_at_startup_and_every_interval(data_settings: Settings) -> None:
    settings = data_settings.model_copy(update={"health_interval_s": 1.0})
    with TestClient(create_app(settings)) as client:
        deadline = time.monotonic() + 10
        points: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            points = client.get(f"{API}/health/history?component=disk").json()["data"]["points"]
            if len(points) >= 3:
                break
            time.sleep(0.2)
        assert len(points) >= 3
        gaps = np.diff([dt.datetime.fromisoformat(p["at"]).timestamp() for p in points])
        assert np.all(gaps > 0.9)
        assert all(p["value"] > 0 for p in points)
