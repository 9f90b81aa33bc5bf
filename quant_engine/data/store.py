"""The market-data store: normalized daily bars in Parquet segments, one JSON manifest.

Layout under the store root::

    manifest.json                          the committed state (see manifest.py)
    segments/bars-<h24>.parquet            bars of up to 64 tickers, one row group each
    segments/quarantine-<h24>.parquet      their quarantined rows, one row group per ticker
    .import.lock                           held (flock) by the one import running

``h24`` is the first 24 hex digits of a sha256 that determines the content (for bars, of
the row groups' fingerprints in order; for quarantined rows, of the file's bytes).

Why segments of up to :data:`SEGMENT_TICKERS` tickers, partitioned by ticker into row
groups, rather than one file per ticker: every read is "one ticker, a date range", which a
row group serves as cheaply as a file (one seek, ≈ 0.5 ms), but every file written must be
made durable (fsync) before the manifest may point at it: one fsync per ticker (505 for
the S&P 500 folder, ≈ 0.3 s here) would cost as much as reading the whole CSV folder and
would dominate every import. Sixty-four tickers per segment
keep footers small and let an import that changed a few tickers leave the others where
they are; segments that fall under half full of live tickers are compacted (their live
tickers copied) by the next import.

Imports are transactional: new segments are written under new names beside the old ones,
the import commits by atomically replacing ``manifest.json``, and only then are the
segments no manifest references removed. A crash or a cancel before the commit leaves the
old manifest pointing at old, untouched segments; the staged leftovers are removed at
once (cancel) or by the next import (crash).

Readers never take the lock: they read whichever manifest is in place and open the
immutable segments it names. If a concurrent import's clean-up removed a segment between
the two, the reader reloads the manifest and retries once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import logging
import os
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from quant_engine.core.atomic import atomic_write_bytes, atomic_write_with
from quant_engine.core.errors import (
    ArtifactCorruptError,
    ConflictError,
    ErrorDetail,
    NotFoundError,
    ValidationFailedError,
)
from quant_engine.data.manifest import (
    FORMAT_VERSION,
    decode_manifest,
    encode_manifest,
    universe_fingerprint,
)
from quant_engine.data.models import (
    QUALITY_STATUSES,
    Bars,
    DataMode,
    Manifest,
    SegmentLocation,
    TickerInfo,
    TickerQuality,
    validate_ticker,
)
from quant_engine.data.quality import (
    BARS_SCHEMA,
    QUARANTINE_SCHEMA,
    columns_fingerprint,
    table_columns,
)

logger = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
SEGMENTS_DIR = "segments"
LOCK_NAME = ".import.lock"
SEGMENT_TICKERS = 64
"""Most tickers written into one segment file by an import."""
DEFAULT_CACHE_TICKERS = 128
"""Tickers whose decoded bars a Store keeps in memory (≈ 0.3 MB each for 20 years)."""

SegmentKind = Literal["bars", "quarantine"]
_SCHEMAS: Mapping[SegmentKind, pa.Schema] = types.MappingProxyType(
    {"bars": BARS_SCHEMA, "quarantine": QUARANTINE_SCHEMA}
)
_NAME_DIGEST_CHARS = 24
_PARQUET_OPTIONS: Mapping[str, object] = types.MappingProxyType(
    {
        "compression": "none",  # encoding speed over size: a 20-year ticker is ≈ 0.3 MB raw
        "use_dictionary": False,
        "write_statistics": False,
    }
)

_ManifestSignature = tuple[int, int, int, int]
NDArrayT = TypeVar("NDArrayT", bound=np.ndarray)


class Store:
    """Read access to the store at ``root`` (thread-safe), and the way in for imports.

    ``cache_tickers`` bounds how many tickers' bars stay decoded in memory.
    """

    def __init__(self, root: Path, *, cache_tickers: int = DEFAULT_CACHE_TICKERS) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._manifest_cache: tuple[_ManifestSignature, Manifest] | None = None
        self._bars_cache: OrderedDict[tuple[str, int, str], Bars] = OrderedDict()
        self._cache_tickers = cache_tickers

    # ----------------------------------------------------------------- read side

    def manifest(self) -> Manifest | None:
        """The committed manifest, or None when nothing was imported yet.

        Raises ``ArtifactCorruptError`` when the manifest cannot be read or decoded.
        """
        path = self.root / MANIFEST_NAME
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below, fstat needs the handle
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ArtifactCorruptError(f"manifest {path} cannot be opened: {error}") from error
        with handle:
            status = os.fstat(handle.fileno())
            signature = (status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size)
            with self._lock:
                cached = self._manifest_cache
            if cached is not None and cached[0] == signature:
                return cached[1]
            try:
                payload = handle.read()
            except OSError as error:
                raise ArtifactCorruptError(f"manifest {path} cannot be read: {error}") from error
        manifest = decode_manifest(payload, str(path))
        with self._lock:
            self._manifest_cache = (signature, manifest)
        return manifest

    def universe_fingerprint(self) -> str | None:
        """Fingerprint of the committed universe, or None before the first import.

        Cheap: one ``open`` + ``fstat`` of the manifest while it is unchanged (the decoded
        manifest is cached by file identity), so it can key caches on every request and an
        import committed by any process is seen at once.
        """
        manifest = self.manifest()
        return manifest.universe_fingerprint if manifest else None

    def tickers(self) -> tuple[str, ...]:
        """Tickers of the universe, sorted; empty before the first import."""
        manifest = self.manifest()
        return tuple(manifest.tickers) if manifest else ()

    def ticker_info(self, ticker: str) -> TickerInfo:
        """Manifest entry of ``ticker``.

        Raises ``ValidationFailedError`` for a malformed ticker and ``NotFoundError`` for one
        not in the universe.
        """
        validate_ticker(ticker)
        manifest = self.manifest()
        info = manifest.tickers.get(ticker) if manifest else None
        if info is None:
            raise NotFoundError(f"ticker {ticker} is not in the universe")
        return info

    def bars(
        self,
        ticker: str,
        start: dt.date | None = None,
        end: dt.date | None = None,
        limit: int | None = None,
    ) -> Bars:
        """Bars of ``ticker`` with ``start <= date <= end`` (both optional, inclusive),
        ascending; with ``limit``, only the first ``limit`` of them.

        Raises ``NotFoundError`` for an unknown ticker, ``ValidationFailedError`` for a
        malformed ticker, ``start > end`` or a negative limit, ``ArtifactCorruptError`` when
        the stored data is damaged.
        """
        _check_range(start, end, limit)
        everything = self._full_bars(ticker)
        dates = everything.date
        low = 0 if start is None else int(np.searchsorted(dates, np.datetime64(start, "D"), "left"))
        high = len(everything)
        if end is not None:
            high = int(np.searchsorted(dates, np.datetime64(end, "D"), "right"))
        if limit is not None:
            high = min(high, low + limit)
        return _slice_bars(everything, low, max(low, high))

    def quality(self, status: str | None = None) -> tuple[TickerQuality, ...]:
        """Quality entries of the last import (stored tickers, then failed sources),
        optionally only those with ``status`` (``ok``, ``warnings`` or ``failed``)."""
        if status is not None and status not in QUALITY_STATUSES:
            raise ValidationFailedError(
                f"unknown quality status {status[:40]!r}",
                details=[ErrorDetail(loc=("status",), msg=f"must be one of {QUALITY_STATUSES}")],
            )
        manifest = self.manifest()
        entries = manifest.quality_entries() if manifest else ()
        return tuple(entry for entry in entries if status is None or entry.status == status)

    def quarantine(self, ticker: str) -> pa.Table | None:
        """Quarantined rows of ``ticker`` (row_index, reason, original cells as text), or
        None when it has none."""
        for attempt in (1, 2):  # a concurrent import may remove the segment: retry once
            info = self.ticker_info(ticker)
            if info.quarantine is None:
                return None
            try:
                return read_row_group(self.root, info.quarantine, "quarantine")
            except FileNotFoundError as error:
                if attempt == 2:
                    raise ArtifactCorruptError(
                        f"segment {info.quarantine.segment} of {ticker} is missing from the store"
                    ) from error
        return None

    def _full_bars(self, ticker: str) -> Bars:
        """All bars of ``ticker``, from the cache or disk (one retry if a concurrent import
        removed the segment)."""
        info = self.ticker_info(ticker)
        try:
            return self._cached_bars(info)
        except FileNotFoundError:
            info = self.ticker_info(ticker)
            try:
                return self._cached_bars(info)
            except FileNotFoundError as error:
                raise ArtifactCorruptError(
                    f"segment {info.bars.segment} of {ticker} is missing from the store"
                ) from error

    def _cached_bars(self, info: TickerInfo) -> Bars:
        # segments are immutable; identical segments are shared, so the ticker is in the key
        key = (info.bars.segment, info.bars.row_group, info.ticker)
        with self._lock:
            cached = self._bars_cache.get(key)
            if cached is not None:
                self._bars_cache.move_to_end(key)
                return cached
        loaded = _decode_bars(read_row_group(self.root, info.bars, "bars"), info)
        with self._lock:
            self._bars_cache[key] = loaded
            while len(self._bars_cache) > self._cache_tickers:
                self._bars_cache.popitem(last=False)
        return loaded

    # ---------------------------------------------------------------- write side

    @contextlib.contextmanager
    def writer(self) -> Iterator[StoreWriter]:
        """Open the single import transaction of this store.

        Raises ``ConflictError`` when another import holds the store. Leftovers of a crashed
        import are removed first; on any exception inside the block the segments written
        by this transaction are removed and the manifest is untouched.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with _exclusive_lock(self.root / LOCK_NAME):
            previous, readable = self._previous_manifest()
            writer = StoreWriter(self.root, previous)
            writer.remove_unreferenced(previous, keep_segments=not readable)
            try:
                yield writer
            except BaseException:
                writer.abort()
                raise

    def _previous_manifest(self) -> tuple[Manifest | None, bool]:
        """(manifest, readable): a corrupt manifest is replaced by the next import."""
        try:
            return self.manifest(), True
        except ArtifactCorruptError as error:
            logger.warning("importing over a corrupt manifest: %s", error.message)
            return None, False


