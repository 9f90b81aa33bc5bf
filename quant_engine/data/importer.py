"""Imports: a folder of per-ticker files, or the generated sample, into a :class:`Store`.

An import runs in three steps, all in source order (files sorted by name):

1. **scan** (only when a previous import of the same mode exists and ``force`` is off):
   hash every source's raw content. When every hash matches the manifest, nothing is
   parsed and nothing is written.
2. **plan** each source: *keep* (unchanged, its segment healthy: the manifest entry is
   reused as is), *carry* (unchanged, but its segment is under half live: its rows are
   copied into a new segment) or *process* (new or changed: parse and check).
3. **run**: sources to carry or process go in batches of up to 64 to worker threads
   (see :mod:`quant_engine.data.batches`); each batch becomes one segment. The calling
   thread takes the outcomes in order, checks the cancel token and reports progress once
   per source, then commits one new manifest.

A ticker claimed by two sources goes to the first in order; the later source fails. A
cancel or an error removes every segment written and leaves the store as it was.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from quant_engine.data.batches import Action, Entry, Step, failure_entry, run_batch
from quant_engine.data.cancel import CancelToken, ImportCancelled, ProgressCallback, is_cancelled
from quant_engine.data.models import (
    DataMode,
    FailedSource,
    ImportReport,
    Manifest,
    TickerInfo,
    TickerQuality,
)
from quant_engine.data.sample import (
    SAMPLE_SOURCE,
    SampleMarket,
    SampleSeries,
    StockSpec,
    generate_stock,
    load_benchmarks,
    sample_market,
    stock_specs,
)
from quant_engine.data.sources import Source, file_source, list_folder, sample_source
from quant_engine.data.store import SEGMENT_TICKERS, SEGMENTS_DIR, Store, StoreWriter

MAX_IMPORT_WORKERS = 8
LOADING_SHARE = 0.9
"""Share of the progress bar given to loading sources; the rest to checking and writing."""
_DONE: Mapping[Action, str] = MappingProxyType(
    {"keep": "unchanged", "carry": "unchanged, moved", "process": "read"}
)


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
    files, ignored = list_folder(source_dir)
    job = _Job(
        data_mode="directory",
        label=str(source_dir.resolve()),
        sources=[file_source(path) for path in files],
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
        sample_source(series.ticker, series.kind, series.sector, _constant(series))
        for series in benchmarks
    ]
    sources += [
        sample_source(spec.ticker, "stock", spec.sector, _generator(market, spec))
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


@dataclass(frozen=True)
class _Job:
    """Everything one import needs to know, whatever its sources."""

    data_mode: DataMode
    label: str
    sources: list[Source]
    ignored: tuple[str, ...]
    force: bool
    cancel: CancelToken | None
    progress: ProgressCallback | None
    started: float


def _import(store: Store, job: _Job, max_workers: int | None) -> ImportReport:
    """Scan, plan, run and commit ``job`` inside one store transaction."""
    workers = max_workers or min(MAX_IMPORT_WORKERS, os.cpu_count() or 1)
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
        if is_cancelled(job.cancel):  # a cancel that arrived while the last batch finished
            raise ImportCancelled("import cancelled before its commit")
        return _commit(job, writer, entries)


def _reusable(previous: Manifest | None, job: _Job) -> Manifest | None:
    """The previous manifest when ``job`` may reuse its entries (same mode, no force)."""
    if previous is None or previous.data_mode != job.data_mode or job.force:
        return None
    return previous


# ------------------------------------------------------------------- scan and plan


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


def _hash_task(source: Source, cancel: CancelToken | None) -> str | None:
    """Worker: the source's raw content hash (None when cancelled before starting)."""
    return None if is_cancelled(cancel) else source.load().sha256


def _nothing_changed(store: Store, previous: Manifest, job: _Job, hashes: dict[str, str]) -> bool:
    """Same sources with the same content, same folder, every segment still in place."""
    return (
        previous.source == job.label
        and hashes == dict(previous.sources)
        and all((store.root / SEGMENTS_DIR / name).is_file() for name in previous.segments)
    )


