"""Daily IC against scipy, the IC tracker's storage, and the rolling mean."""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from quant_engine.core.errors import ValidationFailedError
from quant_engine.tracking import IC_SCHEMA, IcTracker, TrackingDatabase, daily_ic, rolling_mean

SCORED_AT = dt.datetime(2024, 6, 3, 21, 30, tzinfo=dt.UTC)


def _panel_day(seed: int, names: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Scores and returns with ties (rounded scores) and NaNs on both sides."""
    rng = np.random.default_rng(seed)
    scores = np.round(rng.normal(size=names), 1)
    realized = 0.3 * scores + rng.normal(scale=0.02, size=names)
    realized[rng.choice(names, 5, replace=False)] = np.nan
    scores[rng.choice(names, 4, replace=False)] = np.nan
    realized[rng.choice(names, 3, replace=False)] = 0.05  # tied returns
    return scores, realized


def _reference(scores: np.ndarray, realized: np.ndarray) -> tuple[float, float, int]:
    both = np.isfinite(scores) & np.isfinite(realized)
    x, y = scores[both], realized[both]
    return (
        float(stats.pearsonr(x, y).statistic),
        float(stats.spearmanr(x, y).statistic),
        int(both.sum()),
    )


@pytest.fixture
def tracker(tmp_path: Path) -> IcTracker:
    return IcTracker(TrackingDatabase(tmp_path / "state" / "tracking.db", IC_SCHEMA))


@pytest.mark.parametrize("seed", range(5))
def test_daily_ic_matches_scipy_with_nans_and_ties(seed: int) -> None:
    scores, realized = _panel_day(seed)
    ic, rank_ic, names = daily_ic(scores, realized)
    expected_ic, expected_rank_ic, expected_names = _reference(scores, realized)
    assert names == expected_names
    assert ic == pytest.approx(expected_ic, abs=1e-12)
    assert rank_ic == pytest.approx(expected_rank_ic, abs=1e-12)


def test_daily_ic_is_scale_invariant_for_huge_and_tiny_values() -> None:
    scores, realized = _panel_day(7)
    expected_ic, expected_rank_ic, _ = _reference(scores, realized)
    ic, rank_ic, _ = daily_ic(scores * 1e300, realized * 1e-300)
    assert ic == pytest.approx(expected_ic, abs=1e-12)
    assert rank_ic == pytest.approx(expected_rank_ic, abs=1e-12)


def test_daily_ic_counts_only_pairs_finite_on_both_sides() -> None:
    scores = np.array([1.0, np.nan, 3.0, np.inf, 5.0])
    realized = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    assert daily_ic(scores, realized) == (None, None, 2)


def test_daily_ic_is_none_for_a_constant_side() -> None:
    assert daily_ic(np.array([1.0, 2.0, 3.0, 4.0]), np.full(4, 0.01)) == (None, None, 4)
    assert daily_ic(np.full(4, 2.0), np.array([1.0, 2.0, 3.0, 4.0])) == (None, None, 4)


def test_daily_ic_with_three_names_is_defined() -> None:
    ic, rank_ic, names = daily_ic(np.array([1.0, 2.0, 3.0]), np.array([3.0, 1.0, 2.0]))
    assert names == 3
    assert ic == pytest.approx(-0.5, abs=1e-12)
    assert rank_ic == pytest.approx(-0.5, abs=1e-12)


def test_daily_ic_rejects_misaligned_arrays() -> None:
    with pytest.raises(ValidationFailedError):
        daily_ic(np.zeros(4), np.zeros(5))


def test_record_stores_the_scipy_values(tracker: IcTracker) -> None:
    scores, realized = _panel_day(11)
    as_of = dt.date(2024, 5, 31)
    assert tracker.record("v1", 5, as_of, scores, realized, in_sample=False, scored_at=SCORED_AT)
    (record,) = tracker.history("v1", 5)
    expected_ic, expected_rank_ic, expected_names = _reference(scores, realized)
    assert (record.version, record.horizon, record.as_of) == ("v1", 5, as_of)
    assert record.ic == pytest.approx(expected_ic, abs=1e-12)
    assert record.rank_ic == pytest.approx(expected_rank_ic, abs=1e-12)
    assert record.names == expected_names
    assert record.in_sample is False
    assert record.scored_at == SCORED_AT


def test_recording_the_same_key_again_adds_nothing(tracker: IcTracker) -> None:
    scores, realized = _panel_day(1)
    as_of = dt.date(2024, 5, 31)
    assert tracker.record("v1", 5, as_of, scores, realized, in_sample=False, scored_at=SCORED_AT)
    later = SCORED_AT + dt.timedelta(days=1)
    assert not tracker.record("v1", 5, as_of, -scores, realized, in_sample=True, scored_at=later)
    with sqlite3.connect(tracker.db.path) as connection:
        assert connection.execute("SELECT count(*) FROM ic_scores").fetchone() == (1,)
    (record,) = tracker.history("v1", 5)
    assert record.in_sample is False  # the first recording wins
    assert record.scored_at == SCORED_AT


def test_few_names_are_stored_with_null_ics(tracker: IcTracker) -> None:
    scores = np.array([0.1, 0.2, np.nan])
    realized = np.array([0.01, 0.02, 0.03])
    tracker.record(
        "v1", 1, dt.date(2024, 1, 2), scores, realized, in_sample=False, scored_at=SCORED_AT
    )
    (record,) = tracker.history("v1", 1)
    assert (record.ic, record.rank_ic, record.names) == (None, None, 2)


def test_history_and_scored_dates_are_per_version_and_horizon(tracker: IcTracker) -> None:
    dates = [dt.date(2024, 3, day) for day in (15, 4, 11, 1)]
    for seed, as_of in enumerate(dates):
        scores, realized = _panel_day(seed)
        tracker.record("v1", 5, as_of, scores, realized, in_sample=False, scored_at=SCORED_AT)
    scores, realized = _panel_day(99)
    tracker.record(
        "v1", 20, dt.date(2024, 3, 20), scores, realized, in_sample=False, scored_at=SCORED_AT
    )
    tracker.record(
        "v2", 5, dt.date(2024, 3, 21), scores, realized, in_sample=False, scored_at=SCORED_AT
    )
    assert [record.as_of for record in tracker.history("v1", 5)] == sorted(dates)
    assert tracker.scored_dates("v1", 5) == frozenset(dates)
    assert tracker.scored_dates("v1", 20) == frozenset({dt.date(2024, 3, 20)})
    assert tracker.scored_dates("v3", 5) == frozenset()


def test_recent_rank_ic_skips_in_sample_and_null_rows(tracker: IcTracker) -> None:
    expected: dict[dt.date, float] = {}
    for day in range(1, 11):
        as_of = dt.date(2024, 4, day)
        scores, realized = _panel_day(day)
        in_sample = day <= 3
        if day == 8:  # too few names: a null rank IC
            scores[3:] = np.nan
        tracker.record("v1", 5, as_of, scores, realized, in_sample=in_sample, scored_at=SCORED_AT)
        if not in_sample and day != 8:
            expected[as_of] = _reference(scores, realized)[1]
    newest_four = [expected[dt.date(2024, 4, day)] for day in (6, 7, 9, 10)]
    assert tracker.recent_rank_ic("v1", 4) == pytest.approx(newest_four, abs=1e-12)
    assert tracker.recent_rank_ic("v1", 4, horizon=5) == pytest.approx(newest_four, abs=1e-12)
    all_out_of_sample = [expected[as_of] for as_of in sorted(expected)]
    assert tracker.recent_rank_ic("v1", 100) == pytest.approx(all_out_of_sample, abs=1e-12)
    assert tracker.recent_rank_ic("v1", 0) == ()
    assert tracker.recent_rank_ic("v1", 4, horizon=20) == ()


def test_recent_rank_ic_across_horizons_takes_the_newest_dates(tracker: IcTracker) -> None:
    values = {}
    for horizon, days in ((5, (1, 2, 3, 4)), (20, (2, 5))):
        for day in days:
            scores, realized = _panel_day(horizon * 100 + day)
            as_of = dt.date(2024, 4, day)
            tracker.record(
                "v1", horizon, as_of, scores, realized, in_sample=False, scored_at=SCORED_AT
            )
            values[horizon, day] = _reference(scores, realized)[1]
    expected = [values[5, 3], values[5, 4], values[20, 5]]
    assert tracker.recent_rank_ic("v1", 3) == pytest.approx(expected, abs=1e-12)


def test_record_refuses_a_naive_timestamp_and_a_zero_horizon(tracker: IcTracker) -> None:
    scores, realized = _panel_day(3)
    as_of = dt.date(2024, 1, 2)
    with pytest.raises(ValidationFailedError):
        tracker.record(
            "v1", 5, as_of, scores, realized, in_sample=False, scored_at=dt.datetime(2024, 1, 2)
        )
    with pytest.raises(ValidationFailedError):
        tracker.record("v1", 0, as_of, scores, realized, in_sample=False, scored_at=SCORED_AT)
    assert not tracker.db.path.exists()


def _reference_rolling_mean(values: list[float | None], window: int) -> list[float | None]:
    out: list[float | None] = []
    for position in range(len(values)):
        known = [value for value in values[: position + 1] if value is not None]
        out.append(statistics.mean(known[-window:]) if known else None)
    return out


def test_rolling_mean_averages_the_last_known_values() -> None:
    values: list[float | None] = [None, None, 0.1, None, 0.3, 0.2, None, None, -0.4, 0.5]
    result = rolling_mean(values, 3)
    assert result[:2] == [None, None]
    assert result[2] == pytest.approx(0.1)
    assert result[3] == pytest.approx(0.1)
    assert result[5] == pytest.approx(0.2)  # (0.1 + 0.3 + 0.2) / 3
    assert result[7] == pytest.approx(0.2)  # no new value: the same window
    assert result[8] == pytest.approx(0.1 / 3)  # (0.3 + 0.2 - 0.4) / 3
    assert result == pytest.approx(_reference_rolling_mean(values, 3))


def test_rolling_mean_treats_nan_as_missing_and_refuses_an_empty_window() -> None:
    assert rolling_mean([float("nan"), 1.0, float("nan"), 3.0], 5) == [None, 1.0, 1.0, 2.0]
    assert rolling_mean([], 2) == []
    with pytest.raises(ValidationFailedError):
        rolling_mean([1.0], 0)
