"""The database wrapper: corrupt, locked, missing and repaired files, and transactions."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from quant_engine.core.errors import UnavailableError
from quant_engine.tracking import (
    ComponentReading,
    Fill,
    Trackers,
    TrackingDatabase,
    open_trackers,
)

NOW = dt.datetime(2024, 6, 3, 12, 0, tzinfo=dt.UTC)
FILL = Fill("s:AAPL:buy", "paper", "AAPL", "buy", 1.0, dt.date(2024, 6, 3), 10.0, 10.1)
SCHEMA = "CREATE TABLE IF NOT EXISTS items (name TEXT PRIMARY KEY);"


def _operations(trackers: Trackers) -> list[tuple[str, TrackingDatabase, Callable[[], object]]]:
    """Every public operation of every tracker (valid arguments) and the file it uses."""
    scores = np.arange(5, dtype=float)
    tickers = ["A", "B", "C", "D", "E"]
    tracking, health = trackers.tracking_db, trackers.health_db
    reading = ComponentReading("disk", "ok", 0.5, "fine")
    return [
        ("tracking check", tracking, tracking.check),
        ("ic record", tracking, lambda: trackers.ic.record(
            "v1", 5, dt.date(2024, 6, 3), scores, scores, in_sample=False, scored_at=NOW
        )),
        ("ic scored_dates", tracking, lambda: trackers.ic.scored_dates("v1", 5)),
        ("ic history", tracking, lambda: trackers.ic.history("v1", 5)),
        ("ic recent", tracking, lambda: trackers.ic.recent_rank_ic("v1", 5)),
        ("disagreement record", tracking, lambda: trackers.disagreement.record(
            "a", "b", 5, dt.date(2024, 6, 3), tickers, scores, tickers, scores,
            top_n=2, recorded_at=NOW,
        )),
        ("disagreement dates", tracking, lambda: trackers.disagreement.recorded_dates("a", "b", 5)),
        ("disagreement history", tracking, lambda: trackers.disagreement.history("a", "b", 5)),
        ("disagreement latest", tracking, lambda: trackers.disagreement.latest("a", "b")),
        ("fill record", tracking, lambda: trackers.execution.record(FILL, recorded_at=NOW)),
        ("fill record_many", tracking, lambda: trackers.execution.record_many(
            [FILL], recorded_at=NOW
        )),
        ("fills", tracking, trackers.execution.fills),
        ("fill summary", tracking, trackers.execution.summary),
        ("health check", health, health.check),
        ("snapshot write", health, lambda: trackers.history.write(NOW, [reading])),
        ("snapshot points", health, lambda: trackers.history.points("disk", NOW, NOW, 10)),
        ("snapshot prune", health, lambda: trackers.history.prune(NOW)),
    ]  # fmt: skip


def _valid_database_with_damaged_schema_page(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE filler (x)")
        connection.executemany("INSERT INTO filler VALUES (?)", [(i,) for i in range(3000)])
    connection.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = random.Random(1).randbytes(3996)  # page 1 after the file header
    path.write_bytes(bytes(data))


CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "garbage": lambda path: path.write_bytes(random.Random(7).randbytes(8192)),
    "one byte": lambda path: path.write_bytes(b"x"),
    "text": lambda path: path.write_text("these are my notes, not a database\n"),
    "malformed": _valid_database_with_damaged_schema_page,
}


@pytest.fixture
def trackers(tmp_path: Path) -> Trackers:
    return open_trackers(tmp_path / "state", timeout_s=0.2)


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_corrupt_file_makes_every_operation_unavailable_and_stays_untouched(
    trackers: Trackers, corruption: str
) -> None:
    paths = (trackers.tracking_db.path, trackers.health_db.path)
    paths[0].parent.mkdir(parents=True)
    for path in paths:
        CORRUPTIONS[corruption](path)
    before = {path: path.read_bytes() for path in paths}

    for name, database, operation in _operations(trackers):
        with pytest.raises(UnavailableError) as raised:
            operation()
        assert str(database.path) in raised.value.message, name
        assert raised.value.status == 503

    assert {path: path.read_bytes() for path in paths} == before


def test_a_repaired_file_works_again_with_the_same_instance(trackers: Trackers) -> None:
    path = trackers.tracking_db.path
    path.parent.mkdir(parents=True)
    path.write_bytes(random.Random(3).randbytes(4096))
    with pytest.raises(UnavailableError):
        trackers.execution.record(FILL, recorded_at=NOW)
    path.unlink()  # the user moves the damaged file away

    assert trackers.execution.record(FILL, recorded_at=NOW)
    assert [fill.fill_id for fill in trackers.execution.fills()] == [FILL.fill_id]
    trackers.tracking_db.check()


@pytest.fixture
def locked_write(trackers: Trackers) -> Iterator[sqlite3.Connection]:
    """Another connection holding the write lock of an existing tracking.db."""
    trackers.execution.record(FILL, recorded_at=NOW)
    other = sqlite3.connect(trackers.tracking_db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    yield other
    other.close()


def test_a_locked_database_refuses_writes_within_the_timeout(
    trackers: Trackers, locked_write: sqlite3.Connection
) -> None:
    second = Fill("s:MSFT:buy", "paper", "MSFT", "buy", 1.0, dt.date(2024, 6, 3), 10.0, 10.1)
    started = time.monotonic()
    with pytest.raises(UnavailableError) as raised:
        trackers.execution.record(second, recorded_at=NOW)
    waited = time.monotonic() - started
    assert "database is locked" in raised.value.message
    assert str(trackers.tracking_db.path) in raised.value.message
    assert 0.15 < waited < 3.0  # it waited about timeout_s (0.2 s), not the 5 s default
    # WAL readers are not blocked by a writer: they see the last committed state.
    assert [fill.fill_id for fill in trackers.execution.fills()] == [FILL.fill_id]

    locked_write.execute("ROLLBACK")
    assert trackers.execution.record(second, recorded_at=NOW)


def test_an_exclusively_locked_file_refuses_reads_until_released(trackers: Trackers) -> None:
    trackers.execution.record(FILL, recorded_at=NOW)
    other = sqlite3.connect(trackers.tracking_db.path, isolation_level=None)
    try:
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(UnavailableError, match="database is locked"):
            trackers.execution.fills()
        with pytest.raises(UnavailableError, match="database is locked"):
            trackers.tracking_db.check()
        other.execute("COMMIT")
    finally:
        other.close()
    assert len(trackers.execution.fills()) == 1
    trackers.tracking_db.check()


def test_reads_of_a_missing_file_are_empty_and_create_nothing(trackers: Trackers) -> None:
    trackers.tracking_db.check()
    trackers.health_db.check()
    assert trackers.ic.history("v1", 5) == ()
    assert trackers.disagreement.latest("a", "b") is None
    assert trackers.history.points("disk", NOW, NOW, 5) == ((), False)
    assert not trackers.tracking_db.path.parent.exists()


def test_a_write_creates_the_folder_and_a_wal_database(tmp_path: Path) -> None:
    db = TrackingDatabase(tmp_path / "a" / "b" / "items.db", SCHEMA)
    with db.transaction(write=True) as connection:
        connection.execute("INSERT INTO items VALUES ('x')")
    with sqlite3.connect(db.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("SELECT name FROM items").fetchall() == [("x",)]


def test_an_exception_in_the_body_rolls_back_and_propagates(tmp_path: Path) -> None:
    db = TrackingDatabase(tmp_path / "items.db", SCHEMA)

    def insert_then_fail() -> None:
        with db.transaction(write=True) as connection:
            connection.execute("INSERT INTO items VALUES ('x')")
            raise KeyError("boom")

    with pytest.raises(KeyError):
        insert_then_fail()
    with db.transaction(write=False) as connection:
        assert connection.execute("SELECT count(*) FROM items").fetchone() == (0,)


def test_a_binding_bug_is_not_reported_as_unavailable(tmp_path: Path) -> None:
    db = TrackingDatabase(tmp_path / "items.db", SCHEMA)
    with pytest.raises(sqlite3.ProgrammingError), db.transaction(write=True) as connection:
        connection.execute("INSERT INTO items VALUES (?)", ([1],))


def test_a_failed_schema_is_retried_on_the_next_call(tmp_path: Path) -> None:
    path = tmp_path / "items.db"
    with sqlite3.connect(path) as connection:  # a name clash makes the schema fail
        connection.executescript("CREATE TABLE other (x); CREATE INDEX items ON other (x);")
    connection.close()
    db = TrackingDatabase(path, SCHEMA)
    with pytest.raises(UnavailableError, match="already an index named items"):
        db.check()
    with sqlite3.connect(path) as connection:  # the user repairs the file
        connection.execute("DROP INDEX items")
    connection.close()
    with db.transaction(write=False) as connection:
        assert connection.execute("SELECT count(*) FROM items").fetchone() == (0,)


def test_constructing_touches_nothing(tmp_path: Path) -> None:
    open_trackers(tmp_path / "state")
    TrackingDatabase(tmp_path / "other.db", SCHEMA)
    assert list(tmp_path.iterdir()) == []