def _plan(job: _Job, store: Store, previous: Manifest | None, hashes: dict[str, str]) -> list[Step]:
    """Keep, carry or process each source (all are processed without a usable manifest)."""
    if previous is None:
        return [Step(source=source, action="process") for source in job.sources]
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
            steps.append(Step(source, action, sha256=digest, prior_info=info))
        elif source.name in same and source.name in failures:
            steps.append(Step(source, "keep", sha256=digest, prior_failure=failures[source.name]))
        else:
            steps.append(Step(source=source, action="process"))
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


# ------------------------------------------------------------------------- running


def _run(
    job: _Job, writer: StoreWriter, pool: ThreadPoolExecutor, workers: int, steps: list[Step]
) -> list[Entry]:
    """Outcomes of ``steps`` in order; cancel checks and progress once per source."""
    entries: list[Entry] = []
    total = len(steps)
    meter = _ProgressMeter(job.progress, total)
    for index, (step, entry) in enumerate(_entries(job, writer, pool, workers, steps, meter=meter)):
        if is_cancelled(job.cancel):
            raise ImportCancelled(f"import cancelled after {index} of {total} sources")
        entries.append(entry)
        meter.report((index + 1) / total, f"{step.source.name}: {_DONE[step.action]}")
    return entries


class _ProgressMeter:
    """Forwards progress only when it moves forward.

    Two sources feed it: worker threads as each source is loaded (the slow part of a batch)
    and the calling thread as outcomes are taken in order; either may be ahead.
    """

    def __init__(self, progress: ProgressCallback | None, total: int) -> None:
        self._progress = progress
        self._total = max(total, 1)
        self._loaded = 0
        self._last = -1.0
        self._lock = threading.Lock()

    def loaded(self, source_name: str) -> None:
        """One more source is loaded (called from worker threads)."""
        with self._lock:
            self._loaded += 1
            fraction = LOADING_SHARE * self._loaded / self._total
        self.report(fraction, f"{source_name}: read")

    def report(self, fraction: float, message: str) -> None:
        """Forward ``fraction`` (0..1) unless progress already went further."""
        if self._progress is None:
            return
        with self._lock:
            if fraction < self._last:
                return
            self._last = fraction
            self._progress(fraction, message)


def _entries(
    job: _Job,
    writer: StoreWriter,
    pool: ThreadPoolExecutor,
    workers: int,
    steps: list[Step],
    *,
    meter: _ProgressMeter,
) -> Iterator[tuple[Step, Entry]]:
    """Each step with its entry, in order: kept ones at once, the others from batches run
    by the pool, at most ``workers + 1`` batches ahead."""
    busy = [index for index, step in enumerate(steps) if step.action != "keep"]
    batches = [
        busy[start : start + SEGMENT_TICKERS] for start in range(0, len(busy), SEGMENT_TICKERS)
    ]
    batch_of = {index: number for number, batch in enumerate(batches) for index in batch}
    running: dict[int, Future[list[Entry] | None]] = {}
    submitted = 0
    finished: dict[int, Entry] = {}
    for index, step in enumerate(steps):
        if step.action == "keep":
            yield step, _kept(step)
            continue
        number = batch_of[index]
        while submitted < min(len(batches), number + workers + 1):
            batch_steps = [steps[position] for position in batches[submitted]]
            running[submitted] = pool.submit(
                run_batch, batch_steps, writer, job.cancel, job.force, meter.loaded
            )
            submitted += 1
        if index not in finished:
            outcome = running.pop(number).result()
            if outcome is None:
                raise ImportCancelled(f"import cancelled at {step.source.name}")
            finished.update(zip(batches[number], outcome, strict=True))
        yield step, finished.pop(index)


def _kept(step: Step) -> Entry:
    entry = Entry(step.source, step.sha256, unchanged=True)
    entry.info, entry.failure = step.prior_info, step.prior_failure
    return entry


# ----------------------------------------------------------------------- committing


def _commit(job: _Job, writer: StoreWriter, entries: list[Entry]) -> ImportReport:
    """Settle duplicate tickers, commit the new manifest and build the report."""
    stored, failures = _settle(entries)
    manifest = writer.commit(
        data_mode=job.data_mode,
        source=job.label,
        tickers=list(stored.values()),
        failures=failures,
        sources={entry.source.name: entry.sha256 for entry in entries},
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


def _settle(entries: list[Entry]) -> tuple[dict[str, TickerInfo], list[TickerQuality]]:
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
            failures.append(failure_entry(entry.source.name, entry.info.ticker, reason))
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
