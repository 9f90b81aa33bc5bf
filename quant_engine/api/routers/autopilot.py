"""The autopilot (state, run, configuration) and the paper account it trades."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import Query, Request
from qe_contract.models import (
    AutopilotConfigUpdate,
    AutopilotRunRequest,
    AutopilotStateEnvelope,
    PaperAccountEnvelope,
    PaperEquityEnvelope,
    PaperOrderPageEnvelope,
    PaperPositionListEnvelope,
    PaperReset,
    PaperResetEnvelope,
    PaperResetRequest,
    TrainRequest,
)
from starlette.responses import Response

from quant_engine.api.bodies import parse_body
from quant_engine.api.deps import PrincipalDep, StateDep, api_router
from quant_engine.api.envelope import envelope_response
from quant_engine.api.services import autopilot as service
from quant_engine.api.services.research import train_params
from quant_engine.api.submit import submit_job
from quant_engine.core.errors import ConflictError, ErrorDetail, ValidationFailedError
from quant_engine.jobs.catalog import AUTOPILOT

router = api_router()
ORDER_CURSOR = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}:[A-Z][A-Z0-9.\-]{0,14}$"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@router.get("/autopilot", operation_id="getAutopilotState")
async def get_autopilot_state(request: Request, state: StateDep) -> Response:
    data = await asyncio.to_thread(service.autopilot_state, state, _now())
    return envelope_response(request, AutopilotStateEnvelope, data)


def _refuse_second_cycle(state: Any) -> None:
    running = state.runner.active_job(AUTOPILOT)
    if running is not None:
        raise ConflictError(f"an autopilot cycle is already queued or running: job {running}")


@router.post("/autopilot/run", operation_id="runAutopilot", status_code=202)
async def run_autopilot(request: Request, state: StateDep, principal: PrincipalDep) -> Response:
    raw = await request.body()
    body = (
        await asyncio.to_thread(parse_body, AutopilotRunRequest, raw)
        if raw.strip()
        else AutopilotRunRequest()
    )
    skip = [step.value for step in body.skip]
    if len(set(skip)) != len(skip):
        raise ValidationFailedError(
            "skip must not repeat a step", [ErrorDetail(("body", "skip"), "items must be unique")]
        )
    async with state.autopilot_admission:
        _refuse_second_cycle(state)
        return await submit_job(
            request, state, principal, AUTOPILOT, {"skip": skip, "trigger": "manual"}
        )


@router.put("/autopilot/config", operation_id="updateAutopilotConfig")
async def update_autopilot_config(request: Request, state: StateDep) -> Response:
    body = await asyncio.to_thread(parse_body, AutopilotConfigUpdate, await request.body())
    changes: dict[str, Any] = {}
    for name in ("enabled", "interval_seconds", "replay_start", "step_days"):
        if name in body.model_fields_set:
            changes[name] = getattr(body, name)
    if "mode" in body.model_fields_set and body.mode is not None:
        changes["mode"] = body.mode.value
    if body.training is not None:
        if body.training.end is not None:
            raise ValidationFailedError(
                "training.end is set by the autopilot's clock",
                [ErrorDetail(("body", "training", "end"), "not allowed: set by the clock")],
            )
        changes["training"] = train_params(TrainRequest.model_validate(body.training))
    if body.trading is not None:
        changes["trading"] = body.trading.model_dump(exclude_unset=True)
    for key in ("enabled", "interval_seconds", "step_days"):
        if key in changes and changes[key] is None:
            raise ValidationFailedError(
                f"{key} must not be null", [ErrorDetail(("body", key), "must not be null")]
            )
    await asyncio.to_thread(state.autopilot.update_config, changes)
    data = await asyncio.to_thread(service.autopilot_state, state, _now())
    return envelope_response(request, AutopilotStateEnvelope, data)


@router.get("/paper/account", operation_id="getPaperAccount")
async def get_paper_account(request: Request, state: StateDep) -> Response:
    data = await asyncio.to_thread(service.paper_account, state)
    return envelope_response(request, PaperAccountEnvelope, data)


@router.get("/paper/positions", operation_id="listPaperPositions")
async def list_paper_positions(request: Request, state: StateDep) -> Response:
    data = await asyncio.to_thread(service.paper_positions, state)
    return envelope_response(request, PaperPositionListEnvelope, data)


@router.get("/paper/orders", operation_id="listPaperOrders")
async def list_paper_orders(
    request: Request,
    state: StateDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(pattern=ORDER_CURSOR)] = None,
) -> Response:
    data = await asyncio.to_thread(service.paper_orders, state, limit, cursor)
    return envelope_response(request, PaperOrderPageEnvelope, data)


@router.get("/paper/equity", operation_id="getPaperEquity")
async def get_paper_equity(request: Request, state: StateDep) -> Response:
    data = await asyncio.to_thread(service.paper_equity, state)
    return envelope_response(request, PaperEquityEnvelope, data)


@router.post("/paper/reset", operation_id="resetPaperAccount")
async def reset_paper_account(request: Request, state: StateDep) -> Response:
    await asyncio.to_thread(parse_body, PaperResetRequest, await request.body())
    async with state.autopilot_admission:
        _refuse_second_cycle(state)
        await asyncio.to_thread(state.autopilot.paper.reset)
    return envelope_response(request, PaperResetEnvelope, PaperReset(reset=True))
