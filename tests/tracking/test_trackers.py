"""open_trackers: two files under state/, each with its own tables, failing independently."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from quant_engine import tracking
from quant_engine.core.errors import UnavailableError
from quant_engine.tracking import ComponentReading, Fill, open_trackers

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
FILL = Fill("s:AAPL:buy", "paper", "AAPL", "buy", 1.0, dt.date(2024, 6, 3), 10.0, 10.1)


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = {name for (name,) in rows}
    connection.close()
    return names


def test_trackers_share_tracking_db_and_history_has_its_own(tmp_path: Path) -> None:
    trackers = open_trackers(tmp_path / "state")
    assert trackers.ic.db is trackers.disagreement.db is trackers.execution.db
    assert trackers.ic.db is trackers.tracking_db
    assert trackers.history.db is trackers.health_db

    trackers.execution.record(FILL, recorded_at=NOW)
    trackers.history.write(NOW, [ComponentReading("disk", "ok", 0.5, "fine")])

    assert trackers.tracking_db.path == tmp_path / "state" / "tracking.db"
    assert trackers.health_db.path == tmp_path / "state" / "health.db"
    assert _tables(trackers.tracking_db.path) == {"ic_scores", "disagreement", "fills"}
    assert _tables(trackers.health_db.path) == {"snapshots"}


def test_a_corrupt_tracking_db_leaves_health_history_working(tmp_path: Path) -> None:
    trackers = open_trackers(tmp_path / "state")
    trackers.tracking_db.path.parent.mkdir(parents=True)
    trackers.tracking_db.path.write_bytes(b"\x00garbage" * 512)
    with pytest.raises(UnavailableError):
        trackers.tracking_db.check()
    trackers.history.write(NOW, [ComponentReading("registry", "failed", None, "unreadable")])
    points, _ = trackers.history.points("registry", NOW, NOW, 5)
    assert [(point.status, point.value) for point in points] == [("failed", None)]


def test_the_package_exports_what_it_lists() -> None:
    assert sorted(tracking.__all__) == sorted(set(tracking.__all__))
    for name in tracking.__all__:
        assert getattr(tracking, name) is not None
