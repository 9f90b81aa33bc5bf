"""The app factory: ``create_app(settings)`` builds one independent service."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, JSONResponse

from quant_engine import __version__
from quant_engine.api.auth import TokenVerifier
from quant_engine.api.cache import CacheDomain, MemoryCache
from quant_engine.api.contract import Contract, load_contract
from quant_engine.api.deps import API_PREFIX
from quant_engine.api.errors import install_error_handlers
from quant_engine.api.middleware import RequestContextMiddleware
from quant_engine.api.routers import abtests, data, health, jobs, pricing, research, system
from quant_engine.api.routers import autopilot as autopilot_routes
from quant_engine.api.routers import backtests as backtests_routes
from quant_engine.api.services.health import snapshot
from quant_engine.api.state import AppState
from quant_engine.api.ui import DEFAULT_UI_DIR, install_ui
from quant_engine.autopilot.ab_lab import AbLab
from quant_engine.autopilot.cycle import Autopilot
from quant_engine.backtest.lab import BacktestLab
from quant_engine.core import logbuffer
from quant_engine.core.errors import ArtifactCorruptError, QueueFullError, UnavailableError
from quant_engine.core.settings import Settings
from quant_engine.core.tasks import TaskSupervisor
from quant_engine.data import Store
from quant_engine.jobs import JobEvent, JobRunner, JobStore
from quant_engine.jobs.catalog import (
    AUTOPILOT,
    BACKTEST,
    DATA_REFRESH,
    EXCLUSIVE_JOB_TYPES,
    PREDICT,
    TRAIN,
    autopilot_job,
    backtest_job,
    data_refresh_job,
    predict_job,
    refresh_source,
    train_job,
)
from quant_engine.models.monitoring import Monitor
from quant_engine.models.research import Research
from quant_engine.tracking import open_trackers

__all__ = ["API_PREFIX", "create_app"]
JOBS_DATABASE = "jobs.sqlite3"
RESEARCH_DOMAINS: tuple[CacheDomain, ...] = ("signals", "feature_importance", "dashboard")
logger = logging.getLogger("quant_engine.api")


def _build_state(settings: Settings, contract: Contract) -> AppState:
    """Create every runtime resource (blocking: SQLite and folders; call off the loop)."""
    for folder in (settings.home, settings.state_dir, settings.store_dir):
        folder.mkdir(parents=True, exist_ok=True)
    store = Store(settings.store_dir)
    research = Research(store, settings.home)
    backtests = BacktestLab(research, settings.home)
    job_store = JobStore(settings.state_dir / JOBS_DATABASE)
    supervisor = TaskSupervisor()
    trackers = open_trackers(settings.state_dir)  # opens no file: a corrupt one is reported
    monitor = Monitor(
        research, trackers.ic, trackers.disagreement, top_n=settings.disagreement_top_n
    )
    autopilot = Autopilot(
        research,
        monitor,
        trackers.execution,
        settings.state_dir,
        refresh=refresh_source(store, settings.data_dir),
        default_mode="replay" if settings.data_dir is None else "live",
    )
    runner = JobRunner(
        job_store,
        {
            AUTOPILOT: autopilot_job(autopilot),
            DATA_REFRESH: data_refresh_job(store, settings.data_dir, monitor),
            TRAIN: train_job(research),
            PREDICT: predict_job(research, monitor),
            BACKTEST: backtest_job(backtests),
        },
        max_concurrent=settings.max_concurrent_jobs,
        max_queued=settings.max_queued,
        supervisor=supervisor,
        exclusive_types=EXCLUSIVE_JOB_TYPES,
        expose_errors=settings.env == "dev",
    )
    return AppState(
        settings=settings,
        contract=contract,
        log_buffer=logbuffer.RingBufferHandler(settings.log_buffer_size),
        verifier=TokenVerifier(settings) if settings.auth_enabled else None,
        store=store,
        research=research,
        backtests=backtests,
        cache=MemoryCache(settings.cache_max_entries, settings.cache_ttl_seconds),
        job_store=job_store,
        runner=runner,
        tasks=supervisor,
        trackers=trackers,
        monitor=monitor,
        abtests=AbLab(research, settings.state_dir),
        autopilot=autopilot,
    )


async def _start_services(state: AppState) -> None:
    """Recover jobs, wire cache invalidation, and import data when the store is empty."""
    cache = state.cache

    def on_job_event(event: JobEvent) -> None:
        # A failed refresh may have committed too (ITEMS_FAILED): clear on every ending.
        if event.record.job_type == DATA_REFRESH and event.record.is_terminal:
            dropped = cache.invalidate_on_data_refresh()
            logger.info("data refreshed: %d cached response(s) invalidated", dropped)
        if event.name != "progress":  # the dashboard counts jobs by status
            cache.invalidate(("dashboard",))
        if event.record.job_type == AUTOPILOT and event.record.is_terminal:
            cache.invalidate_on_data_refresh()  # a live cycle may have imported data
        if (
            event.record.job_type in (TRAIN, PREDICT, BACKTEST, AUTOPILOT)
            and event.record.is_terminal
        ):
            # a training may change the champion; signals are new: drop what depends on them
            cache.invalidate(RESEARCH_DOMAINS)

    state.runner.add_listener(on_job_event)
    cache.invalidate_on_data_refresh()
    await state.runner.start()
    state.tasks.spawn(_snapshotter(state), name="health-snapshotter")
    state.tasks.spawn(_scheduler(state), name="autopilot-scheduler")
    if state.settings.auto_import and await asyncio.to_thread(_needs_initial_import, state):
        record = await state.runner.submit(DATA_REFRESH, {"force": False}, owner=None)
        logger.info("store is empty or stale: started data refresh job %s", record.job_id)


async def _snapshotter(state: AppState) -> None:
    """Store a status snapshot at startup and every ``QE_HEALTH_INTERVAL_S`` seconds.

    A snapshot that cannot be stored (the history database is locked or corrupt) is
    logged and the next one is tried on schedule.
    """
    interval = state.settings.health_interval_s
    while True:
        try:
            await asyncio.to_thread(snapshot, state, dt.datetime.now(dt.UTC))
        except UnavailableError as error:
            logger.warning("health snapshot not stored: %s", error.message)
        await asyncio.sleep(interval)


SCHEDULER_TICK_SECONDS = 1.0


async def _scheduler(state: AppState) -> None:
    """Start an autopilot cycle every ``interval_seconds`` while it is enabled (none while
    one is queued or running). Reads the persisted configuration each tick, so a change
    takes effect within a second."""
    while True:
        await asyncio.sleep(SCHEDULER_TICK_SECONDS)
        try:
            config = await asyncio.to_thread(state.autopilot.config)
            if not config.enabled:
                continue
            now = dt.datetime.now(dt.UTC)
            last = await asyncio.to_thread(state.autopilot.last_run_at)
            if last is not None and now < last + dt.timedelta(seconds=config.interval_seconds):
                continue
            async with state.autopilot_admission:
                if state.runner.active_job(AUTOPILOT) is not None:
                    continue
                record = await state.runner.submit(
                    AUTOPILOT, {"skip": [], "trigger": "schedule"}, owner=None
                )
            await asyncio.to_thread(state.autopilot.mark_run, now)
            logger.info("autopilot: scheduled cycle %s", record.job_id)
        except (ArtifactCorruptError, QueueFullError) as error:
            logger.warning("autopilot: no cycle started: %s", error.message)


def _needs_initial_import(state: AppState) -> bool:
    """True when the store holds no data, or data from another source than configured."""
    try:
        manifest = state.store.manifest()
    except ArtifactCorruptError as error:
        logger.warning("data manifest unreadable, re-importing: %s", error.message)
        return True
    if manifest is None:
        return True
    wanted_mode = "sample" if state.settings.data_dir is None else "directory"
    if manifest.data_mode != wanted_mode:
        return True
    if state.settings.data_dir is not None:
        return manifest.source != str(state.settings.data_dir.resolve())
    return False


def _lifespan(settings: Settings, contract: Contract) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await asyncio.to_thread(_build_state, settings, contract)
        logbuffer.attach(state.log_buffer, settings.log_level)
        app.state.qe = state
        try:
            await _start_services(state)
            # What startup allocated lives as long as the app: collect the garbage, then
            # move the rest out of the collector's sight so full collections during large
            # requests stay cheap (undone at shutdown).
            gc.collect()
            gc.freeze()
            logger.info(
                "quant_engine %s started (home=%s, auth=%s)",
                __version__,
                settings.home,
                "on" if settings.auth_enabled else "off",
            )
            yield
        finally:
            gc.unfreeze()
            await state.runner.stop()
            await state.tasks.shutdown()
            await asyncio.to_thread(state.job_store.close)
            logger.info("quant_engine stopped")
            logbuffer.detach(state.log_buffer)
            app.state.qe = None

    return lifespan


def _add_api_routes(app: FastAPI) -> None:
    # Routes are appended as they are (prefix and auth dependency already applied by
    # ``api_router()``), so ``app.routes`` lists every operation directly.
    for router in (
        system.router,
        pricing.router,
        data.router,
        jobs.router,
        research.router,
        backtests_routes.router,
        health.router,
        abtests.router,
        autopilot_routes.router,
    ):
        app.router.routes.extend(router.routes)


def _add_contract_routes(app: FastAPI, contract: Contract) -> None:
    async def openapi_document() -> JSONResponse:
        return JSONResponse(contract.document)

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="quant_engine API")

    app.add_api_route("/openapi.json", openapi_document, include_in_schema=False)
    app.add_api_route("/docs", swagger_ui, include_in_schema=False)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build an app; nothing is started or attached until its lifespan runs."""
    settings = settings or Settings()
    contract = load_contract()
    app = FastAPI(
        title="quant_engine",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(settings, contract),
    )
    install_error_handlers(app)
    _add_api_routes(app)
    _add_contract_routes(app, contract)
    install_ui(app, settings.ui_dir or DEFAULT_UI_DIR)  # last: its catch-all route
    # add_middleware wraps: the last added is outermost. CORS goes outside the request
    # context so the envelopes that middleware writes itself (413, 500) carry CORS headers.
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        dev=settings.env == "dev",
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Location"],
        )
    return app
