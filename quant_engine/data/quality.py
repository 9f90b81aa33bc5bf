"""Row-level quality rules: split raw rows into stored bars and quarantined rows.

Nothing is dropped silently: every row read is either stored or quarantined with exactly
one reason. When a row has several defects, the reason is the first that applies in this
precedence order (most fundamental first)::

    unparseable_date > missing_value > non_positive_price > negative_volume
        > inconsistent_ohlc > duplicate_date

- ``unparseable_date``: empty date, or not ``YYYY-MM-DD`` (an optional time part after
  ``T`` or a space is ignored), or not a calendar date.
- ``missing_value``: open, high, low, close, volume (or adj_close when the source has it)
  empty, non-numeric or non-finite.
- ``non_positive_price``: open, high, low, close (or adj_close) <= 0.
- ``negative_volume``: volume < 0 (zero volume is a valid, quiet day).
- ``inconsistent_ohlc``: high < low, or open or close outside [low, high].
- ``duplicate_date``: a date already taken by an earlier valid row of the same source
  (file order); the first valid row is kept, later ones are quarantined.

Stored rows are sorted ascending by date. A gap is reported when more than
:data:`GAP_BUSINESS_DAYS` weekdays lie strictly between two consecutive stored dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from quant_engine.data.models import (
    QUARANTINE_REASONS,
    Gap,
    QualityStatus,
    QuarantineCounts,
    TickerQuality,
)

GAP_BUSINESS_DAYS = 5
"""A hole with more than this many missing weekdays between stored dates is a gap."""

PRICE_COLUMNS = ("open", "high", "low", "close")
VALUE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
"""Numeric columns in store order (``adj_close`` is optional in a source)."""

BARS_SCHEMA = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("open", pa.float64(), nullable=False),
        pa.field("high", pa.float64(), nullable=False),
        pa.field("low", pa.float64(), nullable=False),
        pa.field("close", pa.float64(), nullable=False),
        pa.field("adj_close", pa.float64(), nullable=False),
        pa.field("volume", pa.float64(), nullable=False),
    ]
)
"""Normalized bars as stored: date (calendar day), prices per share, volume in shares."""

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("row_index", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
    + [pa.field(name, pa.string()) for name in ("date", *VALUE_COLUMNS)]
)
"""Quarantined rows as stored: 0-based data row index in the source, reason, cells as text."""

_FINGERPRINT_HEADER = b"qe-bars-v1|date:<i4|open,high,low,close,adj_close,volume:<f8|"

_REASON_CODE: Mapping[str, int] = MappingProxyType(
    {reason: code for code, reason in enumerate(QUARANTINE_REASONS, start=1)}
)
_DUPLICATE_CODE = _REASON_CODE["duplicate_date"]

Int32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
CodeArray = npt.NDArray[np.int8]
IndexArray = npt.NDArray[np.intp]
StoredColumns = tuple[
    Int32Array, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray
]


@dataclass(frozen=True)
class RawBars:
    """Rows of one source as parsed, before any quality rule.

    ``days`` are days since 1970-01-01 (meaningless where ``date_valid`` is False);
    ``values`` maps each numeric column to float64 with NaN for empty or non-numeric
    cells. ``originals`` keeps the columns as read (any Arrow type) so quarantined rows can
    be written back as text. ``adj_close`` is absent from ``values`` when the source has
    none (then it is set to close).
    """

    days: Int32Array
    date_valid: BoolArray
    values: dict[str, FloatArray]
    originals: dict[str, pa.Array]

    @property
    def row_count(self) -> int:
        """Number of data rows read from the source."""
        return int(self.days.shape[0])


@dataclass(frozen=True)
class AssessInput:
    """One source to assess: its rows, ticker, file name and a note for the report."""

    raw: RawBars
    ticker: str
    source_file: str
    note: str | None = None


@dataclass(frozen=True)
class Assessment:
    """Quality verdict of one source: columns to store, rows to quarantine, the report.

    ``columns`` are (days, open, high, low, close, adj_close, volume), ascending by date;
    ``quarantine`` follows :data:`QUARANTINE_SCHEMA` (None when no row was quarantined).
    """

    columns: StoredColumns
    quarantine: pa.Table | None
    fingerprint: str
    quality: TickerQuality

    def bars_table(self) -> pa.Table:
        """The stored columns as an Arrow table with :data:`BARS_SCHEMA`."""
        days, *values = self.columns
        arrays = [pa.array(days, type=pa.int32()).cast(pa.date32())]
        arrays += [pa.array(column, type=pa.float64()) for column in values]
        return pa.Table.from_arrays(arrays, schema=BARS_SCHEMA)


def assess(source: AssessInput) -> Assessment:
    """Apply the quality rules to one source (see the module docstring)."""
    return assess_many([source])[0]


def assess_many(sources: Sequence[AssessInput]) -> list[Assessment]:
    """Apply the quality rules to several sources at once.

    The row checks run once over all rows together (the common case, a clean and sorted
    source, then costs a few array views); only a source with a defective or unsorted row
    is handled on its own. A source with no valid row gets status ``failed``.
    """
    if not sources:
        return []
    batch, offsets = _concatenate([source.raw for source in sources])
    codes = _classify(batch)
    clean = _clean_and_sorted(batch.days, codes, offsets)
    results = []
    for index, source in enumerate(sources):
        if clean[index]:
            start, stop = int(offsets[index]), int(offsets[index + 1])
            columns = tuple(column[start:stop] for column in _stored_view(batch))
            results.append(_verdict(source, columns, codes[start:stop]))  # type: ignore[arg-type]
        else:
            results.append(_assess_alone(source))
    return results


def _assess_alone(source: AssessInput) -> Assessment:
    """Quality rules for one source with defects or unsorted rows."""
    raw = _with_adj_close(source.raw)
    codes = _classify(raw)
    stored_rows = _mark_duplicates_and_order(raw.days, codes)
    columns = tuple(column[stored_rows] for column in _stored_view(raw))
    return _verdict(source, columns, codes)  # type: ignore[arg-type]


def _verdict(source: AssessInput, columns: StoredColumns, codes: CodeArray) -> Assessment:
    """Assessment of ``source`` given its stored columns and per-row reason codes."""
    days = columns[0]
    counts = _count_reasons(codes)
    gaps = find_gaps(days)
    stored = int(days.shape[0])
    quality = TickerQuality(
        ticker=source.ticker,
        source_file=source.source_file,
        status=_status(stored, counts, gaps),
        rows_read=source.raw.row_count,
        rows_stored=stored,
        quarantined=counts,
        gaps=gaps,
        first_date=_day_to_date(int(days[0])) if stored else None,
        last_date=_day_to_date(int(days[-1])) if stored else None,
        message=source.note if stored else _no_valid_rows_message(source.raw.row_count, counts),
    )
    return Assessment(
        columns=columns,
        quarantine=_quarantine_table(source.raw, codes) if counts.total else None,
        fingerprint=columns_fingerprint(columns),
        quality=quality,
    )


def _with_adj_close(raw: RawBars) -> RawBars:
    """``raw`` with adj_close = close when the source has none, volume -0.0 as 0.0."""
    values = dict(raw.values)
    values.setdefault("adj_close", values["close"])
    values["volume"] = values["volume"] + 0.0  # equal data, equal bytes
    return RawBars(days=raw.days, date_valid=raw.date_valid, values=values, originals={})


def _concatenate(raws: Sequence[RawBars]) -> tuple[RawBars, IndexArray]:
    """All rows of ``raws`` in one RawBars, and the row offset of each (plus the total)."""
    prepared = [_with_adj_close(raw) for raw in raws]
    lengths = [raw.row_count for raw in raws]
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.intp)
    batch = RawBars(
        days=np.concatenate([raw.days for raw in prepared]),
        date_valid=np.concatenate([raw.date_valid for raw in prepared]),
        values={
            name: np.concatenate([raw.values[name] for raw in prepared]) for name in VALUE_COLUMNS
        },
        originals={},
    )
    return batch, offsets


def _clean_and_sorted(days: Int32Array, codes: CodeArray, offsets: IndexArray) -> BoolArray:
    """Per source: True when it has rows, none defective, and strictly ascending dates."""
    lengths = np.diff(offsets)
    defective = np.concatenate(([0], np.cumsum(codes != 0)))
    bad_rows = defective[offsets[1:]] - defective[offsets[:-1]]
    not_ascending = np.ones(days.shape[0], dtype=np.int64)
    not_ascending[1:] = days[1:] <= days[:-1]
    not_ascending[offsets[:-1][lengths > 0]] = 0  # a source's first row has no predecessor
    disorder = np.concatenate(([0], np.cumsum(not_ascending)))
    bad_steps = disorder[offsets[1:]] - disorder[offsets[:-1]]
    return np.asarray((lengths > 0) & (bad_rows == 0) & (bad_steps == 0), dtype=np.bool_)


def _stored_view(raw: RawBars) -> StoredColumns:
    """(days, open, high, low, close, adj_close, volume) of a RawBars with adj_close."""
    values = raw.values
    return (
        raw.days,
        values["open"],
        values["high"],
        values["low"],
        values["close"],
        values["adj_close"],
        values["volume"],
    )


def _classify(raw: RawBars) -> CodeArray:
    """Reason code per row (0 = valid so far), first applicable reason by precedence."""
    values = raw.values
    volume = values["volume"]
    finite = np.isfinite(volume)
    positive = np.ones(raw.row_count, dtype=np.bool_)
    for name in (*PRICE_COLUMNS, "adj_close"):
        if name in values:
            finite &= np.isfinite(values[name])
            positive &= ~(values[name] <= 0.0)  # NaN counts as missing, not as non-positive
    low_end = np.minimum(values["open"], values["close"])
    high_end = np.maximum(values["open"], values["close"])
    # with low_end <= high_end, "high < low" implies one of these two
    inconsistent = (low_end < values["low"]) | (high_end > values["high"])
    conditions = [~raw.date_valid, ~finite, ~positive, volume < 0.0, inconsistent]
    if not np.logical_or.reduce(conditions).any():
        return np.zeros(raw.row_count, dtype=np.int8)
    choices = [_REASON_CODE[reason] for reason in QUARANTINE_REASONS[: len(conditions)]]
    return np.select(conditions, choices, default=0).astype(np.int8)


def _mark_duplicates_and_order(days: Int32Array, codes: CodeArray) -> IndexArray:
    """Mark later rows of a repeated date as duplicates (in place); return the stored row
    indices in ascending date order."""
    valid = np.flatnonzero(codes == 0)
    valid_days = days[valid]
    if valid_days.shape[0] < 2 or bool(np.all(valid_days[1:] > valid_days[:-1])):
        return valid
    order = np.argsort(valid_days, kind="stable")  # stable: file order among equal dates
    ordered = valid[order]
    ordered_days = valid_days[order]
    repeated = np.concatenate(([False], ordered_days[1:] == ordered_days[:-1]))
    codes[ordered[repeated]] = _DUPLICATE_CODE
    return ordered[~repeated]


def columns_fingerprint(columns: StoredColumns) -> str:
    """sha256 (hex) of normalized bars: a header naming the layout and row count, the
    dates as little-endian int32 days, then each value column as little-endian float64."""
    days, *values = columns
    digest = hashlib.sha256(_FINGERPRINT_HEADER + str(days.shape[0]).encode("ascii"))
    digest.update(np.ascontiguousarray(days, dtype="<i4").data)
    for column in values:
        digest.update(np.ascontiguousarray(column, dtype="<f8").data)
    return digest.hexdigest()


def table_columns(bars: pa.Table) -> StoredColumns:
    """Numpy columns of a bars table (as stored), for fingerprint checks on read."""
    days = _numpy(bars.column("date").cast(pa.int32()))
    values = [_numpy(bars.column(name)) for name in BARS_SCHEMA.names[1:]]
    return (days, values[0], values[1], values[2], values[3], values[4], values[5])


def _numpy(column: pa.ChunkedArray) -> npt.NDArray[Any]:
    chunk = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return np.asarray(chunk.to_numpy(zero_copy_only=False))


def _count_reasons(codes: CodeArray) -> QuarantineCounts:
    """Rows per quarantine reason."""
    if not codes.any():
        return QuarantineCounts()
    per_code = np.bincount(codes, minlength=len(QUARANTINE_REASONS) + 1)
    return QuarantineCounts.from_mapping(
        {reason: int(per_code[code]) for reason, code in _REASON_CODE.items()}
    )


def find_gaps(days: Int32Array) -> tuple[Gap, ...]:
    """Holes of more than :data:`GAP_BUSINESS_DAYS` weekdays between ascending ``days``."""
    if days.shape[0] < 2:
        return ()
    # a hole of more than N weekdays spans more than N calendar days: test only those
    candidates = np.flatnonzero(np.diff(days) > GAP_BUSINESS_DAYS + 1)
    if candidates.shape[0] == 0:
        return ()
    starts = days[candidates].astype("datetime64[D]")
    ends = days[candidates + 1].astype("datetime64[D]")
    missing = np.busday_count(starts + np.timedelta64(1, "D"), ends)
    return tuple(
        Gap(
            start=_day_to_date(int(days[index])),
            end=_day_to_date(int(days[index + 1])),
            business_days=int(weekdays),
        )
        for index, weekdays in zip(candidates, missing, strict=True)
        if weekdays > GAP_BUSINESS_DAYS
    )


def _status(rows_stored: int, counts: QuarantineCounts, gaps: tuple[Gap, ...]) -> QualityStatus:
    if rows_stored == 0:
        return "failed"
    if counts.total or gaps:
        return "warnings"
    return "ok"


def _no_valid_rows_message(rows_read: int, counts: QuarantineCounts) -> str:
    if rows_read == 0:
        return "no data rows"
    reasons = ", ".join(f"{reason}: {count}" for reason, count in counts.as_dict().items() if count)
    return f"no valid rows among {rows_read} ({reasons})"


def _quarantine_table(raw: RawBars, codes: CodeArray) -> pa.Table:
    """Quarantined rows (:data:`QUARANTINE_SCHEMA`): 0-based data row index, reason, and
    the original cells as text (null where the source had no such column or cell)."""
    rows = np.flatnonzero(codes)
    indices = pa.array(rows, type=pa.int64())
    reasons = np.array(QUARANTINE_REASONS, dtype=object)[codes[rows].astype(np.intp) - 1]
    columns = [indices, pa.array(reasons.tolist(), type=pa.string())]
    for name in QUARANTINE_SCHEMA.names[2:]:
        original = raw.originals.get(name)
        if original is None:
            columns.append(pa.nulls(len(rows), type=pa.string()))
        else:
            columns.append(pc.cast(original.take(indices), pa.string()))
    return pa.Table.from_arrays(columns, schema=QUARANTINE_SCHEMA)


_EPOCH = dt.date(1970, 1, 1)


def _day_to_date(day: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=day)
