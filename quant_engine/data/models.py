"""Value types of the data engine: what the store holds and what an import reports.

All types are frozen dataclasses; the API layer maps them to its own wire models.
Dates are calendar dates (``datetime.date``); prices are in the source currency per share;
volume is in shares.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from quant_engine.core.errors import ErrorDetail, ValidationFailedError

TICKER_PATTERN = re.compile(r"^[A-Z][A-Z0-9.\-]{0,14}$")
"""Every ticker in the store matches this; nothing else ever reaches a file path."""

DataMode = Literal["sample", "directory"]
QualityStatus = Literal["ok", "warnings", "failed"]
TickerKind = Literal["stock", "benchmark"]

QUALITY_STATUSES: tuple[QualityStatus, ...] = ("ok", "warnings", "failed")

QUARANTINE_REASONS: tuple[str, ...] = (
    "unparseable_date",
    "missing_value",
    "non_positive_price",
    "negative_volume",
    "inconsistent_ohlc",
    "duplicate_date",
)
"""Reasons a row is quarantined, highest precedence first: a row with several defects is
counted once, under the first reason in this order that applies."""


def validate_ticker(ticker: str) -> str:
    """Return ``ticker`` when it matches :data:`TICKER_PATTERN`.

    Raises ``ValidationFailedError`` otherwise, before any path is built from it.
    """
    if not TICKER_PATTERN.fullmatch(ticker):
        raise ValidationFailedError(
            f"invalid ticker {ticker[:40]!r}: expected 1-15 characters A-Z, 0-9, '.', '-' "
            "starting with a letter",
            details=[ErrorDetail(loc=("ticker",), msg="does not match ^[A-Z][A-Z0-9.\\-]{0,14}$")],
        )
    return ticker


@dataclass(frozen=True)
class QuarantineCounts:
    """Quarantined rows of one ticker, per reason (see :data:`QUARANTINE_REASONS`)."""

    unparseable_date: int = 0
    missing_value: int = 0
    non_positive_price: int = 0
    negative_volume: int = 0
    inconsistent_ohlc: int = 0
    duplicate_date: int = 0

    @property
    def total(self) -> int:
        """Number of quarantined rows, all reasons together."""
        return (
            self.unparseable_date
            + self.missing_value
            + self.non_positive_price
            + self.negative_volume
            + self.inconsistent_ohlc
            + self.duplicate_date
        )

    def as_dict(self) -> dict[str, int]:
        """Counts keyed by reason, in precedence order."""
        return {reason: int(getattr(self, reason)) for reason in QUARANTINE_REASONS}

    @classmethod
    def from_mapping(cls, counts: Mapping[str, int]) -> QuarantineCounts:
        """Build from a reason → count mapping; unknown reasons raise ``KeyError``."""
        unknown = set(counts) - set(QUARANTINE_REASONS)
        if unknown:
            raise KeyError(f"unknown quarantine reasons {sorted(unknown)}")
        return cls(**{reason: int(count) for reason, count in counts.items()})


@dataclass(frozen=True)
class Gap:
    """A hole in a ticker's history.

    ``start`` is the last stored date before the hole, ``end`` the first stored date after
    it; ``business_days`` counts the weekdays strictly between them (exchange holidays
    count too, the store knows no exchange calendar).
    """

    start: dt.date
    end: dt.date
    business_days: int


@dataclass(frozen=True)
class TickerQuality:
    """Quality report of one source (a file, or one sample ticker).

    ``rows_read`` = ``rows_stored`` + ``quarantined.total``. ``status`` is ``ok`` with no
    defect, ``warnings`` with quarantined rows or gaps, ``failed`` when the source is
    unreadable or has no valid row (then ``message`` says why, and ``ticker`` may be None
    when it could not be determined).
    """

    ticker: str | None
    source_file: str
    status: QualityStatus
    rows_read: int
    rows_stored: int
    quarantined: QuarantineCounts
    gaps: tuple[Gap, ...]
    first_date: dt.date | None
    last_date: dt.date | None
    message: str | None = None


@dataclass(frozen=True)
class SegmentLocation:
    """Where a ticker's rows live in the store: a segment file (name relative to the
    store's ``segments/`` folder) and the row group inside it."""

    segment: str
    row_group: int


@dataclass(frozen=True)
class TickerInfo:
    """One ticker of the universe as recorded in the manifest.

    ``fingerprint`` is the sha256 (hex) of the normalized bars (see
    :func:`quant_engine.data.quality.columns_fingerprint`); ``bars`` and ``quarantine``
    locate its stored and quarantined rows. ``sector`` is known for the sample only.
    """

    ticker: str
    kind: TickerKind
    sector: str | None
    rows: int
    first_date: dt.date
    last_date: dt.date
    source_file: str
    fingerprint: str
    bars: SegmentLocation
    quarantine: SegmentLocation | None
    quality: TickerQuality


@dataclass(frozen=True)
class Manifest:
    """The committed state of the store.

    ``tickers`` is ordered by ticker. ``failures`` holds the quality entries of sources that
    failed in the last import (they are not part of the universe). ``sources`` maps every
    source of the last import (stored or failed) to the sha256 of its raw content, which
    is how an unchanged source is recognised. ``segments`` maps each segment file to its
    number of row groups. ``refreshed_at`` is the UTC time of the commit.
    """

    format_version: int
    data_mode: DataMode
    source: str
    refreshed_at: dt.datetime
    universe_fingerprint: str
    tickers: Mapping[str, TickerInfo]
    failures: tuple[TickerQuality, ...]
    sources: Mapping[str, str]
    segments: Mapping[str, int]

    def quality_entries(self) -> tuple[TickerQuality, ...]:
        """Quality of every stored ticker (by ticker) followed by every failed source."""
        return tuple(info.quality for info in self.tickers.values()) + self.failures


FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]


@dataclass(frozen=True, eq=False)
class Bars:
    """Daily bars of one ticker, ascending by date, as read-only numpy arrays.

    ``date`` is ``datetime64[D]``; ``open``/``high``/``low``/``close``/``adj_close`` are prices
    (float64, source currency); ``volume`` is shares (float64 so fractional volumes survive).
    """

    ticker: str
    date: DateArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    adj_close: FloatArray
    volume: FloatArray

    def __len__(self) -> int:
        return int(self.date.shape[0])


@dataclass(frozen=True)
class FailedSource:
    """A source that could not be imported: its file, the ticker if known, and why."""

    source_file: str
    ticker: str | None
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """Outcome of one import or sample materialization.

    ``imported`` were parsed and (re)written, ``unchanged`` were skipped because their
    source did not change, ``removed`` left the universe (their file is gone or now
    fails), ``ignored_files`` are files in the folder that are neither CSV nor Parquet.
    ``committed`` is False when nothing changed and the manifest was left untouched.
    ``elapsed_seconds`` is wall-clock time.
    """

    data_mode: DataMode
    source: str
    imported: tuple[str, ...]
    unchanged: tuple[str, ...]
    failed: tuple[FailedSource, ...]
    removed: tuple[str, ...]
    ignored_files: tuple[str, ...]
    quality: tuple[TickerQuality, ...]
    universe_fingerprint: str
    committed: bool
    elapsed_seconds: float
