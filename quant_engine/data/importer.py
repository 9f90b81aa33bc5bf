"""Imports: a folder of per-ticker files, or the generated sample, into a :class:`Store`.

An import runs in three steps, all in source order (files sorted by name):

1. **scan** (only when a previous import of the same mode exists and ``force`` is off):
   hash every source's raw content. When every hash matches the manifest, nothing is
   read further and nothing is written.
2. **plan** each source: *keep* (unchanged, its segment healthy: the manifest entry is
   reused as is), *carry* (unchanged, but its segment is under half live: its rows are
   copied into a new segment), or *process* (new or changed: parse and check).
3. **run**: worker threads read and parse (pyarrow releases the GIL); the calling thread
   collects results in order, checks the cancel token and reports progress once per
   source, applies the quality rules to batches of up to 64 sources at once, writes each
   batch as one segment, and finally commits one new manifest.

A ticker claimed by two sources goes to the first in order; the later source fails.
A cancel or an error removes every segment written and leaves the store as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

import pyarrow as pa

from quant_engine.core.errors import (
    ArtifactCorruptError,
    InternalError,
    NotFoundError,
    ValidationFailedError,
)
from quant_engine.data.cancel import CancelToken, ImportCancelled, ProgressCallback, is_cancelled
from quant_engine.data.models import (
    DataMode,
    FailedSource,
    ImportReport,
    Manifest,
    QuarantineCounts,
    SegmentLocation,
    TickerInfo,
    TickerKind,
    TickerQuality,
)
from quant_engine.data.quality import AssessInput, Assessment, assess_many
from quant_engine.data.readers import (
    MAX_SOURCE_BYTES,
    SOURCE_SUFFIXES,
    ReadFailure,
    SourceRows,
    read_source,
)
from quant_engine.data.sample import (
    SAMPLE_SOURCE,
    SampleMarket,
    SampleSeries,
    StockSpec,
    generate_stock,
    load_benchmarks,
    sample_market,
    series_sha256,
    stock_specs,
)
from quant_engine.data.store import (
    SEGMENT_TICKERS,
    SEGMENTS_DIR,
    Store,
    StoreWriter,
    load_bars_table,
    read_row_group,
)

MAX_IMPORT_WORKERS = 8
_AHEAD_PER_WORKER = 8
"""Sources read ahead of the collecting thread, per worker (bounds memory)."""


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class _Loaded:
    """A source's raw content hash, and how to parse that content."""

    sha256: str
    parse: Callable[[], SourceRows | ReadFailure]


@dataclass(frozen=True)
class _Source:
    """One source of an import; ``load`` runs on a worker thread."""

    name: str
    kind: TickerKind
    sector: str | None
    load: Callable[[], _Loaded]


def _file_source(path: Path) -> _Source:
    def load() -> _Loaded:
        try:
            payload = _read_bytes(path)
        except OSError as error:
            return _unreadable(f"cannot read file: {error.strerror or error}")
        except ValueError as error:
            return _unreadable(str(error))
        digest = hashlib.sha256(payload).hexdigest()
        return _Loaded(sha256=digest, parse=lambda: read_source(path, payload))

    return _Source(name=path.name, kind="stock", sector=None, load=load)


