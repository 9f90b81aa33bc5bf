"""A/B tests: two or more model versions traded live on disjoint parts of the universe.

Assignment. Each ticker falls in one of ``BUCKETS`` (10,000) buckets,
``int.from_bytes(sha256(f"{salt}:{ticker}").digest(), "big") % 10_000``, so it is the same
in every process and on every machine (never Python's salted ``hash()``). Arm ``i`` owns
the buckets ``b`` with ``10_000 × (w_0 + … + w_{i-1}) <= b < 10_000 × (w_0 + … + w_i)``;
the last arm owns everything up to 10,000, so float rounding never leaves a bucket unowned.
A test stores its salt, so its assignment never changes while it runs.

Per-arm daily figure. For a signal date ``t`` with a stored signal set of the arm's
version (horizon ``h`` trading days), the arm takes its ``top_n`` highest-scored tickers
among the tickers assigned to it (ties broken by ticker symbol) and averages, with equal
weights, their realized forward returns ``open_adj[t+1+h] / open_adj[t+1] − 1`` (DESIGN
§6: signals at the close of ``t`` trade at the open of ``t+1``). The top ``top_n`` are
chosen *before* looking at which returns are known, so a missing (NaN) return drops that
ticker from the average without promoting the next one (that would use future data). A
date where none of the chosen tickers has a realized return is absent for that arm. The
arm's rank IC of the date is the Spearman correlation of scores and realized returns over
*all* its own tickers with both known (None below 3 names or when a side is constant).

Statistics. Arm A (index 0) is compared with arm B (index 1) over the signal dates both
have: Welch's t-test and the two-sided Mann–Whitney U test of their daily figures, with
p-values, and the mean difference A − B. Below 2 common dates every statistic is None.
The daily figures are ``h``-day returns of overlapping holding periods when ``h > 1``,
so they are autocorrelated and the p-values are optimistic; read them as a guide.

Everything here is pure except :class:`AbRegistry`, which keeps the tests in a SQLite file
(``state/ab_tests.db``, WAL) through :class:`~quant_engine.tracking.TrackingDatabase`;
it is blocking, so call it from worker threads.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import math
import secrets
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from quant_engine.core.errors import (
    ConflictError,
    ErrorDetail,
    NotFoundError,
    ValidationFailedError,
)
from quant_engine.tracking.db import TrackingDatabase
from quant_engine.tracking.ic import daily_ic
from quant_engine.tracking.timestamps import from_stored, to_stored

BUCKETS = 10_000
MIN_ARMS = 2
MAX_ARMS = 10
# How far the arm weights may sum from 1 (absolute) before the test is refused.
WEIGHT_SUM_TOLERANCE = 1e-9
MAX_NAME_CHARS = 100
MAX_SALT_CHARS = 100
# Bytes of randomness in a generated salt (rendered as twice as many hex characters).
SALT_BYTES = 8
DEFAULT_TOP_N = 10
# Fewer common dates than this and no statistic of A vs B is computed.
MIN_COMMON_DATES = 2
AB_DATABASE = "ab_tests.db"

AB_SCHEMA = """
CREATE TABLE IF NOT EXISTS ab_tests (
    test_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    arms TEXT NOT NULL,
    salt TEXT NOT NULL,
    horizon INTEGER NOT NULL,
    top_n INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    stopped_at TEXT
);
CREATE INDEX IF NOT EXISTS ab_tests_created ON ab_tests (created_at);
"""

Location = tuple[str | int, ...]


def bucket(ticker: str, salt: str) -> int:
    """The bucket (0 ≤ b < ``BUCKETS``) of ``ticker`` under ``salt``: SHA-256, big-endian."""
    digest = hashlib.sha256(f"{salt}:{ticker}".encode()).digest()
    return int.from_bytes(digest, "big") % BUCKETS


@dataclass(frozen=True)
class Arm:
    """One arm of a test: a model version and its share of the universe (0 < weight ≤ 1)."""

    version: str
    weight: float


def arm_problems(arms: Sequence[Arm], loc: Location = ("arms",)) -> tuple[ErrorDetail, ...]:
    """What is wrong with ``arms`` (empty when nothing), each named under ``loc``.

    Rules: ``MIN_ARMS``..``MAX_ARMS`` arms; each version a non-empty string, all distinct;
    each weight a finite number > 0; the weights sum to 1 within ``WEIGHT_SUM_TOLERANCE``.
    A wrong count or sum is reported at ``loc``, a bad field at ``(*loc, index, field)``.
    """
    problems: list[ErrorDetail] = []
    if not MIN_ARMS <= len(arms) <= MAX_ARMS:
        problems.append(
            ErrorDetail(loc, f"a test has {MIN_ARMS} to {MAX_ARMS} arms, got {len(arms)}")
        )
    seen: set[str] = set()
    weights_valid = True
    for index, arm in enumerate(arms):
        if not isinstance(arm.version, str) or not arm.version:
            problems.append(ErrorDetail((*loc, index, "version"), "must be a non-empty string"))
        elif arm.version in seen:
            problems.append(
                ErrorDetail((*loc, index, "version"), f"version {arm.version!r} is repeated")
            )
        else:
            seen.add(arm.version)
        if not _is_positive_number(arm.weight):
            weights_valid = False
            problems.append(
                ErrorDetail((*loc, index, "weight"), f"must be a finite number > 0: {arm.weight}")
            )
    if weights_valid and arms:
        total = math.fsum(arm.weight for arm in arms)
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            problems.append(ErrorDetail(loc, f"the weights must sum to 1, got {total!r}"))
    return tuple(problems)


def _is_positive_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _check_arms(arms: Sequence[Arm]) -> None:
    problems = arm_problems(arms)
    if problems:
        raise ValidationFailedError("the arms of the A/B test are invalid", problems)


def arm_bounds(arms: Sequence[Arm]) -> tuple[tuple[float, float], ...]:
    """Per arm, the half-open bucket range ``[low, high)`` it owns; the last ends at ``BUCKETS``.

    ``low`` of arm ``i`` is ``BUCKETS × fsum(weights before i)`` and equals ``high`` of
    arm ``i − 1`` exactly, so the ranges tile ``[0, BUCKETS)``. Invalid arms raise
    ``ValidationFailedError`` (see :func:`arm_problems`).
    """
    _check_arms(arms)
    cumulative = [math.fsum(arm.weight for arm in arms[:index]) for index in range(len(arms))]
    lows = [BUCKETS * share for share in cumulative]
    highs = [*lows[1:], float(BUCKETS)]
    return tuple(zip(lows, highs, strict=True))


def assign(tickers: Iterable[str], arms: Sequence[Arm], salt: str) -> dict[str, int]:
    """Each ticker's arm index: the arm whose ``[low, high)`` holds its bucket."""
    highs = [high for _, high in arm_bounds(arms)]
    # bisect_right counts the arms whose high is ≤ the bucket: exactly the arms before it.
    return {ticker: bisect.bisect_right(highs, bucket(ticker, salt)) for ticker in tickers}


