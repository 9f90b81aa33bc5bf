"""Store read side: ranges, validation, corruption, traversal, concurrent readers."""

from __future__ import annotations

import builtins
import datetime as dt
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from quant_engine.core.errors import ArtifactCorruptError, NotFoundError, ValidationFailedError
from quant_engine.data import Store, import_directory
from quant_engine.data.store import MANIFEST_NAME, SEGMENTS_DIR

HEADER = "date,open,high,low,close,volume\n"


def _days(start: str, count: int) -> list[str]:
    first = np.datetime64(start, "D")
    return [str(day) for day in np.busday_offset(first, np.arange(count), roll="forward")]


def _csv(count: int, offset: float = 0.0) -> str:
    rows = [
        f"{day},{10 + i + offset},{11 + i + offset},{9 + i + offset},{10.5 + i + offset},{100 + i}"
        for i, day in enumerate(_days("2021-01-04", count))
    ]
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "AAA.csv").write_text(_csv(10))
    (folder / "BBB.csv").write_text(_csv(5, offset=100))
    (folder / "CCC.csv").write_text(HEADER + "2021-01-04,,1,1,1,1\n2021-01-05,1,2,0.5,1.5,2\n")
    (folder / "BAD.csv").write_text("nonsense\n")
    result = Store(tmp_path / "store")
    import_directory(folder, result)
    return result


def test_empty_store_has_no_manifest_and_no_tickers(tmp_path: Path) -> None:
    empty = Store(tmp_path / "nothing")
    assert empty.manifest() is None
    assert empty.tickers() == ()
    assert empty.quality() == ()
    with pytest.raises(NotFoundError):
        empty.bars("AAA")


def test_bars_are_columnar_ascending_and_read_only(store: Store) -> None:
    bars = store.bars("AAA")
    assert len(bars) == 10
    assert bars.date.dtype == np.dtype("datetime64[D]")
    assert bars.date.astype(str).tolist() == _days("2021-01-04", 10)
    assert bars.open.tolist() == [10.0 + i for i in range(10)]
    assert not bars.close.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        bars.close[0] = 0.0


def test_bars_range_is_inclusive_and_limit_keeps_the_first_rows(store: Store) -> None:
    days = _days("2021-01-04", 10)
    start, end = dt.date.fromisoformat(days[2]), dt.date.fromisoformat(days[6])
    assert store.bars("AAA", start, end).date.astype(str).tolist() == days[2:7]
    assert store.bars("AAA", start, end, limit=2).date.astype(str).tolist() == days[2:4]
    assert store.bars("AAA", end=start).date.astype(str).tolist() == days[:3]
    assert len(store.bars("AAA", dt.date(2030, 1, 1))) == 0
    assert len(store.bars("AAA", limit=0)) == 0


def test_bad_ranges_are_validation_errors(store: Store) -> None:
    with pytest.raises(ValidationFailedError):
        store.bars("AAA", dt.date(2021, 2, 1), dt.date(2021, 1, 1))
    with pytest.raises(ValidationFailedError):
        store.bars("AAA", limit=-1)


def test_ticker_info_and_quality_filter(store: Store) -> None:
    assert store.tickers() == ("AAA", "BBB", "CCC")
    info = store.ticker_info("BBB")
    assert (info.rows, info.source_file, info.kind) == (5, "BBB.csv", "stock")
    assert [entry.ticker for entry in store.quality("ok")] == ["AAA", "BBB"]
    assert [entry.ticker for entry in store.quality("warnings")] == ["CCC"]
    assert [entry.source_file for entry in store.quality("failed")] == ["BAD.csv"]
    assert len(store.quality()) == 4
    with pytest.raises(ValidationFailedError):
        store.quality("bogus")
    with pytest.raises(NotFoundError):
        store.ticker_info("ZZZ")


def test_quarantine_rows_are_readable(store: Store) -> None:
    table = store.quarantine("CCC")
    assert table is not None
    assert table.column("reason").to_pylist() == ["missing_value"]
    assert store.quarantine("AAA") is None


