"""Readers for per-ticker CSV and Parquet files.

Accepted layouts (column names case-insensitive, any order):

- ``date,open,high,low,close,volume`` with an optional ``Name`` column (the ticker);
- Yahoo's ``Date,Open,High,Low,Close,Adj Close,Volume``.

The ticker is the ``Name`` column's value when present and the same on every row, else the
file name's stem upper-cased (``aapl.csv`` → ``AAPL``); a stem that is not a valid ticker
but has one before an underscore (``AAL_data.csv`` → ``AAL``) uses that part.

A file that cannot be read (empty, binary, unknown layout, malformed CSV, no ticker)
becomes a :class:`ReadFailure` with a reason; a single bad cell never fails a file, it
only makes its row quarantined later (see :mod:`quant_engine.data.quality`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from quant_engine.core.errors import InternalError
from quant_engine.data.models import TICKER_PATTERN
from quant_engine.data.quality import VALUE_COLUMNS, BoolArray, FloatArray, Int32Array, RawBars

CSV_SUFFIXES = frozenset({".csv"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
SOURCE_SUFFIXES = CSV_SUFFIXES | PARQUET_SUFFIXES

MAX_SOURCE_BYTES = 256 * 1024 * 1024
"""Largest source file read (bytes); daily bars of one ticker are far smaller."""

_BINARY_PROBE_BYTES = 8192
_REQUIRED = frozenset({"date", "open", "high", "low", "close", "volume"})
_OPTIONAL = frozenset({"adj_close", "name"})
_ALIASES: Mapping[str, str] = MappingProxyType(
    {"adj close": "adj_close", "adj_close": "adj_close", "adjclose": "adj_close"}
)
EXPECTED_LAYOUTS = (
    "date,open,high,low,close,volume[,Name] or Date,Open,High,Low,Close,Adj Close,Volume "
    "(names case-insensitive)"
)
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$"
_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"


@dataclass(frozen=True)
class SourceRows:
    """A readable source: its ticker, its rows, and a note on how the ticker was chosen."""

    ticker: str
    raw: RawBars
    note: str | None


@dataclass(frozen=True)
class ReadFailure:
    """A source that cannot be imported, with the reason and the ticker if one was found."""

    reason: str
    ticker: str | None = None


class _SourceError(Exception):
    """Internal: the file cannot be imported, for the reason given."""


def read_source(path: Path, payload: bytes) -> SourceRows | ReadFailure:
    """Parse ``payload`` (the bytes of ``path``) into rows, or say why it cannot be.

    The file kind is chosen by suffix (.csv, .parquet/.pq).
    """
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            table = _parquet_table(payload)
        else:
            table = _csv_table(payload)
        return _to_source_rows(path, table)
    except _SourceError as error:
        return ReadFailure(reason=str(error), ticker=_ticker_from_stem(path.stem))


def read_sources(items: Sequence[tuple[Path, bytes]]) -> list[SourceRows | ReadFailure]:
    """:func:`read_source` for several files at once, results in the same order.

    Plain CSV files (no quotes, no carriage returns, no blank lines) that share a header
    line are parsed together in one pyarrow call and split by their line counts, which
    costs far less than one call per small file; any other file, or a group whose joint
    parse fails or miscounts, is read on its own.
    """
    results: list[SourceRows | ReadFailure | None] = [None] * len(items)
    groups: dict[bytes, list[int]] = {}
    for index, (path, payload) in enumerate(items):
        header = _plain_csv_header(path, payload)
        if header is None:
            results[index] = read_source(path, payload)
        else:
            groups.setdefault(header, []).append(index)
    for header, indices in groups.items():
        members = [items[index] for index in indices]
        group = _read_csv_group(header, members) if len(members) > 1 else None
        if group is None:
            group = [read_source(path, payload) for path, payload in members]
        for index, result in zip(indices, group, strict=True):
            results[index] = result
    done = [result for result in results if result is not None]
    if len(done) != len(items):
        raise InternalError("a source was left unread")
    return done


def _plain_csv_header(path: Path, payload: bytes) -> bytes | None:
    """The header line of a CSV that can be parsed jointly with others, else None."""
    if path.suffix.lower() not in CSV_SUFFIXES:
        return None
    end = payload.find(b"\n")
    plain = (
        0 < end < len(payload) - 1
        and b"\x00" not in payload[:_BINARY_PROBE_BYTES]
        and b'"' not in payload
        and b"\r" not in payload
        and b"\n\n" not in payload
        and not payload.startswith(b"\xef\xbb\xbf")
    )
    if not plain:
        return None
    header = payload[:end]
    try:
        _layout_columns(_csv_header(header))
    except _SourceError:
        return None
    return header


def _read_csv_group(
    header: bytes, members: list[tuple[Path, bytes]]
) -> list[SourceRows | ReadFailure] | None:
    """Parse plain CSVs sharing ``header`` in one pass; None when that does not work out."""
    names = _csv_header(header)
    columns = _layout_columns(names)
    parts: list[bytes | memoryview] = [header, b"\n"]
    counts = []
    for _, payload in members:
        body = memoryview(payload)[len(header) + 1 :]
        parts.append(body)
        if not payload.endswith(b"\n"):
            parts.append(b"\n")
        counts.append(payload.count(b"\n", len(header) + 1) + (not payload.endswith(b"\n")))
    try:
        table = _read_csv(b"".join(parts), _typed_columns(names, columns))
    except (_CellConversionError, _SourceError):
        return None
    if table.num_rows != sum(counts):
        return None
    return _split_group(table.rename_columns(columns), members, counts)


def _split_group(
    table: pa.Table, members: list[tuple[Path, bytes]], counts: list[int]
) -> list[SourceRows | ReadFailure]:
    """Per-member rows (views into the group's arrays) and tickers."""
    originals = {
        name: _combined(table.column(name))
        for name in ("date", *VALUE_COLUMNS)
        if name in table.column_names
    }
    values = {name: _to_float(originals[name]) for name in VALUE_COLUMNS if name in originals}
    days, valid = _to_days(originals["date"])
    starts = np.concatenate(([0], np.cumsum(counts)))
    consistent = _consistent_names(table, starts)
    results: list[SourceRows | ReadFailure] = []
    for index, (path, _) in enumerate(members):
        ticker, note = _choose_ticker(
            path, has_name_column="name" in table.column_names, consistent_name=consistent[index]
        )
        if ticker is None:
            results.append(ReadFailure(reason=note or "cannot determine the ticker"))
            continue
        rows = slice(int(starts[index]), int(starts[index + 1]))
        raw = RawBars(
            days=days[rows],
            date_valid=valid[rows],
            values={name: column[rows] for name, column in values.items()},
            originals={
                name: column.slice(rows.start, rows.stop - rows.start)
                for name, column in originals.items()
            },
        )
        results.append(SourceRows(ticker=ticker, raw=raw, note=note))
    return results


def _consistent_names(table: pa.Table, starts: npt.NDArray[np.int64]) -> list[str | None]:
    """Per member (rows ``starts[i]:starts[i+1]``): its Name when the same on every row."""
    members = len(starts) - 1
    if "name" not in table.column_names:
        return [None] * members
    encoded = pc.dictionary_encode(_combined(table.column("name")).cast(pa.string()))
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False))
    lowest = np.minimum.reduceat(codes, starts[:-1])
    highest = np.maximum.reduceat(codes, starts[:-1])
    dictionary = encoded.dictionary.to_pylist()
    return [
        str(dictionary[low]) if low == high and low >= 0 else None
        for low, high in zip(lowest.tolist(), highest.tolist(), strict=True)
    ]