def _unreadable(reason: str) -> _Loaded:
    digest = hashlib.sha256(f"unreadable: {reason}".encode()).hexdigest()
    return _Loaded(sha256=digest, parse=lambda: ReadFailure(reason=reason))


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; ``ValueError`` when larger than :data:`MAX_SOURCE_BYTES`."""
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise ValueError(f"file too large: {size} bytes (limit {MAX_SOURCE_BYTES})")
    return path.read_bytes()


def _sample_source(
    ticker: str, kind: TickerKind, sector: str | None, make: Callable[[], SampleSeries]
) -> _Source:
    def load() -> _Loaded:
        series = make()
        rows = SourceRows(ticker=series.ticker, raw=series.raw, note=None)
        return _Loaded(sha256=series_sha256(series), parse=lambda: rows)

    return _Source(name=f"sample:{ticker}", kind=kind, sector=sector, load=load)


# ------------------------------------------------------------------------ public API


def import_directory(
    source_dir: Path,
    store: Store,
    *,
    force: bool = False,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    max_workers: int | None = None,
) -> ImportReport:
    """Import every ``*.csv`` / ``*.parquet`` file of ``source_dir`` (not recursive) into
    ``store``; the folder becomes the whole universe (``data_mode = "directory"``).

    Files whose bytes did not change since the last import are not parsed again unless
    ``force``. ``progress(fraction, message)`` is called once per file. Raises
    ``NotFoundError`` when the folder does not exist, ``ValidationFailedError`` when it
    holds no CSV or Parquet file, ``ConflictError`` when another import runs, and
    ``ImportCancelled`` when ``cancel`` is set (the store is left as it was).
    """
    started = time.perf_counter()
    files, ignored = _list_sources(source_dir)
    job = _Job(
        data_mode="directory",
        label=str(source_dir.resolve()),
        sources=[_file_source(path) for path in files],
        ignored=ignored,
        force=force,
        cancel=cancel,
        progress=progress,
        started=started,
    )
    return _import(store, job, max_workers)


def materialize_sample(
    store: Store,
    *,
    force: bool = False,
    cancel: CancelToken | None = None,
    progress: ProgressCallback | None = None,
    max_workers: int | None = None,
) -> ImportReport:
    """Generate the deterministic sample universe (see :mod:`quant_engine.data.sample`) and
    store it like an import (``data_mode = "sample"``, source ``"sample"``).

    Raises ``ConflictError`` when another import runs and ``ImportCancelled`` when
    ``cancel`` is set (the store is left as it was).
    """
    started = time.perf_counter()
    benchmarks = load_benchmarks()
    market = sample_market(benchmarks)
    sources = [
        _sample_source(series.ticker, series.kind, series.sector, _constant(series))
        for series in benchmarks
    ]
    sources += [
        _sample_source(spec.ticker, "stock", spec.sector, _generator(market, spec))
        for spec in stock_specs(market.days.shape[0])
    ]
    job = _Job(
        data_mode="sample",
        label=SAMPLE_SOURCE,
        sources=sources,
        ignored=(),
        force=force,
        cancel=cancel,
        progress=progress,
        started=started,
    )
    return _import(store, job, max_workers)


def _constant(series: SampleSeries) -> Callable[[], SampleSeries]:
    return lambda: series


def _generator(market: SampleMarket, spec: StockSpec) -> Callable[[], SampleSeries]:
    return lambda: generate_stock(market, spec)


def _list_sources(source_dir: Path) -> tuple[list[Path], tuple[str, ...]]:
    """CSV and Parquet files of ``source_dir`` sorted by name, and the other files' names;
    hidden files and folders are skipped."""
    if not source_dir.is_dir():
        raise NotFoundError(f"data directory {source_dir} does not exist or is not a folder")
    files: list[Path] = []
    ignored: list[str] = []
    for path in sorted(source_dir.iterdir(), key=lambda entry: entry.name):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix.lower() in SOURCE_SUFFIXES:
            files.append(path)
        else:
            ignored.append(path.name)
    if not files:
        raise ValidationFailedError(f"no .csv or .parquet files in {source_dir}")
    return files, tuple(ignored)


# ------------------------------------------------------------------------- the job


@dataclass(frozen=True)
class _Job:
    """Everything one import needs to know, whatever its sources."""

    data_mode: DataMode
    label: str
    sources: list[_Source]
    ignored: tuple[str, ...]
    force: bool
    cancel: CancelToken | None
    progress: ProgressCallback | None
    started: float


Action = Literal["keep", "carry", "process"]
_DONE: dict[Action, str] = {"keep": "unchanged", "carry": "unchanged, moved", "process": "read"}


@dataclass(frozen=True)
class _Step:
    """What to do with one source, decided before any parsing."""

    source: _Source
    action: Action
    sha256: str = ""
    prior_info: TickerInfo | None = None
    prior_failure: TickerQuality | None = None


@dataclass
class _Entry:
    """The outcome of one source; ``info`` or ``failure`` is set once its batch is written."""

    source: _Source
    sha256: str
    unchanged: bool
    info: TickerInfo | None = None
    failure: TickerQuality | None = None


@dataclass(frozen=True)
class _Parsed:
    """Worker result: a source's content hash and its parsed rows (or why not)."""

    sha256: str
    rows: SourceRows | ReadFailure


