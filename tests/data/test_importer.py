"""Imports of the real S&P 500 folder and of small hand-made folders."""

from __future__ import annotations

import itertools
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quant_engine.core.errors import ConflictError, NotFoundError, ValidationFailedError
from quant_engine.data import ImportCancelled, ImportReport, Manifest, Store, import_directory
from quant_engine.data import importer as importer_module
from quant_engine.data import sources as sources_module
from quant_engine.data.store import SEGMENTS_DIR, StoreWriter

SP500_5YR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sp500_5yr"
OHLCV = ["open", "high", "low", "close", "volume"]
CLEAN = "date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,7\n2020-01-03,1,2,0.5,1.5,8\n"


@pytest.fixture(scope="module")
def real_data() -> Path:
    if not SP500_5YR.is_dir():
        pytest.skip(f"real data folder {SP500_5YR} is absent")
    return SP500_5YR


@pytest.fixture(scope="module")
def imported(
    real_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Store, ImportReport]:
    store = Store(tmp_path_factory.mktemp("real") / "store")
    return store, import_directory(real_data, store)


@pytest.fixture(scope="module")
def pandas_expectations(real_data: Path) -> dict[str, dict[str, Any]]:
    """Per ticker, defect counts and gaps computed independently with plain pandas."""
    return {
        path.name.split("_")[0]: _expect(pd.read_csv(path))
        for path in sorted(real_data.glob("*.csv"))
    }


def _expect(frame: pd.DataFrame) -> dict[str, Any]:
    dates = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
    missing = frame[OHLCV].isna().any(axis=1)
    rest = dates.notna() & ~missing
    non_positive = rest & (frame[["open", "high", "low", "close"]] <= 0).any(axis=1)
    rest &= ~non_positive
    negative_volume = rest & (frame["volume"] < 0)
    rest &= ~negative_volume
    inconsistent = rest & (
        (frame["high"] < frame["low"])
        | (frame["open"] > frame["high"])
        | (frame["open"] < frame["low"])
        | (frame["close"] > frame["high"])
        | (frame["close"] < frame["low"])
    )
    rest &= ~inconsistent
    duplicate = rest & dates.where(rest).duplicated(keep="first") & rest
    rest &= ~duplicate
    stored = dates[rest].sort_values().tolist()
    gaps = []
    for before, after in itertools.pairwise(stored):
        if (after - before).days <= 6:  # cannot hold more than five weekdays
            continue
        weekdays = len(pd.bdate_range(before + pd.Timedelta(days=1), after - pd.Timedelta(days=1)))
        if weekdays > 5:
            gaps.append((before.date(), after.date(), weekdays))
    return {
        "rows_read": len(frame),
        "rows_stored": int(rest.sum()),
        "unparseable_date": int(dates.isna().sum()),
        "missing_value": int(missing.sum()),
        "non_positive_price": int(non_positive.sum()),
        "negative_volume": int(negative_volume.sum()),
        "inconsistent_ohlc": int(inconsistent.sum()),
        "duplicate_date": int(duplicate.sum()),
        "gaps": gaps,
    }


def _manifest(store: Store) -> Manifest:
    manifest = store.manifest()
    assert manifest is not None
    return manifest


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


class _Token:
    """A cancel token the test sets from the progress callback."""

    def __init__(self) -> None:
        self.cancelled = False

    def is_cancelled(self) -> bool:
        return self.cancelled


# ------------------------------------------------------------------ the real folder


def test_real_folder_imports_all_505_tickers(imported: tuple[Store, ImportReport]) -> None:
    store, report = imported
    assert len(report.imported) == 505
    assert report.failed == ()
    assert len(store.tickers()) == 505
    assert store.manifest() is not None
    assert _manifest(store).universe_fingerprint == report.universe_fingerprint


def test_missing_value_counts_match_plain_pandas(
    imported: tuple[Store, ImportReport], pandas_expectations: dict[str, dict[str, Any]]
) -> None:
    store, _ = imported
    counted = {
        ticker: store.ticker_info(ticker).quality.quarantined.missing_value
        for ticker in store.tickers()
    }
    assert counted == {
        ticker: expected["missing_value"] for ticker, expected in pandas_expectations.items()
    }
    assert sum(counted.values()) > 0  # the folder has real missing values


def test_every_defect_count_and_stored_rows_match_plain_pandas(
    imported: tuple[Store, ImportReport], pandas_expectations: dict[str, dict[str, Any]]
) -> None:
    store, _ = imported
    for ticker, expected in pandas_expectations.items():
        quality = store.ticker_info(ticker).quality
        actual = {"rows_read": quality.rows_read, "rows_stored": quality.rows_stored}
        actual.update(quality.quarantined.as_dict())
        assert actual == {key: value for key, value in expected.items() if key != "gaps"}, ticker
    assert sum(expected["inconsistent_ohlc"] for expected in pandas_expectations.values()) > 0


