"""Signals: a version's scores of the universe at one date, ranked, and where they live.

A signal computed at the close of ``as_of`` is meant to trade at the next open. Every
ticker asked for is validated before it is scored; one that fails goes to
``failed_tickers`` with a reason instead of silently vanishing:

- ``UNKNOWN_TICKER``: not a stock of the stored universe;
- ``STALE_DATA``: its last stored row on or before ``as_of`` is more than
  :data:`STALE_BUSINESS_DAYS` business days before ``as_of``;
- ``INSUFFICIENT_HISTORY``: fewer stored rows up to ``as_of`` than the longest lookback of
  the version's features;
- ``MISSING_FEATURES``: a feature is not finite on ``as_of`` (e.g. no row that day).

Signal sets are stored as JSON under ``QE_HOME/signals/<version>/h<horizon>/<as_of>.json``
(written atomically) and read back by ``listSignals``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.stats import rankdata

from quant_engine.core.atomic import atomic_write_bytes
from quant_engine.core.errors import (
    ArtifactCorruptError,
    ErrorDetail,
    NotFoundError,
    ValidationFailedError,
)
from quant_engine.features import FeatureSet, Panel, as_date, feature_specs, universe_mask
from quant_engine.models.registry import ModelVersion

logger = logging.getLogger(__name__)
_VERSION_DIR = re.compile(r"^v[1-9][0-9]*$")
_HORIZON_DIR = re.compile(r"^h([1-9][0-9]*)$")

STALE_BUSINESS_DAYS = 5
FailureReason = Literal["INSUFFICIENT_HISTORY", "MISSING_FEATURES", "STALE_DATA", "UNKNOWN_TICKER"]


@dataclass(frozen=True)
class FailedTicker:
    ticker: str
    reason: FailureReason
    message: str


@dataclass(frozen=True)
class SignalRow:
    """``score``: predicted forward return over the horizon (fraction); ``rank`` 1 = best;
    ``percentile``: share of scored tickers with a lower score."""

    ticker: str
    score: float
    rank: int
    percentile: float


@dataclass(frozen=True)
class SignalSet:
    version: str
    horizon: int
    as_of: dt.date
    generated_at: dt.datetime
    universe_fingerprint: str
    in_sample: bool
    """True when the version was fitted on this date's label (``as_of`` + 1 + horizon
    trading days is on or before its training end): such scores are not out of sample."""
    signals: tuple[SignalRow, ...]
    failed_tickers: tuple[FailedTicker, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (the contract's ``SignalSet``)."""
        return {
            "version": self.version,
            "horizon": self.horizon,
            "as_of": self.as_of.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "universe_fingerprint": self.universe_fingerprint,
            "in_sample": self.in_sample,
            "signals": [asdict(row) for row in self.signals],
            "failed_tickers": [asdict(item) for item in self.failed_tickers],
        }


def resolve_as_of(panel: Panel, as_of: dt.date | None) -> dt.date:
    """The last trading day of the data on or before ``as_of`` (default: the last one)."""
    rows = len(panel.dates)
    if as_of is not None:
        rows = int(np.searchsorted(panel.dates, np.datetime64(as_of, "D"), side="right"))
    if rows == 0:
        raise ValidationFailedError(
            f"as_of {as_of} is before the first stored date",
            [ErrorDetail(loc=("body", "as_of"), msg="no trading day on or before it")],
        )
    return as_date(panel.dates[rows - 1])


def _validate(
    panel: Panel, features: FeatureSet, row: int, tickers: Sequence[str], lookback: int
) -> tuple[list[int], list[FailedTicker]]:
    """Column indices of the tickers that can be scored at ``row``, and the failures."""
    position = {ticker: index for index, ticker in enumerate(panel.tickers)}
    has_row = np.isfinite(panel.close[: row + 1])
    history = has_row.sum(axis=0)
    as_of = panel.dates[row]
    finite = np.isfinite(features.values[row]).all(axis=1)
    good: list[int] = []
    failed: list[FailedTicker] = []
    for ticker in tickers:
        column = position.get(ticker)
        if column is None:
            failed.append(FailedTicker(ticker, "UNKNOWN_TICKER", "not a stock of the universe"))
            continue
        traded = np.flatnonzero(has_row[:, column])
        if traded.size == 0:
            failed.append(FailedTicker(ticker, "INSUFFICIENT_HISTORY", "no rows up to as_of"))
            continue
        last = panel.dates[traded[-1]]
        lag = int(np.busday_count(last, as_of))
        if lag > STALE_BUSINESS_DAYS:
            failed.append(
                FailedTicker(ticker, "STALE_DATA", f"last row {last} is {lag} business days old")
            )
        elif history[column] < lookback:
            failed.append(
                FailedTicker(
                    ticker,
                    "INSUFFICIENT_HISTORY",
                    f"{int(history[column])} rows up to as_of, {lookback} needed",
                )
            )
        elif not finite[column]:
            missing = [
                name
                for name, value in zip(features.names, features.values[row, column], strict=True)
                if not np.isfinite(value)
            ]
            failed.append(
                FailedTicker(ticker, "MISSING_FEATURES", f"not finite: {', '.join(missing[:5])}")
            )
        else:
            good.append(column)
    return good, failed


