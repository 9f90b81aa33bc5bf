"""Information coefficient (IC) tracking: how well a model's scores ranked what happened.

For each model version, horizon (trading days) and scoring date, the tracker stores the
cross-sectional Pearson IC and Spearman rank IC between the scores given on that date and
the returns realized over the horizon after it. Rows are keyed by
``(version, horizon, as_of)`` and never rewritten, so re-scoring is idempotent.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.tracking.db import TrackingDatabase
from quant_engine.tracking.timestamps import from_stored, to_stored

# Below this many names a cross-sectional correlation says nothing.
MIN_NAMES = 3

IC_SCHEMA = """
CREATE TABLE IF NOT EXISTS ic_scores (
    version TEXT NOT NULL,
    horizon INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    ic REAL,
    rank_ic REAL,
    names INTEGER NOT NULL,
    in_sample INTEGER NOT NULL,
    scored_at TEXT NOT NULL,
    PRIMARY KEY (version, horizon, as_of)
);
CREATE INDEX IF NOT EXISTS ic_scores_recent ON ic_scores (version, in_sample, as_of);
"""


def correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson correlation of two equal-length finite vectors; None if either is constant.

    Each side is scaled by its largest magnitude before centering, so huge or tiny values
    neither overflow nor underflow.
    """
    x_centered = _centered_unit(x)
    y_centered = _centered_unit(y)
    if x_centered is None or y_centered is None:
        return None
    denominator = math.sqrt(float(x_centered @ x_centered) * float(y_centered @ y_centered))
    if denominator == 0.0 or not math.isfinite(denominator):
        return None
    return max(-1.0, min(1.0, float(x_centered @ y_centered) / denominator))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``, ties sharing their average rank (as Spearman needs)."""
    # scipy.stats takes seconds to import; only rank correlations need it, so processes
    # that merely write health snapshots or fills never pay for it.
    from scipy.stats import rankdata

    ranks: np.ndarray = rankdata(values, method="average")
    return ranks


def _centered_unit(values: np.ndarray) -> np.ndarray | None:
    """``values`` scaled into [-1, 1] and centered, or None when they are constant."""
    if np.all(values == values[0]):  # exact test: a rounded mean may not equal the value
        return None
    scaled = values / float(np.max(np.abs(values)))
    centered: np.ndarray = scaled - scaled.mean()
    if not np.any(centered):
        return None
    return centered


def daily_ic(scores: np.ndarray, realized: np.ndarray) -> tuple[float | None, float | None, int]:
    """(Pearson IC, Spearman rank IC, names) of one date's cross-section.

    ``scores`` and ``realized`` are aligned 1-D arrays (one entry per name). Only names
    where both are finite count. Ranks use average ties, as ``scipy.stats.spearmanr``.
    Fewer than 3 names, or a constant side, gives ``(None, None, names)``.
    """
    scores = np.asarray(scores, dtype=float)
    realized = np.asarray(realized, dtype=float)
    if scores.ndim != 1 or scores.shape != realized.shape:
        raise ValidationFailedError(
            "scores and realized returns must be 1-D arrays of the same length",
            [ErrorDetail(("realized",), f"shapes {scores.shape} and {realized.shape}")],
        )
    both = np.isfinite(scores) & np.isfinite(realized)
    names = int(both.sum())
    if names < MIN_NAMES:
        return None, None, names
    x, y = scores[both], realized[both]
    ic = correlation(x, y)
    if ic is None:
        return None, None, names
    rank_ic = correlation(average_ranks(x), average_ranks(y))
    return ic, rank_ic, names


def rolling_mean(values: Sequence[float | None], window: int) -> list[float | None]:
    """At each position, the mean of the last ``window`` known values up to and including it.

    Missing values (None or non-finite) are skipped, not counted as zero: the window holds
    the ``window`` most recent *known* values, however far back they lie. Positions before
    the first known value are None; until ``window`` values are known, the mean is over
    those seen so far. The output has the same length as ``values``.
    """
    if window < 1:
        raise ValidationFailedError(
            "the rolling window must hold at least one value",
            [ErrorDetail(("window",), f"got {window}")],
        )
    recent: deque[float] = deque(maxlen=window)
    means: list[float | None] = []
    for value in values:
        if value is not None and math.isfinite(value):
            recent.append(value)
        means.append(statistics.fmean(recent) if recent else None)
    return means


@dataclass(frozen=True)
class IcRecord:
    """One stored IC: a version's scores on ``as_of`` against returns over ``horizon``.

    ``horizon`` is in trading days. ``in_sample`` marks dates inside the version's
    training window, which flatter it and are excluded from monitoring.
    """

    version: str
    horizon: int
    as_of: dt.date
    ic: float | None
    rank_ic: float | None
    names: int
    in_sample: bool
    scored_at: dt.datetime


class IcTracker:
    """Stores and reads daily ICs in the ``ic_scores`` table of a tracking database."""

    SCHEMA: ClassVar[str] = IC_SCHEMA

    def __init__(self, db: TrackingDatabase) -> None:
        self.db = db

    def record(
        self,
        version: str,
        horizon: int,
        as_of: dt.date,
        scores: np.ndarray,
        realized: np.ndarray,
        *,
        in_sample: bool,
        scored_at: dt.datetime,
    ) -> bool:
        """Compute and store the IC of one date; True if added, False if already stored.

        The first recording of a ``(version, horizon, as_of)`` wins; later ones change
        nothing, so replaying a scoring run is harmless.
        """
        check_horizon(horizon)
        ic, rank_ic, names = daily_ic(scores, realized)
        row = (
            version,
            horizon,
            as_of.isoformat(),
            ic,
            rank_ic,
            names,
            int(in_sample),
            to_stored(scored_at, "scored_at"),
        )
        with self.db.transaction(write=True) as connection:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO ic_scores (version, horizon, as_of, ic, rank_ic, names, "
                "in_sample, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return cursor.rowcount > 0

    def scored_dates(self, version: str, horizon: int) -> frozenset[dt.date]:
        """The dates already stored for this version and horizon (to skip re-scoring)."""
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(
                "SELECT as_of FROM ic_scores WHERE version = ? AND horizon = ?",
                (version, horizon),
            ).fetchall()
        try:
            return frozenset(dt.date.fromisoformat(as_of) for (as_of,) in rows)
        except (TypeError, ValueError) as error:
            raise self.db.corrupt_row("ic_scores", error) from error

    def history(self, version: str, horizon: int) -> tuple[IcRecord, ...]:
        """Every stored IC of this version and horizon, oldest ``as_of`` first."""
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(
                "SELECT version, horizon, as_of, ic, rank_ic, names, in_sample, scored_at "
                "FROM ic_scores WHERE version = ? AND horizon = ? ORDER BY as_of",
                (version, horizon),
            ).fetchall()
        return tuple(self._decode(row) for row in rows)

    def recent_rank_ic(
        self, version: str, count: int, horizon: int | None = None
    ) -> tuple[float, ...]:
        """The rank ICs of the newest ``count`` out-of-sample rows, oldest first.

        Rows scored in-sample or without a rank IC are skipped. With ``horizon=None``
        every horizon counts and each (date, horizon) row is one of the ``count``; rows of
        the same date are taken shortest horizon first.
        """
        if count <= 0:
            return ()
        horizon_clause = "" if horizon is None else " AND horizon = ?"
        arguments: tuple[str | int, ...] = (version,) if horizon is None else (version, horizon)
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(
                "SELECT rank_ic FROM ic_scores WHERE version = ? AND in_sample = 0 "
                f"AND rank_ic IS NOT NULL{horizon_clause} "
                "ORDER BY as_of DESC, horizon ASC LIMIT ?",
                (*arguments, count),
            ).fetchall()
        try:
            return tuple(float(rank_ic) for (rank_ic,) in reversed(rows))
        except (TypeError, ValueError) as error:
            raise self.db.corrupt_row("ic_scores", error) from error

    def _decode(self, row: tuple[Any, ...]) -> IcRecord:
        version, horizon, as_of, ic, rank_ic, names, in_sample, scored_at = row
        try:
            return IcRecord(
                version=str(version),
                horizon=int(horizon),
                as_of=dt.date.fromisoformat(str(as_of)),
                ic=_optional_float(ic),
                rank_ic=_optional_float(rank_ic),
                names=int(names),
                in_sample=bool(in_sample),
                scored_at=from_stored(str(scored_at)),
            )
        except (TypeError, ValueError) as error:
            raise self.db.corrupt_row("ic_scores", error) from error


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def check_horizon(horizon: int) -> None:
    """Refuse a horizon shorter than one trading day."""
    if horizon < 1:
        raise ValidationFailedError(
            "the horizon must be at least one trading day",
            [ErrorDetail(("horizon",), f"got {horizon}")],
        )