@dataclass(frozen=True)
class _Copied:
    """Worker result: the stored rows of an unchanged ticker, to move to a new segment."""

    info: TickerInfo
    bars: pa.Table
    quarantine: pa.Table | None


@dataclass(frozen=True)
class _Placement:
    """One ticker about to be written: its tables and how to describe it once placed."""

    entry: _Entry
    fingerprint: str
    bars: pa.Table
    quarantine: pa.Table | None
    describe: Callable[[SegmentLocation, SegmentLocation | None], TickerInfo]


@dataclass
class _Batch:
    """Sources waiting to be checked and written together as one segment."""

    parsed: list[tuple[_Entry, SourceRows]] = field(default_factory=list)
    copied: list[tuple[_Entry, _Copied]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.parsed) + len(self.copied)


def _import(store: Store, job: _Job, max_workers: int | None) -> ImportReport:
    """Scan, plan, run and commit ``job`` inside one store transaction."""
    workers = max_workers or min(MAX_IMPORT_WORKERS, (os.cpu_count() or 1) + 1)
    with store.writer() as writer:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qe-import")
        try:
            previous = _reusable(writer.previous, job)
            hashes = _scan(job, pool, previous)
            if previous is not None and _nothing_changed(store, previous, job, hashes):
                return _unchanged_report(job, previous)
            steps = _plan(job, store, previous, hashes)
            entries = _run(job, writer, pool, workers, steps)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return _commit(job, writer, entries)


def _reusable(previous: Manifest | None, job: _Job) -> Manifest | None:
    """The previous manifest when ``job`` may reuse its entries (same mode, no force)."""
    if previous is None or previous.data_mode != job.data_mode or job.force:
        return None
    return previous


def _scan(job: _Job, pool: ThreadPoolExecutor, previous: Manifest | None) -> dict[str, str]:
    """Raw content hash of every source, by name (empty when nothing can be reused)."""
    if previous is None:
        return {}
    futures = [pool.submit(_hash_task, source, job.cancel) for source in job.sources]
    hashes: dict[str, str] = {}
    for source, future in zip(job.sources, futures, strict=True):
        digest = future.result()
        if digest is None or is_cancelled(job.cancel):
            raise ImportCancelled(f"import cancelled while scanning {source.name}")
        hashes[source.name] = digest
    return hashes


def _hash_task(source: _Source, cancel: CancelToken | None) -> str | None:
    """Worker: the source's raw content hash (None when cancelled before starting)."""
    return None if is_cancelled(cancel) else source.load().sha256


def _nothing_changed(store: Store, previous: Manifest, job: _Job, hashes: dict[str, str]) -> bool:
    """Same sources with the same content, same folder, every segment still in place."""
    return (
        previous.source == job.label
        and hashes == dict(previous.sources)
        and all((store.root / SEGMENTS_DIR / name).is_file() for name in previous.segments)
    )


