"""The engines, keyed by name, and the checking of their settings.

The registry is built once at import and is read-only.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from quant_engine.core.errors import ErrorDetail, UnknownModelError, ValidationFailedError
from quant_engine.pricing.binomial import binomial_price, binomial_valuation, check_binomial_items
from quant_engine.pricing.black_scholes import black_scholes_price, black_scholes_valuation
from quant_engine.pricing.domain import EngineInfo, ParameterSpec, format_number
from quant_engine.pricing.engine import Engine
from quant_engine.pricing.implied_vol import black_scholes_implied_volatility
from quant_engine.pricing.monte_carlo import monte_carlo_price, monte_carlo_valuation

_BLACK_SCHOLES = Engine(
    info=EngineInfo(
        name="black_scholes",
        description=(
            "Black–Scholes–Merton closed form with a continuous dividend yield; analytic greeks."
        ),
        exercise_styles=("european",),
        greeks_method="analytic",
        parameters=(),
    ),
    value=lambda batch, _parameters: black_scholes_valuation(batch),
    price=lambda batch, _parameters: black_scholes_price(batch),
    implied_volatility=black_scholes_implied_volatility,
)

_BINOMIAL = Engine(
    info=EngineInfo(
        name="binomial",
        description=(
            "Cox–Ross–Rubinstein binomial tree (QuantLib's parameterization on the drifted "
            "log-price); delta, gamma and theta from the tree, vega and rho by bumping."
        ),
        exercise_styles=("european", "american"),
        greeks_method="finite_difference",
        parameters=(
            ParameterSpec(
                name="steps",
                kind="integer",
                minimum=1,
                maximum=5000,
                default=500,
                description="Number of time steps in the tree.",
            ),
        ),
    ),
    value=binomial_valuation,
    price=binomial_price,
    check_items=check_binomial_items,
)

_MONTE_CARLO = Engine(
    info=EngineInfo(
        name="monte_carlo",
        description=(
            "Monte Carlo simulation of the terminal price under geometric Brownian motion "
            "with antithetic variates; greeks by finite differences with common random "
            "numbers; reports the price's standard error."
        ),
        exercise_styles=("european",),
        greeks_method="finite_difference",
        parameters=(
            ParameterSpec(
                name="paths",
                kind="integer",
                minimum=1000,
                maximum=2_000_000,
                default=100_000,
                description=(
                    "Number of simulated paths; an odd number is rounded up to the next "
                    "even one (antithetic pairs)."
                ),
            ),
            ParameterSpec(
                name="seed",
                kind="integer",
                minimum=0,
                maximum=4_294_967_295,
                default=42,
                description="Seed of the random number generator; same seed, same prices.",
            ),
        ),
    ),
    value=monte_carlo_valuation,
    price=monte_carlo_price,
)

ENGINES: Mapping[str, Engine] = MappingProxyType(
    {engine.info.name: engine for engine in (_BLACK_SCHOLES, _BINOMIAL, _MONTE_CARLO)}
)


def list_engines() -> tuple[EngineInfo, ...]:
    """Every available engine's description, in a stable order."""
    return tuple(engine.info for engine in ENGINES.values())


def get_engine(name: str) -> Engine:
    """The engine called ``name``; raises ``UnknownModelError`` listing the known names."""
    engine = ENGINES.get(name)
    if engine is None:
        known = ", ".join(ENGINES)
        raise UnknownModelError(f"unknown model {name!r}; known models: {known}")
    return engine


def get_engine_info(name: str) -> EngineInfo:
    """The description of the engine called ``name`` (raises ``UnknownModelError``)."""
    return get_engine(name).info


def _parameter_problem(spec: ParameterSpec, value: object) -> str | None:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return f"{spec.name} must be a number (got {value!r})"
    number = float(value)
    if not math.isfinite(number):
        return f"{spec.name} must be finite (got {value!r})"
    if spec.kind == "integer" and number != math.floor(number):
        return f"{spec.name} must be an integer (got {value!r})"
    if not spec.minimum <= number <= spec.maximum:
        return (
            f"{spec.name} must be between {format_number(spec.minimum)} and "
            f"{format_number(spec.maximum)} (got {value!r})"
        )
    return None


def resolve_parameters(info: EngineInfo, parameters: Mapping[str, float]) -> dict[str, float]:
    """The engine's settings with defaults filled in.

    Raises ``ValidationFailedError`` with one detail per unknown or invalid setting
    (``loc=("parameters", name)``).
    """
    specs = {spec.name: spec for spec in info.parameters}
    details = [
        ErrorDetail(
            loc=("parameters", name),
            msg=f"unknown parameter {name!r} for model {info.name!r}; "
            f"known: {', '.join(specs) or 'none'}",
        )
        for name in parameters
        if name not in specs
    ]
    for name, spec in specs.items():
        problem = _parameter_problem(spec, parameters[name]) if name in parameters else None
        if problem is not None:
            details.append(ErrorDetail(loc=("parameters", name), msg=problem))
    if details:
        summary = "; ".join(detail.msg for detail in details)
        raise ValidationFailedError(
            f"invalid parameters for model {info.name!r}: {summary}", details
        )
    return {name: float(parameters.get(name, spec.default)) for name, spec in specs.items()}
