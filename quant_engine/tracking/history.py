"""Health history: periodic snapshots of every health component, and their trends.

Snapshots live in their own file (``state/health.db``), apart from ``state/tracking.db``,
so a damaged tracking database never costs the status history that would show it. Each
snapshot is written in one transaction: a crash leaves either every component of an
instant or none of them.
"""

from __future__ import annotations

import datetime as dt
import math
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.tracking.db import TrackingDatabase
from quant_engine.tracking.timestamps import from_stored, to_stored

SECONDS_PER_DAY = 86_400.0

# Per component, the slope (value units per calendar day) below which a trend is "flat".
TOLERANCES: Mapping[str, float] = types.MappingProxyType(
    {
        "data_freshness": 0.01,
        "model_age": 0.01,
        "ic_trend": 0.0005,
        "disagreement": 0.0005,
        "job_queue": 0.01,
        "disk": 0.01,
        "registry": 0.001,
        "cache": 0.0005,
    }
)

HISTORY_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    at TEXT NOT NULL,
    component TEXT NOT NULL,
    status TEXT NOT NULL,
    value REAL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_component_at ON snapshots (component, at);
"""


@dataclass(frozen=True)
class ComponentReading:
    """One component's state at a snapshot: its status, an optional measure, a message."""

    name: str
    status: str
    value: float | None
    message: str


@dataclass(frozen=True)
class SnapshotPoint:
    """One stored reading of a component: when (aware UTC), its measure and status."""

    at: dt.datetime
    value: float | None
    status: str


@dataclass(frozen=True)
class Trend:
    """The least-squares slope of a component's value, in value units per calendar day.

    ``direction`` is "flat" when ``|slope_per_day| < tolerance``; ``points`` is how many
    valued snapshots the fit used.
    """

    slope_per_day: float
    direction: Literal["up", "down", "flat"]
    tolerance: float
    points: int


def trend(points: Sequence[SnapshotPoint], tolerance: float) -> Trend | None:
    """Fit a line to the points that have a value; None if fewer than 2 or all simultaneous.

    ``x`` is days (calendar, fractional) since the first valued point, so irregular
    snapshot spacing is weighted by real time; the slope is ``numpy.polyfit(x, y, 1)[0]``.
    """
    valued = [point for point in points if point.value is not None]
    if len(valued) < 2:
        return None
    origin = valued[0].at
    x = np.array([(point.at - origin).total_seconds() / SECONDS_PER_DAY for point in valued])
    y = np.array([point.value for point in valued], dtype=float)
    if np.ptp(x) == 0.0:
        return None
    slope = float(np.polyfit(x, y, 1)[0])
    direction: Literal["up", "down", "flat"] = (
        "flat" if abs(slope) < tolerance else "up" if slope > 0 else "down"
    )
    return Trend(slope_per_day=slope, direction=direction, tolerance=tolerance, points=len(valued))


class HealthHistory:
    """Stores health snapshots in the ``snapshots`` table of ``state/health.db``.

    The caller passes a ``TrackingDatabase`` built with ``HISTORY_SCHEMA``.
    """

    def __init__(self, db: TrackingDatabase) -> None:
        self.db = db

    def write(self, at: dt.datetime, readings: Sequence[ComponentReading]) -> None:
        """Store one snapshot taken at ``at`` (aware): every reading, or none on any error.

        A reading with a non-string name, status or message, or a value that is not a
        finite number or None, raises ``ValidationFailedError`` and nothing is stored.
        """
        stamp = to_stored(at, "at")
        names = [reading.name for reading in readings if isinstance(reading.name, str)]
        if len(set(names)) != len(names):
            raise ValidationFailedError(
                "a snapshot holds each component once",
                [ErrorDetail(("readings",), f"repeated component names in {names}")],
            )
        with self.db.transaction(write=True) as connection:
            # Rows are validated as they are inserted; a bad one rolls back those before it.
            connection.executemany(
                "INSERT INTO snapshots (at, component, status, value, message) "
                "VALUES (?, ?, ?, ?, ?)",
                _snapshot_rows(stamp, readings),
            )

    def points(
        self, component: str, since: dt.datetime, until: dt.datetime, limit: int
    ) -> tuple[tuple[SnapshotPoint, ...], bool]:
        """A component's snapshots with ``since <= at <= until``, oldest first.

        When more than ``limit`` match, only the newest ``limit`` are returned and the
        flag (``truncated``) is True. Reads the ``(component, at)`` index backwards, so
        the cost follows ``limit``, not the length of the history.
        """
        if limit < 1:
            raise ValidationFailedError(
                "limit must be at least 1", [ErrorDetail(("limit",), f"got {limit}")]
            )
        with self.db.transaction(write=False) as connection:
            rows = connection.execute(
                "SELECT at, value, status FROM snapshots "
                "WHERE component = ? AND at >= ? AND at <= ? ORDER BY at DESC LIMIT ?",
                (component, to_stored(since, "since"), to_stored(until, "until"), limit + 1),
            ).fetchall()
        truncated = len(rows) > limit
        try:
            newest_first = [
                SnapshotPoint(
                    at=from_stored(at),
                    value=None if value is None else float(value),
                    status=str(status),
                )
                for at, value, status in rows[:limit]
            ]
        except (TypeError, ValueError) as error:
            raise self.db.corrupt_row("snapshots", error) from error
        return tuple(reversed(newest_first)), truncated

    def prune(self, before: dt.datetime) -> int:
        """Delete every snapshot taken strictly before ``before``; returns the rows deleted."""
        with self.db.transaction(write=True) as connection:
            cursor = connection.execute(
                "DELETE FROM snapshots WHERE at < ?", (to_stored(before, "before"),)
            )
            return cursor.rowcount


def _snapshot_rows(
    stamp: str, readings: Sequence[ComponentReading]
) -> Iterator[tuple[str, str, str, float | None, str]]:
    """The rows of one snapshot, each validated just before it is inserted."""
    for position, reading in enumerate(readings):
        problems = [
            ErrorDetail(("readings", position, field), "must be a string")
            for field in ("name", "status", "message")
            if not isinstance(getattr(reading, field), str)
        ]
        value = reading.value
        valid_value = value is None or (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
        if not valid_value:
            problems.append(
                ErrorDetail(("readings", position, "value"), "must be a finite number or null")
            )
        if problems:
            raise ValidationFailedError(f"reading {position} of the snapshot is invalid", problems)
        stored_value = None if value is None else float(value)
        yield stamp, reading.name, reading.status, stored_value, reading.message
