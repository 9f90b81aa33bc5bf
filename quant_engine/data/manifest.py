"""The store manifest as JSON: encoding, and a defensive decoder.

The decoder trusts nothing: any structural problem (bad JSON, missing key, wrong type,
a ticker or file name that does not match its pattern, an unknown format version)
raises ``ArtifactCorruptError`` naming what is wrong, so a hand-edited or damaged
manifest can never make the store touch a path outside itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import types
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from quant_engine.core.errors import ArtifactCorruptError
from quant_engine.data.models import (
    QUALITY_STATUSES,
    QUARANTINE_REASONS,
    TICKER_PATTERN,
    DataMode,
    Gap,
    Manifest,
    QualityStatus,
    QuarantineCounts,
    SegmentLocation,
    TickerInfo,
    TickerKind,
    TickerQuality,
)

FORMAT_VERSION = 1
"""Bumped when the manifest layout or the normalization changes (forces a full re-import)."""

SEGMENT_PATTERN = re.compile(r"^(?:bars|quarantine)-[0-9a-f]{24}\.parquet$")
"""Segment file names: ``bars-`` or ``quarantine-`` and 24 hex digits of their sha256."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DATA_MODES: tuple[DataMode, ...] = ("sample", "directory")
_KINDS: tuple[TickerKind, ...] = ("stock", "benchmark")

T = TypeVar("T")


def universe_fingerprint(tickers: Iterable[TickerInfo]) -> str:
    """sha256 (hex) over ``TICKER:fingerprint`` lines sorted by ticker."""
    lines = sorted(f"{info.ticker}:{info.fingerprint}\n" for info in tickers)
    return hashlib.sha256("".join(lines).encode("ascii")).hexdigest()


