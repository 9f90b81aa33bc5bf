"""Pure options-pricing engine: Black–Scholes, binomial trees, Monte Carlo, implied volatility.

numpy and scipy only; no web framework and no module-level mutable state. Inputs are
column-oriented :class:`OptionBatch` es; times in years, rates, dividend yields and
volatilities as continuously compounded annualized decimals.
"""

from quant_engine.pricing.domain import (
    DOMAIN,
    BoolArray,
    EngineInfo,
    FloatArray,
    ItemError,
    IVOutcome,
    OptionBatch,
    ParameterSpec,
    PricingOutcome,
)
from quant_engine.pricing.registry import get_engine_info, list_engines
from quant_engine.pricing.service import (
    implied_volatility,
    implied_volatility_grouped,
    price_grouped,
    price_options,
)

__all__ = [
    "DOMAIN",
    "BoolArray",
    "EngineInfo",
    "FloatArray",
    "IVOutcome",
    "ItemError",
    "OptionBatch",
    "ParameterSpec",
    "PricingOutcome",
    "get_engine_info",
    "implied_volatility",
    "implied_volatility_grouped",
    "list_engines",
    "price_grouped",
    "price_options",
]
