"""Feeding the trackers from what research stores: realized IC of every signal set once
its label has matured, and the disagreement of champion and challenger.

Both passes are idempotent (a date already recorded is never recomputed) and blocking:
call them from a job or a worker thread. The label of a signal set at ``as_of`` for
horizon h is the one training uses, ``open_adj[t+1+h] / open_adj[t+1] − 1``, read from
the current data; a set is scored only when the data has row ``t+1+h``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from quant_engine.core.errors import ArtifactCorruptError, NotFoundError
from quant_engine.features import Panel, forward_returns
from quant_engine.models.research import Research
from quant_engine.tracking import DisagreementTracker, IcTracker

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoringReport:
    """What one pass added: IC dates scored, disagreement dates recorded, and the sets
    whose labels have not matured yet."""

    ic_scored: int
    disagreement_recorded: int
    pending: int


def signal_scores(document: Mapping[str, Any]) -> tuple[list[str], np.ndarray]:
    """Tickers and scores of a stored signal set (``KeyError``/``TypeError``/
    ``ValueError`` or ``ArtifactCorruptError`` when it is malformed)."""
    rows = document.get("signals")
    if not isinstance(rows, list):
        raise ArtifactCorruptError("signal set has no signals list")
    tickers = [str(row["ticker"]) for row in rows]
    return tickers, np.array([float(row["score"]) for row in rows], dtype=np.float64)


def realized_returns(
    labels_row: np.ndarray, column: Mapping[str, int], tickers: Sequence[str]
) -> np.ndarray:
    """The label row's value of each ticker (NaN for a ticker not in the panel)."""
    return np.array(
        [labels_row[column[t]] if t in column else np.nan for t in tickers], dtype=np.float64
    )


class Monitor:
    """Scores stored signal sets into the IC and disagreement trackers."""

    def __init__(
        self,
        research: Research,
        ic: IcTracker,
        disagreement: DisagreementTracker,
        *,
        top_n: int = 20,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.research = research
        self.ic = ic
        self.disagreement = disagreement
        self.top_n = top_n
        self._clock = clock

    def update(self, panel: Panel | None = None) -> ScoringReport:
        """Score every matured signal set, then record champion/challenger disagreement."""
        panel = panel if panel is not None else self.research.panel()
        scored, pending = self.score_matured(panel)
        recorded = self.record_disagreement()
        if scored or recorded:
            logger.info(
                "tracking: %d signal date(s) scored, %d disagreement date(s) recorded, "
                "%d awaiting their labels",
                scored,
                recorded,
                pending,
            )
        return ScoringReport(scored, recorded, pending)

    def score_matured(self, panel: Panel) -> tuple[int, int]:
        """IC of every stored set whose label the data has; (added, still pending)."""
        added = pending = 0
        labels: dict[int, np.ndarray] = {}
        column = {ticker: index for index, ticker in enumerate(panel.tickers)}
        rows = len(panel.dates)
        for version, horizon, dates in self.research.signals.listing():
            done = self.ic.scored_dates(version, horizon)
            for as_of in dates:
                if as_of in done:
                    continue
                row = int(np.searchsorted(panel.dates, np.datetime64(as_of, "D")))
                if row >= rows or panel.dates[row] != np.datetime64(as_of, "D"):
                    logger.warning(
                        "signal set %s h%d %s: not a trading day of the current data; skipped",
                        version,
                        horizon,
                        as_of,
                    )
                    continue
                if row + 1 + horizon >= rows:
                    pending += 1
                    continue
                try:
                    document = self.research.signals.load(version, horizon, as_of)
                    tickers, scores = signal_scores(document)
                except (ArtifactCorruptError, NotFoundError, KeyError, TypeError, ValueError) as e:
                    logger.warning(
                        "signal set %s h%d %s unreadable: %s", version, horizon, as_of, e
                    )
                    continue
                if horizon not in labels:
                    labels[horizon] = forward_returns(panel, horizon)
                realized = np.array(
                    [labels[horizon][row, column[t]] if t in column else np.nan for t in tickers],
                    dtype=np.float64,
                )
                if self.ic.record(
                    version,
                    horizon,
                    as_of,
                    scores,
                    realized,
                    in_sample=bool(document.get("in_sample", False)),
                    scored_at=self._clock(),
                ):
                    added += 1
        return added, pending

    def challenger(self) -> str | None:
        """The newest version that is neither champion nor retired (None if none)."""
        roles = self.research.governance.roles()
        for version in self.research.registry.list_versions():
            if roles.get(version, "challenger") == "challenger":
                return version
        return None

    def record_disagreement(self) -> int:
        """Rank correlation and top-N overlap on every date both champion and challenger
        have signals for (same horizon); returns how many dates were added."""
        champion = self.research.governance.champion()
        challenger = self.challenger()
        if champion is None or challenger is None:
            return 0
        listing = {(v, h): dates for v, h, dates in self.research.signals.listing()}
        added = 0
        for (version, horizon), dates in listing.items():
            if version != champion or (challenger, horizon) not in listing:
                continue
            common = sorted(set(dates) & set(listing[(challenger, horizon)]))
            done = self.disagreement.recorded_dates(champion, challenger, horizon)
            for as_of in common:
                if as_of in done:
                    continue
                try:
                    tickers_a, scores_a = signal_scores(
                        self.research.signals.load(champion, horizon, as_of)
                    )
                    tickers_b, scores_b = signal_scores(
                        self.research.signals.load(challenger, horizon, as_of)
                    )
                except (ArtifactCorruptError, NotFoundError, KeyError, TypeError, ValueError) as e:
                    logger.warning("signal sets of %s unreadable: %s", as_of, e)
                    continue
                if self.disagreement.record(
                    champion,
                    challenger,
                    horizon,
                    as_of,
                    tickers_a,
                    scores_a,
                    tickers_b,
                    scores_b,
                    top_n=self.top_n,
                    recorded_at=self._clock(),
                ):
                    added += 1
        return added