class StoreWriter:
    """One import transaction: write segments (from any thread), then commit a new
    manifest (from the thread that opened the transaction)."""

    def __init__(self, root: Path, previous: Manifest | None) -> None:
        self.root = root
        self.previous = previous
        self._lock = threading.Lock()
        self._created: list[Path] = []
        self._segments: dict[str, int] = {}
        (root / SEGMENTS_DIR).mkdir(exist_ok=True)

    def write_segment(
        self,
        kind: SegmentKind,
        tables: Sequence[pa.Table],
        *,
        content_key: str | None = None,
        rewrite: bool = False,
    ) -> str:
        """Write ``tables`` (one row group each, in order) as one segment; return its name.

        ``tables`` must follow the kind's schema. The name is content-addressed: by the
        sha256 of ``content_key`` when given (a string that determines the content, e.g.
        the row groups' fingerprints; it spares hashing the whole file), else of the bytes.
        A segment with the same name already in place is kept unless ``rewrite`` (a forced
        import repairs it).
        """
        if content_key is None:
            payload = _segment_bytes(kind, tables)
            digest = hashlib.sha256(payload).hexdigest()
            write: Callable[[Path], None] = partial(_write_payload, payload=payload)
        else:
            digest = hashlib.sha256(f"{kind}|{content_key}".encode()).hexdigest()
            write = partial(_write_segment_file, kind=kind, tables=tables)
        name = f"{kind}-{digest[:_NAME_DIGEST_CHARS]}.parquet"
        path = self.root / SEGMENTS_DIR / name
        with self._lock:
            existed = path.exists()
            if not existed:
                self._created.append(path)
            self._segments[name] = len(tables)
        if rewrite or not existed:
            atomic_write_with(path, write)
        return name

    def commit(
        self,
        *,
        data_mode: DataMode,
        source: str,
        tickers: Sequence[TickerInfo],
        failures: Sequence[TickerQuality],
        sources: Mapping[str, str],
    ) -> Manifest:
        """Atomically replace the manifest, then remove segments nothing references.

        ``sources`` maps each source name to the sha256 of its raw content.
        """
        ordered = {info.ticker: info for info in sorted(tickers, key=lambda info: info.ticker)}
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            data_mode=data_mode,
            source=source,
            refreshed_at=dt.datetime.now(dt.UTC),
            universe_fingerprint=universe_fingerprint(ordered.values()),
            tickers=types.MappingProxyType(ordered),
            failures=tuple(failures),
            sources=types.MappingProxyType(dict(sorted(sources.items()))),
            segments=types.MappingProxyType(self._referenced_segments(ordered.values())),
        )
        atomic_write_bytes(self.root / MANIFEST_NAME, encode_manifest(manifest))
        with self._lock:
            self._created.clear()  # referenced now: an error below must not remove them
        self.remove_unreferenced(manifest, keep_segments=False)
        return manifest

    def abort(self) -> None:
        """Remove every segment this transaction created (the manifest was not replaced)."""
        with self._lock:
            created, self._created = self._created, []
        for path in created:
            path.unlink(missing_ok=True)

    def remove_unreferenced(self, manifest: Manifest | None, *, keep_segments: bool) -> None:
        """Delete temporary files and, unless ``keep_segments``, every segment ``manifest``
        does not reference."""
        referenced = set(manifest.segments) if manifest else set()
        for folder in (self.root, self.root / SEGMENTS_DIR):
            for path in folder.iterdir():
                temporary = path.name.startswith(".") and path.name.endswith(".tmp")
                stray = folder != self.root and path.name not in referenced
                if path.is_file() and (temporary or (stray and not keep_segments)):
                    path.unlink(missing_ok=True)

    def _referenced_segments(self, tickers: Iterable[TickerInfo]) -> dict[str, int]:
        """Row group counts of the segments the committed tickers point at."""
        known = dict(self.previous.segments) if self.previous else {}
        with self._lock:
            known.update(self._segments)
        names: set[str] = set()
        for info in tickers:
            names.add(info.bars.segment)
            if info.quarantine is not None:
                names.add(info.quarantine.segment)
        return {name: known[name] for name in sorted(names)}


