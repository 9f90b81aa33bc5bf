"""The model registry: atomic immutable versions, verified on every read."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from quant_engine.core.errors import (
    ArtifactCorruptError,
    NotFoundError,
    UnavailableError,
    ValidationFailedError,
)
from quant_engine.models.config import LightGBMParams, TrainConfig
from quant_engine.models.registry import ModelRegistry, ModelVersion
from quant_engine.models.trainer import TrainingData, TrainResult, predict, train
from tests.models.test_trainer import make_data

WINDOW = (dt.date(2015, 1, 2), dt.date(2015, 10, 28))
FINGERPRINT = "ab" * 32


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return make_data(seed=5)


@pytest.fixture(scope="module")
def config() -> TrainConfig:
    fast = LightGBMParams(n_estimators=10, min_data_in_leaf=50, num_leaves=7)
    return TrainConfig(horizons=(5, 10), folds=2, embargo_days=2, seed=3, lightgbm=fast)


@pytest.fixture(scope="module")
def result(data: TrainingData, config: TrainConfig) -> TrainResult:
    return train(data, config)


def save(registry: ModelRegistry, result: TrainResult, config: TrainConfig) -> ModelVersion:
    return registry.save(
        result,
        request=config.as_dict(),
        feature_mode=config.feature_mode,
        training_window=WINDOW,
        universe_fingerprint=FINGERPRINT,
        benchmark="SPX",
        warnings=("five tickers joined late",),
    )


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "registry")


def test_a_saved_version_loads_back_with_every_field(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig, data: TrainingData
) -> None:
    saved = save(registry, result, config)
    loaded = registry.load("v1")
    assert saved.version == loaded.version == "v1"
    assert loaded.request == json.loads(json.dumps(config.as_dict()))
    assert loaded.feature_mode == "core"
    assert loaded.feature_names == data.feature_names
    assert loaded.training_window == WINDOW
    assert loaded.universe_fingerprint == FINGERPRINT
    assert loaded.benchmark == "SPX"
    assert loaded.warnings == ("five tickers joined late",)
    assert loaded.created_at.utcoffset() == dt.timedelta(0)
    assert set(loaded.library_versions) == {"lightgbm", "numpy", "pandas", "python", "quant_engine"}
    assert set(loaded.files) == {"model_h5.txt", "model_h10.txt", "oof.parquet"}
    for trained in result.horizons:
        record = loaded.horizon(trained.horizon)
        assert loaded.model_text(trained.horizon) == trained.model_text
        assert record.scaler == trained.scaler
        assert record.folds == trained.folds
        assert record.overall == trained.overall
        assert record.feature_importance_gain == trained.feature_importance_gain
        assert record.feature_importance_split == trained.feature_importance_split
    features = data.features[-1]
    np.testing.assert_array_equal(
        loaded.predict(10, features, data.feature_names),
        predict(result.horizons[1].model_text, result.horizons[1].scaler, features),
    )


def test_out_of_fold_predictions_round_trip(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig
) -> None:
    save(registry, result, config)
    frame = registry.load_oof("v1")
    assert list(frame.columns) == ["horizon", "date", "ticker", "prediction", "label"]
    for trained in result.horizons:
        part = frame[frame["horizon"] == trained.horizon]
        np.testing.assert_array_equal(part["prediction"].to_numpy(), trained.oof.prediction)
        np.testing.assert_array_equal(part["label"].to_numpy(), trained.oof.label)
        assert part["ticker"].tolist() == trained.oof.tickers.tolist()
        dates = part["date"].to_numpy().astype("datetime64[D]")
        np.testing.assert_array_equal(dates, trained.oof.dates)


def test_saving_twice_gives_v1_then_v2_newest_first_and_no_temporary_directories(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig
) -> None:
    assert save(registry, result, config).version == "v1"
    assert save(registry, result, config).version == "v2"
    assert registry.list_versions() == ("v2", "v1")
    assert sorted(path.name for path in registry.root.iterdir()) == ["v1", "v2"]


def test_concurrent_saves_get_distinct_versions(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig
) -> None:
    versions: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        version = save(registry, result, config).version
        with lock:
            versions.append(version)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions, key=lambda v: int(v[1:])) == [f"v{n}" for n in range(1, 7)]
    assert sorted(path.name for path in registry.root.iterdir()) == sorted(versions)


def test_a_flipped_byte_in_a_model_file_is_artifact_corrupt_naming_it(
    registry: ModelRegistry,
    result: TrainResult,
    config: TrainConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    save(registry, result, config)
    model_file = registry.root / "v1" / "model_h10.txt"
    payload = bytearray(model_file.read_bytes())
    payload[len(payload) // 2] ^= 0x01
    model_file.write_bytes(bytes(payload))
    with (
        caplog.at_level(logging.WARNING, logger="quant_engine.models.registry"),
        pytest.raises(ArtifactCorruptError, match=r"v1/model_h10\.txt"),
    ):
        registry.load("v1")
    assert any("model_h10.txt" in record.getMessage() for record in caplog.records)
    assert all(record.levelno == logging.WARNING for record in caplog.records)


def test_a_model_file_changed_after_loading_is_caught_on_read(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig
) -> None:
    loaded = save(registry, result, config)
    (registry.root / "v1" / "model_h5.txt").write_text("tree\n")
    with pytest.raises(ArtifactCorruptError, match=r"model_h5\.txt"):
        loaded.model_text(5)


def test_a_deleted_file_is_artifact_corrupt_naming_it(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig
) -> None:
    save(registry, result, config)
    (registry.root / "v1" / "oof.parquet").unlink()
    with pytest.raises(ArtifactCorruptError, match=r"oof\.parquet"):
        registry.load("v1")
    with pytest.raises(ArtifactCorruptError, match=r"oof\.parquet"):
        registry.load_oof("v1")


@pytest.mark.parametrize(
    "metadata",
    [
        b"\x00garbage{",
        b"[]",
        b'{"format_version": 1}',
    ],
)
def test_garbage_metadata_is_artifact_corrupt_naming_it(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig, metadata: bytes
) -> None:
    save(registry, result, config)
    (registry.root / "v1" / "metadata.json").write_bytes(metadata)
    with pytest.raises(ArtifactCorruptError, match=r"v1/metadata\.json"):
        registry.load("v1")


def test_a_missing_metadata_file_is_artifact_corrupt(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig
) -> None:
    save(registry, result, config)
    (registry.root / "v1" / "metadata.json").unlink()
    with pytest.raises(ArtifactCorruptError, match=r"metadata\.json"):
        registry.load("v1")


def test_metadata_listing_a_path_outside_the_version_is_artifact_corrupt(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig
) -> None:
    save(registry, result, config)
    metadata_path = registry.root / "v1" / "metadata.json"
    document = json.loads(metadata_path.read_text())
    document["files"]["../../etc/passwd"] = "0" * 64
    metadata_path.write_text(json.dumps(document))
    with pytest.raises(ArtifactCorruptError, match="not allowed"):
        registry.load("v1")


def test_a_feature_list_mismatch_is_artifact_corrupt(
    registry: ModelRegistry, result: TrainResult, config: TrainConfig, data: TrainingData
) -> None:
    loaded = save(registry, result, config)
    reordered = (data.feature_names[1], data.feature_names[0], *data.feature_names[2:])
    with pytest.raises(ArtifactCorruptError, match="expects features"):
        loaded.predict(5, data.features[-1], reordered)


def test_unknown_versions_are_not_found(registry: ModelRegistry) -> None:
    registry.check_readable()
    for version in ("v1", "v0", "latest", "../registry"):
        with pytest.raises(NotFoundError):
            registry.load(version)
    assert registry.list_versions() == ()


def test_check_readable_creates_a_missing_root(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "home" / "registry")
    registry.check_readable()
    assert registry.root.is_dir()


def test_a_registry_root_that_is_a_file_is_unavailable(tmp_path: Path) -> None:
    root = tmp_path / "registry"
    root.write_text("not a directory")
    registry = ModelRegistry(root)
    with pytest.raises(UnavailableError, match="not a directory"):
        registry.check_readable()
    with pytest.raises(UnavailableError):
        registry.list_versions()


def test_a_request_that_is_not_json_is_refused_before_anything_is_written(
    registry: ModelRegistry, result: TrainResult
) -> None:
    with pytest.raises(ValidationFailedError):
        registry.save(
            result,
            request={"when": dt.date(2020, 1, 1)},
            feature_mode="core",
            training_window=WINDOW,
            universe_fingerprint=FINGERPRINT,
            benchmark="SPX",
            warnings=(),
        )
    assert list(registry.root.iterdir()) == []
