"""Pricing at the edge: generated request models in, engine calls, generated models out."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np
import orjson
from pydantic import BaseModel
from qe_contract.models import (
    BatchImpliedVolatilityItem,
    BatchImpliedVolatilityResult,
    BatchImpliedVolatilitySuccess,
    BatchItemFailure,
    BatchOption,
    BatchPricingParameters,
    ExerciseStyle,
    GreeksMethod,
    ImpliedVolatility,
    ImpliedVolatilityBatchRequest,
    ImpliedVolatilityBatchResult,
    ImpliedVolatilityRequest,
    ItemErrorCode,
    OptionBatchRequest,
    OptionPrice,
    OptionPriceRequest,
    OptionType,
    ParameterKind,
    PricingModelInfo,
    PricingModelList,
    PricingParameterInfo,
    PricingParameters,
)
from qe_contract.models import Greeks as WireGreeks
from qe_contract.models import ItemError as WireItemError

from quant_engine import pricing
from quant_engine.core.errors import (
    CalculationFailedError,
    ErrorDetail,
    PayloadTooLargeError,
    QuantEngineError,
    UnknownModelError,
    ValidationFailedError,
)

MAX_BATCH_ITEMS = 100_000
DAYS_PER_YEAR = 365.0  # theta_per_day is theta per calendar day
_NO_PARAMETERS: Mapping[str, float] = {}

OptionLike = (
    OptionPriceRequest | ImpliedVolatilityRequest | BatchOption | BatchImpliedVolatilityItem
)
ItemT = TypeVar("ItemT", bound=BaseModel)


def list_models() -> PricingModelList:
    """Every registered engine with its capabilities and parameters."""
    return PricingModelList(
        models=[
            PricingModelInfo(
                name=info.name,
                description=info.description,
                exercise_styles=[ExerciseStyle(style) for style in info.exercise_styles],
                greeks_method=GreeksMethod(info.greeks_method),
                parameters=[
                    PricingParameterInfo(
                        name=spec.name,
                        kind=ParameterKind(spec.kind),
                        minimum=float(spec.minimum),
                        maximum=float(spec.maximum),
                        default=float(spec.default),
                        description=spec.description,
                    )
                    for spec in info.parameters
                ],
            )
            for info in pricing.list_engines()
        ]
    )


def _parameters(
    parameters: PricingParameters | BatchPricingParameters | None,
) -> Mapping[str, float]:
    if parameters is None:
        return _NO_PARAMETERS
    return {k: _as_float(v) for k, v in parameters.model_dump(exclude_none=True).items()}


def _as_float(value: int) -> float:
    """Integers too large for a float become ±inf: out of bounds, so refused per item."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _to_batch(items: Sequence[OptionLike], with_volatility: bool) -> pricing.OptionBatch:
    """Columnar engine input from wire items (volatility NaN when not part of the input).

    One pass over the items into a (n, 6) float array: attribute access on thousands of
    models dominates, so each item is visited once.
    """
    nan = float("nan")
    numbers = np.array(
        [
            (
                item.spot,
                item.strike,
                item.time_to_expiry,
                item.rate,
                getattr(item, "volatility", nan) if with_volatility else nan,
                item.dividend_yield,
            )
            for item in items
        ],
        dtype=np.float64,
    ).reshape(len(items), 6)
    flags = np.array(
        [
            (item.option_type is OptionType.call, item.exercise is ExerciseStyle.american)
            for item in items
        ],
        dtype=np.bool_,
    ).reshape(len(items), 2)
    return pricing.OptionBatch(
        spot=numbers[:, 0].copy(),
        strike=numbers[:, 1].copy(),
        time_to_expiry=numbers[:, 2].copy(),
        rate=numbers[:, 3].copy(),
        volatility=numbers[:, 4].copy(),
        dividend_yield=numbers[:, 5].copy(),
        is_call=flags[:, 0].copy(),
        is_american=flags[:, 1].copy(),
    )


