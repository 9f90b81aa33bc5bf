"""What an import reads: files of a folder or generated sample tickers, behind one shape.

A :class:`Source` knows its name (recorded as ``source_file``), its kind and sector, and
how to load itself on a worker thread into a :class:`Loaded`: the sha256 of its raw
content (how an unchanged source is recognised) plus either the raw file to parse or rows
already in hand.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from quant_engine.core.errors import NotFoundError, ValidationFailedError
from quant_engine.data.models import TickerKind
from quant_engine.data.readers import (
    MAX_SOURCE_BYTES,
    SOURCE_SUFFIXES,
    ReadFailure,
    SourceRows,
    read_sources,
)
from quant_engine.data.sample import SampleSeries, series_sha256


@dataclass(frozen=True)
class Loaded:
    """A loaded source: its raw content hash and a file to parse, or rows (or a failure)."""

    sha256: str
    file: tuple[Path, bytes] | None = None
    rows: SourceRows | ReadFailure | None = None


@dataclass(frozen=True)
class Source:
    """One source of an import; ``load`` may run on any thread."""

    name: str
    kind: TickerKind
    sector: str | None
    load: Callable[[], Loaded]


def list_folder(source_dir: Path) -> tuple[list[Path], tuple[str, ...]]:
    """CSV and Parquet files of ``source_dir`` sorted by name, and the other files' names.

    Hidden files and sub-folders are skipped. Raises ``NotFoundError`` when the folder does
    not exist and ``ValidationFailedError`` when it holds no CSV or Parquet file.
    """
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


def file_source(path: Path) -> Source:
    """A per-ticker CSV or Parquet file; its identity is the sha256 of its bytes."""

    def load() -> Loaded:
        try:
            payload = _read_bytes(path)
        except OSError as error:
            return _unreadable(f"cannot read file: {error.strerror or error}")
        except ValueError as error:
            return _unreadable(str(error))
        return Loaded(sha256=hashlib.sha256(payload).hexdigest(), file=(path, payload))

    return Source(name=path.name, kind="stock", sector=None, load=load)


def sample_source(
    ticker: str, kind: TickerKind, sector: str | None, make: Callable[[], SampleSeries]
) -> Source:
    """A generated sample ticker; its identity is the sha256 of the generated arrays."""

    def load() -> Loaded:
        series = make()
        rows = SourceRows(ticker=series.ticker, raw=series.raw, note=None)
        return Loaded(sha256=series_sha256(series), rows=rows)

    return Source(name=f"sample:{ticker}", kind=kind, sector=sector, load=load)


def parse_all(loaded: Sequence[Loaded]) -> list[SourceRows | ReadFailure]:
    """Rows of every loaded source, in order (files are parsed together where possible)."""
    files = [item.file for item in loaded if item.file is not None]
    parsed = iter(read_sources(files))
    results: list[SourceRows | ReadFailure] = []
    for item in loaded:
        if item.file is not None:
            results.append(next(parsed))
        else:
            results.append(item.rows or ReadFailure(reason="source has no content"))
    return results


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; ``ValueError`` when larger than :data:`MAX_SOURCE_BYTES`."""
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise ValueError(f"file too large: {size} bytes (limit {MAX_SOURCE_BYTES})")
    return path.read_bytes()


def _unreadable(reason: str) -> Loaded:
    digest = hashlib.sha256(f"unreadable: {reason}".encode()).hexdigest()
    return Loaded(sha256=digest, rows=ReadFailure(reason=reason))
