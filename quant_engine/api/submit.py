"""Submitting a job from a compute route: 202 with the job and its ``Location``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qe_contract.models import JobEnvelope
from starlette.requests import Request
from starlette.responses import Response

from quant_engine.api.auth import Principal
from quant_engine.api.deps import API_PREFIX
from quant_engine.api.envelope import envelope_response
from quant_engine.api.services.jobs import wire_job
from quant_engine.api.state import AppState


async def submit_job(
    request: Request,
    state: AppState,
    principal: Principal | None,
    job_type: str,
    params: Mapping[str, Any],
) -> Response:
    """Queue ``job_type`` with ``params`` for the caller; answer 202 with the job."""
    record = await state.runner.submit(
        job_type, dict(params), owner=principal.subject if principal else None
    )
    return envelope_response(
        request,
        JobEnvelope,
        wire_job(record),
        status_code=202,
        headers={"Location": f"{API_PREFIX}/jobs/{record.job_id}"},
    )