def _single_item_error(error: pricing.ItemError) -> QuantEngineError:
    """The request-level error for the only item of a single-option request."""
    if error.code == "UNKNOWN_MODEL":
        return UnknownModelError(error.message)
    if error.code == "CALCULATION_FAILED":
        return CalculationFailedError(error.message)
    loc: tuple[str | int, ...] = ("body", *(error.field or "").split(".")) if error.field else ()
    return ValidationFailedError(error.message, [ErrorDetail(loc=loc, msg=error.message)])


def _wire_greeks(outcome: pricing.PricingOutcome, index: int) -> WireGreeks:
    theta = float(outcome.theta[index])
    return WireGreeks(
        delta=float(outcome.delta[index]),
        gamma=float(outcome.gamma[index]),
        vega=float(outcome.vega[index]),
        theta=theta,
        theta_per_day=theta / DAYS_PER_YEAR,
        rho=float(outcome.rho[index]),
    )


def _standard_error(outcome: pricing.PricingOutcome, index: int) -> float | None:
    if outcome.standard_error is None:
        return None
    return float(outcome.standard_error[index])


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


def price_one(request: OptionPriceRequest) -> OptionPrice:
    """Price one option; any problem with it is an error of the whole request."""
    started = time.perf_counter()
    outcome = pricing.price_options(
        _to_batch([request], with_volatility=True), request.model, _parameters(request.parameters)
    )
    error = outcome.errors[0]
    if error is not None:
        raise _single_item_error(error)
    return OptionPrice(
        price=float(outcome.price[0]),
        greeks=_wire_greeks(outcome, 0),
        model=request.model,
        standard_error=_standard_error(outcome, 0),
        computation_ms=_elapsed_ms(started),
    )


def check_batch_size(count: int) -> None:
    """PAYLOAD_TOO_LARGE when a batch has more items than the documented limit."""
    if count > MAX_BATCH_ITEMS:
        raise PayloadTooLargeError(
            f"Batch has {count} items; the limit is {MAX_BATCH_ITEMS} per request"
        )


# Engine work one batch request may ask for. A binomial item costs steps² tree nodes, a
# Monte Carlo item its paths; measured here, both budgets are about 15–20 s of engine time
# (greeks included), so no single request can hold a worker for minutes.
MAX_BATCH_TREE_NODES = 2_500_000_000
MAX_BATCH_PATHS = 200_000_000


def _setting(model: str, parameters: Mapping[str, float], name: str) -> float:
    """The value an item will run with for an engine setting (its own, else the default);
    0 when out of bounds, since such an item fails on its own and costs nothing."""
    engine = next(info for info in pricing.list_engines() if info.name == model)
    spec = next(spec for spec in engine.parameters if spec.name == name)
    value = parameters.get(name, spec.default)
    return value if spec.minimum <= value <= spec.maximum else 0.0


def check_batch_work(items: Sequence[BatchOption] | Sequence[BatchImpliedVolatilityItem]) -> None:
    """PAYLOAD_TOO_LARGE when the batch asks for more engine work than one request may."""
    tree_nodes = 0.0
    paths = 0.0
    for item in items:
        parameters = _parameters(item.parameters)
        if item.model == "binomial":
            tree_nodes += _setting(item.model, parameters, "steps") ** 2
        elif item.model == "monte_carlo":
            paths += _setting(item.model, parameters, "paths")
    if tree_nodes > MAX_BATCH_TREE_NODES or paths > MAX_BATCH_PATHS:
        raise PayloadTooLargeError(
            f"Batch asks for {tree_nodes:.3g} binomial tree nodes (limit "
            f"{MAX_BATCH_TREE_NODES:.3g}, steps² per item) and {paths:.3g} Monte Carlo paths "
            f"(limit {MAX_BATCH_PATHS:.3g}); split it into smaller requests or use fewer "
            "steps or paths"
        )


def _wire_item_error(index: int, error: pricing.ItemError) -> BatchItemFailure:
    """The contract's per-item failure (used where results are built as models)."""
    return BatchItemFailure(
        index=index,
        ok=False,
        error=WireItemError(
            code=ItemErrorCode(error.code), message=error.message, field=error.field
        ),
    )


