"""One batch of an import, run on a worker thread: load, parse, check, write a segment.

A batch holds up to ``SEGMENT_TICKERS`` sources that need work: new or changed sources
are loaded and parsed (plain CSVs together), checked by the quality rules together, and
written with the stored rows of carried tickers as one bars segment (plus one quarantine
segment when any row was quarantined). Sources the import keeps as they are never reach
a batch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import pyarrow as pa

from quant_engine.core.errors import ArtifactCorruptError, InternalError
from quant_engine.data.cancel import CancelToken, is_cancelled
from quant_engine.data.models import QuarantineCounts, SegmentLocation, TickerInfo, TickerQuality
from quant_engine.data.quality import AssessInput, Assessment, assess_many
from quant_engine.data.readers import ReadFailure, SourceRows
from quant_engine.data.sources import Loaded, Source, parse_all
from quant_engine.data.store import StoreWriter, load_bars_table, read_row_group

Action = Literal["keep", "carry", "process"]
"""keep: reuse the manifest entry; carry: copy stored rows to a new segment; process: parse."""


@dataclass(frozen=True)
class Step:
    """What to do with one source, decided before any parsing (``sha256`` known when the
    source was scanned; ``prior_*`` is its entry in the previous manifest)."""

    source: Source
    action: Action
    sha256: str = ""
    prior_info: TickerInfo | None = None
    prior_failure: TickerQuality | None = None


@dataclass
class Entry:
    """The outcome of one source: a stored ticker (``info``) or a ``failure``."""

    source: Source
    sha256: str
    unchanged: bool
    info: TickerInfo | None = None
    failure: TickerQuality | None = None


@dataclass(frozen=True)
class _Copied:
    """The stored rows of an unchanged ticker, read back to move to a new segment."""

    info: TickerInfo
    bars: pa.Table
    quarantine: pa.Table | None


@dataclass(frozen=True)
class _Placement:
    """One ticker about to be written: its tables and how to describe it once placed."""

    entry: Entry
    fingerprint: str
    bars: pa.Table
    quarantine: pa.Table | None
    describe: Callable[[SegmentLocation, SegmentLocation | None], TickerInfo]


def run_batch(
    steps: Sequence[Step],
    writer: StoreWriter,
    cancel: CancelToken | None,
    force: bool,
    on_prepared: Callable[[str], None] | None = None,
) -> list[Entry] | None:
    """Entries of ``steps`` (carry or process), in order; None when cancelled first.

    ``force`` rewrites a segment even when one with the same content is in place.
    ``on_prepared(source name)`` is called (from this worker thread) after each source is
    loaded, the long part of a batch, so progress can move while the batch runs.
    """
    prepared: list[Loaded | _Copied] = []
    for step in steps:
        if is_cancelled(cancel):
            return None
        prepared.append(_prepare(step, writer))
        if on_prepared is not None:
            on_prepared(step.source.name)
    positions = [index for index, item in enumerate(prepared) if isinstance(item, Loaded)]
    loaded = [item for item in prepared if isinstance(item, Loaded)]
    parsed = dict(zip(positions, parse_all(loaded), strict=True))
    entries: list[Entry] = []
    to_check: list[tuple[Entry, SourceRows]] = []
    copied: list[_Placement] = []
    for index, (step, item) in enumerate(zip(steps, prepared, strict=True)):
        if isinstance(item, _Copied):
            entry = Entry(step.source, step.sha256, unchanged=True)
            copied.append(_moved(entry, item))
        else:
            entry = Entry(step.source, item.sha256, unchanged=False)
            rows = parsed[index]
            if isinstance(rows, ReadFailure):
                entry.failure = failure_entry(step.source.name, rows.ticker, rows.reason)
            else:
                to_check.append((entry, rows))
        entries.append(entry)
    _write(writer, _checked(to_check) + copied, force)
    return entries


def _prepare(step: Step, writer: StoreWriter) -> Loaded | _Copied:
    """Carried tickers: their stored rows (or, when damaged or gone, the source loaded
    again); processed sources: loaded."""
    info = step.prior_info
    if step.action == "carry" and info is not None:
        try:
            bars = load_bars_table(writer.root, info)
            quarantine = None
            if info.quarantine is not None:
                quarantine = read_row_group(writer.root, info.quarantine, "quarantine")
        except (ArtifactCorruptError, FileNotFoundError):
            return step.source.load()
        return _Copied(info=info, bars=bars, quarantine=quarantine)
    return step.source.load()


def _checked(to_check: list[tuple[Entry, SourceRows]]) -> list[_Placement]:
    """Apply the quality rules to parsed sources together; a source without valid rows
    gets its failure recorded, the others become placements."""
    inputs = [
        AssessInput(raw=rows.raw, ticker=rows.ticker, source_file=entry.source.name, note=rows.note)
        for entry, rows in to_check
    ]
    placements = []
    for (entry, _), assessment in zip(to_check, assess_many(inputs), strict=True):
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


def _write(writer: StoreWriter, placements: list[_Placement], force: bool) -> None:
    """Write the placements as one bars segment (and one quarantine segment when needed)
    and fill in their entries."""
    if not placements:
        return
    bars_segment = writer.write_segment(
        "bars",
        [placement.bars for placement in placements],
        content_key=",".join(placement.fingerprint for placement in placements),
        rewrite=force,
    )
    quarantined = [index for index, item in enumerate(placements) if item.quarantine is not None]
    quarantine_segment = None
    if quarantined:
        tables = [placements[index].quarantine for index in quarantined]
        quarantine_segment = writer.write_segment("quarantine", tables, rewrite=force)
    row_groups = {index: row_group for row_group, index in enumerate(quarantined)}
    for index, placement in enumerate(placements):
        quarantine = None
        if quarantine_segment is not None and index in row_groups:
            quarantine = SegmentLocation(quarantine_segment, row_groups[index])
        placement.entry.info = placement.describe(SegmentLocation(bars_segment, index), quarantine)


def _describe(
    source: Source,
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


def _moved(entry: Entry, copied: _Copied) -> _Placement:
    def describe(bars: SegmentLocation, quarantine: SegmentLocation | None) -> TickerInfo:
        return dataclasses.replace(copied.info, bars=bars, quarantine=quarantine)

    return _Placement(
        entry=entry,
        fingerprint=copied.info.fingerprint,
        bars=copied.bars,
        quarantine=copied.quarantine,
        describe=describe,
    )


def failure_entry(source_file: str, ticker: str | None, reason: str) -> TickerQuality:
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
