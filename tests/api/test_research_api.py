"""Research operations over HTTP: features, training jobs, the registry, governance,
signals, request validation, corrupt artifacts and an unreadable registry."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest
from fastapi.testclient import TestClient
from qe_contract.models import (
    ErrorEnvelope,
    FeatureCatalogEnvelope,
    FeatureImportanceEnvelope,
    GovernanceDecisionEnvelope,
    HealthEnvelope,
    ModelLabEnvelope,
    ModelPageEnvelope,
    PredictResult,
    SignalSetEnvelope,
    TrainResult,
)
from scipy.stats import rankdata

from quant_engine.api.app import create_app
from quant_engine.core.settings import Settings
from tests.conftest import install_store

API = "/api/v1"
SMALL_TRAINING: dict[str, Any] = {"years": 2, "folds": 2, "lightgbm": {"n_estimators": 15}}
TERMINAL = {"succeeded", "failed", "cancelled"}
LAST_SAMPLE_DATE = "2018-12-31"
CORE_FEATURES = [
    "ret_1d",
    "ret_5d",
    "ret_21d",
    "ret_63d",
    "vol_21d",
    "vol_63d",
    "rsi_14",
    "macd_hist",
    "volume_z_21d",
    "dist_252d_high",
    "beta_63d",
    "idio_vol_21d",
]
SECTOR_FEATURE = "sector_rel_ret_21d"


def _wait_for_job(client: TestClient, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"{API}/jobs/{job_id}").json()["data"]
        if job["status"] in TERMINAL:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def _run_job(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Submit a job (202 expected) and return its terminal record."""
    reply = client.post(f"{API}{path}", json=body)
    assert reply.status_code == 202, reply.text
    return _wait_for_job(client, reply.json()["data"]["job_id"])


def _train(client: TestClient, **overrides: Any) -> dict[str, Any]:
    job = _run_job(client, "/models/train", {**SMALL_TRAINING, **overrides})
    assert job["status"] == "succeeded", job["error"]
    return job


def _error(reply: Any, status: int, code: str) -> dict[str, Any]:
    """The reply's error body, after checking its status, code and envelope."""
    assert reply.status_code == status, reply.text
    ErrorEnvelope.model_validate_json(reply.content)
    error: dict[str, Any] = reply.json()["error"]
    assert error["code"] == code
    return error


def _job_ids(client: TestClient) -> list[str]:
    return [job["job_id"] for job in client.get(f"{API}/jobs?limit=500").json()["data"]["items"]]


def _delisted(client: TestClient) -> set[str]:
    """Stocks of the stored universe whose last row is before the last stored date."""
    items = client.get(f"{API}/data/universe?limit=1000").json()["data"]["items"]
    return {
        item["ticker"]
        for item in items
        if item["kind"] == "stock" and item["last_date"] < LAST_SAMPLE_DATE
    }


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory: pytest.TempPathFactory, sample_store: Path) -> Path:
    """A home holding the sample and v1 (horizon 5) trained through the API; copy it."""
    home = tmp_path_factory.mktemp("trained") / "home"
    install_store(sample_store, home)
    settings = Settings(home=home, env="dev", auto_import=False)
    with TestClient(create_app(settings)) as client:
        _train(client)
    return home


@pytest.fixture
def trained_settings(tmp_path: Path, trained_home: Path) -> Settings:
    home = tmp_path / "home"
    shutil.copytree(trained_home, home)
    return Settings(home=home, env="dev", auto_import=False)


@pytest.fixture
def trained_client(trained_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(trained_settings)) as client:
        yield client


# ---------------------------------------------------------------------------- features


def test_core_feature_catalog_lists_the_twelve_core_features(data_client: TestClient) -> None:
    reply = data_client.get(f"{API}/features?feature_mode=core")
    assert reply.status_code == 200
    catalog = FeatureCatalogEnvelope.model_validate_json(reply.content).data
    assert [feature.name for feature in catalog.features] == CORE_FEATURES
    assert catalog.has_sectors is True
    assert catalog.omitted == []
    assert catalog.feature_mode.value == "core"


def test_full_feature_catalog_extends_core_with_the_sector_feature(
    data_client: TestClient,
) -> None:
    reply = data_client.get(f"{API}/features?feature_mode=full")
    assert reply.status_code == 200
    catalog = FeatureCatalogEnvelope.model_validate_json(reply.content).data
    names = [feature.name for feature in catalog.features]
    assert names[: len(CORE_FEATURES)] == CORE_FEATURES
    assert len(names) > len(CORE_FEATURES)
    assert len(set(names)) == len(names)
    assert SECTOR_FEATURE in names
    assert catalog.has_sectors is True
    assert catalog.omitted == []


