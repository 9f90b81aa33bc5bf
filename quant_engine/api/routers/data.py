"""Market-data operations: mode, universe, tickers, bars, quality, refresh."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Path, Query, Request
from qe_contract.models import (
    BarsEnvelope,
    DataModeEnvelope,
    DataRefreshRequest,
    JobEnvelope,
    QualityReportEnvelope,
    QualityStatus,
    TickerDetailEnvelope,
    UniversePageEnvelope,
)
from starlette.responses import Response

from quant_engine.api.bodies import parse_body
from quant_engine.api.cached import cached_payload
from quant_engine.api.deps import API_PREFIX, PrincipalDep, StateDep, api_router, query_date
from quant_engine.api.envelope import data_json, envelope_response
from quant_engine.api.services import data as service
from quant_engine.api.services.jobs import wire_job
from quant_engine.core.errors import ErrorDetail, ValidationFailedError
from quant_engine.jobs.catalog import DATA_REFRESH

router = api_router()

TICKER_PATTERN = r"^[A-Z][A-Z0-9.\-]{0,14}$"
CURSOR_PATTERN = r"^[A-Za-z0-9_\-]{1,64}$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
TickerParam = Annotated[str, Path(pattern=TICKER_PATTERN)]
StatusParam = Annotated[QualityStatus | None, Query()]


@router.get("/data/mode", operation_id="getDataMode")
async def get_data_mode(request: Request, state: StateDep) -> Response:
    payload, cached = await cached_payload(
        state, "data", "mode", lambda: data_json(service.data_mode(state.store))
    )
    return envelope_response(request, DataModeEnvelope, payload, cached=cached)


@router.get("/data/universe", operation_id="listUniverse")
async def list_universe(
    request: Request,
    state: StateDep,
    status: StatusParam = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
) -> Response:
    key = f"universe|{status}|{limit}|{cursor}"
    payload, cached = await cached_payload(
        state,
        "data",
        key,
        lambda: data_json(service.universe_page(state.store, status, limit, cursor)),
    )
    return envelope_response(request, UniversePageEnvelope, payload, cached=cached)


@router.get("/data/tickers/{ticker}", operation_id="getTicker")
async def get_ticker(request: Request, state: StateDep, ticker: TickerParam) -> Response:
    payload, cached = await cached_payload(
        state,
        "data",
        f"ticker|{ticker}",
        lambda: data_json(service.ticker_detail(state.store, ticker)),
    )
    return envelope_response(request, TickerDetailEnvelope, payload, cached=cached)


@router.get("/data/tickers/{ticker}/bars", operation_id="getBars")
async def get_bars(
    request: Request,
    state: StateDep,
    ticker: TickerParam,
    start: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
    end: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
    limit: Annotated[int | None, Query(ge=1, le=50_000)] = None,
) -> Response:
    first, last = query_date("start", start), query_date("end", end)
    if first is not None and last is not None and first > last:
        raise ValidationFailedError(
            "start is after end",
            [ErrorDetail(loc=("query", "start"), msg="must not be after end")],
        )
    payload, cached = await cached_payload(
        state,
        "data",
        f"bars|{ticker}|{first}|{last}|{limit}",
        lambda: data_json(service.bar_series(state.store, ticker, first, last, limit)),
    )
    return envelope_response(request, BarsEnvelope, payload, cached=cached)


@router.get("/data/quality", operation_id="getDataQuality")
async def get_data_quality(
    request: Request, state: StateDep, status: StatusParam = None
) -> Response:
    payload, cached = await cached_payload(
        state,
        "data",
        f"quality|{status}",
        lambda: data_json(service.quality_report(state.store, status)),
    )
    return envelope_response(request, QualityReportEnvelope, payload, cached=cached)


@router.post("/data/refresh", operation_id="refreshData", status_code=202)
async def refresh_data(request: Request, state: StateDep, principal: PrincipalDep) -> Response:
    raw = await request.body()
    body = (
        await asyncio.to_thread(parse_body, DataRefreshRequest, raw)
        if raw.strip()
        else DataRefreshRequest()
    )
    record = await state.runner.submit(
        DATA_REFRESH, {"force": body.force}, owner=principal.subject if principal else None
    )
    return envelope_response(
        request,
        JobEnvelope,
        wire_job(record),
        status_code=202,
        headers={"Location": f"{API_PREFIX}/jobs/{record.job_id}"},
    )