def encode_manifest(manifest: Manifest) -> bytes:
    """Deterministic JSON bytes of ``manifest`` (sorted keys, ASCII, compact: the C encoder
    only runs without indentation, and the manifest is read by programs)."""
    document = {
        "format_version": manifest.format_version,
        "data_mode": manifest.data_mode,
        "source": manifest.source,
        "refreshed_at": manifest.refreshed_at.astimezone(dt.UTC).isoformat(),
        "universe_fingerprint": manifest.universe_fingerprint,
        "tickers": {name: _encode_info(info) for name, info in manifest.tickers.items()},
        "failures": [_encode_quality(entry) for entry in manifest.failures],
        "sources": dict(manifest.sources),
        "segments": dict(manifest.segments),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return (text + "\n").encode("ascii")


def _encode_info(info: TickerInfo) -> dict[str, object]:
    return {
        "kind": info.kind,
        "sector": info.sector,
        "rows": info.rows,
        "first_date": info.first_date.isoformat(),
        "last_date": info.last_date.isoformat(),
        "source_file": info.source_file,
        "fingerprint": info.fingerprint,
        "bars": _encode_location(info.bars),
        "quarantine": _encode_location(info.quarantine) if info.quarantine else None,
        "quality": _encode_quality(info.quality),
    }


def _encode_location(location: SegmentLocation) -> dict[str, object]:
    return {"segment": location.segment, "row_group": location.row_group}


def _encode_quality(entry: TickerQuality) -> dict[str, object]:
    return {
        "ticker": entry.ticker,
        "source_file": entry.source_file,
        "status": entry.status,
        "rows_read": entry.rows_read,
        "rows_stored": entry.rows_stored,
        "quarantined": entry.quarantined.as_dict(),
        "gaps": [
            {
                "start": g.start.isoformat(),
                "end": g.end.isoformat(),
                "business_days": g.business_days,
            }
            for g in entry.gaps
        ],
        "first_date": entry.first_date.isoformat() if entry.first_date else None,
        "last_date": entry.last_date.isoformat() if entry.last_date else None,
        "message": entry.message,
    }


def decode_manifest(payload: bytes, origin: str) -> Manifest:
    """Parse manifest bytes read from ``origin`` (named in errors); raise
    ``ArtifactCorruptError`` on any defect."""
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactCorruptError(f"manifest {origin} is not valid JSON: {error}") from error
    doc = _Fields(document, f"manifest {origin}")
    version = doc.get("format_version", int)
    if version != FORMAT_VERSION:
        raise ArtifactCorruptError(
            f"manifest {origin} has format version {version}, expected {FORMAT_VERSION}"
        )
    segments = _decode_segments(doc)
    tickers_doc = doc.get("tickers", dict)
    tickers = {
        name: _decode_info(name, _Fields(tickers_doc[name], f"{doc.where}: ticker {name!r}"))
        for name in sorted(tickers_doc)
    }
    _check_locations(doc, tickers.values(), segments)
    failures = tuple(
        _decode_quality(_Fields(item, f"{doc.where}: failure #{index}"))
        for index, item in enumerate(doc.get("failures", list))
    )
    fingerprint = _sha256(doc, "universe_fingerprint")
    if fingerprint != universe_fingerprint(tickers.values()):
        raise ArtifactCorruptError(f"{doc.where}: universe_fingerprint does not match its tickers")
    return Manifest(
        format_version=version,
        data_mode=_choice(doc, "data_mode", _DATA_MODES),
        source=doc.get("source", str),
        refreshed_at=_timestamp(doc, "refreshed_at"),
        universe_fingerprint=fingerprint,
        tickers=types.MappingProxyType(tickers),
        failures=failures,
        sources=types.MappingProxyType(_decode_sources(doc)),
        segments=types.MappingProxyType(segments),
    )


def _decode_segments(doc: _Fields) -> dict[str, int]:
    segments = doc.get("segments", dict)
    for name, row_groups in segments.items():
        if not SEGMENT_PATTERN.fullmatch(name):
            raise ArtifactCorruptError(f"{doc.where}: {name[:80]!r} is not a segment file name")
        if not isinstance(row_groups, int) or isinstance(row_groups, bool) or row_groups < 1:
            raise ArtifactCorruptError(f"{doc.where}: segment {name} has a bad row group count")
    return dict(segments)


def _decode_sources(doc: _Fields) -> dict[str, str]:
    sources = doc.get("sources", dict)
    for name, digest in sources.items():
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ArtifactCorruptError(f"{doc.where}: source {name[:80]!r} has a bad sha256")
    return dict(sources)


def _check_locations(
    doc: _Fields, tickers: Iterable[TickerInfo], segments: Mapping[str, int]
) -> None:
    """Every location must name a listed segment and one of its row groups."""
    for info in tickers:
        for location in (info.bars, info.quarantine):
            if location is None:
                continue
            row_groups = segments.get(location.segment)
            if row_groups is None or location.row_group >= row_groups:
                raise ArtifactCorruptError(
                    f"{doc.where}: {info.ticker} points at a missing segment or row group"
                )


def _decode_info(name: str, doc: _Fields) -> TickerInfo:
    if not TICKER_PATTERN.fullmatch(name):
        raise ArtifactCorruptError(f"{doc.where}: not a valid ticker")
    quarantine = doc.get_optional("quarantine", dict)
    return TickerInfo(
        ticker=name,
        kind=_choice(doc, "kind", _KINDS),
        sector=doc.get_optional("sector", str),
        rows=doc.get("rows", int),
        first_date=_date(doc, "first_date"),
        last_date=_date(doc, "last_date"),
        source_file=doc.get("source_file", str),
        fingerprint=_sha256(doc, "fingerprint"),
        bars=_decode_location(_Fields(doc.get("bars", dict), f"{doc.where}: bars")),
        quarantine=None
        if quarantine is None
        else _decode_location(_Fields(quarantine, f"{doc.where}: quarantine")),
        quality=_decode_quality(_Fields(doc.get("quality", dict), f"{doc.where}: quality")),
    )


def _decode_location(doc: _Fields) -> SegmentLocation:
    segment = doc.get("segment", str)
    if not SEGMENT_PATTERN.fullmatch(segment):
        raise ArtifactCorruptError(f"{doc.where}: {segment[:80]!r} is not a segment file name")
    row_group = doc.get("row_group", int)
    if row_group < 0:
        raise ArtifactCorruptError(f"{doc.where}: negative row group")
    return SegmentLocation(segment=segment, row_group=row_group)


def _decode_quality(doc: _Fields) -> TickerQuality:
    counts = doc.get("quarantined", dict)
    if set(counts) != set(QUARANTINE_REASONS) or not all(
        isinstance(value, int) and not isinstance(value, bool) for value in counts.values()
    ):
        raise ArtifactCorruptError(f"{doc.where}: quarantined counts are malformed")
    return TickerQuality(
        ticker=doc.get_optional("ticker", str),
        source_file=doc.get("source_file", str),
        status=cast(QualityStatus, _choice(doc, "status", QUALITY_STATUSES)),
        rows_read=doc.get("rows_read", int),
        rows_stored=doc.get("rows_stored", int),
        quarantined=QuarantineCounts.from_mapping(counts),
        gaps=tuple(
            _decode_gap(_Fields(item, f"{doc.where}: gap")) for item in doc.get("gaps", list)
        ),
        first_date=None
        if doc.get_optional("first_date", str) is None
        else _date(doc, "first_date"),
        last_date=None if doc.get_optional("last_date", str) is None else _date(doc, "last_date"),
        message=doc.get_optional("message", str),
    )


def _decode_gap(doc: _Fields) -> Gap:
    return Gap(
        start=_date(doc, "start"),
        end=_date(doc, "end"),
        business_days=doc.get("business_days", int),
    )


class _Fields:
    """Typed access to one JSON object; every mismatch is an ``ArtifactCorruptError``."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise ArtifactCorruptError(f"{where}: expected an object")
        self.document: Mapping[str, object] = value
        self.where = where

    def get(self, key: str, kind: type[T]) -> T:
        """The value under ``key``, which must exist and be a ``kind``."""
        if key not in self.document:
            raise ArtifactCorruptError(f"{self.where}: missing {key!r}")
        value = self.document[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ArtifactCorruptError(f"{self.where}: {key!r} must be {kind.__name__}")
        return value

    def get_optional(self, key: str, kind: type[T]) -> T | None:
        """Like :meth:`get` but null is allowed."""
        if self.document.get(key, ...) is None:
            return None
        return self.get(key, kind)


def _choice(doc: _Fields, key: str, allowed: tuple[Any, ...]) -> Any:
    value = doc.get(key, str)
    if value not in allowed:
        raise ArtifactCorruptError(f"{doc.where}: {key!r} must be one of {list(allowed)}")
    return value


def _sha256(doc: _Fields, key: str) -> str:
    value = doc.get(key, str)
    if not _SHA256.fullmatch(value):
        raise ArtifactCorruptError(f"{doc.where}: {key!r} is not a sha256 hex digest")
    return value


def _date(doc: _Fields, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(doc.get(key, str))
    except ValueError as error:
        raise ArtifactCorruptError(f"{doc.where}: {key!r} is not an ISO date") from error


def _timestamp(doc: _Fields, key: str) -> dt.datetime:
    try:
        stamp = dt.datetime.fromisoformat(doc.get(key, str))
    except ValueError as error:
        raise ArtifactCorruptError(f"{doc.where}: {key!r} is not an ISO timestamp") from error
    if stamp.tzinfo is None:
        raise ArtifactCorruptError(f"{doc.where}: {key!r} has no time zone")
    return stamp.astimezone(dt.UTC)