# ---------------------------------------------------------------------------- training


def test_training_registers_v1_as_champion_with_one_report_per_horizon(
    data_client: TestClient,
) -> None:
    job = _run_job(data_client, "/models/train", {**SMALL_TRAINING, "horizons": [5, 10]})
    assert job["status"] == "succeeded"
    assert job["error"] is None
    result = TrainResult.model_validate(job["result"])
    assert result.version == "v1"
    assert result.role.value == "champion"
    assert result.decision.promoted is True
    assert result.decision.champion_after == "v1"
    assert [report.horizon for report in result.horizons] == [5, 10]
    assert [len(report.folds) for report in result.horizons] == [2, 2]

    page_reply = data_client.get(f"{API}/models")
    assert page_reply.status_code == 200
    page = ModelPageEnvelope.model_validate_json(page_reply.content).data
    assert page.champion == "v1"
    assert [(item.version, item.role.value) for item in page.items] == [("v1", "champion")]
    assert page.items[0].horizons == [5, 10]
    assert page.next_cursor is None


def test_get_model_by_version_and_by_champion_return_the_same_lab(
    trained_client: TestClient,
) -> None:
    by_version = trained_client.get(f"{API}/models/v1")
    by_role = trained_client.get(f"{API}/models/champion")
    assert by_version.status_code == by_role.status_code == 200
    lab = ModelLabEnvelope.model_validate_json(by_version.content).data
    champion = ModelLabEnvelope.model_validate_json(by_role.content).data
    assert lab == champion
    assert lab.summary.version == "v1"
    assert lab.summary.role.value == "champion"
    assert lab.request.folds == 2
    assert lab.request.lightgbm.n_estimators == 15
    assert [report.horizon for report in lab.horizons] == [5]
    assert [fold.fold for fold in lab.horizons[0].folds] == [1, 2]
    assert lab.features == CORE_FEATURES
    assert set(lab.files) == {"model_h5.txt", "oof.parquet"}
    assert [(d.kind.value, d.version, d.promoted) for d in lab.decisions] == [
        ("automatic", "v1", True)
    ]


@pytest.mark.parametrize("kind", ["gain", "split"])
def test_feature_importance_matches_lightgbm_largest_first(
    trained_client: TestClient, trained_settings: Settings, kind: str
) -> None:
    reply = trained_client.get(f"{API}/models/v1/importance?kind={kind}")
    assert reply.status_code == 200
    importance = FeatureImportanceEnvelope.model_validate_json(reply.content).data
    assert (importance.version, importance.horizon, importance.kind.value) == ("v1", 5, kind)
    values = [item.importance for item in importance.items]
    assert values == sorted(values, reverse=True)
    lab = trained_client.get(f"{API}/models/v1").json()["data"]
    assert {item.feature for item in importance.items} == set(lab["features"])
    assert len(importance.items) == len(lab["features"])
    model_text = (trained_settings.home / "registry" / "v1" / "model_h5.txt").read_text()
    reference = lgb.Booster(model_str=model_text).feature_importance(importance_type=kind)
    expected = dict(zip(lab["features"], reference.tolist(), strict=True))
    for item in importance.items:
        assert item.importance == pytest.approx(expected[item.feature], rel=1e-9)


def test_repeated_feature_importance_request_is_served_from_cache(
    trained_client: TestClient,
) -> None:
    first = trained_client.get(f"{API}/models/v1/importance?kind=gain")
    second = trained_client.get(f"{API}/models/v1/importance?kind=gain")
    assert first.json()["meta"]["cached"] is False
    assert second.json()["meta"]["cached"] is True
    assert second.json()["data"] == first.json()["data"]


# -------------------------------------------------------------------------- governance


def test_promoting_the_current_champion_is_a_conflict(trained_client: TestClient) -> None:
    error = _error(trained_client.post(f"{API}/models/v1/promote"), 409, "CONFLICT")
    assert "v1" in error["message"]
    page = trained_client.get(f"{API}/models").json()["data"]
    assert page["champion"] == "v1"