def test_gaps_match_pandas_business_days(
    imported: tuple[Store, ImportReport], pandas_expectations: dict[str, dict[str, Any]]
) -> None:
    store, _ = imported
    for ticker, expected in pandas_expectations.items():
        gaps = [(g.start, g.end, g.business_days) for g in store.ticker_info(ticker).quality.gaps]
        assert gaps == expected["gaps"], ticker
    assert any(expected["gaps"] for expected in pandas_expectations.values())


def test_bars_are_the_valid_rows_of_the_file(
    imported: tuple[Store, ImportReport], real_data: Path
) -> None:
    store, _ = imported
    for ticker in ("AAPL", "DHR"):
        frame = pd.read_csv(real_data / f"{ticker}_data.csv")
        frame = frame[frame[OHLCV].notna().all(axis=1)]
        frame = frame[
            (frame["low"] <= frame[["open", "close"]].min(axis=1))
            & (frame[["open", "close"]].max(axis=1) <= frame["high"])
        ]
        bars = store.bars(ticker)
        assert bars.date.astype(str).tolist() == frame["date"].tolist()
        for name in ("open", "high", "low", "close", "volume"):
            np.testing.assert_array_equal(getattr(bars, name), frame[name].to_numpy(float))
        np.testing.assert_array_equal(bars.adj_close, bars.close)


def test_garbage_and_wrong_columns_fail_while_the_rest_imports(
    real_data: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(real_data, folder)
    (folder / "GARBAGE.csv").write_bytes(bytes(range(256)) * 200)
    (folder / "WRONG.csv").write_text("day,price,size\n2020-01-02,1,2\n")
    report = import_directory(folder, Store(tmp_path / "store"))
    assert len(report.imported) == 505
    reasons = {failure.source_file: failure.reason for failure in report.failed}
    assert set(reasons) == {"GARBAGE.csv", "WRONG.csv"}
    assert reasons["GARBAGE.csv"] == "binary content, not a CSV text file"
    assert reasons["WRONG.csv"].startswith("unknown layout: columns [day,price,size]; expected")
    failed = Store(tmp_path / "store").quality(status="failed")
    assert [entry.source_file for entry in failed] == ["GARBAGE.csv", "WRONG.csv"]


def test_reimport_of_unchanged_files_does_no_work(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "store")
    first = import_directory(real_data, store)
    before = _snapshot(store.root)
    parsed: list[Path] = []
    original = sources_module.read_sources

    def counting(items: list[tuple[Path, bytes]]) -> object:
        parsed.extend(path for path, _ in items)
        return original(items)

    monkeypatch.setattr(sources_module, "read_sources", counting)
    again = import_directory(real_data, store)
    assert (again.imported, len(again.unchanged), again.committed) == ((), 505, False)
    assert parsed == []
    assert again.universe_fingerprint == first.universe_fingerprint
    assert _snapshot(store.root) == before

    forced = import_directory(real_data, store, force=True)
    assert (len(forced.imported), forced.unchanged, forced.committed) == (505, (), True)
    assert len(parsed) == 505
    assert forced.universe_fingerprint == first.universe_fingerprint


def test_cancel_mid_import_leaves_the_store_exactly_as_before(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "store")
    baseline = import_directory(real_data, store)
    before = _snapshot(store.root)
    changed = tmp_path / "changed"
    shutil.copytree(real_data, changed)
    for path in sorted(changed.glob("*.csv"))[:300]:  # new content: new segments get written
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:-1]))
    written: list[str] = []
    original = StoreWriter.write_segment

    def spying(self: StoreWriter, *args: Any, **kwargs: Any) -> str:
        name = original(self, *args, **kwargs)
        written.append(name)
        return name

    monkeypatch.setattr(StoreWriter, "write_segment", spying)
    token = _Token()

    def progress(fraction: float, message: str) -> None:
        if fraction >= 0.5:
            token.cancelled = True

    with pytest.raises(ImportCancelled):
        import_directory(changed, store, cancel=token, progress=progress)
    assert len(written) >= 3  # the cancel came after segments had been written
    assert _snapshot(store.root) == before
    assert _manifest(store).universe_fingerprint == baseline.universe_fingerprint


def test_error_mid_import_leaves_the_store_exactly_as_before(
    real_data: Path, tmp_path: Path
) -> None:
    store = Store(tmp_path / "store")
    folder = _folder(tmp_path, {"A.csv": CLEAN})
    import_directory(folder, store)
    before = _snapshot(store.root)

    def progress(fraction: float, message: str) -> None:
        if fraction > 0.9:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        import_directory(real_data, store, progress=progress)
    assert _snapshot(store.root) == before


