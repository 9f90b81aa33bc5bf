"""A/B tests: hash assignment, per-arm daily figures, A-vs-B statistics, the registry."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from quant_engine.autopilot import ab
from quant_engine.autopilot.ab import (
    BUCKETS,
    AbRegistry,
    AbTest,
    Arm,
    ArmDay,
    arm_bounds,
    arm_days,
    assign,
    bucket,
    compare,
    evaluate,
)
from quant_engine.core.errors import ConflictError, NotFoundError, ValidationFailedError

SYNTHETIC = [f"T{i:05d}" for i in range(10_000)]
DAY = dt.date(2024, 3, 1)


def _arms(*weights: float) -> tuple[Arm, ...]:
    return tuple(Arm(version=f"v{index}", weight=weight) for index, weight in enumerate(weights))


def _hand_bucket(ticker: str, salt: str) -> int:
    """Independent spelling: hex digest read as a base-16 integer."""
    return int(hashlib.sha256((salt + ":" + ticker).encode("utf-8")).hexdigest(), 16) % 10_000


# --- assignment -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ticker", "salt"), [("AAPL", "s1"), ("MSFT", "0123abcd"), ("BRK.B", ""), ("ÄÖ", "ü")]
)
def test_bucket_is_sha256_of_salt_colon_ticker_modulo_10000(ticker: str, salt: str) -> None:
    assert bucket(ticker, salt) == _hand_bucket(ticker, salt)
    assert 0 <= bucket(ticker, salt) < BUCKETS


@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.2, 0.3, 0.5)])
def test_assignment_shares_are_within_two_percent_of_the_weights(
    weights: tuple[float, ...],
) -> None:
    assignments = assign(SYNTHETIC, _arms(*weights), "share-check")
    counts = np.bincount(list(assignments.values()), minlength=len(weights))
    shares = counts / len(SYNTHETIC)
    assert len(assignments) == len(SYNTHETIC)
    assert np.all(np.abs(shares - np.array(weights)) <= 0.02), shares


def test_a_different_salt_changes_the_assignment() -> None:
    arms = _arms(0.5, 0.5)
    first = assign(SYNTHETIC[:2000], arms, "salt-one")
    second = assign(SYNTHETIC[:2000], arms, "salt-two")
    moved = sum(first[ticker] != second[ticker] for ticker in first)
    # Independent halves: about half of the tickers change arm.
    assert 800 < moved < 1200


def test_the_same_salt_gives_the_same_arms_in_a_separate_process() -> None:
    tickers = SYNTHETIC[:50]
    arms = _arms(0.2, 0.3, 0.5)
    script = (
        "import json\n"
        "from quant_engine.autopilot.ab import Arm, assign\n"
        "arms = [Arm('v0', 0.2), Arm('v1', 0.3), Arm('v2', 0.5)]\n"
        f"print(json.dumps(assign({tickers!r}, arms, 'cross-process')))\n"
    )
    # A different hash seed: a result depending on Python's hash() would change.
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    completed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        timeout=60,
    )
    assert json.loads(completed.stdout) == assign(tickers, arms, "cross-process")


def test_arm_bounds_tile_the_buckets_with_cumulative_weights() -> None:
    assert arm_bounds(_arms(0.2, 0.3, 0.5)) == ((0.0, 2000.0), (2000.0, 5000.0), (5000.0, 10000.0))


def _ticker_in_bucket(target: int, salt: str) -> str:
    return next(t for t in (f"X{i}" for i in itertools.count()) if bucket(t, salt) == target)


def test_a_bucket_exactly_on_a_boundary_belongs_to_the_next_arm() -> None:
    arms = _arms(0.5, 0.5)
    on_boundary = _ticker_in_bucket(5000, "boundary")
    just_below = _ticker_in_bucket(4999, "boundary")
    assert _hand_bucket(on_boundary, "boundary") == 5000
    assert assign([on_boundary, just_below], arms, "boundary") == {on_boundary: 1, just_below: 0}


def test_the_last_arm_owns_the_top_bucket_even_when_weights_sum_below_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    arms = _arms(0.5, 0.4999999999995)  # sums to 1 − 5e-13, within the tolerance
    monkeypatch.setattr(ab, "bucket", lambda ticker, salt: int(ticker))
    assert assign(["0", "4999", "5000", "9999"], arms, "any") == {
        "0": 0,
        "4999": 0,
        "5000": 1,
        "9999": 1,
    }


@pytest.mark.parametrize(
    ("weights", "loc"),
    [
        ((0.5, 0.6), ("arms",)),
        ((1.0,), ("arms",)),
        ((0.0, 1.0), ("arms", 0, "weight")),
        ((1.5, -0.5), ("arms", 1, "weight")),
        ((math.nan, 0.5), ("arms", 0, "weight")),
    ],
)
def test_invalid_arms_refuse_assignment(weights: tuple[float, ...], loc: tuple[object]) -> None:
    with pytest.raises(ValidationFailedError) as caught:
        assign(["A"], _arms(*weights), "salt")
    assert loc in [detail.loc for detail in caught.value.details]


# --- per-arm daily figure -------------------------------------------------------------------


def test_arm_day_averages_the_top_n_own_tickers_and_skips_missing_returns() -> None:
    tickers = ["A", "B", "C", "D", "E", "F", "G"]
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.95, np.nan])
    realized = np.array([0.10, np.nan, 0.04, -0.02, 0.30, 0.50, 0.90])
    own = {"A", "B", "C", "D", "E", "G"}  # F (top score) belongs to another arm; G has no score
    day = arm_days(tickers, scores, realized, own, DAY, top_n=3)
    # Top 3 own by score: A, B, C. B has no return and is skipped, D is not promoted.
    assert day is not None
    assert day.mean_return == pytest.approx((0.10 + 0.04) / 2, abs=1e-15)
    assert day.names == 2
    assert day.date == DAY
    # Rank IC over every own ticker with both known: A, C, D, E.
    expected_ic = stats.spearmanr([0.9, 0.7, 0.6, 0.5], [0.10, 0.04, -0.02, 0.30]).statistic
    assert day.rank_ic == pytest.approx(expected_ic, abs=1e-12)


def test_arm_day_breaks_score_ties_by_ticker_symbol() -> None:
    tickers = ["B", "C", "A"]
    day = arm_days(
        tickers, np.array([1.0, 1.0, 1.0]), np.array([0.2, 0.3, 0.1]), {"A", "B", "C"}, DAY, 2
    )
    assert day is not None
    assert day.mean_return == pytest.approx((0.1 + 0.2) / 2, abs=1e-15)


def test_arm_day_is_absent_without_a_realized_return_and_ic_needs_three_names() -> None:
    tickers = ["A", "B", "C"]
    scores = np.array([0.3, 0.2, 0.1])
    unmatured = np.full(3, np.nan)
    assert arm_days(tickers, scores, unmatured, {"A", "B", "C"}, DAY, 10) is None
    assert arm_days(tickers, scores, np.array([0.1, 0.2, 0.3]), set(), DAY, 10) is None
    two_names = arm_days(tickers, scores, np.array([0.1, 0.2, np.nan]), {"A", "B", "C"}, DAY, 10)
    assert two_names is not None
    assert two_names.rank_ic is None
    assert two_names.mean_return == pytest.approx(0.15, abs=1e-15)


# --- statistics -----------------------------------------------------------------------------


def _days(returns: list[float], start: int = 0) -> list[ArmDay]:
    return [
        ArmDay(date=DAY + dt.timedelta(days=start + offset), mean_return=r, names=5, rank_ic=None)
        for offset, r in enumerate(returns)
    ]


def _welch_by_hand(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return t, 2.0 * stats.t.sf(abs(t), df)


def test_compare_matches_welch_by_hand_and_scipy_on_common_dates() -> None:
    rng = np.random.default_rng(3)
    a_returns = rng.normal(0.004, 0.02, size=30)
    b_returns = rng.normal(0.000, 0.01, size=30)
    # A has 5 extra dates before B starts; they must not count.
    a = _days([9.0] * 5 + list(a_returns))
    b = _days(list(b_returns), start=5)
    result = compare(a, b)
    t, p = _welch_by_hand(a_returns, b_returns)
    reference = stats.ttest_ind(a_returns, b_returns, equal_var=False)
    assert result.dates == 30
    assert result.welch_t == pytest.approx(t, rel=1e-10)
    assert result.welch_p == pytest.approx(p, rel=1e-8)
    assert result.welch_t == pytest.approx(reference.statistic, rel=1e-12)
    assert result.welch_p == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.mean_difference == pytest.approx(a_returns.mean() - b_returns.mean(), rel=1e-12)


def test_compare_mann_whitney_counts_pairs_like_scipy() -> None:
    a_returns = [0.01, 0.03, -0.02, 0.05, 0.02, 0.03]
    b_returns = [0.00, 0.03, -0.01, 0.01, -0.03, 0.02]
    result = compare(_days(a_returns), _days(b_returns))
    pairs = sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in a_returns for y in b_returns)
    reference = stats.mannwhitneyu(a_returns, b_returns, alternative="two-sided")
    assert result.mann_whitney_u == pytest.approx(pairs, abs=1e-12)
    assert result.mann_whitney_u == pytest.approx(reference.statistic, abs=1e-12)
    assert result.mann_whitney_p == pytest.approx(reference.pvalue, rel=1e-12)


@pytest.mark.parametrize(("a_start", "common"), [(0, 1), (2, 0)])
def test_compare_below_two_common_dates_has_no_statistics(a_start: int, common: int) -> None:
    result = compare(_days([0.01, 0.02], start=a_start), _days([0.03], start=1))
    assert result == ab.AbStatistics(common, None, None, None, None, None)


# --- evaluation -----------------------------------------------------------------------------


def _test(arms: tuple[Arm, ...], top_n: int = 3) -> AbTest:
    return AbTest(
        test_id="t",
        name="n",
        arms=arms,
        salt="eval",
        horizon=5,
        top_n=top_n,
        created_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        stopped_at=None,
    )


def test_evaluate_scores_each_arm_on_its_own_tickers_with_its_own_version() -> None:
    universe = [f"U{i:03d}" for i in range(40)]
    test = _test(_arms(0.5, 0.5))
    rng = np.random.default_rng(11)
    signal_sets = {
        version: [
            (DAY + dt.timedelta(days=d), universe, rng.normal(size=40), rng.normal(0, 0.02, 40))
            for d in range(4)
        ]
        for version in ("v0", "v1")
    }
    assignments, results, statistics = evaluate(test, universe, signal_sets)
    assert assignments == {t: int(bucket(t, "eval") >= 5000) for t in universe}
    for index, result in enumerate(results):
        own = [t for t in universe if assignments[t] == index]
        assert result.tickers == len(own)
        expected = []
        for _, tickers, scores, realized in signal_sets[f"v{index}"]:
            ranked = sorted(
                (s, r) for t, s, r in zip(tickers, scores, realized, strict=True) if t in own
            )
            expected.append(np.mean([r for _, r in ranked[-3:]]))
        assert [day.mean_return for day in result.days] == pytest.approx(expected, abs=1e-15)
        assert result.mean_return == pytest.approx(np.mean(expected), abs=1e-15)
        assert result.cumulative_return == pytest.approx(
            math.prod(1 + r for r in expected) - 1, abs=1e-14
        )
    assert statistics == compare(results[0].days, results[1].days)
    assert statistics is not None
    assert statistics.dates == 4


def test_evaluate_gives_an_arm_without_signal_sets_no_days() -> None:
    universe = [f"U{i:03d}" for i in range(20)]
    signal_sets = {"v0": [(DAY, universe, np.arange(20.0), np.full(20, 0.01))]}
    _, results, statistics = evaluate(_test(_arms(0.5, 0.5)), universe, signal_sets)
    assert len(results[0].days) == 1
    assert results[1].days == ()
    assert results[1].mean_return is None
    assert results[1].cumulative_return is None
    assert statistics is not None
    assert statistics.dates == 0
    assert statistics.welch_p is None


# --- registry -------------------------------------------------------------------------------


@pytest.fixture
def ticking_clock() -> Callable[[], dt.datetime]:
    instants: Iterator[dt.datetime] = (
        dt.datetime(2024, 5, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n) for n in itertools.count()
    )
    return lambda: next(instants)


def test_registry_create_get_list_stop_persist_across_instances(
    tmp_path: Path, ticking_clock: Callable[[], dt.datetime]
) -> None:
    path = tmp_path / "state" / "ab_tests.db"
    registry = AbRegistry(path, clock=ticking_clock)
    first = registry.create("first", _arms(0.2, 0.8), salt=None, horizon=5)
    second = registry.create("second", _arms(0.5, 0.25, 0.25), salt="fixed", horizon=1, top_n=3)
    assert path.is_file()
    assert len(first.salt) == 16
    int(first.salt, 16)  # hex
    assert first.status == "running"
    assert first.top_n == 10
    assert first.created_at == dt.datetime(2024, 5, 1, tzinfo=dt.UTC)

    reopened = AbRegistry(path, clock=ticking_clock)
    assert reopened.get(first.test_id) == first
    assert reopened.list() == (second, first)
    stopped = reopened.stop(second.test_id)
    assert stopped.status == "stopped"
    assert stopped.stopped_at == dt.datetime(2024, 5, 1, 0, 2, tzinfo=dt.UTC)
    assert AbRegistry(path).get(second.test_id) == stopped
    assert AbRegistry(path).get(second.test_id).arms == _arms(0.5, 0.25, 0.25)


def test_registry_stop_twice_conflicts_and_unknown_ids_are_not_found(tmp_path: Path) -> None:
    registry = AbRegistry(tmp_path / "ab_tests.db")
    test = registry.create("x", _arms(0.5, 0.5), salt="s", horizon=5)
    registry.stop(test.test_id)
    with pytest.raises(ConflictError):
        registry.stop(test.test_id)
    with pytest.raises(NotFoundError):
        registry.get("0" * 32)
    with pytest.raises(NotFoundError):
        registry.stop("0" * 32)


def test_registry_reads_nothing_from_a_missing_file(tmp_path: Path) -> None:
    registry = AbRegistry(tmp_path / "absent.db")
    assert registry.list() == ()
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.parametrize(
    ("arms", "loc"),
    [
        (_arms(0.5, 0.6), ("body", "arms")),
        (_arms(1.0, 0.0), ("body", "arms", 1, "weight")),
        (_arms(1.2, -0.2), ("body", "arms", 1, "weight")),
        ((Arm("v1", 0.5), Arm("v1", 0.5)), ("body", "arms", 1, "version")),
        (_arms(1.0), ("body", "arms")),
        (_arms(*[1 / 11] * 11), ("body", "arms")),
    ],
)
def test_registry_refuses_invalid_arms_naming_the_field(
    tmp_path: Path, arms: tuple[Arm, ...], loc: tuple[object, ...]
) -> None:
    registry = AbRegistry(tmp_path / "ab_tests.db")
    with pytest.raises(ValidationFailedError) as caught:
        registry.create("bad", arms, salt=None, horizon=5)
    assert [detail.loc for detail in caught.value.details] == [loc]
    assert registry.list() == ()


def test_registry_reports_every_invalid_field_at_once(tmp_path: Path) -> None:
    registry = AbRegistry(tmp_path / "ab_tests.db")
    with pytest.raises(ValidationFailedError) as caught:
        registry.create("n" * 101, _arms(0.5, 0.5), salt="", horizon=0, top_n=0)
    assert [detail.loc for detail in caught.value.details] == [
        ("body", "name"),
        ("body", "salt"),
        ("body", "horizon"),
        ("body", "top_n"),
    ]


def test_evaluate_refuses_two_signal_sets_of_a_version_on_one_date() -> None:
    universe = ["A", "B", "C"]
    unmatured = (DAY, universe, np.arange(3.0), np.full(3, np.nan))
    with pytest.raises(ValidationFailedError) as caught:
        evaluate(_test(_arms(0.5, 0.5)), universe, {"v1": [unmatured, unmatured]})
    assert [detail.loc for detail in caught.value.details] == [("signal_sets", "v1")]