@dataclass(frozen=True)
class ArmDay:
    """One arm on one signal date.

    ``mean_return`` is the equal-weighted realized forward return (a fraction, over the
    test's horizon in trading days) of the arm's top-``top_n`` own tickers that have one;
    ``names`` is how many tickers that mean covers; ``rank_ic`` is the Spearman rank IC
    over all the arm's own tickers (None below 3 names).
    """

    date: dt.date
    mean_return: float
    names: int
    rank_ic: float | None


@dataclass(frozen=True)
class ArmResult:
    """One arm over the evaluated dates.

    ``tickers`` counts the universe tickers assigned to the arm; ``days`` holds its daily
    figures, oldest first; ``mean_return`` is their mean and ``cumulative_return`` is
    ``prod(1 + r) − 1`` over them (both None without days); ``mean_rank_ic`` is the mean
    of the known daily rank ICs (None without any). With a horizon above one trading day
    the daily returns overlap, so ``cumulative_return`` compounds overlapping periods and
    is a score, not the return of one held portfolio.
    """

    index: int
    version: str
    weight: float
    tickers: int
    days: tuple[ArmDay, ...]
    mean_return: float | None
    cumulative_return: float | None
    mean_rank_ic: float | None = None


@dataclass(frozen=True)
class AbStatistics:
    """Arm A (index 0) against arm B (index 1) over the ``dates`` signal dates both have.

    Welch's t statistic and two-sided p-value (unequal variances), the Mann–Whitney U of
    A's sample and its two-sided p-value, and ``mean_difference`` = mean(A) − mean(B) of
    the daily returns (fraction). Every statistic is None below 2 common dates; a test
    that is undefined for the data (e.g. both samples constant) gives None too.
    """

    dates: int
    welch_t: float | None
    welch_p: float | None
    mann_whitney_u: float | None
    mann_whitney_p: float | None
    mean_difference: float | None


