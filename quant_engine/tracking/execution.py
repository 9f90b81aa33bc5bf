"""Execution quality: how far fills landed from the price the strategy expected.

The paper trader (and later a broker adapter) reports each fill once; the tracker stores
it under its idempotency key and summarizes slippage in basis points, signed so that a
positive number always means the fill was worse than expected.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal, get_args

import numpy as np

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.tracking.db import TrackingDatabase
from quant_engine.tracking.timestamps import from_stored, to_stored

Side = Literal["buy", "sell"]
_SIDES: frozenset[str] = frozenset(get_args(Side))
BASIS_POINTS_PER_UNIT = 10_000.0

EXECUTION_SCHEMA = """
CREATE TABLE IF NOT EXISTS fills (
    fill_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    ticker TEXT NOT NULL,
    side TEXT NOT NULL,
    quantity REAL NOT NULL,
    trade_date TEXT NOT NULL,
    expected_price REAL NOT NULL,
    fill_price REAL NOT NULL,
    slippage_bps REAL NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fills_source ON fills (source, trade_date, fill_id);
CREATE INDEX IF NOT EXISTS fills_date ON fills (trade_date, fill_id);
"""


@dataclass(frozen=True)
class Fill:
    """One executed order line as reported by its ``source`` ("paper", a broker, ...).

    ``fill_id`` is the idempotency key (e.g. ``"<signal set>:<ticker>:<side>"``): the same
    fill reported twice is stored once. ``quantity`` is in shares, prices per share.
    Invalid values raise ``ValidationFailedError`` listing every offending field.
    """

    fill_id: str
    source: str
    ticker: str
    side: Side
    quantity: float
    trade_date: dt.date
    expected_price: float
    fill_price: float

    def __post_init__(self) -> None:
        problems = [
            ErrorDetail((name,), "must be a non-empty string")
            for name in ("fill_id", "source", "ticker")
            if not isinstance(getattr(self, name), str) or not getattr(self, name)
        ]
        if self.side not in _SIDES:
            problems.append(ErrorDetail(("side",), f"must be one of {sorted(_SIDES)}"))
        problems.extend(
            ErrorDetail((name,), "must be a positive finite number")
            for name in ("quantity", "expected_price", "fill_price")
            if not _positive_finite(getattr(self, name))
        )
        if not isinstance(self.trade_date, dt.date) or isinstance(self.trade_date, dt.datetime):
            problems.append(ErrorDetail(("trade_date",), "must be a date (not a datetime)"))
        if problems:
            raise ValidationFailedError(f"fill {self.fill_id!r} is invalid", problems)

    @property
    def slippage_bps(self) -> float:
        """Slippage in basis points; positive means worse than expected on either side.

        A buy filled above the expected price, or a sell filled below it, is positive.
        """
        move = (self.fill_price / self.expected_price - 1.0) * BASIS_POINTS_PER_UNIT
        return move if self.side == "buy" else -move


def _positive_finite(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


@dataclass(frozen=True)
class FillRecord(Fill):
    """A stored fill: the fill itself plus when it was recorded (aware, UTC)."""

    recorded_at: dt.datetime


@dataclass(frozen=True)
class ExecutionSummary:
    """Slippage statistics over a set of fills, in basis points (None when there are none).

    ``worst_slippage_bps`` is the largest, i.e. the fill that went most against us.
    """

    fills: int
    mean_slippage_bps: float | None
    median_slippage_bps: float | None
    worst_slippage_bps: float | None


_FILL_COLUMNS = tuple(field.name for field in fields(Fill))
_SELECT = f"SELECT {', '.join(_FILL_COLUMNS)}, recorded_at FROM fills"
_INSERT = (
    f"INSERT OR IGNORE INTO fills ({', '.join(_FILL_COLUMNS)}, slippage_bps, recorded_at) "
    f"VALUES ({', '.join('?' for _ in range(len(_FILL_COLUMNS) + 2))})"
)


class ExecutionTracker:
    """Stores fills in the ``fills`` table of a tracking database and summarizes them."""

    SCHEMA: ClassVar[str] = EXECUTION_SCHEMA

    def __init__(self, db: TrackingDatabase) -> None:
        self.db = db

    def record(self, fill: Fill, *, recorded_at: dt.datetime) -> bool:
        """Store one fill; True if added, False if its ``fill_id`` was already stored."""
        return self.record_many([fill], recorded_at=recorded_at) == 1

    def record_many(self, fills: Sequence[Fill], *, recorded_at: dt.datetime) -> int:
        """Store fills in one transaction (all or none); returns how many were new.

        A ``fill_id`` already stored, or repeated within ``fills``, keeps its first version.
        """
        stamp = to_stored(recorded_at, "recorded_at")
        rows = [_row(fill, stamp) for fill in fills]
        with self.db.transaction(write=True) as connection:
            before = connection.total_changes
            connection.executemany(_INSERT, rows)
            return connection.total_changes - before

    def fills(self, source: str | None = None) -> tuple[FillRecord, ...]:
        """The stored fills (of one ``source``, or all), by trade date then ``fill_id``."""
        where, arguments = ("", ()) if source is None else (" WHERE source = ?", (source,))
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(
                f"{_SELECT}{where} ORDER BY trade_date, fill_id", arguments
            ).fetchall()
        return tuple(self._decode(row) for row in rows)

    def summary(self, source: str | None = None) -> ExecutionSummary:
        """Mean, median and worst slippage (bps) of the stored fills of ``source`` (or all)."""
        where, arguments = ("", ()) if source is None else (" WHERE source = ?", (source,))
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(f"SELECT slippage_bps FROM fills{where}", arguments)
            slippage = np.array([value for (value,) in rows.fetchall()], dtype=float)
        if slippage.size == 0:
            return ExecutionSummary(0, None, None, None)
        return ExecutionSummary(
            fills=int(slippage.size),
            mean_slippage_bps=float(slippage.mean()),
            median_slippage_bps=float(np.median(slippage)),
            worst_slippage_bps=float(slippage.max()),
        )

    def _decode(self, row: tuple[Any, ...]) -> FillRecord:
        fill_id, source, ticker, side, quantity, trade_date, expected, price, recorded = row
        try:
            return FillRecord(
                fill_id=fill_id,
                source=source,
                ticker=ticker,
                side=side,
                quantity=float(quantity),
                trade_date=dt.date.fromisoformat(trade_date),
                expected_price=float(expected),
                fill_price=float(price),
                recorded_at=from_stored(recorded),
            )
        except (TypeError, ValueError, ValidationFailedError) as error:
            raise self.db.corrupt_row("fills", error) from error


def _row(fill: Fill, recorded_at: str) -> tuple[object, ...]:
    return (
        fill.fill_id,
        fill.source,
        fill.ticker,
        fill.side,
        float(fill.quantity),
        fill.trade_date.isoformat(),
        float(fill.expected_price),
        float(fill.fill_price),
        fill.slippage_bps,
        recorded_at,
    )
