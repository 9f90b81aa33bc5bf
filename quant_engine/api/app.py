"""The app factory: ``create_app(settings)`` builds one independent service."""

from __future__ import annotations

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
from quant_engine.api.contract import Contract, load_contract
from quant_engine.api.deps import API_PREFIX
from quant_engine.api.errors import install_error_handlers
from quant_engine.api.middleware import RequestContextMiddleware
from quant_engine.api.routers import system
from quant_engine.api.state import AppState
from quant_engine.core import logbuffer
from quant_engine.core.settings import Settings

__all__ = ["API_PREFIX", "create_app"]
logger = logging.getLogger("quant_engine.api")


def _build_state(settings: Settings, contract: Contract) -> AppState:
    for folder in (settings.home, settings.state_dir, settings.store_dir):
        folder.mkdir(parents=True, exist_ok=True)
    return AppState(
        settings=settings,
        contract=contract,
        log_buffer=logbuffer.RingBufferHandler(settings.log_buffer_size),
        verifier=TokenVerifier(settings) if settings.auth_enabled else None,
    )


def _lifespan(settings: Settings, contract: Contract) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = _build_state(settings, contract)
        logbuffer.attach(state.log_buffer, settings.log_level)
        app.state.qe = state
        logger.info(
            "quant_engine %s started (home=%s, auth=%s)",
            __version__,
            settings.home,
            "on" if settings.auth_enabled else "off",
        )
        try:
            yield
        finally:
            await state.tasks.shutdown()
            logger.info("quant_engine stopped")
            logbuffer.detach(state.log_buffer)
            app.state.qe = None

    return lifespan


def _add_api_routes(app: FastAPI) -> None:
    # Routes are appended as they are (prefix and auth dependency already applied by
    # ``api_router()``), so ``app.routes`` lists every operation directly.
    for router in (system.router,):
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
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Location"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        dev=settings.env == "dev",
    )
    return app