def arm_days(  # noqa: PLR0917 - the agreed signature: one signal set, one arm, one date
    signal_tickers: Sequence[str],
    scores: np.ndarray,
    realized: np.ndarray,
    own: set[str],
    date: dt.date,
    top_n: int,
) -> ArmDay | None:
    """The arm's figure on ``date`` from one signal set, or None when it has none.

    ``scores`` and ``realized`` (forward returns as fractions, NaN when unknown) are
    aligned with ``signal_tickers``; ``own`` holds the arm's tickers. The top ``top_n``
    own tickers with a finite score (highest first, ties by ticker symbol) are chosen,
    then those without a finite realized return are skipped from the mean. None when no
    chosen ticker has a realized return.
    """
    if top_n < 1:
        raise ValidationFailedError(
            "top_n must be at least 1", [ErrorDetail(("top_n",), f"got {top_n}")]
        )
    tickers = np.asarray(signal_tickers, dtype=str)
    scores = np.asarray(scores, dtype=float)
    realized = np.asarray(realized, dtype=float)
    if scores.shape != tickers.shape or realized.shape != tickers.shape:
        raise ValidationFailedError(
            "tickers, scores and realized returns must be 1-D and of the same length",
            [
                ErrorDetail(
                    ("realized",), f"shapes {tickers.shape}, {scores.shape}, {realized.shape}"
                )
            ],
        )
    mine = np.isin(tickers, np.array(sorted(own), dtype=str))
    candidates = np.flatnonzero(mine & np.isfinite(scores))
    # lexsort sorts by the last key first: score descending, then ticker ascending.
    order = np.lexsort((tickers[candidates], -scores[candidates]))
    chosen = realized[candidates[order[:top_n]]]
    chosen = chosen[np.isfinite(chosen)]
    if chosen.size == 0:
        return None
    _, rank_ic, _ = daily_ic(scores[mine], realized[mine])
    return ArmDay(
        date=date, mean_return=float(chosen.mean()), names=int(chosen.size), rank_ic=rank_ic
    )


def compare(a: Sequence[ArmDay], b: Sequence[ArmDay]) -> AbStatistics:
    """Welch's t and Mann–Whitney U of A's vs B's daily returns on their common dates.

    Each sequence holds at most one day per date (else ``ValidationFailedError``). Uses
    ``scipy.stats.ttest_ind(a, b, equal_var=False)`` and
    ``scipy.stats.mannwhitneyu(a, b, alternative="two-sided")``.
    """
    by_date_a = _by_date(a, "a")
    by_date_b = _by_date(b, "b")
    common = sorted(by_date_a.keys() & by_date_b.keys())
    if len(common) < MIN_COMMON_DATES:
        return AbStatistics(len(common), None, None, None, None, None)
    # scipy takes seconds to import; only evaluations need it.
    from scipy import stats

    sample_a = np.array([by_date_a[date] for date in common])
    sample_b = np.array([by_date_b[date] for date in common])
    with warnings.catch_warnings():
        # Degenerate samples (constant, or nearly so) warn and give NaN, mapped to None.
        warnings.simplefilter("ignore", RuntimeWarning)
        welch = stats.ttest_ind(sample_a, sample_b, equal_var=False)
        mann_whitney = stats.mannwhitneyu(sample_a, sample_b, alternative="two-sided")
    return AbStatistics(
        dates=len(common),
        welch_t=_finite(welch.statistic),
        welch_p=_finite(welch.pvalue),
        mann_whitney_u=_finite(mann_whitney.statistic),
        mann_whitney_p=_finite(mann_whitney.pvalue),
        mean_difference=_finite(sample_a.mean() - sample_b.mean()),
    )


