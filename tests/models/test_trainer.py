"""LightGBM training: determinism, purge, planted signal, one predict path, cancellation."""

from __future__ import annotations

import dataclasses
import hashlib
import math

import lightgbm as lgb
import numpy as np
import pytest

from quant_engine.core.errors import ArtifactCorruptError, ValidationFailedError
from quant_engine.models.config import LightGBMParams, TrainConfig
from quant_engine.models.trainer import (
    Scaler,
    TrainingCancelled,
    TrainingData,
    TrainResult,
    _row_percentile,
    lightgbm_params,
    predict,
    train,
    winsorize_per_date,
)

N_DATES, N_TICKERS, N_FEATURES = 300, 40, 6
SIGNAL_FEATURE = 2
FAST = LightGBMParams(n_estimators=20, min_data_in_leaf=50, num_leaves=15)


def make_data(seed: int = 0) -> TrainingData:
    """Labels are a noisy linear function of one feature; some names leave the universe,
    some features are missing, and the last labels are unknown (as at a window's end)."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(N_DATES, N_TICKERS, N_FEATURES))
    signal = features[:, :, SIGNAL_FEATURE].copy()
    features[rng.random(features.shape) < 0.03] = np.nan
    labels = 0.01 * signal + 0.01 * rng.normal(size=(N_DATES, N_TICKERS))
    labels[-5:] = np.nan
    labels[rng.random(labels.shape) < 0.02] = np.nan
    mask = np.ones((N_DATES, N_TICKERS), dtype=bool)
    mask[:100, :5] = False  # five names join the universe late
    return TrainingData(
        dates=np.datetime64("2015-01-02") + np.arange(N_DATES) * np.timedelta64(1, "D"),
        tickers=tuple(f"T{index:02d}" for index in range(N_TICKERS)),
        feature_names=tuple(f"feature_{index}" for index in range(N_FEATURES)),
        features=features,
        labels={5: labels, 10: labels * 1.5},
        mask=mask,
    )


@pytest.fixture(scope="module")
def data() -> TrainingData:
    return make_data()


@pytest.fixture(scope="module")
def config() -> TrainConfig:
    return TrainConfig(horizons=(5,), folds=4, embargo_days=3, seed=11, lightgbm=FAST)


@pytest.fixture(scope="module")
def result(data: TrainingData, config: TrainConfig) -> TrainResult:
    return train(data, config)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def trees(model_text: str) -> str:
    """The trees of a model text, without the parameter echo (which names the seed)."""
    return model_text.split("\nparameters:", maxsplit=1)[0]


def test_same_data_and_config_give_an_identical_model(
    data: TrainingData, config: TrainConfig, result: TrainResult
) -> None:
    again = train(data, config)
    assert sha(again.horizons[0].model_text) == sha(result.horizons[0].model_text)
    assert np.array_equal(again.horizons[0].oof.prediction, result.horizons[0].oof.prediction)


def test_a_different_seed_gives_different_trees(
    data: TrainingData, config: TrainConfig, result: TrainResult
) -> None:
    other = train(data, dataclasses.replace(config, seed=12))
    assert trees(other.horizons[0].model_text) != trees(result.horizons[0].model_text)


def test_a_different_num_leaves_gives_a_different_model(
    data: TrainingData, config: TrainConfig, result: TrainResult
) -> None:
    changed = dataclasses.replace(config, lightgbm=dataclasses.replace(FAST, num_leaves=4))
    other = train(data, changed)
    assert trees(other.horizons[0].model_text) != trees(result.horizons[0].model_text)


def test_a_different_embargo_or_fold_count_changes_the_folds(
    data: TrainingData, config: TrainConfig, result: TrainResult
) -> None:
    embargoed = train(data, dataclasses.replace(config, embargo_days=10)).horizons[0]
    assert [fold.train for fold in embargoed.folds] != [
        fold.train for fold in result.horizons[0].folds
    ]
    refolded = train(data, dataclasses.replace(config, folds=3)).horizons[0]
    assert len(refolded.folds) == 3
    assert refolded.overall != result.horizons[0].overall


def test_every_fold_fits_only_on_purged_and_embargoed_rows(
    data: TrainingData, config: TrainConfig, result: TrainResult
) -> None:
    day_index = {day.astype("datetime64[D]").astype(object): i for i, day in enumerate(data.dates)}
    horizon = result.horizons[0]
    assert len(horizon.folds) == config.folds
    for fold in horizon.folds:
        assert fold.train.first is not None
        assert fold.train.last is not None
        assert fold.test.first is not None
        last_train, first_test = day_index[fold.train.last], day_index[fold.test.first]
        # The label of the last training day ends at last_train + 1 + h.
        assert last_train + 1 + horizon.horizon < first_test - config.embargo_days
        assert fold.train.n_rows > 0
        assert fold.test.n_rows == fold.metrics.n_obs


def test_out_of_fold_rows_are_the_test_rows_in_the_universe_with_a_known_label(
    data: TrainingData, result: TrainResult
) -> None:
    oof = result.horizons[0].oof
    folds = result.horizons[0].folds
    assert oof.dates.dtype == np.dtype("datetime64[D]")
    assert oof.prediction.size == sum(fold.test.n_rows for fold in folds)
    date_pos = np.searchsorted(data.dates.astype("datetime64[D]"), oof.dates)
    ticker_pos = np.array([data.tickers.index(str(t)) for t in oof.tickers])
    assert data.mask[date_pos, ticker_pos].all()
    assert np.array_equal(oof.label, data.labels[5][date_pos, ticker_pos])
    assert len(set(zip(date_pos.tolist(), ticker_pos.tolist(), strict=True))) == oof.label.size
    first_test = folds[0].test.first
    assert first_test is not None
    assert oof.dates.min() == np.datetime64(first_test)


def test_a_planted_signal_gives_positive_out_of_fold_rank_ic(result: TrainResult) -> None:
    horizon = result.horizons[0]
    assert horizon.overall.rank_ic > 0.3
    assert all(fold.metrics.rank_ic > 0.2 for fold in horizon.folds)
    assert horizon.overall.hit_rate > 0.55
    gain = np.array(horizon.feature_importance_gain)
    assert int(np.argmax(gain)) == SIGNAL_FEATURE
    assert len(horizon.feature_importance_split) == N_FEATURES


def _all_rows(data: TrainingData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    labels = data.labels[5]
    date_index, ticker_index = np.nonzero(data.mask & np.isfinite(labels))
    return (
        date_index,
        ticker_index,
        data.features[date_index, ticker_index],
        labels[date_index, ticker_index],
    )


def test_the_final_model_is_lightgbm_on_all_rows_and_predict_reproduces_it(
    data: TrainingData, config: TrainConfig, result: TrainResult
) -> None:
    horizon = result.horizons[0]
    date_index, _, features, labels = _all_rows(data)
    reference_scaler = Scaler.fit(data.feature_names, features)
    assert reference_scaler == horizon.scaler
    # Independent reference: per-date winsorizing with np.percentile, one date at a time.
    winsorized = labels.copy()
    for day in np.unique(date_index):
        on_day = date_index == day
        low, high = np.percentile(labels[on_day], [1.0, 99.0])
        winsorized[on_day] = np.clip(labels[on_day], low, high)
    params = lightgbm_params(config)
    booster = lgb.train(
        params,
        lgb.Dataset(
            reference_scaler.transform(features),
            label=winsorized,
            feature_name=list(data.feature_names),
            params=params,
        ),
        num_boost_round=config.lightgbm.n_estimators,
    )
    assert booster.model_to_string() == horizon.model_text
    expected = booster.predict(reference_scaler.transform(features))
    np.testing.assert_array_equal(predict(horizon.model_text, horizon.scaler, features), expected)


def test_the_model_is_reproducible_in_a_fresh_booster_with_nan_features(
    result: TrainResult,
) -> None:
    horizon = result.horizons[0]
    features = np.full((3, N_FEATURES), np.nan)
    features[1] = 1.0
    first = predict(horizon.model_text, horizon.scaler, features)
    assert first.shape == (3,)
    assert np.isfinite(first).all()
    assert first[0] == first[2]


def test_predict_refuses_wrong_width_and_garbage_model_text(result: TrainResult) -> None:
    horizon = result.horizons[0]
    with pytest.raises(ValidationFailedError):
        predict(horizon.model_text, horizon.scaler, np.zeros((2, N_FEATURES + 1)))
    with pytest.raises(ArtifactCorruptError):
        predict("not a model", horizon.scaler, np.zeros((2, N_FEATURES)))


class _CancelWhenFoldStarts:
    def __init__(self, fold_message: str) -> None:
        self.fold_message = fold_message
        self.cancelled = False
        self.messages: list[str] = []

    def is_cancelled(self) -> bool:
        return self.cancelled

    def progress(self, fraction: float, message: str) -> None:
        self.messages.append(message)
        if self.fold_message in message:
            self.cancelled = True


def test_a_cancel_after_the_first_fold_stops_before_the_next_fit(
    data: TrainingData, config: TrainConfig
) -> None:
    token = _CancelWhenFoldStarts("fold 2/")
    with pytest.raises(TrainingCancelled):
        train(data, config, cancel=token, progress=token.progress)
    assert token.messages == ["h=5 fold 1/4", "h=5 fold 2/4"]


class _CancelAfterChecks:
    def __init__(self, checks: int) -> None:
        self.limit = checks
        self.calls = 0

    def is_cancelled(self) -> bool:
        self.calls += 1
        return self.calls >= self.limit


def test_a_cancel_during_boosting_is_seen_at_the_next_iteration(
    data: TrainingData, config: TrainConfig
) -> None:
    slow = dataclasses.replace(config, lightgbm=dataclasses.replace(FAST, n_estimators=2000))
    token = _CancelAfterChecks(checks=5)
    with pytest.raises(TrainingCancelled):
        train(data, slow, cancel=token)
    # One check before the fit, then one per boosting round: it stopped at round four.
    assert token.calls == 5


def test_progress_counts_every_fit_of_every_horizon(
    data: TrainingData, config: TrainConfig
) -> None:
    seen: list[tuple[float, str]] = []
    two = dataclasses.replace(config, horizons=(5, 10), folds=2)
    result = train(data, two, progress=lambda fraction, message: seen.append((fraction, message)))
    assert [message for _, message in seen] == [
        "h=5 fold 1/2",
        "h=5 fold 2/2",
        "h=5 final model",
        "h=10 fold 1/2",
        "h=10 fold 2/2",
        "h=10 final model",
        "training done",
    ]
    assert [fraction for fraction, _ in seen] == pytest.approx(
        [0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1]
    )
    assert [horizon.horizon for horizon in result.horizons] == [5, 10]


def test_a_window_too_short_for_the_folds_is_a_validation_error(data: TrainingData) -> None:
    config = TrainConfig(horizons=(10,), folds=10, embargo_days=63, lightgbm=FAST)
    with pytest.raises(ValidationFailedError) as raised:
        train(data, config)
    assert raised.value.details[0].loc == ("folds",)


def test_a_horizon_without_labels_is_a_validation_error(data: TrainingData) -> None:
    with pytest.raises(ValidationFailedError, match="no labels for horizons"):
        train(data, TrainConfig(horizons=(21,), lightgbm=FAST))


def test_training_data_refuses_misshaped_panels_and_unsafe_feature_names() -> None:
    good = make_data()
    with pytest.raises(ValidationFailedError):
        dataclasses.replace(good, mask=good.mask[:-1])
    with pytest.raises(ValidationFailedError):
        dataclasses.replace(good, feature_names=("a:b", *good.feature_names[1:]))
    with pytest.raises(ValidationFailedError):
        dataclasses.replace(good, dates=good.dates[::-1])


def test_the_scaler_standardizes_clips_and_keeps_nan() -> None:
    features = np.array(
        [[0.0, 5.0, np.nan], [2.0, 5.0, np.nan], [4.0, 5.0, np.nan], [100.0, 5.0, np.nan]]
    )
    scaler = Scaler.fit(("a", "b", "c"), features[:3])
    assert scaler.mean == (2.0, 5.0, 0.0)
    assert scaler.std == pytest.approx((math.sqrt(8 / 3), 1.0, 1.0))
    out = scaler.transform(np.array([[4.0, 6.0, np.nan], [100.0, np.inf, 1.0]]))
    assert out[0, 0] == pytest.approx(2.0 / math.sqrt(8 / 3))
    assert out[0, 1] == 1.0
    assert np.isnan(out[0, 2])
    assert out[1, 0] == scaler.clip
    assert np.isnan(out[1, 1])
    assert Scaler.from_dict(scaler.as_dict()) == scaler


def test_winsorizing_clips_each_date_at_its_own_percentiles() -> None:
    rng = np.random.default_rng(3)
    date_index = np.repeat(np.arange(4), 50)
    ticker_index = np.tile(np.arange(50), 4)
    labels = rng.standard_t(df=2, size=200) * (1 + date_index)
    clipped = winsorize_per_date(date_index, ticker_index, labels, lower=1.0, upper=99.0)
    for day in range(4):
        on_day = date_index == day
        low, high = np.percentile(labels[on_day], [1.0, 99.0])
        np.testing.assert_array_equal(clipped[on_day], np.clip(labels[on_day], low, high))


def test_the_config_validates_bounds_and_serializes_to_json_types() -> None:
    with pytest.raises(ValidationFailedError):
        TrainConfig(folds=1)
    with pytest.raises(ValidationFailedError):
        TrainConfig(horizons=(5, 5))
    with pytest.raises(ValidationFailedError):
        LightGBMParams(num_leaves=300)
    import datetime as dt
    import json

    document = TrainConfig(end=dt.date(2018, 2, 7)).as_dict()
    assert json.loads(json.dumps(document))["end"] == "2018-02-07"
    assert document["lightgbm"] == LightGBMParams().as_dict()


def test_the_vectorised_row_percentile_equals_numpy_nanpercentile_bit_for_bit() -> None:
    rng = np.random.default_rng(9)
    for trial in range(50):
        panel = rng.standard_t(df=2, size=(17, 31)) * 10.0 ** rng.integers(-4, 7)
        if trial % 3 == 0:
            panel = np.round(panel)  # ties
        panel[rng.random(panel.shape) < rng.random() * 0.9] = np.nan
        panel[:, 0] = rng.normal(size=17)  # every date keeps at least one label
        for percentile in (0.0, 1.0, 37.5, 99.0, 100.0):
            np.testing.assert_array_equal(
                _row_percentile(panel, percentile), np.nanpercentile(panel, percentile, axis=1)
            )
