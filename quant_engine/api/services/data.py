"""Market data at the edge: store reads mapped to generated models, with the cache."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections import Counter

import numpy as np
from qe_contract.models import (
    BarSeries,
    DataGap,
    DataModeName,
    QualityReport,
    QualityStatus,
    QualitySummary,
    TickerDetail,
    TickerKind,
    UniverseEntry,
    UniversePage,
)
from qe_contract.models import DataMode as WireDataMode
from qe_contract.models import QuarantineCounts as WireQuarantineCounts
from qe_contract.models import TickerQuality as WireTickerQuality

from quant_engine import data as engine
from quant_engine.core.errors import ErrorDetail, UnavailableError, ValidationFailedError

MAX_BARS_PER_RESPONSE = 50_000
NOT_READY_MESSAGE = "No market data yet: the initial import is still running (see GET /api/v1/jobs)"


def manifest_or_unavailable(store: engine.Store) -> engine.Manifest:
    """The committed manifest, or UNAVAILABLE while the first import has not finished."""
    manifest = store.manifest()
    if manifest is None:
        raise UnavailableError(NOT_READY_MESSAGE)
    return manifest


def data_mode(store: engine.Store) -> WireDataMode:
    """Mode, source, size, date range and fingerprint of the current universe."""
    manifest = manifest_or_unavailable(store)
    infos = list(manifest.tickers.values())
    return WireDataMode(
        mode=DataModeName(manifest.data_mode),
        source=manifest.source,
        synthetic=manifest.data_mode == "sample",
        tickers=len(infos),
        first_date=min((info.first_date for info in infos), default=None),
        last_date=max((info.last_date for info in infos), default=None),
        universe_fingerprint=manifest.universe_fingerprint,
        refreshed_at=manifest.refreshed_at,
    )


def encode_cursor(ticker: str) -> str:
    """Opaque page cursor: the last ticker of the page, base64url without padding."""
    return base64.urlsafe_b64encode(ticker.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The ticker a cursor stands for; VALIDATION_ERROR when it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        ticker = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        ticker = ""
    if not engine.TICKER_PATTERN.fullmatch(ticker):
        raise ValidationFailedError(
            "cursor is not a cursor returned by this operation",
            [ErrorDetail(loc=("query", "cursor"), msg="invalid cursor")],
        )
    return ticker


def universe_page(
    store: engine.Store, status: QualityStatus | None, limit: int, cursor: str | None
) -> UniversePage:
    """One page of the universe ordered by ticker, optionally filtered by quality status."""
    manifest = manifest_or_unavailable(store)
    after = decode_cursor(cursor) if cursor is not None else None
    matching = [
        info
        for info in manifest.tickers.values()
        if status is None or info.quality.status == status.value
    ]
    matching.sort(key=lambda info: info.ticker)
    remaining = [info for info in matching if after is None or info.ticker > after]
    page = remaining[:limit]
    return UniversePage(
        items=[
            UniverseEntry(
                ticker=info.ticker,
                kind=TickerKind(info.kind),
                sector=info.sector,
                first_date=info.first_date,
                last_date=info.last_date,
                rows=info.rows,
                quality_status=QualityStatus(info.quality.status),
            )
            for info in page
        ],
        next_cursor=encode_cursor(page[-1].ticker) if len(remaining) > limit else None,
        total=len(matching),
    )


def _wire_counts(counts: engine.QuarantineCounts) -> WireQuarantineCounts:
    return WireQuarantineCounts(**counts.as_dict())


def wire_quality(quality: engine.TickerQuality) -> WireTickerQuality:
    """The contract's ``TickerQuality`` for one quality entry."""
    return WireTickerQuality(
        ticker=quality.ticker,
        source_file=quality.source_file,
        status=QualityStatus(quality.status),
        rows_read=quality.rows_read,
        rows_stored=quality.rows_stored,
        rows_quarantined=quality.quarantined.total,
        quarantined=_wire_counts(quality.quarantined),
        gaps=[
            DataGap(start=gap.start, end=gap.end, business_days=gap.business_days)
            for gap in quality.gaps
        ],
        first_date=quality.first_date,
        last_date=quality.last_date,
        message=quality.message,
    )


def ticker_detail(store: engine.Store, ticker: str) -> TickerDetail:
    """One ticker with its quality details; NOT_FOUND when not in the universe."""
    manifest_or_unavailable(store)
    info = store.ticker_info(ticker)
    return TickerDetail(
        ticker=info.ticker,
        kind=TickerKind(info.kind),
        sector=info.sector,
        rows=info.rows,
        first_date=info.first_date,
        last_date=info.last_date,
        source_file=info.source_file,
        fingerprint=info.fingerprint,
        quality=wire_quality(info.quality),
    )


def bar_series(
    store: engine.Store,
    ticker: str,
    start: dt.date | None,
    end: dt.date | None,
    limit: int | None,
) -> BarSeries:
    """Bars in ``[start, end]``, ascending; the most recent ``limit`` (at most 50,000)."""
    manifest_or_unavailable(store)
    bars = store.bars(ticker, start, end)
    keep = min(limit or MAX_BARS_PER_RESPONSE, MAX_BARS_PER_RESPONSE)
    first = max(0, len(bars) - keep)
    dates = bars.date[first:].astype("datetime64[D]").astype(str).tolist()
    columns = {
        name: np.asarray(getattr(bars, name)[first:], dtype=np.float64).tolist()
        for name in ("open", "high", "low", "close", "adj_close", "volume")
    }
    rows = [
        {
            "date": day,
            "open": columns["open"][i],
            "high": columns["high"][i],
            "low": columns["low"][i],
            "close": columns["close"][i],
            "adj_close": columns["adj_close"][i],
            "volume": columns["volume"][i],
        }
        for i, day in enumerate(dates)
    ]
    return BarSeries.model_validate({"ticker": bars.ticker, "bars": rows, "count": len(rows)})


def quality_report(store: engine.Store, status: QualityStatus | None) -> QualityReport:
    """The last import's report: a summary over every source, entries filtered by status."""
    manifest = manifest_or_unavailable(store)
    entries = manifest.quality_entries()
    statuses = Counter(entry.status for entry in entries)
    reasons: Counter[str] = Counter()
    for entry in entries:
        reasons.update(entry.quarantined.as_dict())
    summary = QualitySummary(
        sources=len(entries),
        ok=statuses["ok"],
        warnings=statuses["warnings"],
        failed=statuses["failed"],
        rows_read=sum(entry.rows_read for entry in entries),
        rows_stored=sum(entry.rows_stored for entry in entries),
        rows_quarantined=sum(entry.quarantined.total for entry in entries),
        quarantined=WireQuarantineCounts(
            **{reason: reasons[reason] for reason in engine.QUARANTINE_REASONS}
        ),
    )
    selected = [e for e in entries if status is None or e.status == status.value]
    return QualityReport(summary=summary, entries=[wire_quality(e) for e in selected])