def _by_date(days: Sequence[ArmDay], side: str) -> dict[dt.date, float]:
    by_date = {day.date: day.mean_return for day in days}
    if len(by_date) != len(days):
        raise ValidationFailedError(
            "an arm has at most one figure per date", [ErrorDetail((side,), "repeated dates")]
        )
    return by_date


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class AbTest:
    """A stored A/B test: its arms, salt, horizon (trading days) and life span (aware UTC)."""

    test_id: str
    name: str
    arms: tuple[Arm, ...]
    salt: str
    horizon: int
    top_n: int
    created_at: dt.datetime
    stopped_at: dt.datetime | None

    @property
    def status(self) -> Literal["running", "stopped"]:
        """Whether the test runs: "stopped" once :meth:`AbRegistry.stop` ran, else "running"."""
        return "running" if self.stopped_at is None else "stopped"


SignalSet = tuple[dt.date, Sequence[str], np.ndarray, np.ndarray]


def evaluate(
    test: AbTest,
    universe: Sequence[str],
    signal_sets: Mapping[str, Sequence[SignalSet]],
) -> tuple[dict[str, int], tuple[ArmResult, ...], AbStatistics | None]:
    """Assign ``universe`` to the arms and score each arm on its versions' signal sets.

    ``signal_sets[version]`` lists ``(date, tickers, scores, realized)`` per signal date
    for the test's horizon, ``realized`` aligned with ``tickers`` (fractions, NaN when not
    matured or unavailable). Every date given counts: the caller chooses the window (e.g.
    dates on or after ``test.created_at``). A version missing from ``signal_sets`` gives
    an arm without days. Only tickers of ``universe`` belong to an arm. Returns the
    assignment (ticker → arm index), one :class:`ArmResult` per arm, and arm 0 vs arm 1
    statistics (:func:`compare`; never None, as a test has at least 2 arms). Two signal
    sets of one version on the same date raise ``ValidationFailedError``.
    """
    assignments = assign(universe, test.arms, test.salt)
    results = tuple(
        _arm_result(index, arm, assignments, signal_sets.get(arm.version, ()), test.top_n)
        for index, arm in enumerate(test.arms)
    )
    return assignments, results, compare(results[0].days, results[1].days)


def _arm_result(
    index: int,
    arm: Arm,
    assignments: Mapping[str, int],
    signal_sets: Sequence[SignalSet],
    top_n: int,
) -> ArmResult:
    dates = [date for date, *_ in signal_sets]
    if len(set(dates)) != len(dates):
        raise ValidationFailedError(
            f"version {arm.version!r} has more than one signal set per date",
            [ErrorDetail(("signal_sets", arm.version), "repeated dates")],
        )
    own = {ticker for ticker, arm_index in assignments.items() if arm_index == index}
    found = (
        arm_days(tickers, scores, realized, own, date, top_n)
        for date, tickers, scores, realized in signal_sets
    )
    days = tuple(sorted((day for day in found if day is not None), key=lambda day: day.date))
    returns = np.array([day.mean_return for day in days])
    rank_ics = [day.rank_ic for day in days if day.rank_ic is not None]
    return ArmResult(
        index=index,
        version=arm.version,
        weight=arm.weight,
        tickers=len(own),
        days=days,
        mean_return=float(returns.mean()) if days else None,
        cumulative_return=float(np.prod(1.0 + returns) - 1.0) if days else None,
        mean_rank_ic=float(np.mean(rank_ics)) if rank_ics else None,
    )