def _item_error_json(index: int, error: pricing.ItemError) -> dict[str, object]:
    return {
        "index": index,
        "ok": False,
        "error": {"code": error.code, "message": error.message, "field": error.field},
    }


def price_batch_json(request: OptionBatchRequest) -> bytes:
    """Price every option; domain problems are errors of their own item only.

    Returns the serialized ``OptionBatchResult``. Building 10,000 result models one
    constructor call at a time costs several times the pricing itself, so the result is
    assembled from plain dicts and serialized with orjson; a test validates this output
    against the generated ``OptionBatchResult`` (closed schemas), so it cannot drift.
    """
    started = time.perf_counter()
    items = request.options
    check_batch_size(len(items))
    check_batch_work(items)
    outcome = pricing.price_grouped(
        _to_batch(items, with_volatility=True),
        [item.model for item in items],
        [_parameters(item.parameters) for item in items],
    )
    price, delta, gamma = outcome.price.tolist(), outcome.delta.tolist(), outcome.gamma.tolist()
    vega, theta, rho = outcome.vega.tolist(), outcome.theta.tolist(), outcome.rho.tolist()
    errors = outcome.standard_error.tolist() if outcome.standard_error is not None else None
    results: list[dict[str, object]] = []
    failed = 0
    for index, error in enumerate(outcome.errors):
        if error is not None:
            failed += 1
            results.append(_item_error_json(index, error))
            continue
        standard_error = errors[index] if errors is not None else None
        results.append(
            {
                "index": index,
                "ok": True,
                "price": price[index],
                "greeks": {
                    "delta": delta[index],
                    "gamma": gamma[index],
                    "vega": vega[index],
                    "theta": theta[index],
                    "theta_per_day": theta[index] / DAYS_PER_YEAR,
                    "rho": rho[index],
                },
                # NaN marks a non-Monte-Carlo item inside a mixed batch.
                "standard_error": (
                    None if standard_error is None or math.isnan(standard_error) else standard_error
                ),
            }
        )
    return orjson.dumps(
        {
            "results": results,
            "priced": len(items) - failed,
            "failed": failed,
            "computation_ms": _elapsed_ms(started),
        }
    )


def implied_volatility_one(request: ImpliedVolatilityRequest) -> ImpliedVolatility:
    """Implied volatility of one observed price; failures are errors of the request."""
    started = time.perf_counter()
    outcome = pricing.implied_volatility(
        _to_batch([request], with_volatility=False),
        np.array([request.price], dtype=np.float64),
        request.model,
        _parameters(request.parameters),
    )
    error = outcome.errors[0]
    if error is not None:
        raise _single_item_error(error)
    return ImpliedVolatility(
        implied_volatility=float(outcome.implied_volatility[0]),
        model=request.model,
        computation_ms=_elapsed_ms(started),
    )


def implied_volatility_batch(
    request: ImpliedVolatilityBatchRequest,
) -> ImpliedVolatilityBatchResult:
    """Implied volatility of every item; problems are errors of their own item only."""
    started = time.perf_counter()
    items = request.items
    check_batch_size(len(items))
    check_batch_work(items)
    outcome = pricing.implied_volatility_grouped(
        _to_batch(items, with_volatility=False),
        np.fromiter((item.price for item in items), dtype=np.float64, count=len(items)),
        [item.model for item in items],
        [_parameters(item.parameters) for item in items],
    )
    results: list[BatchImpliedVolatilityResult] = []
    failed = 0
    for index, error in enumerate(outcome.errors):
        if error is None:
            success = BatchImpliedVolatilitySuccess(
                index=index, ok=True, implied_volatility=float(outcome.implied_volatility[index])
            )
            results.append(success)
        else:
            failed += 1
            results.append(_wire_item_error(index, error))
    return ImpliedVolatilityBatchResult(
        results=results,
        solved=len(items) - failed,
        failed=failed,
        computation_ms=_elapsed_ms(started),
    )