def _typed_columns(header: list[str], columns: list[str]) -> dict[str, pa.DataType]:
    """pyarrow column types by header name: date32 dates, float64 numbers, text Name."""
    return {
        original: pa.date32() if name == "date" else pa.string() if name == "name" else pa.float64()
        for original, name in zip(header, columns, strict=True)
    }


def _csv_table(payload: bytes) -> pa.Table:
    """Read a CSV with typed columns; fall back to text columns when a cell does not parse."""
    if not payload or payload.isspace():
        raise _SourceError("empty file")
    if b"\x00" in payload[:_BINARY_PROBE_BYTES]:
        raise _SourceError("binary content, not a CSV text file")
    header = _csv_header(payload)
    columns = _layout_columns(header)
    try:
        table = _read_csv(payload, _typed_columns(header, columns))
    except _CellConversionError:
        # some cell is not a number or an ISO date: read text, coerce cell by cell later
        try:
            table = _read_csv(payload, dict.fromkeys(header, pa.string()))
        except _CellConversionError as error:
            raise _SourceError(f"unreadable CSV: {error}") from error
    return table.rename_columns(columns)


class _CellConversionError(Exception):
    """Internal: a CSV cell does not convert to its column's type."""


def _read_csv(payload: bytes, column_types: dict[str, pa.DataType]) -> pa.Table:
    """Parse CSV bytes with the given column types.

    pyarrow's own thread pool stays on: measured on small per-ticker files, its threaded
    path costs less CPU and time than the single-threaded one.
    """
    try:
        return pacsv.read_csv(
            pa.BufferReader(payload),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowException as error:
        if "conversion error" in str(error).lower():
            raise _CellConversionError(str(error)) from error
        raise _SourceError(f"malformed CSV: {error}") from error


def _csv_header(payload: bytes) -> list[str]:
    """Column names from the first line of a CSV."""
    end = payload.find(b"\n")
    first_line = payload if end < 0 else payload[:end]
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _SourceError("header is not UTF-8 text") from error
    rows = list(csv.reader([text.rstrip("\r")]))
    return rows[0] if rows else []


def _layout_columns(header: list[str]) -> list[str]:
    """Canonical column names for ``header``, or a failure listing the expected layouts."""
    canonical = [_ALIASES.get(name.strip().lower(), name.strip().lower()) for name in header]
    names = set(canonical)
    unknown_layout = (
        len(names) != len(canonical) or not names >= _REQUIRED or names - _REQUIRED - _OPTIONAL
    )
    if unknown_layout:
        shown = ",".join(header)[:200]
        raise _SourceError(f"unknown layout: columns [{shown}]; expected {EXPECTED_LAYOUTS}")
    return canonical


def _parquet_table(payload: bytes) -> pa.Table:
    """Read a Parquet file; index columns written by pandas are ignored."""
    if not payload:
        raise _SourceError("empty file")
    try:
        table = pq.read_table(pa.BufferReader(payload))
    except (pa.ArrowException, OSError) as error:
        raise _SourceError(f"not a readable Parquet file: {error}") from error
    kept = [name for name in table.column_names if not name.startswith("__index_level_")]
    table = table.select(kept)
    return table.rename_columns(_layout_columns(kept))


def _to_source_rows(path: Path, table: pa.Table) -> SourceRows | ReadFailure:
    """Typed rows and the ticker of a table with canonical column names."""
    ticker, note = _resolve_ticker(path, table)
    if ticker is None:
        return ReadFailure(reason=note or "cannot determine the ticker")
    values: dict[str, FloatArray] = {}
    originals: dict[str, pa.Array] = {"date": _combined(table.column("date"))}
    for name in VALUE_COLUMNS:
        if name in table.column_names:
            original = _combined(table.column(name))
            originals[name] = original
            values[name] = _to_float(original)
    days, valid = _to_days(originals["date"])
    raw = RawBars(days=days, date_valid=valid, values=values, originals=originals)
    return SourceRows(ticker=ticker, raw=raw, note=note)


def _combined(column: pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def _resolve_ticker(path: Path, table: pa.Table) -> tuple[str | None, str | None]:
    """(ticker, note): from a consistent ``Name`` column, else from the file name."""
    if "name" not in table.column_names:
        return _choose_ticker(path, has_name_column=False, consistent_name=None)
    column = table.column("name")
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    bounds = pc.min_max(column)  # one value on every row <=> min == max, no null
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    consistent = low if low == high and not column.null_count else None
    return _choose_ticker(path, has_name_column=True, consistent_name=consistent)


def _choose_ticker(
    path: Path, *, has_name_column: bool, consistent_name: str | None
) -> tuple[str | None, str | None]:
    """(ticker, note) given the Name column's single value (None when it has several)."""
    if consistent_name is not None:
        candidate = consistent_name.strip().upper()
        if TICKER_PATTERN.fullmatch(candidate):
            return candidate, None
    ticker = _ticker_from_stem(path.stem)
    if ticker is None:
        return None, f"cannot determine the ticker: no usable Name column, file name {path.name!r}"
    note = None
    if has_name_column:
        note = "Name column is empty, inconsistent or not a ticker; ticker from file name"
    return ticker, note


def _ticker_from_stem(stem: str) -> str | None:
    """``aapl`` → ``AAPL``; ``AAL_data`` → ``AAL``; None when neither is a valid ticker."""
    for candidate in (stem.upper(), stem.split("_", 1)[0].upper()):
        if TICKER_PATTERN.fullmatch(candidate):
            return candidate
    return None


def _to_float(column: pa.Array) -> FloatArray:
    """float64 values, NaN where the cell is empty or not a number."""
    if not (
        pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_decimal(column.type)
    ):
        text = pc.utf8_trim_whitespace(column.cast(pa.string()))
        looks_numeric = pc.match_substring_regex(text, _NUMBER)
        column = pc.if_else(looks_numeric, text, pa.scalar(None, pa.string()))
    numeric = column if pa.types.is_float64(column.type) else column.cast(pa.float64())
    if numeric.null_count:
        numeric = numeric.fill_null(math.nan)
    return np.asarray(numeric.to_numpy(zero_copy_only=False), dtype=np.float64)


def _to_days(column: pa.Array) -> tuple[Int32Array, BoolArray]:
    """(days since 1970-01-01 as int32, valid mask) of a date column of any type."""
    if pa.types.is_timestamp(column.type):
        column = pc.cast(column, pa.date32(), safe=False)
    elif not pa.types.is_date32(column.type):
        column = _parse_iso_dates(column)
    days = column.cast(pa.int32())
    if not days.null_count:
        return np.asarray(days.to_numpy(), dtype=np.int32), np.ones(len(days), dtype=np.bool_)
    valid = np.asarray(days.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    filled = days.fill_null(0).to_numpy(zero_copy_only=False)
    return np.asarray(filled, dtype=np.int32), valid


def _parse_iso_dates(column: pa.Array) -> pa.Array:
    """date32 of ``YYYY-MM-DD[(T| )time]`` text; null where not a real calendar date."""
    if pa.types.is_date64(column.type):
        return column.cast(pa.date32())
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    day_text = pc.utf8_slice_codeunits(text, 0, 10)
    parsed = pc.strptime(day_text, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2013-02-30 over to March: keep only dates that print back unchanged
    round_trip = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), day_text)
    well_formed = pc.and_(pc.match_substring_regex(text, _ISO_DATE), round_trip)
    return pc.if_else(well_formed, parsed, pa.scalar(None, parsed.type)).cast(pa.date32())