class AbRegistry:
    """The A/B tests of one service, stored in the ``ab_tests`` table of a SQLite file.

    ``path`` is usually ``QE_HOME/state/ab_tests.db`` (``AB_DATABASE``); nothing is
    created before the first :meth:`create`. ``clock`` gives aware UTC instants.
    Version existence is the caller's check: this registry knows no model registry.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        timeout_s: float = 1.0,
    ) -> None:
        self.db = TrackingDatabase(path, AB_SCHEMA, timeout_s=timeout_s)
        self._clock = clock

    def create(
        self,
        name: str,
        arms: Sequence[Arm],
        *,
        salt: str | None,
        horizon: int,
        top_n: int = DEFAULT_TOP_N,
    ) -> AbTest:
        """Store a new running test; ``salt=None`` draws ``secrets.token_hex(8)``.

        Every problem is reported at once as ``ValidationFailedError`` with locations
        under ``("body", …)``, e.g. ``("body", "arms", 1, "weight")``: name of 1 to 100
        characters, arms as in :func:`arm_problems`, salt of 1 to 100 characters,
        horizon and ``top_n`` at least 1.
        """
        problems = _create_problems(name, arms, salt, horizon, top_n)
        if problems:
            raise ValidationFailedError("the A/B test is invalid", problems)
        test = AbTest(
            test_id=uuid.uuid4().hex,
            name=name,
            arms=tuple(Arm(version=arm.version, weight=float(arm.weight)) for arm in arms),
            salt=secrets.token_hex(SALT_BYTES) if salt is None else salt,
            horizon=horizon,
            top_n=top_n,
            created_at=self._clock(),
            stopped_at=None,
        )
        row = (
            test.test_id,
            test.name,
            json.dumps([[arm.version, arm.weight] for arm in test.arms]),
            test.salt,
            test.horizon,
            test.top_n,
            to_stored(test.created_at, "created_at"),
        )
        with self.db.transaction(write=True) as connection:
            connection.execute(
                "INSERT INTO ab_tests (test_id, name, arms, salt, horizon, top_n, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        return self.get(test.test_id)  # as stored: instants normalized to UTC

    def get(self, test_id: str) -> AbTest:
        """The test with this id; ``NotFoundError`` when there is none."""
        with self.db.transaction(write=False) as connection:
            row = connection.execute(f"{_SELECT} WHERE test_id = ?", (test_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no A/B test {test_id!r}")
        return self._decode(row)

    def stop(self, test_id: str) -> AbTest:
        """Mark a running test stopped now; ``ConflictError`` if already stopped."""
        stopped_at = to_stored(self._clock(), "stopped_at")
        with self.db.transaction(write=True) as connection:
            row = connection.execute(
                "SELECT stopped_at FROM ab_tests WHERE test_id = ?", (test_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no A/B test {test_id!r}")
            if row[0] is not None:
                raise ConflictError(f"A/B test {test_id!r} was already stopped at {row[0]}")
            connection.execute(
                "UPDATE ab_tests SET stopped_at = ? WHERE test_id = ?", (stopped_at, test_id)
            )
        return self.get(test_id)

    def list(self) -> tuple[AbTest, ...]:
        """Every test, newest ``created_at`` first (equal instants: last created first)."""
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(f"{_SELECT} ORDER BY created_at DESC, rowid DESC").fetchall()
        return tuple(self._decode(row) for row in rows)

    def _decode(self, row: tuple[Any, ...]) -> AbTest:
        test_id, name, arms, salt, horizon, top_n, created_at, stopped_at = row
        try:
            return AbTest(
                test_id=str(test_id),
                name=str(name),
                arms=tuple(Arm(version=str(v), weight=float(w)) for v, w in json.loads(arms)),
                salt=str(salt),
                horizon=int(horizon),
                top_n=int(top_n),
                created_at=from_stored(str(created_at)),
                stopped_at=None if stopped_at is None else from_stored(str(stopped_at)),
            )
        except (TypeError, ValueError) as error:
            raise self.db.corrupt_row("ab_tests", error) from error


_SELECT = "SELECT test_id, name, arms, salt, horizon, top_n, created_at, stopped_at FROM ab_tests"


def _create_problems(
    name: str, arms: Sequence[Arm], salt: str | None, horizon: int, top_n: int
) -> tuple[ErrorDetail, ...]:
    problems: list[ErrorDetail] = []
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
        problems.append(
            ErrorDetail(("body", "name"), f"must have 1 to {MAX_NAME_CHARS} characters")
        )
    problems.extend(arm_problems(arms, ("body", "arms")))
    if salt is not None and (not isinstance(salt, str) or not 1 <= len(salt) <= MAX_SALT_CHARS):
        problems.append(
            ErrorDetail(("body", "salt"), f"must have 1 to {MAX_SALT_CHARS} characters")
        )
    for field, value in (("horizon", horizon), ("top_n", top_n)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(ErrorDetail(("body", field), f"must be an integer ≥ 1, got {value!r}"))
    return tuple(problems)
