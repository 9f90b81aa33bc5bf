"""Champion/challenger comparison: rank correlation, top-N overlap, and its storage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from quant_engine.core.errors import ValidationFailedError
from quant_engine.tracking import (
    DISAGREEMENT_SCHEMA,
    DisagreementRecord,
    DisagreementTracker,
    TrackingDatabase,
    compare_scores,
)

RECORDED_AT = dt.datetime(2024, 6, 3, 22, 0, tzinfo=dt.UTC)


@pytest.fixture
def tracker(tmp_path: Path) -> DisagreementTracker:
    return DisagreementTracker(TrackingDatabase(tmp_path / "tracking.db", DISAGREEMENT_SCHEMA))


def test_rank_correlation_matches_scipy_on_the_common_tickers() -> None:
    rng = np.random.default_rng(5)
    universe = [f"T{index:03d}" for index in range(80)]
    tickers_a = universe[:70]
    tickers_b = list(reversed(universe[10:]))  # another order, partly other names
    scores_a = np.round(rng.normal(size=70), 1)  # ties
    scores_a[[3, 40]] = np.nan
    by_ticker_a = dict(zip(tickers_a, scores_a, strict=True))
    scores_b = np.array([by_ticker_a.get(t, 0.0) + rng.normal(scale=0.8) for t in tickers_b])
    scores_b[[0, 7]] = np.nan
    by_ticker_b = dict(zip(tickers_b, scores_b, strict=True))
    common = [
        t
        for t in universe
        if np.isfinite(by_ticker_a.get(t, np.nan)) and np.isfinite(by_ticker_b.get(t, np.nan))
    ]
    expected = stats.spearmanr([by_ticker_a[t] for t in common], [by_ticker_b[t] for t in common])

    rank_correlation, _, n, names = compare_scores(tickers_a, scores_a, tickers_b, scores_b, 10)

    assert names == len(common) == 59  # T010..T069 without T040 (NaN)
    assert n == 10
    assert rank_correlation == pytest.approx(float(expected.statistic), abs=1e-12)


def test_top_overlap_on_a_small_example() -> None:
    # Common tickers: A B C D E (F only on side a, G only on side b, H is NaN on side b).
    tickers_a = ["A", "B", "C", "D", "E", "F", "H"]
    scores_a = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 9.0, 8.0])  # top 3 of common: A B C
    tickers_b = ["E", "D", "C", "B", "A", "G", "H"]
    scores_b = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 9.0, np.nan])  # top 3 of common: E D C
    rank_correlation, overlap, n, names = compare_scores(
        tickers_a, scores_a, tickers_b, scores_b, 3
    )
    assert (n, names) == (3, 5)
    assert overlap == pytest.approx(1 / 3)  # only C is in both
    assert rank_correlation == pytest.approx(-1.0)


def test_top_n_is_capped_by_the_common_names() -> None:
    result = compare_scores(["A", "B"], np.array([1.0, 2.0]), ["B", "A"], np.array([1.0, 2.0]), 5)
    assert result == (None, 1.0, 2, 2)


def test_no_common_names_gives_zero_overlap() -> None:
    assert compare_scores(["A"], np.array([1.0]), ["B"], np.array([1.0]), 3) == (None, 0.0, 0, 0)


def test_score_ties_go_to_the_ticker_that_sorts_first() -> None:
    tickers = ["D", "B", "C", "A"]
    tied = np.array([1.0, 1.0, 1.0, 1.0])
    # Side b ranks strictly: C first, then A. Side a is all tied, so its top 2 are A, B.
    strict = np.array([1.0, 2.0, 4.0, 3.0])
    _, overlap, n, _ = compare_scores(tickers, tied, tickers, strict, 2)
    assert n == 2
    assert overlap == pytest.approx(0.5)  # {A, B} ∩ {C, B} = {B}
    shuffled = ["B", "A", "D", "C"]
    shuffled_strict = np.array([2.0, 3.0, 1.0, 4.0])
    assert compare_scores(shuffled, tied, shuffled, shuffled_strict, 2)[1] == pytest.approx(0.5)


def test_duplicate_tickers_and_misaligned_input_are_refused() -> None:
    with pytest.raises(ValidationFailedError):
        compare_scores(["A", "A", "B"], np.zeros(3), ["A"], np.zeros(1), 1)
    with pytest.raises(ValidationFailedError):
        compare_scores(["A", "B"], np.zeros(3), ["A"], np.zeros(1), 1)
    with pytest.raises(ValidationFailedError):
        compare_scores(["A"], np.zeros(1), ["A"], np.zeros(1), -1)


def _record(tracker: DisagreementTracker, horizon: int, as_of: dt.date, shift: float) -> bool:
    tickers = ["A", "B", "C", "D", "E"]
    return tracker.record(
        "champ",
        "chall",
        horizon,
        as_of,
        tickers,
        np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
        tickers,
        np.array([1.0, 2.0, 3.0, 5.0 + shift, 4.0]),
        top_n=2,
        recorded_at=RECORDED_AT,
    )


def test_record_stores_once_and_reads_back_in_date_order(tracker: DisagreementTracker) -> None:
    assert _record(tracker, 5, dt.date(2024, 5, 2), 0.0)
    assert _record(tracker, 5, dt.date(2024, 5, 1), 0.0)
    assert not _record(tracker, 5, dt.date(2024, 5, 1), 9.0)
    history = tracker.history("champ", "chall", 5)
    assert [record.as_of for record in history] == [dt.date(2024, 5, 1), dt.date(2024, 5, 2)]
    assert history[0] == DisagreementRecord(
        champion="champ",
        challenger="chall",
        horizon=5,
        as_of=dt.date(2024, 5, 1),
        rank_correlation=pytest.approx(0.9),
        top_overlap=1.0,
        top_n=2,
        names=5,
    )
    assert tracker.recorded_dates("champ", "chall", 5) == {dt.date(2024, 5, 1), dt.date(2024, 5, 2)}
    assert tracker.recorded_dates("champ", "chall", 20) == frozenset()
    assert tracker.history("chall", "champ", 5) == ()


def test_latest_is_the_newest_date_of_any_horizon(tracker: DisagreementTracker) -> None:
    assert tracker.latest("champ", "chall") is None
    _record(tracker, 5, dt.date(2024, 5, 1), 0.0)
    _record(tracker, 20, dt.date(2024, 5, 3), 0.0)
    _record(tracker, 5, dt.date(2024, 5, 2), 0.0)
    latest = tracker.latest("champ", "chall")
    assert latest is not None
    assert (latest.horizon, latest.as_of) == (20, dt.date(2024, 5, 3))
