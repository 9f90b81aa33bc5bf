"""Daily IC and its summary, checked against scipy per date."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from quant_engine.models.metrics import FoldMetrics, daily_ic, summarize


def _fixture() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    predictions = rng.normal(size=(30, 25))
    labels = 0.3 * predictions + rng.normal(size=(30, 25))
    # Ties on both sides, and NaN on each side independently.
    predictions[::3] = np.round(predictions[::3], 0)
    labels[1::4] = np.round(labels[1::4] * 2.0) / 2.0
    predictions[rng.random(predictions.shape) < 0.15] = np.nan
    labels[rng.random(labels.shape) < 0.15] = np.nan
    return predictions, labels


def test_daily_ic_matches_scipy_pearson_and_spearman_per_date() -> None:
    predictions, labels = _fixture()
    ic, rank_ic, names = daily_ic(predictions, labels)
    for day in range(predictions.shape[0]):
        both = np.isfinite(predictions[day]) & np.isfinite(labels[day])
        assert names[day] == both.sum()
        x, y = predictions[day, both], labels[day, both]
        assert ic[day] == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
        assert rank_ic[day] == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)


def test_dates_with_fewer_than_three_names_or_constant_values_have_nan_ic() -> None:
    predictions = np.array(
        [
            [1.0, 2.0, np.nan, np.nan],  # two names
            [0.1, 0.1, 0.1, 0.1],  # constant prediction
            [1.0, 2.0, 3.0, 4.0],
        ]
    )
    labels = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]])
    ic, rank_ic, names = daily_ic(predictions, labels)
    assert names.tolist() == [2, 4, 4]
    assert np.isnan(ic).all()
    assert np.isnan(rank_ic).all()


def test_summarize_reports_means_icir_and_signed_hit_rate() -> None:
    predictions, labels = _fixture()
    metrics = summarize(predictions, labels)
    _, rank_ic, _ = daily_ic(predictions, labels)
    ic, _, _ = daily_ic(predictions, labels)
    assert metrics.ic == pytest.approx(np.nanmean(ic), abs=1e-15)
    assert metrics.rank_ic == pytest.approx(np.nanmean(rank_ic), abs=1e-15)
    finite = rank_ic[np.isfinite(rank_ic)]
    assert metrics.icir == pytest.approx(finite.mean() / finite.std(ddof=1), abs=1e-12)
    assert metrics.n_dates == finite.size
    both = np.isfinite(predictions) & np.isfinite(labels)
    assert metrics.n_obs == both.sum()
    x, y = predictions[both], labels[both]
    signed = (x != 0) & (y != 0)
    assert metrics.hit_rate == pytest.approx(np.mean(np.sign(x[signed]) == np.sign(y[signed])))


def test_hit_rate_leaves_out_zero_predictions_and_labels() -> None:
    predictions = np.array([[1.0, -1.0, 0.0, 2.0]])
    labels = np.array([[1.0, 1.0, 5.0, 0.0]])
    metrics = summarize(predictions, labels)
    assert metrics.hit_rate == 0.5
    assert metrics.n_obs == 4


def test_an_empty_panel_summarizes_to_nan_without_warnings() -> None:
    metrics = summarize(np.full((5, 3), np.nan), np.full((5, 3), np.nan))
    assert math.isnan(metrics.ic)
    assert math.isnan(metrics.icir)
    assert math.isnan(metrics.hit_rate)
    assert (metrics.n_dates, metrics.n_obs) == (0, 0)


def test_fold_metrics_round_trip_through_json_ready_dicts() -> None:
    metrics = summarize(*_fixture())
    assert FoldMetrics.from_dict(metrics.as_dict()) == metrics
    empty = summarize(np.full((2, 3), np.nan), np.full((2, 3), np.nan))
    assert empty.as_dict()["ic"] is None
    assert math.isnan(FoldMetrics.from_dict(empty.as_dict()).ic)