def _plan(
    job: _Job, store: Store, previous: Manifest | None, hashes: dict[str, str]
) -> list[_Step]:
    """Keep, carry or process each source (all are processed without a usable manifest)."""
    if previous is None:
        return [_Step(source=source, action="process") for source in job.sources]
    infos = {info.source_file: info for info in previous.tickers.values()}
    failures = {entry.source_file: entry for entry in previous.failures}
    same = {name for name, digest in hashes.items() if previous.sources.get(name) == digest}
    healthy = _healthy_segments(store, previous, [infos[name] for name in same if name in infos])
    steps = []
    for source in job.sources:
        digest = hashes[source.name]
        info = infos.get(source.name)
        if source.name in same and info is not None:
            action: Action = "keep" if _segments_of(info) <= healthy else "carry"
            steps.append(_Step(source=source, action=action, sha256=digest, prior_info=info))
        elif source.name in same and source.name in failures:
            prior_failure = failures[source.name]
            steps.append(_Step(source, "keep", sha256=digest, prior_failure=prior_failure))
        else:
            steps.append(_Step(source=source, action="process"))
    return steps


def _segments_of(info: TickerInfo) -> set[str]:
    names = {info.bars.segment}
    if info.quarantine is not None:
        names.add(info.quarantine.segment)
    return names


def _healthy_segments(store: Store, previous: Manifest, kept: list[TickerInfo]) -> set[str]:
    """Segments still in place with at least half of their row groups kept alive."""
    live: dict[str, int] = {}
    for info in kept:
        for name in _segments_of(info):
            live[name] = live.get(name, 0) + 1
    return {
        name
        for name, count in live.items()
        if 2 * count >= previous.segments[name] and (store.root / SEGMENTS_DIR / name).is_file()
    }


# -------------------------------------------------------------------------- running


def _run(
    job: _Job, writer: StoreWriter, pool: ThreadPoolExecutor, workers: int, steps: list[_Step]
) -> list[_Entry]:
    """Execute ``steps`` in order: collect outcomes, write full batches as segments."""
    entries: list[_Entry] = []
    batch = _Batch()
    total = len(steps)
    for index, (step, outcome) in enumerate(_outcomes(job, writer.root, pool, workers, steps)):
        if is_cancelled(job.cancel):
            raise ImportCancelled(f"import cancelled after {index} of {total} sources")
        entries.append(_collect(step, outcome, batch))
        if len(batch) >= SEGMENT_TICKERS:
            _flush(job, writer, batch)
            batch = _Batch()
        if job.progress is not None:
            job.progress((index + 1) / total, f"{step.source.name}: {_DONE[step.action]}")
    _flush(job, writer, batch)
    return entries


def _outcomes(
    job: _Job, root: Path, pool: ThreadPoolExecutor, workers: int, steps: list[_Step]
) -> Iterator[tuple[_Step, _Parsed | _Copied | None]]:
    """Worker outcomes in step order (None for kept sources); workers run a bounded
    window ahead of the caller."""
    window: deque[Future[_Parsed | _Copied | None] | None] = deque()
    ahead = workers * _AHEAD_PER_WORKER
    for index, step in enumerate(steps):
        while len(window) < ahead and index + len(window) < len(steps):
            window.append(_submit(pool, root, steps[index + len(window)], job.cancel))
        future = window.popleft()
        outcome = None if future is None else future.result()
        if future is not None and outcome is None:
            raise ImportCancelled(f"import cancelled at {step.source.name}")
        yield step, outcome


def _submit(
    pool: ThreadPoolExecutor, root: Path, step: _Step, cancel: CancelToken | None
) -> Future[_Parsed | _Copied | None] | None:
    if step.action == "keep":
        return None
    if step.action == "carry":
        return pool.submit(_copy_task, step, root, cancel)
    return pool.submit(_parse_task, step.source, cancel)


def _parse_task(source: _Source, cancel: CancelToken | None) -> _Parsed | _Copied | None:
    """Worker: load and parse one source (None when cancelled before starting)."""
    if is_cancelled(cancel):
        return None
    loaded = source.load()
    return _Parsed(sha256=loaded.sha256, rows=loaded.parse())