def _universe_at(panel: Panel, row: int, version: ModelVersion) -> list[str]:
    """Default tickers at ``row``: the universe the version was trained on, as of that day
    (each date's most liquid names unless it was trained with ``full_universe``, computed
    from rows up to ``row`` only), among the stocks with a row within the last
    :data:`STALE_BUSINESS_DAYS` business days (a delisted or not yet listed stock is not
    part of the universe that day; an explicitly requested one is reported as stale)."""
    as_of = panel.dates[row]
    earliest = np.busday_offset(as_of, -STALE_BUSINESS_DAYS, roll="backward")
    first = int(np.searchsorted(panel.dates, earliest, side="left"))
    recent = np.isfinite(panel.close[first : row + 1]).any(axis=0)
    full_universe = bool(version.request.get("full_universe", False))
    trained_on = universe_mask(panel, survivorship=True, full_universe=full_universe)[row]
    if not trained_on.any():  # the liquidity window is not filled yet: every recent stock
        trained_on = np.ones_like(recent)
    return [panel.tickers[column] for column in np.flatnonzero(recent & trained_on)]


def score(
    version: ModelVersion,
    horizon: int,
    panel: Panel,
    features: FeatureSet,
    *,
    as_of: dt.date,
    tickers: Sequence[str] | None,
    generated_at: dt.datetime,
) -> SignalSet:
    """Score ``tickers`` (default every stock) at ``as_of`` (a trading day of ``panel``).

    ``features`` must be the version's feature set over ``panel`` (same dates, tickers).
    """
    version.horizon(horizon)  # NotFoundError for a horizon it was not trained for
    row = int(np.searchsorted(panel.dates, np.datetime64(as_of, "D")))
    lookback = max(
        spec.lookback
        for spec in feature_specs(version.feature_mode, has_sectors=panel.has_sectors)  # type: ignore[arg-type]
    )
    wanted = list(tickers) if tickers is not None else _universe_at(panel, row, version)
    columns, failed = _validate(panel, features, row, wanted, lookback)
    rows: list[SignalRow] = []
    if columns:
        matrix = features.values[row, columns, :]
        scores = version.predict(horizon, matrix, features.names)
        count = len(columns)
        # competition ranking: rank 1 + the number of higher scores (ties share a rank);
        # percentile = share of the other scored tickers with a lower score
        higher = rankdata(-scores, method="min") - 1
        lower = rankdata(scores, method="min") - 1
        for index, column in enumerate(columns):
            rows.append(
                SignalRow(
                    ticker=panel.tickers[column],
                    score=float(scores[index]),
                    rank=int(higher[index]) + 1,
                    percentile=float(lower[index]) / (count - 1) if count > 1 else 1.0,
                )
            )
        rows.sort(key=lambda item: (item.rank, item.ticker))
    return SignalSet(
        version=version.version,
        horizon=horizon,
        as_of=as_of,
        generated_at=generated_at,
        universe_fingerprint=panel.universe_fingerprint,
        in_sample=_in_sample(panel, row, horizon, version),
        signals=tuple(rows),
        failed_tickers=tuple(failed),
    )


def _in_sample(panel: Panel, row: int, horizon: int, version: ModelVersion) -> bool:
    """True when the label of ``row`` (rows row+1 … row+1+horizon) lies inside the
    version's training window, i.e. the model saw it."""
    training_end = np.datetime64(version.training_window[1], "D")
    end_row = int(np.searchsorted(panel.dates, training_end, side="right")) - 1
    return row + 1 + horizon <= end_row


class SignalStore:
    """Signal sets on disk under ``root`` (``QE_HOME/signals``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _folder(self, version: str, horizon: int) -> Path:
        return self.root / version / f"h{horizon}"

    def save(self, signals: SignalSet) -> None:
        """Write ``signals`` atomically (replacing a set of the same version/horizon/date)."""
        path = self._folder(signals.version, signals.horizon) / f"{signals.as_of}.json"
        atomic_write_bytes(path, json.dumps(signals.as_dict(), indent=1).encode())

    def listing(self) -> list[tuple[str, int, tuple[dt.date, ...]]]:
        """Every stored (version, horizon) with its signal dates, oldest first. Names that
        are not ``v<N>/h<H>/<YYYY-MM-DD>.json`` are ignored."""
        found: list[tuple[str, int, tuple[dt.date, ...]]] = []
        if not self.root.is_dir():
            return found
        for version_dir in sorted(self.root.iterdir()):
            if not _VERSION_DIR.match(version_dir.name) or not version_dir.is_dir():
                continue
            for horizon_dir in sorted(version_dir.iterdir()):
                match = _HORIZON_DIR.match(horizon_dir.name)
                if match is None or not horizon_dir.is_dir():
                    continue
                dates: list[dt.date] = []
                for path in horizon_dir.glob("*.json"):
                    try:
                        dates.append(dt.date.fromisoformat(path.stem))
                    except ValueError:
                        continue
                if dates:
                    found.append((version_dir.name, int(match.group(1)), tuple(sorted(dates))))
        return found

    def load(self, version: str, horizon: int, as_of: dt.date | None) -> dict[str, Any]:
        """The stored set as the contract's mapping (newest ``as_of`` when None).

        Raises ``NotFoundError`` when none was generated, ``ArtifactCorruptError`` when the
        file cannot be read.
        """
        folder = self._folder(version, horizon)
        if as_of is None:
            names = sorted(folder.glob("*.json")) if folder.is_dir() else []
            if not names:
                raise NotFoundError(f"no signals generated for {version} horizon {horizon}")
            path = names[-1]
        else:
            path = folder / f"{as_of}.json"
            if not path.is_file():
                raise NotFoundError(
                    f"no signals generated for {version} horizon {horizon} as of {as_of}"
                )
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError) as error:
            logger.warning("signal set %s is unreadable: %s", path, error)
            raise ArtifactCorruptError(f"signal set {path.name} is unreadable: {error}") from error
        if not isinstance(document, dict):
            raise ArtifactCorruptError(f"signal set {path.name} is not an object")
        return document
