"""A/B tests: create, list, read with their evaluation, stop."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Path, Request
from qe_contract.models import (
    AbArm,
    AbArmDay,
    AbArmResult,
    AbStatistics,
    AbTest,
    AbTestDetail,
    AbTestDetailEnvelope,
    AbTestEnvelope,
    AbTestList,
    AbTestListEnvelope,
    AbTestRequest,
    AbTestStatus,
)
from starlette.responses import Response

from quant_engine.api.bodies import parse_body
from quant_engine.api.deps import API_PREFIX, StateDep, api_router
from quant_engine.api.envelope import envelope_response
from quant_engine.autopilot import ab
from quant_engine.autopilot.ab_lab import AbEvaluation

router = api_router()
TestIdParam = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def _wire(test: ab.AbTest) -> AbTest:
    return AbTest(
        test_id=test.test_id,
        name=test.name,
        status=AbTestStatus(test.status),
        arms=[
            AbArm(index=index, version=arm.version, weight=arm.weight)
            for index, arm in enumerate(test.arms)
        ],
        salt=test.salt,
        horizon=test.horizon,
        top_n=test.top_n,
        created_at=test.created_at,
        stopped_at=test.stopped_at,
    )


def _detail(evaluation: AbEvaluation) -> AbTestDetail:
    stats = evaluation.statistics
    return AbTestDetail(
        test=_wire(evaluation.test),
        assignments=evaluation.assignments,
        arms=[
            AbArmResult(
                index=arm.index,
                version=arm.version,
                weight=arm.weight,
                tickers=arm.tickers,
                days=[
                    AbArmDay(
                        date=day.date,
                        mean_return=day.mean_return,
                        names=day.names,
                        rank_ic=day.rank_ic,
                    )
                    for day in arm.days
                ],
                mean_return=arm.mean_return,
                cumulative_return=arm.cumulative_return,
                mean_rank_ic=arm.mean_rank_ic,
            )
            for arm in evaluation.arms
        ],
        statistics=AbStatistics(
            dates=stats.dates if stats else 0,
            welch_t=stats.welch_t if stats else None,
            welch_p=stats.welch_p if stats else None,
            mann_whitney_u=stats.mann_whitney_u if stats else None,
            mann_whitney_p=stats.mann_whitney_p if stats else None,
            mean_difference=stats.mean_difference if stats else None,
        ),
    )


@router.post("/ab-tests", operation_id="createAbTest", status_code=201)
async def create_ab_test(request: Request, state: StateDep) -> Response:
    body = await asyncio.to_thread(parse_body, AbTestRequest, await request.body())
    arms = [ab.Arm(version=arm.version, weight=arm.weight) for arm in body.arms]
    test = await asyncio.to_thread(
        lambda: state.abtests.create(
            body.name,
            arms,
            salt=body.salt,
            horizon=body.horizon,
            top_n=body.top_n,
        )
    )
    return envelope_response(
        request,
        AbTestEnvelope,
        _wire(test),
        status_code=201,
        headers={"Location": f"{API_PREFIX}/ab-tests/{test.test_id}"},
    )


@router.get("/ab-tests", operation_id="listAbTests")
async def list_ab_tests(request: Request, state: StateDep) -> Response:
    tests = await asyncio.to_thread(state.abtests.list)
    return envelope_response(
        request, AbTestListEnvelope, AbTestList(items=[_wire(test) for test in tests])
    )


@router.get("/ab-tests/{test_id}", operation_id="getAbTest")
async def get_ab_test(request: Request, state: StateDep, test_id: TestIdParam) -> Response:
    evaluation = await asyncio.to_thread(state.abtests.evaluation, test_id)
    return envelope_response(request, AbTestDetailEnvelope, _detail(evaluation))


@router.post("/ab-tests/{test_id}/stop", operation_id="stopAbTest")
async def stop_ab_test(request: Request, state: StateDep, test_id: TestIdParam) -> Response:
    test = await asyncio.to_thread(state.abtests.stop, test_id)
    return envelope_response(request, AbTestEnvelope, _wire(test))