def _copy_task(step: _Step, root: Path, cancel: CancelToken | None) -> _Parsed | _Copied | None:
    """Worker: read an unchanged ticker's stored rows; parse its source instead when they
    are damaged or gone."""
    if is_cancelled(cancel) or step.prior_info is None:
        return None
    info = step.prior_info
    try:
        bars = load_bars_table(root, info)
        quarantine = (
            None if info.quarantine is None else read_row_group(root, info.quarantine, "quarantine")
        )
    except (ArtifactCorruptError, FileNotFoundError):
        return _parse_task(step.source, cancel)
    return _Copied(info=info, bars=bars, quarantine=quarantine)


def _collect(step: _Step, outcome: _Parsed | _Copied | None, batch: _Batch) -> _Entry:
    """The entry of one source; parsed and copied tickers wait in ``batch``."""
    if outcome is None:  # kept
        entry = _Entry(step.source, step.sha256, unchanged=True)
        entry.info, entry.failure = step.prior_info, step.prior_failure
    elif isinstance(outcome, _Copied):
        entry = _Entry(step.source, step.sha256, unchanged=True)
        batch.copied.append((entry, outcome))
    elif isinstance(outcome.rows, ReadFailure):
        entry = _Entry(step.source, outcome.sha256, unchanged=False)
        entry.failure = _failure(step.source.name, outcome.rows.ticker, outcome.rows.reason)
    else:
        entry = _Entry(step.source, outcome.sha256, unchanged=False)
        batch.parsed.append((entry, outcome.rows))
    return entry


def _flush(job: _Job, writer: StoreWriter, batch: _Batch) -> None:
    """Check the batch's parsed sources together, write the batch as one bars segment (and
    one quarantine segment when needed), and fill in its entries."""
    placements = _check(batch) + [_moved(entry, copied) for entry, copied in batch.copied]
    if not placements:
        return
    bars_segment = writer.write_segment(
        "bars",
        [placement.bars for placement in placements],
        content_key=",".join(placement.fingerprint for placement in placements),
        rewrite=job.force,
    )
    quarantined = [index for index, item in enumerate(placements) if item.quarantine is not None]
    quarantine_segment = None
    if quarantined:
        tables = [placements[index].quarantine for index in quarantined]
        quarantine_segment = writer.write_segment("quarantine", tables, rewrite=job.force)
    row_groups = {index: row_group for row_group, index in enumerate(quarantined)}
    for index, placement in enumerate(placements):
        quarantine = None
        if quarantine_segment is not None and index in row_groups:
            quarantine = SegmentLocation(quarantine_segment, row_groups[index])
        placement.entry.info = placement.describe(SegmentLocation(bars_segment, index), quarantine)


def _check(batch: _Batch) -> list[_Placement]:
    """Apply the quality rules to the batch's parsed sources; failures are recorded on
    their entries, the others become placements."""
    inputs = [
        AssessInput(raw=rows.raw, ticker=rows.ticker, source_file=entry.source.name, note=rows.note)
        for entry, rows in batch.parsed
    ]
    placements = []
    for (entry, _), assessment in zip(batch.parsed, assess_many(inputs), strict=True):
        if assessment.quality.status == "failed":
            entry.failure = assessment.quality
            continue
        placements.append(
            _Placement(
                entry=entry,
                fingerprint=assessment.fingerprint,
                bars=assessment.bars_table(),
                quarantine=assessment.quarantine,
                describe=partial(_describe, entry.source, assessment),
            )
        )
    return placements