def test_manual_promotion_makes_v2_champion_and_retires_v1(trained_client: TestClient) -> None:
    job = _train(trained_client, seed=1)
    assert job["result"]["version"] == "v2"
    assert job["result"]["role"] == "challenger"  # no common out-of-sample dates with v1
    assert job["result"]["decision"]["promoted"] is False

    reply = trained_client.post(f"{API}/models/v2/promote")
    assert reply.status_code == 200
    decision = GovernanceDecisionEnvelope.model_validate_json(reply.content).data
    assert decision.kind.value == "manual"
    assert decision.version == "v2"
    assert decision.champion_before == "v1"
    assert decision.champion_after == "v2"
    assert decision.promoted is True

    page = ModelPageEnvelope.model_validate_json(trained_client.get(f"{API}/models").content)
    assert page.data.champion == "v2"
    assert [(item.version, item.role.value) for item in page.data.items] == [
        ("v2", "champion"),
        ("v1", "retired"),
    ]
    champion = trained_client.get(f"{API}/models/champion").json()["data"]
    assert champion["summary"]["version"] == "v2"


# ----------------------------------------------------------------------------- signals


def test_signals_are_ranked_by_score_with_rankdata_percentiles(
    trained_client: TestClient,
) -> None:
    job = _run_job(trained_client, "/signals/generate", {})
    assert job["status"] == "succeeded", job["error"]
    result = PredictResult.model_validate(job["result"])
    assert (result.version, result.horizon, str(result.as_of)) == ("v1", 5, LAST_SAMPLE_DATE)

    reply = trained_client.get(f"{API}/signals")
    assert reply.status_code == 200
    signals = SignalSetEnvelope.model_validate_json(reply.content).data
    rows = signals.signals
    count = len(rows)
    assert count == result.scored
    scores = np.array([row.score for row in rows])
    assert len(np.unique(scores)) == count  # no ties: ranks are unambiguous
    assert [row.rank for row in rows] == list(range(1, count + 1))
    assert list(scores) == sorted(scores, reverse=True)
    expected_ranks = rankdata(-scores, method="min")
    assert [row.rank for row in rows] == expected_ranks.astype(int).tolist()
    expected_percentiles = (rankdata(scores, method="min") - 1) / (count - 1)
    percentiles = np.array([row.percentile for row in rows])
    np.testing.assert_allclose(percentiles, expected_percentiles, rtol=0, atol=1e-12)
    assert percentiles[0] == 1.0
    assert percentiles[-1] == 0.0
    assert bool(np.all(np.diff(percentiles) < 0))


def test_default_universe_leaves_out_delisted_stocks_without_failing_them(
    trained_client: TestClient,
) -> None:
    delisted = _delisted(trained_client)
    assert len(delisted) == 5
    job = _run_job(trained_client, "/signals/generate", {})
    assert job["status"] == "succeeded"
    assert job["result"]["failed_tickers"] == []
    assert job["result"]["scored"] == 45
    signals = trained_client.get(f"{API}/signals").json()["data"]
    scored = {row["ticker"] for row in signals["signals"]}
    assert scored.isdisjoint(delisted)
    assert len(scored) == 45
    assert signals["failed_tickers"] == []


def test_listing_signals_before_any_generation_is_not_found(
    trained_client: TestClient,
) -> None:
    error = _error(trained_client.get(f"{API}/signals"), 404, "NOT_FOUND")
    assert "v1" in error["message"]


def test_mostly_unknown_tickers_fail_the_job_and_store_nothing(
    trained_client: TestClient,
) -> None:
    unknown = ["ZZZA", "ZZZB", "ZZZC"]
    job = _run_job(trained_client, "/signals/generate", {"tickers": ["SYNTEC01", *unknown]})
    assert job["status"] == "failed"
    assert job["result"] is None
    assert job["error"]["code"] == "PREDICTION_FAILED"
    assert job["error"]["message"].startswith("3 of 4 tickers could not be scored")
    assert job["error"]["details"] == [
        {"ticker": ticker, "reason": "UNKNOWN_TICKER", "message": "not a stock of the universe"}
        for ticker in unknown
    ]
    _error(trained_client.get(f"{API}/signals"), 404, "NOT_FOUND")


def test_signals_for_an_unknown_version_are_refused_before_queueing(
    trained_client: TestClient,
) -> None:
    before = _job_ids(trained_client)
    error = _error(
        trained_client.post(f"{API}/signals/generate", json={"version": "v9"}), 404, "NOT_FOUND"
    )
    assert "'v9'" in error["message"]
    assert _job_ids(trained_client) == before


# ------------------------------------------------------------------ request validation


