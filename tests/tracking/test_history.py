"""Health snapshots: trend fitting, range reads, atomic writes, crash safety."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from quant_engine.core.errors import ValidationFailedError
from quant_engine.tracking import (
    HISTORY_SCHEMA,
    TOLERANCES,
    ComponentReading,
    HealthHistory,
    SnapshotPoint,
    TrackingDatabase,
    trend,
)

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def history(tmp_path: Path) -> HealthHistory:
    return HealthHistory(TrackingDatabase(tmp_path / "state" / "health.db", HISTORY_SCHEMA))


def _readings(
    value: float | None, names: tuple[str, ...] = ("disk", "cache")
) -> list[ComponentReading]:
    return [ComponentReading(name, "ok", value, f"{name} fine") for name in names]


def _count(history: HealthHistory) -> int:
    with sqlite3.connect(history.db.path) as connection:
        (count,) = connection.execute("SELECT count(*) FROM snapshots").fetchone()
    return int(count)


def test_tolerances_cover_every_component_and_are_read_only() -> None:
    assert dict(TOLERANCES) == {
        "data_freshness": 0.01,
        "model_age": 0.01,
        "ic_trend": 0.0005,
        "disagreement": 0.0005,
        "job_queue": 0.01,
        "disk": 0.01,
        "registry": 0.001,
        "cache": 0.0005,
    }
    with pytest.raises(TypeError):
        TOLERANCES["disk"] = 1.0  # type: ignore[index]


def test_trend_equals_polyfit_over_the_valued_points() -> None:
    offsets_s = [0, 300, 1_000, 7_200, 50_000, 86_400, 200_000]
    values = [None, 1.0, 1.5, None, 2.0, 4.0, 3.5]
    points = [
        SnapshotPoint(START + dt.timedelta(seconds=offset), value, "ok")
        for offset, value in zip(offsets_s, values, strict=True)
    ]
    valued = [(o, v) for o, v in zip(offsets_s, values, strict=True) if v is not None]
    days = np.array([o for o, _ in valued], dtype=float) / 86_400
    expected = np.polyfit(days, [v for _, v in valued], 1)[0]

    result = trend(points, tolerance=0.01)

    assert result is not None
    assert result.slope_per_day == pytest.approx(expected, rel=1e-12)
    assert (result.direction, result.points, result.tolerance) == ("up", 5, 0.01)


def test_trend_direction_respects_the_tolerance() -> None:
    falling = [SnapshotPoint(START + dt.timedelta(days=d), 10.0 - 0.5 * d, "ok") for d in range(4)]
    assert trend(falling, 0.1) == pytest.approx(trend(falling, 0.1))
    down = trend(falling, 0.1)
    assert down is not None
    assert (down.direction, down.slope_per_day) == ("down", pytest.approx(-0.5))
    flat = trend(falling, 0.6)
    assert flat is not None
    assert flat.direction == "flat"


def test_trend_needs_two_valued_points_at_different_times() -> None:
    assert trend([], 0.01) is None
    one = [
        SnapshotPoint(START, 1.0, "ok"),
        SnapshotPoint(START + dt.timedelta(hours=1), None, "ok"),
    ]
    assert trend(one, 0.01) is None
    simultaneous = [SnapshotPoint(START, 1.0, "ok"), SnapshotPoint(START, 2.0, "ok")]
    assert trend(simultaneous, 0.01) is None


def test_points_are_bounded_inclusively_and_oldest_first(history: HealthHistory) -> None:
    for step in range(10):
        history.write(START + dt.timedelta(minutes=5 * step), _readings(float(step)))
    since, until = START + dt.timedelta(minutes=10), START + dt.timedelta(minutes=30)
    points, truncated = history.points("disk", since, until, limit=100)
    assert not truncated
    assert [point.value for point in points] == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert points[0].at == since
    assert points[-1].at == until
    assert points[0].at.tzinfo is not None
    assert history.points("missing", since, until, 10) == ((), False)


def test_points_over_the_limit_keep_the_newest(history: HealthHistory) -> None:
    for step in range(10):
        history.write(START + dt.timedelta(minutes=5 * step), _readings(float(step)))
    points, truncated = history.points("cache", START, START + dt.timedelta(days=1), limit=3)
    assert truncated
    assert [point.value for point in points] == [7.0, 8.0, 9.0]
    exactly, truncated = history.points("cache", START, START + dt.timedelta(days=1), limit=10)
    assert not truncated
    assert len(exactly) == 10


def test_points_compare_instants_across_time_zones(history: HealthHistory) -> None:
    new_york = dt.timezone(dt.timedelta(hours=-5))
    history.write(dt.datetime(2024, 1, 1, 7, 0, tzinfo=new_york), _readings(1.0))  # 12:00 UTC
    history.write(dt.datetime(2024, 1, 1, 11, 0, tzinfo=dt.UTC), _readings(2.0))
    points, _ = history.points("disk", START, START + dt.timedelta(days=1), limit=10)
    assert [point.value for point in points] == [2.0, 1.0]
    assert points[1].at == dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)


def test_write_is_all_or_nothing(history: HealthHistory) -> None:
    history.write(START, _readings(1.0))
    readings = [*_readings(2.0), ComponentReading("registry", None, 1.0, "bad status")]  # type: ignore[arg-type]
    with pytest.raises(ValidationFailedError) as raised:
        history.write(START + dt.timedelta(minutes=5), readings)
    assert raised.value.details[0].loc == ("readings", 2, "status")
    assert _count(history) == 2  # only the first snapshot


@pytest.mark.parametrize(
    "reading",
    [
        ComponentReading("disk", "ok", float("nan"), "m"),
        ComponentReading("disk", "ok", "high", "m"),  # type: ignore[arg-type]
        ComponentReading("disk", "ok", 1.0, None),  # type: ignore[arg-type]
    ],
)
def test_write_refuses_invalid_readings(history: HealthHistory, reading: ComponentReading) -> None:
    with pytest.raises(ValidationFailedError):
        history.write(START, [reading])


def test_write_refuses_a_component_twice_and_a_naive_instant(history: HealthHistory) -> None:
    with pytest.raises(ValidationFailedError):
        history.write(START, _readings(1.0, ("disk", "disk")))
    with pytest.raises(ValidationFailedError):
        history.write(dt.datetime(2024, 1, 1), _readings(1.0))
    assert not history.db.path.exists()


def test_prune_deletes_strictly_older_snapshots(history: HealthHistory) -> None:
    for step in range(6):
        history.write(START + dt.timedelta(hours=step), _readings(float(step)))
    assert history.prune(START + dt.timedelta(hours=2)) == 4
    points, _ = history.points("disk", START, START + dt.timedelta(days=1), 100)
    assert [point.value for point in points] == [2.0, 3.0, 4.0, 5.0]
    assert history.prune(START) == 0


_WRITER = textwrap.dedent(
    """
    import datetime as dt
    import sys
    from pathlib import Path

    from quant_engine.tracking import HISTORY_SCHEMA, TOLERANCES, ComponentReading
    from quant_engine.tracking import HealthHistory, TrackingDatabase

    history = HealthHistory(TrackingDatabase(Path(sys.argv[1]), HISTORY_SCHEMA, timeout_s=5.0))
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    step = 0
    while True:
        at = start + dt.timedelta(seconds=300 * step)
        history.write(at, [ComponentReading(n, "ok", float(step), "x" * 300) for n in TOLERANCES])
        step += 1
    """
)


def _snapshots_so_far(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1.0) as connection:
            (count,) = connection.execute("SELECT count(DISTINCT at) FROM snapshots").fetchone()
    except sqlite3.OperationalError:  # the writer has not created the table yet
        return 0
    return int(count)


def test_a_killed_writer_leaves_only_complete_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "health.db"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 20.0
        while _snapshots_so_far(path) < 300 and time.monotonic() < deadline:
            assert writer.poll() is None, "the writer died on its own"
            time.sleep(0.02)
        writer.send_signal(signal.SIGKILL)
        assert writer.wait(timeout=10) == -signal.SIGKILL
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()

    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        sizes = connection.execute("SELECT at, count(*) FROM snapshots GROUP BY at").fetchall()
    assert len(sizes) >= 300
    assert {count for _, count in sizes} == {len(TOLERANCES)}
    history = HealthHistory(TrackingDatabase(path, HISTORY_SCHEMA))
    history.write(START + dt.timedelta(days=3650), _readings(1.0))  # still writable
