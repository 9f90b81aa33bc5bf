"""Readers: layouts, ticker resolution, unreadable files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quant_engine.data import Store, import_directory
from quant_engine.data.readers import ReadFailure, SourceRows, read_source

YAHOO = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2021-03-01,120.349998,123.750000,117.570000,122.150002,120.456001,116307900\n"
    "2021-03-02,128.410004,128.720001,125.010002,125.120003,123.385056,102260900\n"
    "2021-03-03,124.809998,125.709999,121.839996,122.059998,120.367279,112966300\n"
    "2021-03-04,121.750000,123.599998,118.620003,120.129997,118.464043,178155000\n"
)


def _read(tmp_path: Path, name: str, payload: bytes) -> SourceRows | ReadFailure:
    path = tmp_path / name
    path.write_bytes(payload)
    return read_source(path, payload)


def test_yahoo_file_bars_are_exactly_its_rows_with_adjusted_close(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "aapl.csv").write_text(YAHOO)
    store = Store(tmp_path / "store")
    import_directory(source, store)
    bars = store.bars("AAPL")
    expected = pd.read_csv(source / "aapl.csv")
    assert bars.date.astype(str).tolist() == expected["Date"].tolist()
    for column, name in [
        ("Open", "open"),
        ("High", "high"),
        ("Low", "low"),
        ("Close", "close"),
        ("Adj Close", "adj_close"),
        ("Volume", "volume"),
    ]:
        np.testing.assert_array_equal(getattr(bars, name), expected[column].to_numpy(float))
    assert store.ticker_info("AAPL").quality.status == "ok"


def test_adj_close_equals_close_without_such_column(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "X.csv").write_text("date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,7\n")
    store = Store(tmp_path / "store")
    import_directory(source, store)
    bars = store.bars("X")
    assert bars.adj_close.tolist() == bars.close.tolist() == [1.5]


def test_ticker_comes_from_a_consistent_name_column(tmp_path: Path) -> None:
    text = "date,open,high,low,close,volume,Name\n2020-01-02,1,2,0.5,1.5,7,BRK.B\n"
    parsed = _read(tmp_path, "whatever_data.csv", text.encode())
    assert isinstance(parsed, SourceRows)
    assert (parsed.ticker, parsed.note) == ("BRK.B", None)


def test_inconsistent_name_column_falls_back_to_file_name(tmp_path: Path) -> None:
    text = (
        "date,open,high,low,close,volume,Name\n"
        "2020-01-02,1,2,0.5,1.5,7,AAA\n"
        "2020-01-03,1,2,0.5,1.5,7,BBB\n"
    )
    parsed = _read(tmp_path, "ccc.csv", text.encode())
    assert isinstance(parsed, SourceRows)
    assert parsed.ticker == "CCC"
    assert parsed.note is not None
    assert "Name column" in parsed.note


def test_stem_with_suffix_after_underscore_gives_the_ticker(tmp_path: Path) -> None:
    parsed = _read(tmp_path, "aal_data.csv", b"date,open,high,low,close,volume\n")
    assert isinstance(parsed, SourceRows)
    assert parsed.ticker == "AAL"


def test_file_name_that_is_no_ticker_fails(tmp_path: Path) -> None:
    parsed = _read(tmp_path, "9 lives.csv", b"date,open,high,low,close,volume\n")
    assert isinstance(parsed, ReadFailure)
    assert "cannot determine the ticker" in parsed.reason


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (bytes(range(256)) * 64, "binary content, not a CSV text file"),
        (b"\xff\xfe\xfa\n1,2\n", "header is not UTF-8 text"),
    ],
)
def test_unreadable_csv_fails_with_reason(tmp_path: Path, payload: bytes, reason: str) -> None:
    parsed = _read(tmp_path, "BAD.csv", payload)
    assert isinstance(parsed, ReadFailure)
    assert parsed.reason == reason


def test_unknown_layout_lists_the_expected_column_sets(tmp_path: Path) -> None:
    parsed = _read(tmp_path, "W.csv", b"day,price\n2020-01-02,1\n")
    assert isinstance(parsed, ReadFailure)
    assert parsed.reason.startswith("unknown layout: columns [day,price]")
    assert "date,open,high,low,close,volume[,Name]" in parsed.reason
    assert "Date,Open,High,Low,Close,Adj Close,Volume" in parsed.reason


def test_malformed_csv_row_fails_the_file(tmp_path: Path) -> None:
    text = b"date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,7\n2020-01-03,1\n"
    parsed = _read(tmp_path, "M.csv", text)
    assert isinstance(parsed, ReadFailure)
    assert parsed.reason.startswith("malformed CSV")


def test_parquet_source_with_timestamp_dates_is_read(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2020-01-02", "2020-01-03"]),
            "Open": [1.0, 2.0],
            "High": [2.0, 3.0],
            "Low": [0.5, 1.5],
            "Close": [1.5, 2.5],
            "Adj Close": [1.4, 2.4],
            "Volume": [10, 20],
        }
    ).set_index("Date")
    frame.to_parquet(tmp_path / "src.parquet")
    payload = (tmp_path / "src.parquet").read_bytes()
    parsed = _read(tmp_path, "msft.parquet", payload)
    assert isinstance(parsed, SourceRows)
    assert parsed.ticker == "MSFT"
    assert parsed.raw.days.astype("datetime64[D]").tolist() == [
        dt.date(2020, 1, 2),
        dt.date(2020, 1, 3),
    ]
    assert parsed.raw.values["adj_close"].tolist() == [1.4, 2.4]


def test_parquet_with_text_numbers_is_coerced_per_cell(tmp_path: Path) -> None:
    table = pa.table(
        {
            "date": ["2020-01-02", "2020-01-03T00:00:00"],
            "open": ["1", "x"],
            "high": [2.0, 3.0],
            "low": [0.5, 1.5],
            "close": [1.5, 2.5],
            "volume": [10, 20],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    parsed = _read(tmp_path, "T.parquet", (tmp_path / "t.parquet").read_bytes())
    assert isinstance(parsed, SourceRows)
    assert parsed.raw.date_valid.tolist() == [True, True]
    assert np.isnan(parsed.raw.values["open"]).tolist() == [False, True]


def test_damaged_parquet_fails_with_reason(tmp_path: Path) -> None:
    parsed = _read(tmp_path, "D.parquet", b"PAR1 this is not parquet PAR1")
    assert isinstance(parsed, ReadFailure)
    assert parsed.reason.startswith("not a readable Parquet file")