@pytest.mark.parametrize("path", ["/models/train", "/signals/generate"])
def test_unknown_body_field_is_a_validation_error(trained_client: TestClient, path: str) -> None:
    error = _error(
        trained_client.post(f"{API}{path}", json={"everything": 1}), 422, "VALIDATION_ERROR"
    )
    assert [detail["loc"] for detail in error["details"]] == [["body", "everything"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"horizons": [5, 5]}, "horizons"),
        ({"horizons": [64]}, "horizons"),
        ({"end": 0}, "end"),
    ],
)
def test_invalid_train_request_is_refused_before_queueing(
    trained_client: TestClient, body: dict[str, Any], field: str
) -> None:
    before = _job_ids(trained_client)
    error = _error(trained_client.post(f"{API}/models/train", json=body), 422, "VALIDATION_ERROR")
    assert [detail["loc"][:2] for detail in error["details"]] == [["body", field]]
    assert _job_ids(trained_client) == before


def test_repeated_signal_tickers_are_a_validation_error(trained_client: TestClient) -> None:
    before = _job_ids(trained_client)
    reply = trained_client.post(f"{API}/signals/generate", json={"tickers": ["AAA", "AAA"]})
    error = _error(reply, 422, "VALIDATION_ERROR")
    assert [detail["loc"] for detail in error["details"]] == [["body", "tickers"]]
    assert "AAA" in error["message"]
    assert _job_ids(trained_client) == before


# --------------------------------------------------------------------------- corruption


def test_flipped_model_byte_is_artifact_corrupt_never_a_500(
    trained_client: TestClient, trained_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    model_file = trained_settings.home / "registry" / "v1" / "model_h5.txt"
    payload = bytearray(model_file.read_bytes())
    payload[len(payload) // 2] ^= 0x01
    model_file.write_bytes(bytes(payload))

    with caplog.at_level(logging.WARNING, logger="quant_engine.models.registry"):
        error = _error(trained_client.get(f"{API}/models/v1"), 422, "ARTIFACT_CORRUPT")
    assert "v1/model_h5.txt" in error["message"]
    warnings = [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and "v1/model_h5.txt" in record.getMessage()
    ]
    assert warnings

    before = _job_ids(trained_client)
    reply = trained_client.post(f"{API}/signals/generate", json={"version": "v1"})
    assert "model_h5.txt" in _error(reply, 422, "ARTIFACT_CORRUPT")["message"]
    assert _job_ids(trained_client) == before
    _error(trained_client.get(f"{API}/models/champion"), 422, "ARTIFACT_CORRUPT")

    assert trained_client.get(f"{API}/health").status_code == 200
    assert trained_client.get(f"{API}/features").status_code == 200


# --------------------------------------------------------------- unreadable registry


@pytest.fixture
def blocked_registry_client(data_settings: Settings) -> Iterator[TestClient]:
    """The sample's app whose ``QE_HOME/registry`` is a file, made before the app starts."""
    (data_settings.home / "registry").write_text("not a folder\n")
    with TestClient(create_app(data_settings)) as client:
        yield client


def test_registry_that_is_a_file_degrades_health(blocked_registry_client: TestClient) -> None:
    reply = blocked_registry_client.get(f"{API}/health")
    assert reply.status_code == 200
    health = HealthEnvelope.model_validate_json(reply.content).data
    assert health.status.value == "degraded"
    components = {component.name.value: component for component in health.components}
    assert components["data"].status.value == "ok"
    assert components["data"].message is None
    assert components["registry"].status.value == "degraded"
    assert components["registry"].message is not None
    assert "is not a directory" in components["registry"].message


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/models", None),
        ("GET", "/models/v1", None),
        ("GET", "/models/champion", None),
        ("POST", "/models/train", SMALL_TRAINING),
        ("POST", "/signals/generate", {}),
    ],
)
def test_registry_that_is_a_file_makes_model_operations_unavailable(
    blocked_registry_client: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    reply = blocked_registry_client.request(method, f"{API}{path}", json=body)
    error = _error(reply, 503, "UNAVAILABLE")
    assert "is not a directory" in error["message"]
    assert _job_ids(blocked_registry_client) == []


def test_registry_that_is_a_file_leaves_market_data_available(
    blocked_registry_client: TestClient,
) -> None:
    reply = blocked_registry_client.get(f"{API}/data/tickers/SYNTEC01/bars?limit=5")
    assert reply.status_code == 200
    assert reply.json()["data"]["count"] == 5
    assert blocked_registry_client.get(f"{API}/features").status_code == 200
