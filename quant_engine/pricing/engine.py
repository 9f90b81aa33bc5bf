"""What every pricing engine provides: a valuation (price and greeks) and a price alone.

Engines are plain functions of an :class:`OptionBatch` and resolved parameters (defaults
filled in, bounds checked); they hold no state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from quant_engine.pricing.domain import EngineInfo, FloatArray, ItemError, OptionBatch


@dataclass(frozen=True, eq=False)
class Valuation:
    """An engine's raw output per item (units as in :class:`PricingOutcome`)."""

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray
    standard_error: FloatArray | None


Parameters = Mapping[str, float]
PriceFunction = Callable[[OptionBatch, Parameters], FloatArray]
ValuationFunction = Callable[[OptionBatch, Parameters], Valuation]
ItemCheck = Callable[[OptionBatch, Parameters], list[ItemError | None]]


@dataclass(frozen=True)
class ImpliedVolatilityResult:
    """A solver's answer per item: volatility (NaN where failed), rounds, failure reason."""

    volatility: FloatArray
    iterations: NDArray[np.int64]
    failures: dict[int, str]


@dataclass(frozen=True)
class Engine:
    """A registered engine: its description, its pricing functions, optional extras.

    ``check_items`` reports items the engine cannot price with these parameters (beyond the
    shared domain). ``implied_volatility`` is a specialised solver; engines without one
    are inverted by the generic bracketed root finder.
    """

    info: EngineInfo
    value: ValuationFunction
    price: PriceFunction
    check_items: ItemCheck | None = None
    implied_volatility: Callable[[OptionBatch, FloatArray], ImpliedVolatilityResult] | None = None