def _write_segment_file(path: Path, *, kind: SegmentKind, tables: Sequence[pa.Table]) -> None:
    """Write ``tables`` to ``path`` as Parquet, one row group each."""
    with pq.ParquetWriter(path, _SCHEMAS[kind], **_PARQUET_OPTIONS) as parquet:
        for table in tables:
            parquet.write_table(table, row_group_size=max(1, table.num_rows))


def _write_payload(path: Path, *, payload: bytes) -> None:
    path.write_bytes(payload)


def _segment_bytes(kind: SegmentKind, tables: Sequence[pa.Table]) -> bytes:
    """The Parquet bytes :func:`_write_segment_file` would write."""
    sink = io.BytesIO()
    with pq.ParquetWriter(sink, _SCHEMAS[kind], **_PARQUET_OPTIONS) as parquet:
        for table in tables:
            parquet.write_table(table, row_group_size=max(1, table.num_rows))
    return sink.getvalue()


def read_row_group(root: Path, location: SegmentLocation, kind: SegmentKind) -> pa.Table:
    """One row group of a segment, checked against the kind's schema.

    Damage becomes ``ArtifactCorruptError``; ``FileNotFoundError`` passes through (the
    caller may retry with a fresh manifest).
    """
    path = root / SEGMENTS_DIR / location.segment
    try:
        segment = pq.ParquetFile(path)
        if location.row_group >= segment.metadata.num_row_groups:
            raise ArtifactCorruptError(f"segment {path.name} lacks row group {location.row_group}")
        table = segment.read_row_group(location.row_group)
    except FileNotFoundError:
        raise
    except (pa.ArrowException, OSError) as error:
        raise ArtifactCorruptError(f"segment {path.name} is damaged: {error}") from error
    expected = _SCHEMAS[kind]
    if table.schema.names != expected.names or table.schema.types != expected.types:
        raise ArtifactCorruptError(f"segment {path.name} has an unexpected schema")
    return table