def _describe(
    source: _Source,
    assessment: Assessment,
    bars: SegmentLocation,
    quarantine: SegmentLocation | None,
) -> TickerInfo:
    quality = assessment.quality
    if quality.ticker is None or quality.first_date is None or quality.last_date is None:
        raise InternalError(f"stored source {source.name} lacks a ticker or dates")
    return TickerInfo(
        ticker=quality.ticker,
        kind=source.kind,
        sector=source.sector,
        rows=quality.rows_stored,
        first_date=quality.first_date,
        last_date=quality.last_date,
        source_file=source.name,
        fingerprint=assessment.fingerprint,
        bars=bars,
        quarantine=quarantine,
        quality=quality,
    )


def _moved(entry: _Entry, copied: _Copied) -> _Placement:
    def describe(bars: SegmentLocation, quarantine: SegmentLocation | None) -> TickerInfo:
        return dataclasses.replace(copied.info, bars=bars, quarantine=quarantine)

    return _Placement(
        entry=entry,
        fingerprint=copied.info.fingerprint,
        bars=copied.bars,
        quarantine=copied.quarantine,
        describe=describe,
    )


def _failure(source_file: str, ticker: str | None, reason: str) -> TickerQuality:
    """Quality entry of a source that could not be imported at all."""
    return TickerQuality(
        ticker=ticker,
        source_file=source_file,
        status="failed",
        rows_read=0,
        rows_stored=0,
        quarantined=QuarantineCounts(),
        gaps=(),
        first_date=None,
        last_date=None,
        message=reason,
    )


# ------------------------------------------------------------------------ committing


def _commit(job: _Job, writer: StoreWriter, entries: list[_Entry]) -> ImportReport:
    """Settle duplicate tickers, commit the new manifest and build the report."""
    stored, failures = _settle(entries)
    sources = {entry.source.name: entry.sha256 for entry in entries}
    manifest = writer.commit(
        data_mode=job.data_mode,
        source=job.label,
        tickers=list(stored.values()),
        failures=failures,
        sources=sources,
    )
    previous = writer.previous
    kept = {entry.info.ticker for entry in entries if entry.unchanged and entry.info}
    return _report(
        job,
        manifest,
        imported=tuple(ticker for ticker in manifest.tickers if ticker not in kept),
        unchanged=tuple(ticker for ticker in manifest.tickers if ticker in kept),
        removed=tuple(sorted(set(previous.tickers) - set(stored))) if previous else (),
        committed=True,
    )


def _settle(entries: list[_Entry]) -> tuple[dict[str, TickerInfo], list[TickerQuality]]:
    """Stored entries by ticker, and failures; a ticker claimed by two sources goes to the
    first in order, the later source fails."""
    stored: dict[str, TickerInfo] = {}
    failures: list[TickerQuality] = []
    for entry in entries:
        if entry.failure is not None:
            failures.append(entry.failure)
        elif entry.info is not None and entry.info.ticker in stored:
            first = stored[entry.info.ticker].source_file
            reason = f"ticker {entry.info.ticker} already comes from {first}"
            failures.append(_failure(entry.source.name, entry.info.ticker, reason))
        elif entry.info is not None:
            stored[entry.info.ticker] = entry.info
    return stored, failures


def _unchanged_report(job: _Job, previous: Manifest) -> ImportReport:
    return _report(
        job, previous, imported=(), unchanged=tuple(previous.tickers), removed=(), committed=False
    )


def _report(
    job: _Job,
    manifest: Manifest,
    *,
    imported: tuple[str, ...],
    unchanged: tuple[str, ...],
    removed: tuple[str, ...],
    committed: bool,
) -> ImportReport:
    return ImportReport(
        data_mode=job.data_mode,
        source=job.label,
        imported=imported,
        unchanged=unchanged,
        failed=tuple(
            FailedSource(entry.source_file, entry.ticker, entry.message or "failed")
            for entry in manifest.failures
        ),
        removed=removed,
        ignored_files=job.ignored,
        quality=manifest.quality_entries(),
        universe_fingerprint=manifest.universe_fingerprint,
        committed=committed,
        elapsed_seconds=time.perf_counter() - job.started,
    )
