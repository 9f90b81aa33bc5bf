"""Pricing operations: engines, single and batch prices, implied volatility."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel
from qe_contract.models import (
    ImpliedVolatilityBatchEnvelope,
    ImpliedVolatilityBatchRequest,
    ImpliedVolatilityEnvelope,
    ImpliedVolatilityRequest,
    OptionBatchEnvelope,
    OptionBatchRequest,
    OptionPriceEnvelope,
    OptionPriceRequest,
    PricingModelListEnvelope,
)
from starlette.responses import Response

from quant_engine.api.bodies import parse_body
from quant_engine.api.deps import api_router
from quant_engine.api.envelope import envelope_response
from quant_engine.api.services import pricing as service
from quant_engine.pricing.registry import get_engine

router = api_router()
BodyT = TypeVar("BodyT", bound=BaseModel)
# An engine name outside the contract's enum is 400 UNKNOWN_MODEL, listing the known ones.
ENGINE_NAMES = {"model": get_engine}


@router.get("/pricing/models", operation_id="listPricingModels")
async def list_pricing_models(request: Request) -> Response:
    return envelope_response(request, PricingModelListEnvelope, service.list_models())


async def _compute(
    request: Request,
    body_type: type[BodyT],
    compute: Callable[[BodyT], BaseModel | bytes],
    envelope_type: type[BaseModel],
) -> Response:
    """Parse the body and run ``compute`` on it in a worker thread, then wrap the result."""
    raw = await request.body()
    data = await asyncio.to_thread(lambda: compute(parse_body(body_type, raw, ENGINE_NAMES)))
    return envelope_response(request, envelope_type, data)


@router.post("/pricing/price", operation_id="priceOption")
async def price_option(request: Request) -> Response:
    return await _compute(request, OptionPriceRequest, service.price_one, OptionPriceEnvelope)


@router.post("/pricing/batch", operation_id="priceOptionBatch")
async def price_option_batch(request: Request) -> Response:
    return await _compute(
        request, OptionBatchRequest, service.price_batch_json, OptionBatchEnvelope
    )


@router.post("/pricing/implied-volatility", operation_id="impliedVolatility")
async def implied_volatility(request: Request) -> Response:
    return await _compute(
        request,
        ImpliedVolatilityRequest,
        service.implied_volatility_one,
        ImpliedVolatilityEnvelope,
    )


@router.post("/pricing/implied-volatility/batch", operation_id="impliedVolatilityBatch")
async def implied_volatility_batch(request: Request) -> Response:
    return await _compute(
        request,
        ImpliedVolatilityBatchRequest,
        service.implied_volatility_batch,
        ImpliedVolatilityBatchEnvelope,
    )