@pytest.mark.parametrize(
    "ticker",
    ["../../etc", "..%2F", "A/B", "", "aaa", "/etc/passwd", "AAA/../BBB", "A" * 16, "A\x00"],
)
def test_hostile_tickers_never_reach_the_filesystem(
    store: Store, ticker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    touched: list[object] = []
    real_parquet_file, real_open = pq.ParquetFile, builtins.open

    def spy_parquet(path: object, *args: Any, **kwargs: Any) -> object:
        touched.append(path)
        return real_parquet_file(path, *args, **kwargs)

    def spy_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        touched.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(pq, "ParquetFile", spy_parquet)
    monkeypatch.setattr(builtins, "open", spy_open)
    calls: list[Callable[[str], object]] = [store.bars, store.ticker_info, store.quarantine]
    for call in calls:
        with pytest.raises(ValidationFailedError):
            call(ticker)
    assert touched == []


def test_manifest_naming_a_path_outside_the_store_is_corrupt(store: Store) -> None:
    path = store.root / MANIFEST_NAME
    document = json.loads(path.read_bytes())
    segment = document["tickers"]["AAA"]["bars"]["segment"]
    document["tickers"]["AAA"]["bars"]["segment"] = "../../../../etc/passwd"
    document["segments"]["../../../../etc/passwd"] = document["segments"].pop(segment)
    path.write_text(json.dumps(document))
    with pytest.raises(ArtifactCorruptError, match="not a segment file name"):
        store.bars("AAA")


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "{not json",
        lambda text: "[]",
        lambda text: text.replace('"format_version":1', '"format_version":99'),
        lambda text: text.replace('"rows":10', '"rows":"10"'),
        lambda text: text.replace('"universe_fingerprint":"', '"universe_fingerprint":"0'),
        lambda text: text.replace('"AAA":{', '"../AAA":{', 1),
        lambda text: text[: len(text) // 2],
    ],
)
def test_damaged_manifest_is_artifact_corrupt(store: Store, damage: Callable[[str], str]) -> None:
    path = store.root / MANIFEST_NAME
    text = path.read_text()
    assert damage(text) != text
    path.write_text(damage(text))
    with pytest.raises(ArtifactCorruptError):
        Store(store.root).manifest()
    with pytest.raises(ArtifactCorruptError):
        store.bars("AAA")


def test_garbage_segment_is_artifact_corrupt(store: Store) -> None:
    info = store.ticker_info("AAA")
    (store.root / SEGMENTS_DIR / info.bars.segment).write_bytes(b"garbage" * 100)
    with pytest.raises(ArtifactCorruptError, match="damaged"):
        store.bars("AAA")


def test_segment_with_altered_values_fails_its_fingerprint(store: Store) -> None:
    info = store.ticker_info("AAA")
    path = store.root / SEGMENTS_DIR / info.bars.segment
    payload = bytearray(path.read_bytes())
    needle = np.float64(10.5).tobytes()  # AAA's first close, stored as plain float64
    at = payload.index(needle)
    payload[at : at + 8] = np.float64(10.25).tobytes()
    path.write_bytes(bytes(payload))
    with pytest.raises(ArtifactCorruptError, match="fingerprint"):
        Store(store.root).bars("AAA")


def test_missing_segment_is_artifact_corrupt(store: Store) -> None:
    info = store.ticker_info("AAA")
    (store.root / SEGMENTS_DIR / info.bars.segment).unlink()
    with pytest.raises(ArtifactCorruptError, match="missing"):
        store.bars("AAA")


def test_import_over_a_corrupt_manifest_rebuilds_the_store(store: Store, tmp_path: Path) -> None:
    (store.root / MANIFEST_NAME).write_text("{broken")
    report = import_directory(tmp_path / "src", store)
    assert report.imported == ("AAA", "BBB", "CCC")
    assert store.tickers() == ("AAA", "BBB", "CCC")


def test_concurrent_readers_see_whole_versions_during_imports(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    old_close = store.bars("AAA").close.tolist()
    errors: list[BaseException] = []
    seen: set[float] = set()
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                bars = store.bars("AAA")
                assert len(bars) == 10
                assert bars.close[-1] - bars.close[0] == 9.0  # one version, never a mix
                seen.add(float(bars.close[0]))
        except BaseException as error:  # noqa: BLE001 - collected and re-raised by the test
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for round_number in range(1, 6):
            (folder / "AAA.csv").write_text(_csv(10, offset=round_number))
            import_directory(folder, store)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert errors == []
    assert seen <= {old_close[0] + offset for offset in range(6)}
    assert store.bars("AAA").close[0] == old_close[0] + 5
