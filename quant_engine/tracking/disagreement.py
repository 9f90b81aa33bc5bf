"""Champion/challenger disagreement: how differently two model versions rank one universe.

On each date both versions score the universe; the tracker stores the Spearman rank
correlation of their scores and the overlap of their top-N picks. Low agreement is not bad
in itself, but a sudden drop says one of them sees something the other does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.tracking.db import TrackingDatabase
from quant_engine.tracking.ic import MIN_NAMES, average_ranks, check_horizon, correlation
from quant_engine.tracking.timestamps import to_stored

DISAGREEMENT_SCHEMA = """
CREATE TABLE IF NOT EXISTS disagreement (
    champion TEXT NOT NULL,
    challenger TEXT NOT NULL,
    horizon INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    rank_correlation REAL,
    top_overlap REAL NOT NULL,
    top_n INTEGER NOT NULL,
    names INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (champion, challenger, horizon, as_of)
);
CREATE INDEX IF NOT EXISTS disagreement_latest ON disagreement (champion, challenger, as_of);
"""


def compare_scores(
    tickers_a: Sequence[str],
    scores_a: np.ndarray,
    tickers_b: Sequence[str],
    scores_b: np.ndarray,
    top_n: int,
) -> tuple[float | None, float, int, int]:
    """(rank correlation, top-N overlap, n, common names) of two scorings of a universe.

    Only tickers present on both sides with finite scores on both count ("common").
    The rank correlation is Spearman's over the common tickers (None below 3 names or
    when either side is constant). Each side's top ``n = min(top_n, common)`` is chosen
    among the common tickers by descending score, ties going to the ticker that sorts
    first; the overlap is the shared fraction of those ``n`` picks (0.0 when ``n`` is 0).
    """
    if top_n < 0:
        raise ValidationFailedError(
            "top_n must not be negative", [ErrorDetail(("top_n",), f"got {top_n}")]
        )
    names_a, values_a = _finite_scores(tickers_a, scores_a, "a")
    names_b, values_b = _finite_scores(tickers_b, scores_b, "b")
    common, index_a, index_b = np.intersect1d(
        names_a, names_b, assume_unique=True, return_indices=True
    )
    x, y = values_a[index_a], values_b[index_b]  # aligned on ``common``, sorted by ticker
    names = int(common.size)
    rank_correlation = (
        correlation(average_ranks(x), average_ranks(y)) if names >= MIN_NAMES else None
    )
    n = min(top_n, names)
    if n == 0:
        return rank_correlation, 0.0, 0, names
    # A stable sort of the ticker-sorted common set breaks score ties by ticker name.
    top_a = np.argsort(-x, kind="stable")[:n]
    top_b = np.argsort(-y, kind="stable")[:n]
    shared = np.intersect1d(top_a, top_b, assume_unique=True).size
    return rank_correlation, shared / n, n, names


def _finite_scores(
    tickers: Sequence[str], scores: np.ndarray, side: str
) -> tuple[np.ndarray, np.ndarray]:
    """The tickers with a finite score and those scores; refuses misaligned or duplicate input."""
    names = np.asarray(tickers, dtype=str)
    values = np.asarray(scores, dtype=float)
    if names.ndim != 1 or values.shape != names.shape:
        raise ValidationFailedError(
            "tickers and scores must be 1-D and of the same length",
            [ErrorDetail((f"scores_{side}",), f"shapes {names.shape} and {values.shape}")],
        )
    if np.unique(names).size != names.size:
        raise ValidationFailedError(
            "a ticker appears twice in one scoring",
            [ErrorDetail((f"tickers_{side}",), "tickers must be unique")],
        )
    finite = np.isfinite(values)
    return names[finite], values[finite]


@dataclass(frozen=True)
class DisagreementRecord:
    """One stored comparison of the champion's and a challenger's scores on ``as_of``.

    ``horizon`` is in trading days; ``top_overlap`` is a fraction in [0, 1] of ``top_n``
    picks; ``names`` is the number of tickers both versions scored.
    """

    champion: str
    challenger: str
    horizon: int
    as_of: dt.date
    rank_correlation: float | None
    top_overlap: float
    top_n: int
    names: int


_COLUMNS = "champion, challenger, horizon, as_of, rank_correlation, top_overlap, top_n, names"


class DisagreementTracker:
    """Stores and reads comparisons in the ``disagreement`` table of a tracking database."""

    SCHEMA: ClassVar[str] = DISAGREEMENT_SCHEMA

    def __init__(self, db: TrackingDatabase) -> None:
        self.db = db

    # The scorings of both sides are positional pairs (tickers, scores), as in compare_scores.
    def record(  # noqa: PLR0917
        self,
        champion: str,
        challenger: str,
        horizon: int,
        as_of: dt.date,
        tickers_a: Sequence[str],
        scores_a: np.ndarray,
        tickers_b: Sequence[str],
        scores_b: np.ndarray,
        *,
        top_n: int,
        recorded_at: dt.datetime,
    ) -> bool:
        """Compare the champion's scores (``a``) with the challenger's (``b``) and store it.

        True if added; False if this ``(champion, challenger, horizon, as_of)`` was already
        stored (the first recording wins).
        """
        check_horizon(horizon)
        rank_correlation, overlap, n, names = compare_scores(
            tickers_a, scores_a, tickers_b, scores_b, top_n
        )
        row = (
            champion,
            challenger,
            horizon,
            as_of.isoformat(),
            rank_correlation,
            overlap,
            n,
            names,
            to_stored(recorded_at, "recorded_at"),
        )
        with self.db.transaction(write=True) as connection:
            cursor = connection.execute(
                f"INSERT OR IGNORE INTO disagreement ({_COLUMNS}, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return cursor.rowcount > 0

    def recorded_dates(self, champion: str, challenger: str, horizon: int) -> frozenset[dt.date]:
        """The dates already stored for this pair and horizon."""
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(
                "SELECT as_of FROM disagreement "
                "WHERE champion = ? AND challenger = ? AND horizon = ?",
                (champion, challenger, horizon),
            ).fetchall()
        try:
            return frozenset(dt.date.fromisoformat(as_of) for (as_of,) in rows)
        except (TypeError, ValueError) as error:
            raise self.db.corrupt_row("disagreement", error) from error

    def history(
        self, champion: str, challenger: str, horizon: int
    ) -> tuple[DisagreementRecord, ...]:
        """Every stored comparison of this pair and horizon, oldest ``as_of`` first."""
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(
                f"SELECT {_COLUMNS} FROM disagreement "
                "WHERE champion = ? AND challenger = ? AND horizon = ? ORDER BY as_of",
                (champion, challenger, horizon),
            ).fetchall()
        return tuple(self._decode(row) for row in rows)

    def latest(self, champion: str, challenger: str) -> DisagreementRecord | None:
        """The newest comparison of this pair, any horizon (shortest horizon on a tie)."""
        with self.db.transaction(write=False) as connection:
            row = connection.execute(
                f"SELECT {_COLUMNS} FROM disagreement WHERE champion = ? AND challenger = ? "
                "ORDER BY as_of DESC, horizon ASC LIMIT 1",
                (champion, challenger),
            ).fetchone()
        return None if row is None else self._decode(row)

    def _decode(self, row: tuple[Any, ...]) -> DisagreementRecord:
        champion, challenger, horizon, as_of, rank_correlation, overlap, top_n, names = row
        try:
            return DisagreementRecord(
                champion=str(champion),
                challenger=str(challenger),
                horizon=int(horizon),
                as_of=dt.date.fromisoformat(as_of),
                rank_correlation=None if rank_correlation is None else float(rank_correlation),
                top_overlap=float(overlap),
                top_n=int(top_n),
                names=int(names),
            )
        except (TypeError, ValueError) as error:
            raise self.db.corrupt_row("disagreement", error) from error
