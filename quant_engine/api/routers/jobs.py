"""Job operations: list, get, cancel, and the live event stream."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

from fastapi import Query, Request
from qe_contract.models import JobEnvelope, JobPage, JobPageEnvelope, JobStatus, JobType
from starlette.responses import Response, StreamingResponse

from quant_engine.api.deps import PrincipalDep, StateDep, api_router
from quant_engine.api.envelope import envelope_response
from quant_engine.api.services.jobs import check_may_cancel, job_event_stream, wire_job

router = api_router()


@router.get("/jobs", operation_id="listJobs")
async def list_jobs(
    request: Request,
    state: StateDep,
    status: Annotated[JobStatus | None, Query()] = None,
    job_type: Annotated[JobType | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
) -> Response:
    records = await asyncio.to_thread(
        state.job_store.page,
        status=status.value if status else None,
        job_type=job_type.value if job_type else None,
        limit=limit + 1,
        before_seq=int(cursor) if cursor is not None else None,
    )
    page = records[:limit]
    next_cursor = str(page[-1].seq) if len(records) > limit else None
    data = JobPage(items=[wire_job(record) for record in page], next_cursor=next_cursor)
    return envelope_response(request, JobPageEnvelope, data)


@router.get("/jobs/{job_id}", operation_id="getJob")
async def get_job(request: Request, state: StateDep, job_id: UUID) -> Response:
    record = await state.runner.get(str(job_id))
    return envelope_response(request, JobEnvelope, wire_job(record))


@router.post("/jobs/{job_id}/cancel", operation_id="cancelJob")
async def cancel_job(
    request: Request, state: StateDep, principal: PrincipalDep, job_id: UUID
) -> Response:
    record = await state.runner.get(str(job_id))
    check_may_cancel(principal, record)
    cancelled = await state.runner.cancel(str(job_id))
    return envelope_response(request, JobEnvelope, wire_job(cancelled))


@router.get("/jobs/{job_id}/events", operation_id="streamJobEvents")
async def stream_job_events(state: StateDep, job_id: UUID) -> StreamingResponse:
    await state.runner.get(str(job_id))  # 404 in the envelope before the stream starts
    return StreamingResponse(
        job_event_stream(state.runner, str(job_id), state.settings.sse_keepalive_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