def _decode_bars(table: pa.Table, info: TickerInfo) -> Bars:
    """Check (rows, nulls, fingerprint) and decode the bars row group of ``info``."""
    where = f"segment {info.bars.segment} row group {info.bars.row_group} ({info.ticker})"
    if table.num_rows != info.rows or any(column.null_count for column in table.columns):
        raise ArtifactCorruptError(f"{where} does not hold {info.rows} full rows")
    columns = table_columns(table)
    if columns_fingerprint(columns) != info.fingerprint:
        raise ArtifactCorruptError(f"{where} does not match its fingerprint")
    days, open_, high, low, close, adj_close, volume = columns
    return Bars(
        ticker=info.ticker,
        date=_read_only(days.astype("datetime64[D]")),
        open=_read_only(open_),
        high=_read_only(high),
        low=_read_only(low),
        close=_read_only(close),
        adj_close=_read_only(adj_close),
        volume=_read_only(volume),
    )


def load_bars_table(root: Path, info: TickerInfo) -> pa.Table:
    """The verified bars row group of ``info`` as stored (used to carry a ticker into a
    new segment). Raises ``ArtifactCorruptError`` on damage."""
    table = read_row_group(root, info.bars, "bars")
    _decode_bars(table, info)
    return table


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an advisory exclusive lock on ``path``; released when the process dies too."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise ConflictError("another import into this store is running") from error
        yield
    finally:
        os.close(descriptor)


def _read_only(array: NDArrayT) -> NDArrayT:
    """``array`` made read-only: cached bars are shared by every reader."""
    array.setflags(write=False)
    return array


def _slice_bars(bars: Bars, low: int, high: int) -> Bars:
    if low == 0 and high == len(bars):
        return bars
    return Bars(
        ticker=bars.ticker,
        date=bars.date[low:high],
        open=bars.open[low:high],
        high=bars.high[low:high],
        low=bars.low[low:high],
        close=bars.close[low:high],
        adj_close=bars.adj_close[low:high],
        volume=bars.volume[low:high],
    )


def _check_range(start: dt.date | None, end: dt.date | None, limit: int | None) -> None:
    if start is not None and end is not None and start > end:
        raise ValidationFailedError(
            f"start {start} is after end {end}",
            details=[ErrorDetail(loc=("start",), msg="must not be after end")],
        )
    if limit is not None and limit < 0:
        raise ValidationFailedError(
            "limit must not be negative", details=[ErrorDetail(loc=("limit",), msg=">= 0")]
        )
