"""The autopilot and the paper account at the edge: engine state as generated models.

Blocking (SQLite, file reads): call off the event loop.
"""

from __future__ import annotations

import datetime as dt

from qe_contract.models import (
    AutopilotConfig,
    AutopilotCycle,
    AutopilotMode,
    AutopilotState,
    AutopilotStep,
    AutopilotStepStatus,
    JobStatus,
    PaperAccount,
    PaperEquity,
    PaperMark,
    PaperOrder,
    PaperOrderPage,
    PaperOrderStatus,
    PaperPosition,
    PaperPositionList,
    TradingConfig,
    TrainParams,
)

from quant_engine.api.state import AppState
from quant_engine.autopilot.cycle import TRADING_FIELDS, CycleRecord
from quant_engine.core.errors import NotFoundError
from quant_engine.jobs.catalog import AUTOPILOT

CYCLES_SHOWN = 20


def _cycle(state: AppState, record: CycleRecord) -> AutopilotCycle:
    job = state.job_store.get(record.job_id)
    # the job store is the truth about how a cycle ended (a killed one is INTERRUPTED)
    status = job.status if job is not None else record.status
    error = record.error
    if job is not None and job.error is not None:
        error = f"{job.error.code}: {job.error.message}"
    steps = [AutopilotStep.model_validate(step) for step in record.steps]
    if job is not None and status in ("failed", "cancelled"):
        # a killed cycle never recorded how its unfinished steps ended
        ended = AutopilotStepStatus(status)
        unfinished = (AutopilotStepStatus.running, AutopilotStepStatus.pending)
        for step in steps:
            if step.status in unfinished:
                step.status = ended
    return AutopilotCycle(
        job_id=record.job_id,
        status=JobStatus(status),
        as_of=record.as_of,
        mode=AutopilotMode(record.mode),
        started_at=record.started_at,
        finished_at=record.finished_at or (job.finished_at if job is not None else None),
        steps=steps,
        error=error,
    )


def autopilot_state(state: AppState, now: dt.datetime) -> AutopilotState:
    autopilot = state.autopilot
    config = autopilot.config()
    dates = autopilot.trading_days()
    as_of, message = autopilot.as_of_on(dates, config)
    next_run: dt.datetime | None = None
    if config.enabled:
        last = autopilot.last_run_at()
        next_run = (
            now if last is None else max(now, last + dt.timedelta(seconds=config.interval_seconds))
        )
    return AutopilotState(
        config=AutopilotConfig(
            enabled=config.enabled,
            mode=AutopilotMode(config.mode),
            interval_seconds=config.interval_seconds,
            replay_start=config.replay_start,
            step_days=config.step_days,
            training=TrainParams.model_validate(dict(config.training)),
            trading=TradingConfig(
                **{name: getattr(config.trading, name) for name in TRADING_FIELDS}
            ),
        ),
        as_of=as_of,
        last_stored_date=dates[-1] if dates else None,
        next_run_at=next_run,
        running_job_id=state.runner.active_job(AUTOPILOT),
        champion=state.research.governance.champion(),
        challenger=state.monitor.challenger(),
        cycles=[_cycle(state, record) for record in autopilot.cycles(CYCLES_SHOWN)],
        message=message,
    )


def paper_account(state: AppState) -> PaperAccount:
    paper = state.autopilot.paper
    if not paper.exists():
        raise NotFoundError("no paper account yet: run an autopilot cycle")
    summary = paper.summary()
    capital = summary.initial_capital
    return PaperAccount(
        start_date=summary.start_date,
        as_of=summary.as_of,
        initial_capital=capital,
        cash=summary.cash,
        equity=summary.equity,
        gross_equity=summary.gross_equity,
        exposure=summary.exposure,
        positions=summary.positions,
        pnl=summary.net_pnl,
        gross_pnl=summary.gross_pnl,
        return_pct=100.0 * summary.net_pnl / capital,
        trading=TradingConfig(**{name: getattr(summary.rules, name) for name in TRADING_FIELDS}),
    )


def paper_positions(state: AppState) -> PaperPositionList:
    paper = state.autopilot.paper
    if not paper.exists():
        return PaperPositionList(items=[])
    return PaperPositionList(
        items=[
            PaperPosition(
                ticker=p.ticker,
                shares=p.shares,
                entry_date=p.entry_date,
                entry_price=p.entry_price,
                signal_date=p.signal_date,
                exit_in_trading_days=p.exit_due_trading_days,
                last_close=p.last_close,
                market_value=p.market_value,
            )
            for p in paper.positions()
        ]
    )


def paper_orders(state: AppState, limit: int, cursor: str | None) -> PaperOrderPage:
    paper = state.autopilot.paper
    page = paper.orders(limit, cursor)
    return PaperOrderPage(
        items=[
            PaperOrder(
                order_id=o.order_id,
                signal_date=o.signal_date,
                ticker=o.ticker,
                notional=o.notional,
                status=PaperOrderStatus(o.status),
                fill_date=o.fill_date,
                fill_price=o.fill_price,
            )
            for o in page.items
        ],
        next_cursor=page.next_cursor,
    )


def paper_equity(state: AppState) -> PaperEquity:
    paper = state.autopilot.paper
    marks = paper.marks() if paper.exists() else ()
    return PaperEquity(
        benchmark=state.autopilot.benchmark_name(),
        points=[
            PaperMark(
                date=m.date,
                equity=m.equity,
                gross_equity=m.gross_equity,
                cash=m.cash,
                exposure=m.exposure,
                positions=m.positions,
                benchmark=m.benchmark,
            )
            for m in marks
        ],
    )
