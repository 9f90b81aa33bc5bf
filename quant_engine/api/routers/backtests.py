"""Backtest operations, the dashboard and benchmark series."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Path, Query, Request
from qe_contract.models import (
    BacktestDeleted,
    BacktestDeletedEnvelope,
    BacktestEquityEnvelope,
    BacktestPageEnvelope,
    BacktestRequest,
    BacktestSummaryEnvelope,
    BacktestTradePageEnvelope,
    BenchmarkEnvelope,
    DashboardEnvelope,
)
from starlette.responses import Response

from quant_engine.api.bodies import parse_body
from quant_engine.api.cached import cached_payload
from quant_engine.api.deps import PrincipalDep, StateDep, api_router, query_date
from quant_engine.api.envelope import data_json, envelope_response
from quant_engine.api.services import backtests as service
from quant_engine.api.submit import submit_job
from quant_engine.jobs.catalog import BACKTEST

router = api_router()

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
BacktestIdParam = Annotated[str, Path(pattern=UUID_PATTERN)]
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
TICKER_PATTERN = r"^[A-Z][A-Z0-9.\-]{0,14}$"


@router.post("/backtests", operation_id="runBacktest", status_code=202)
async def run_backtest(request: Request, state: StateDep, principal: PrincipalDep) -> Response:
    raw = await request.body()
    body = (
        await asyncio.to_thread(parse_body, BacktestRequest, raw)
        if raw.strip()
        else BacktestRequest()
    )
    params = service.backtest_params(body)
    await asyncio.to_thread(state.backtests.check, params)  # 404/422/503 before queueing
    return await submit_job(request, state, principal, BACKTEST, params)


@router.get("/backtests", operation_id="listBacktests")
async def list_backtests(
    request: Request,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
) -> Response:
    page = await asyncio.to_thread(service.backtest_page, state, limit, cursor)
    return envelope_response(request, BacktestPageEnvelope, page)


@router.get("/backtests/{backtest_id}", operation_id="getBacktest")
async def get_backtest(request: Request, state: StateDep, backtest_id: BacktestIdParam) -> Response:
    summary = await asyncio.to_thread(service.summary, state, backtest_id.lower())
    return envelope_response(request, BacktestSummaryEnvelope, summary)


@router.delete("/backtests/{backtest_id}", operation_id="deleteBacktest")
async def delete_backtest(
    request: Request, state: StateDep, backtest_id: BacktestIdParam
) -> Response:
    await asyncio.to_thread(state.backtests.delete, backtest_id.lower())
    state.cache.invalidate(("dashboard",))
    deleted = BacktestDeleted(backtest_id=backtest_id.lower(), deleted=True)
    return envelope_response(request, BacktestDeletedEnvelope, deleted)


@router.get("/backtests/{backtest_id}/equity", operation_id="getBacktestEquity")
async def get_backtest_equity(
    request: Request, state: StateDep, backtest_id: BacktestIdParam
) -> Response:
    equity = await asyncio.to_thread(service.equity, state, backtest_id.lower())
    return envelope_response(request, BacktestEquityEnvelope, equity)


@router.get("/backtests/{backtest_id}/trades", operation_id="listBacktestTrades")
async def list_backtest_trades(
    request: Request,
    state: StateDep,
    backtest_id: BacktestIdParam,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,9}$")] = None,
) -> Response:
    page = await asyncio.to_thread(service.trades, state, backtest_id.lower(), limit, cursor)
    return envelope_response(request, BacktestTradePageEnvelope, page)


@router.get("/dashboard", operation_id="getDashboard")
async def get_dashboard(request: Request, state: StateDep) -> Response:
    payload, cached = await cached_payload(
        state, "dashboard", "dashboard", lambda: data_json(service.dashboard(state))
    )
    return envelope_response(request, DashboardEnvelope, payload, cached=cached)


@router.get("/benchmark", operation_id="getBenchmark")
async def get_benchmark(
    request: Request,
    state: StateDep,
    name: Annotated[str, Query(pattern=TICKER_PATTERN)] = "SP500",
    start: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
    end: Annotated[str | None, Query(pattern=DATE_PATTERN)] = None,
) -> Response:
    first, last = query_date("start", start), query_date("end", end)
    payload, cached = await cached_payload(
        state,
        "benchmark",
        f"benchmark|{name}|{first}|{last}",
        lambda: data_json(service.benchmark(state, name, first, last)),
    )
    return envelope_response(request, BenchmarkEnvelope, payload, cached=cached)
