"""Backtests and the dashboard at the edge: requests filled in, results validated into
the generated models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from qe_contract.models import (
    BacktestEquity,
    BacktestPage,
    BacktestRequest,
    BacktestSummary,
    BacktestTradePage,
    BenchmarkSeries,
    DashboardKPIs,
    LightGBMParams,
    RiskSettings,
    WalkForwardSettings,
)

from quant_engine.api.services.research import require_unique, validated
from quant_engine.api.state import AppState
from quant_engine.backtest.lab import WALK_FORWARD
from quant_engine.core.errors import (
    ErrorDetail,
    NotFoundError,
    UnavailableError,
    ValidationFailedError,
)
from quant_engine.features import load_panel


def backtest_params(request: BacktestRequest) -> dict[str, Any]:
    """The request with every default filled in: the ``backtest`` job's ``BacktestParams``.

    ``walk_forward`` settings with a registry version are a 422 (they would be ignored).
    """
    require_unique("tickers", list(request.tickers) if request.tickers is not None else None)
    walk_forward: dict[str, Any] | None = None
    if request.version == WALK_FORWARD:
        settings = request.walk_forward or WalkForwardSettings()
        lightgbm = settings.lightgbm or LightGBMParams()
        walk_forward = {
            **settings.model_dump(mode="json"),
            "lightgbm": lightgbm.model_dump(mode="json"),
        }
    elif request.walk_forward is not None:
        raise ValidationFailedError(
            "walk_forward settings apply only to version walk_forward",
            [
                ErrorDetail(
                    loc=("body", "walk_forward"), msg=f"not allowed with version {request.version}"
                )
            ],
        )
    if request.risk is not None and not request.risk_management:
        raise ValidationFailedError(
            "risk settings apply only with risk_management true",
            [ErrorDetail(loc=("body", "risk"), msg="not allowed with risk_management false")],
        )
    risk = request.risk or RiskSettings()
    # a defaulted enum field holds its plain default string: no serializer warning for it
    params = request.model_dump(mode="json", warnings=False)
    params.update(
        walk_forward=walk_forward,
        tickers=list(request.tickers) if request.tickers is not None else None,
        end=request.end.isoformat() if request.end is not None else None,
        risk=risk.model_dump(mode="json"),
    )
    return params


def backtest_page(state: AppState, limit: int, cursor: str | None) -> BacktestPage:
    return validated(BacktestPage, state.backtests.list(limit, cursor), "backtest list")


def summary(state: AppState, backtest_id: str) -> BacktestSummary:
    return validated(
        BacktestSummary, state.backtests.summary(backtest_id), f"backtest {backtest_id}"
    )


def equity(state: AppState, backtest_id: str) -> BacktestEquity:
    document = state.backtests.equity(backtest_id)
    return validated(BacktestEquity, document, f"equity of {backtest_id}")


def trades(state: AppState, backtest_id: str, limit: int, cursor: str | None) -> BacktestTradePage:
    document = state.backtests.trades(backtest_id, limit, cursor)
    return validated(BacktestTradePage, document, f"trades of {backtest_id}")


def _business_days_stale(last: dt.date) -> int:
    today = dt.datetime.now(dt.UTC).date()
    return max(0, int(np.busday_count(last, today)))


def dashboard(state: AppState) -> DashboardKPIs:
    """Champion, latest backtest, data freshness, jobs by status, backtests on this data."""
    manifest = state.store.manifest()
    champion: dict[str, Any] | None = None
    try:
        name = state.research.governance.champion()
        if name is not None:
            version = state.research.registry.load(name)
            overall = version.horizons[0].overall
            champion = {
                "version": name,
                "rank_ic": float(overall.rank_ic) if np.isfinite(overall.rank_ic) else None,
                "icir": float(overall.icir) if np.isfinite(overall.icir) else None,
                "training_end": version.training_window[1].isoformat(),
            }
    except (UnavailableError, NotFoundError):
        champion = None
    latest = state.backtests.latest()
    last_date = (
        max(info.last_date for info in manifest.tickers.values())
        if manifest and manifest.tickers
        else None
    )
    document = {
        "champion": champion,
        "latest_backtest": None
        if latest is None
        else {
            "backtest_id": latest["backtest_id"],
            "created_at": latest["created_at"],
            "net_sharpe": latest["net"]["sharpe"],
            "net_cagr": latest["net"]["cagr"],
            "net_max_drawdown": latest["net"]["max_drawdown"],
        },
        "data": {
            "data_mode": manifest.data_mode if manifest else None,
            "last_date": last_date.isoformat() if last_date else None,
            "business_days_stale": _business_days_stale(last_date) if last_date else None,
        },
        "jobs": state.job_store.status_counts(),
        "backtests_on_data": state.backtests.store.runs_on(manifest.universe_fingerprint)
        if manifest
        else 0,
    }
    return validated(DashboardKPIs, document, "dashboard")


def benchmark(
    state: AppState, name: str, start: dt.date | None, end: dt.date | None
) -> BenchmarkSeries:
    """A stored series' closes, or the equal-weighted stocks when ``name`` is not stored."""
    manifest = state.store.manifest()
    if manifest is None:
        raise UnavailableError("no market data imported yet")
    info = manifest.tickers.get(name)
    if info is not None:
        bars = state.store.bars(name, start, end)
        points = [
            {"date": str(day), "close": float(close)}
            for day, close in zip(bars.date, bars.close, strict=True)
        ]
        return validated(BenchmarkSeries, {"name": name, "points": points}, "benchmark")
    panel = load_panel(state.store, benchmark=name)
    keep = np.isfinite(panel.benchmark)
    if start is not None:
        keep &= panel.dates >= np.datetime64(start, "D")
    if end is not None:
        keep &= panel.dates <= np.datetime64(end, "D")
    points = [
        {"date": str(day), "close": float(level)}
        for day, level in zip(panel.dates[keep], panel.benchmark[keep], strict=True)
    ]
    return validated(BenchmarkSeries, {"name": panel.benchmark_name, "points": points}, "benchmark")
