"""``getHealth`` and ``listLogs``."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Query, Request
from qe_contract.models import (
    Health,
    HealthComponent,
    HealthEnvelope,
    HealthStatus,
    JobCounts,
    LogLevel,
    LogLevelFilter,
    LogList,
    LogListEnvelope,
    LogRecord,
)
from starlette.responses import Response

from quant_engine import __version__
from quant_engine.api.deps import StateDep, api_router
from quant_engine.api.envelope import envelope_response
from quant_engine.api.state import AppState
from quant_engine.core.errors import ArtifactCorruptError, UnavailableError

router = api_router()


def _components(state: AppState) -> list[HealthComponent]:
    """Market data (a readable committed manifest) and the model registry (readable)."""
    data_problem: str | None = None
    try:
        if state.store.manifest() is None:
            data_problem = "no data imported yet"
    except ArtifactCorruptError as error:
        data_problem = error.message
    registry_problem: str | None = None
    try:
        state.research.registry.check_readable()
    except UnavailableError as error:
        registry_problem = error.message
    return [
        HealthComponent(
            name=name,
            status=HealthStatus.ok if problem is None else HealthStatus.degraded,
            message=problem,
        )
        for name, problem in (("data", data_problem), ("registry", registry_problem))
    ]


@router.get("/health", operation_id="getHealth")
async def get_health(request: Request, state: StateDep) -> Response:
    components = await asyncio.to_thread(_components, state)
    degraded = any(component.status is HealthStatus.degraded for component in components)
    health = Health(
        status=HealthStatus.degraded if degraded else HealthStatus.ok,
        components=components,
        service_version=__version__,
        contract_version=state.contract.version,
        uptime_seconds=round(state.uptime_seconds, 3),
        auth_enabled=state.settings.auth_enabled,
        jobs=JobCounts(
            running=state.runner.running_count,
            queued=state.runner.waiting_count,
            event_subscribers=state.runner.subscriber_count(),
        ),
    )
    return envelope_response(request, HealthEnvelope, health)


@router.get("/logs", operation_id="listLogs")
async def list_logs(
    request: Request,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    level: Annotated[LogLevelFilter, Query()] = LogLevelFilter.debug,
) -> Response:
    entries = await asyncio.to_thread(state.log_buffer.recent, limit, level.value)
    records = [
        LogRecord(
            timestamp=entry.timestamp,
            level=LogLevel(entry.level),
            logger=entry.logger,
            message=entry.message,
            request_id=entry.request_id,
        )
        for entry in entries
    ]
    data = LogList(records=records, buffer_size=state.log_buffer.capacity)
    return envelope_response(request, LogListEnvelope, data)
