"""Model health and tracking: quick status, model age, status history, IC and
disagreement series."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import Query, Request
from qe_contract.models import (
    DisagreementHistoryEnvelope,
    HealthHistoryEnvelope,
    IcHistoryEnvelope,
    ModelAgeEnvelope,
    QuickStatusEnvelope,
    StatusComponentName,
)
from starlette.responses import Response

from quant_engine.api.deps import DATETIME_PATTERN, StateDep, api_router, query_datetime
from quant_engine.api.envelope import envelope_response
from quant_engine.api.routers.research import HorizonParam
from quant_engine.api.services import health as service

router = api_router()

VERSION_REF = r"^(v[1-9][0-9]{0,8}|champion)$"
VERSION_NAME = r"^v[1-9][0-9]{0,8}$"
WindowParam = Annotated[int, Query(ge=1, le=252)]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.get("/health/status", operation_id="getQuickStatus")
async def get_quick_status(request: Request, state: StateDep) -> Response:
    status = await asyncio.to_thread(service.quick_status, state, _now())
    return envelope_response(request, QuickStatusEnvelope, status)


@router.get("/health/model-age", operation_id="getModelAge")
async def get_model_age(request: Request, state: StateDep) -> Response:
    age = await asyncio.to_thread(service.model_age, state.research, _now())
    return envelope_response(request, ModelAgeEnvelope, age)


@router.get("/health/history", operation_id="getHealthHistory")
async def get_health_history(
    request: Request,
    state: StateDep,
    component: StatusComponentName,
    since: Annotated[str | None, Query(pattern=DATETIME_PATTERN)] = None,
    until: Annotated[str | None, Query(pattern=DATETIME_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=110_000)] = 5000,
) -> Response:
    start, end = query_datetime("since", since), query_datetime("until", until)
    history = await asyncio.to_thread(
        lambda: service.health_history(
            state, component, since=start, until=end, limit=limit, now=_now()
        )
    )
    return envelope_response(request, HealthHistoryEnvelope, history)


@router.get("/tracking/ic", operation_id="getIcHistory")
async def get_ic_history(
    request: Request,
    state: StateDep,
    version: Annotated[str | None, Query(pattern=VERSION_REF)] = None,
    horizon: HorizonParam = None,
    window: WindowParam = 20,
) -> Response:
    history = await asyncio.to_thread(service.ic_history, state, version, horizon, window)
    return envelope_response(request, IcHistoryEnvelope, history)


@router.get("/tracking/disagreement", operation_id="getDisagreement")
async def get_disagreement(
    request: Request,
    state: StateDep,
    champion: Annotated[str | None, Query(pattern=VERSION_REF)] = None,
    challenger: Annotated[str | None, Query(pattern=VERSION_NAME)] = None,
    horizon: HorizonParam = None,
    window: WindowParam = 20,
) -> Response:
    history = await asyncio.to_thread(
        service.disagreement_history, state, champion, challenger, horizon, window
    )
    return envelope_response(request, DisagreementHistoryEnvelope, history)
