"""Pricing operations: engines, single and batch prices, implied volatility."""

from __future__ import annotations

import asyncio

from fastapi import Request
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

router = api_router()


@router.get("/pricing/models", operation_id="listPricingModels")
async def list_pricing_models(request: Request) -> Response:
    return envelope_response(request, PricingModelListEnvelope, service.list_models())


@router.post("/pricing/price", operation_id="priceOption")
async def price_option(request: Request) -> Response:
    raw = await request.body()
    data = await asyncio.to_thread(lambda: service.price_one(parse_body(OptionPriceRequest, raw)))
    return envelope_response(request, OptionPriceEnvelope, data)


@router.post("/pricing/batch", operation_id="priceOptionBatch")
async def price_option_batch(request: Request) -> Response:
    raw = await request.body()
    data = await asyncio.to_thread(
        lambda: service.price_batch_json(parse_body(OptionBatchRequest, raw))
    )
    return envelope_response(request, OptionBatchEnvelope, data)


@router.post("/pricing/implied-volatility", operation_id="impliedVolatility")
async def implied_volatility(request: Request) -> Response:
    raw = await request.body()
    data = await asyncio.to_thread(
        lambda: service.implied_volatility_one(parse_body(ImpliedVolatilityRequest, raw))
    )
    return envelope_response(request, ImpliedVolatilityEnvelope, data)


@router.post("/pricing/implied-volatility/batch", operation_id="impliedVolatilityBatch")
async def implied_volatility_batch(request: Request) -> Response:
    raw = await request.body()
    data = await asyncio.to_thread(
        lambda: service.implied_volatility_batch(parse_body(ImpliedVolatilityBatchRequest, raw))
    )
    return envelope_response(request, ImpliedVolatilityBatchEnvelope, data)