def test_progress_moves_forward_while_files_load_and_ends_at_one(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {f"T{index}.csv": CLEAN for index in range(5)})
    seen: list[tuple[float, str]] = []
    import_directory(folder, Store(tmp_path / "store"), progress=lambda f, m: seen.append((f, m)))
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    # Loading reports each file as it is read (all five land in one batch), before the
    # batch's outcomes are taken in order.
    loaded = [fraction for fraction, message in seen if message.endswith(": read")]
    assert [round(fraction, 6) for fraction in loaded[:5]] == [0.18, 0.36, 0.54, 0.72, 0.9]


# --------------------------------------------------------------- hand-made folders


def test_changed_file_is_reimported_and_removed_file_leaves(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"A.csv": CLEAN, "B.csv": CLEAN, "C.csv": CLEAN})
    store = Store(tmp_path / "store")
    first = import_directory(folder, store)
    (folder / "B.csv").write_text(CLEAN + "2020-01-06,1,2,0.5,1.5,9\n")
    (folder / "C.csv").unlink()
    second = import_directory(folder, store)
    assert (second.imported, second.unchanged, second.removed) == (("B",), ("A",), ("C",))
    assert store.tickers() == ("A", "B")
    assert len(store.bars("B")) == 3
    assert second.universe_fingerprint != first.universe_fingerprint
    assert sorted(_manifest(store).sources) == ["A.csv", "B.csv"]


def test_half_empty_segments_are_compacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer_module, "SEGMENT_TICKERS", 4)
    folder = _folder(tmp_path, {f"T{index}.csv": CLEAN + _row(index) for index in range(8)})
    store = Store(tmp_path / "store")
    import_directory(folder, store)
    kept_before = store.ticker_info("T0")
    assert len(_manifest(store).segments) == 2
    for index in (1, 2, 3):
        (folder / f"T{index}.csv").write_text(CLEAN + _row(100 + index))
    report = import_directory(folder, store)
    assert report.imported == ("T1", "T2", "T3")
    assert "T0" in report.unchanged
    moved = store.ticker_info("T0")
    assert moved.bars.segment != kept_before.bars.segment  # carried out of the old segment
    assert moved.fingerprint == kept_before.fingerprint
    assert not (store.root / SEGMENTS_DIR / kept_before.bars.segment).exists()
    assert len(store.bars("T0")) == 3


def test_tickers_with_identical_data_share_a_segment_but_keep_their_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer_module, "SEGMENT_TICKERS", 1)
    folder = _folder(tmp_path, {"A.csv": CLEAN, "B.csv": CLEAN})
    store = Store(tmp_path / "store")
    import_directory(folder, store)
    assert store.ticker_info("A").bars == store.ticker_info("B").bars  # one content, one file
    assert (store.bars("A").ticker, store.bars("B").ticker) == ("A", "B")


def _row(volume: int) -> str:
    return f"2020-01-06,1,2,0.5,1.5,{volume}\n"


def test_ticker_in_two_files_goes_to_the_first(tmp_path: Path) -> None:
    with_name = "date,open,high,low,close,volume,Name\n2020-01-02,1,2,0.5,1.5,7,AAA\n"
    folder = _folder(tmp_path, {"AAA.csv": CLEAN, "other.csv": with_name})
    report = import_directory(folder, Store(tmp_path / "store"))
    assert report.imported == ("AAA",)
    (failure,) = report.failed
    assert (failure.source_file, failure.ticker) == ("other.csv", "AAA")
    assert failure.reason == "ticker AAA already comes from AAA.csv"


def test_missing_folder_and_folder_without_data_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    with pytest.raises(NotFoundError):
        import_directory(tmp_path / "nowhere", store)
    folder = _folder(tmp_path, {"README.txt": "hello"})
    with pytest.raises(ValidationFailedError):
        import_directory(folder, store)
    assert store.manifest() is None


def test_other_files_are_ignored_and_listed(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"A.csv": CLEAN, "notes.txt": "x", ".hidden.csv": "x"})
    report = import_directory(folder, Store(tmp_path / "store"))
    assert (report.imported, report.ignored_files) == (("A",), ("notes.txt",))


def test_second_import_while_one_runs_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"A.csv": CLEAN})
    store = Store(tmp_path / "store")
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.writer():
            entered.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(10)
        with pytest.raises(ConflictError):
            import_directory(folder, Store(store.root))
    finally:
        release.set()
        holder.join()
    assert import_directory(folder, store).imported == ("A",)
