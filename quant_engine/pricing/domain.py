"""The pricing engine's vocabulary: option batches, outcomes, per-item errors and the domain.

Every quantity is in the units the contract uses: prices in currency units, times in years,
rates, dividend yields and volatilities as continuously compounded annualized decimals
(0.05 = 5 % a year).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IndexArray = NDArray[np.intp]

ErrorCode = Literal["VALIDATION_ERROR", "UNKNOWN_MODEL", "CALCULATION_FAILED"]
ExerciseStyle = Literal["european", "american"]

# field -> (low, high, low_inclusive, high_inclusive). The HTTP contract uses the same bounds.
DOMAIN: Mapping[str, tuple[float, float, bool, bool]] = MappingProxyType(
    {
        "spot": (1e-6, 1e9, True, True),
        "strike": (1e-6, 1e9, True, True),
        "time_to_expiry": (1e-6, 100.0, True, True),
        "volatility": (1e-4, 10.0, True, True),
        "rate": (-1.0, 1.0, True, True),
        "dividend_yield": (-1.0, 1.0, True, True),
        "price": (0.0, 1e9, False, True),
    }
)

_FLOAT_FIELDS = ("spot", "strike", "time_to_expiry", "rate", "volatility", "dividend_yield")
_FLAG_FIELDS = ("is_call", "is_american")
_COLUMNS = (*_FLOAT_FIELDS, *_FLAG_FIELDS)


@dataclass(frozen=True)
class ItemError:
    """Why one item of a batch has no result; ``field`` names the offending input."""

    code: ErrorCode
    message: str
    field: str | None


@dataclass(frozen=True, eq=False)
class OptionBatch:
    """A column-oriented batch of vanilla options; every array has the same length n.

    ``time_to_expiry`` is in years; ``rate``, ``volatility`` and ``dividend_yield`` are
    continuously compounded annualized decimals. Float columns are stored as float64 and
    flag columns as bool (converted on construction).
    """

    spot: FloatArray
    strike: FloatArray
    time_to_expiry: FloatArray
    rate: FloatArray
    volatility: FloatArray
    dividend_yield: FloatArray
    is_call: BoolArray
    is_american: BoolArray

    def __post_init__(self) -> None:
        for name in _FLOAT_FIELDS:
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        for name in _FLAG_FIELDS:
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.bool_))
        shapes = {name: getattr(self, name).shape for name in _COLUMNS}
        if len(set(shapes.values())) != 1 or len(self.spot.shape) != 1:
            raise ValueError(f"OptionBatch columns must be 1-D and of equal length: {shapes}")

    def __len__(self) -> int:
        return int(self.spot.shape[0])

    def take(self, index: IndexArray) -> OptionBatch:
        """The items at ``index`` (in that order) as a new batch."""
        return OptionBatch(
            spot=self.spot[index],
            strike=self.strike[index],
            time_to_expiry=self.time_to_expiry[index],
            rate=self.rate[index],
            volatility=self.volatility[index],
            dividend_yield=self.dividend_yield[index],
            is_call=self.is_call[index],
            is_american=self.is_american[index],
        )

    def replace(self, **columns: FloatArray | BoolArray) -> OptionBatch:
        """A copy with some columns replaced (bump-and-reprice, solvers)."""
        values = {name: getattr(self, name) for name in _COLUMNS}
        values.update(columns)
        return OptionBatch(**values)

    @classmethod
    def create(
        cls,
        *,
        spot: ArrayLike,
        strike: ArrayLike,
        time_to_expiry: ArrayLike,
        volatility: ArrayLike,
        rate: ArrayLike = 0.0,
        dividend_yield: ArrayLike = 0.0,
        is_call: ArrayLike = True,
        is_american: ArrayLike = False,
    ) -> OptionBatch:
        """A batch from columns or scalars, broadcast to a common length (units as above)."""
        given = {
            "spot": spot,
            "strike": strike,
            "time_to_expiry": time_to_expiry,
            "rate": rate,
            "volatility": volatility,
            "dividend_yield": dividend_yield,
            "is_call": is_call,
            "is_american": is_american,
        }
        arrays = [
            np.atleast_1d(np.asarray(given[name], dtype=np.bool_ if name in _FLAG_FIELDS else None))
            for name in _COLUMNS
        ]
        columns = np.broadcast_arrays(*arrays)
        return cls(
            **{name: np.array(column) for name, column in zip(_COLUMNS, columns, strict=True)}
        )

    @classmethod
    def concatenate(cls, batches: tuple[OptionBatch, ...]) -> OptionBatch:
        """The batches one after another, as one batch."""
        columns = {
            name: np.concatenate([getattr(batch, name) for batch in batches]) for name in _COLUMNS
        }
        return cls(**columns)


@dataclass(frozen=True)
class ParameterSpec:
    """One engine-specific setting, its bounds and default."""

    name: str
    kind: Literal["integer", "number"]
    minimum: float
    maximum: float
    default: float
    description: str


@dataclass(frozen=True)
class EngineInfo:
    """What a pricing engine is, which exercise styles it prices and which settings it takes."""

    name: str
    description: str
    exercise_styles: tuple[ExerciseStyle, ...]
    greeks_method: Literal["analytic", "finite_difference"]
    parameters: tuple[ParameterSpec, ...]


@dataclass(frozen=True, eq=False)
class PricingOutcome:
    """Prices and greeks per item, NaN where the item failed (its ``errors`` entry says why).

    Units: price in currency; delta per 1.00 of spot; gamma per 1.00 of spot squared; vega
    per 1.00 (100 vol points) of volatility; theta per year of calendar time (dV/dt = -dV/dT);
    rho per 1.00 of rate. ``standard_error`` (of the price) is set only by Monte Carlo.
    """

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray
    standard_error: FloatArray | None
    errors: tuple[ItemError | None, ...]


@dataclass(frozen=True, eq=False)
class IVOutcome:
    """Implied volatility per item (annualized decimal), NaN where it failed.

    ``iterations`` counts the solver's pricing rounds per item (0 where it failed early).
    """

    implied_volatility: FloatArray
    iterations: NDArray[np.int64]
    errors: tuple[ItemError | None, ...]


def format_number(value: float) -> str:
    """A bound for messages: integers without exponent or decimals, else ``repr``."""
    if np.isfinite(value) and value == int(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(float(value))


def domain_violations(field: str, values: FloatArray) -> tuple[BoolArray, list[str]]:
    """Mask of values outside ``DOMAIN[field]`` and, for those only, a message each."""
    low, high, low_inclusive, high_inclusive = DOMAIN[field]
    finite = np.isfinite(values)
    too_low = (values < low) if low_inclusive else (values <= low)
    too_high = (values > high) if high_inclusive else (values >= high)
    bad = ~finite | too_low | too_high
    messages = []
    for value in values[bad].tolist():
        if not np.isfinite(value):
            messages.append(f"{field} must be finite (got {value!r})")
        elif value < low or (value == low and not low_inclusive):
            relation = ">=" if low_inclusive else ">"
            messages.append(f"{field} must be {relation} {format_number(low)} (got {value!r})")
        else:
            relation = "<=" if high_inclusive else "<"
            messages.append(f"{field} must be {relation} {format_number(high)} (got {value!r})")
    return bad, messages


class ItemErrorLog:
    """Per-item errors of one call, first error wins (a local, short-lived accumulator)."""

    def __init__(self, size: int) -> None:
        self.errors: list[ItemError | None] = [None] * size
        self.failed: BoolArray = np.zeros(size, dtype=np.bool_)

    def record(self, mask: BoolArray, errors: list[ItemError]) -> None:
        """Record ``errors`` (one per True in ``mask``) on items that have no error yet."""
        self.record_at(np.flatnonzero(mask), errors)

    def record_at(self, positions: IndexArray, errors: list[ItemError]) -> None:
        """Record ``errors[k]`` on the item at ``positions[k]`` unless it already has one."""
        for position, error in zip(positions.tolist(), errors, strict=True):
            if not self.failed[position]:
                self.errors[position] = error
                self.failed[position] = True

    def valid_positions(self) -> IndexArray:
        """Positions of the items without an error, in order."""
        return np.flatnonzero(~self.failed)


def validate_fields(batch: OptionBatch, log: ItemErrorLog, fields: tuple[str, ...]) -> None:
    """Record, per item, the first domain violation among ``fields`` (in that order)."""
    for field in fields:
        bad, messages = domain_violations(field, getattr(batch, field))
        log.record(bad, [ItemError("VALIDATION_ERROR", message, field) for message in messages])


def validate_exercise(batch: OptionBatch, info: EngineInfo, log: ItemErrorLog) -> None:
    """Record American items as invalid when the engine prices European exercise only."""
    if "american" in info.exercise_styles:
        return
    message = f"model {info.name!r} prices european exercise only; american was requested"
    american = batch.is_american
    log.record(american, [ItemError("VALIDATION_ERROR", message, "exercise")] * int(american.sum()))


PRICING_FIELDS = _FLOAT_FIELDS
IMPLIED_VOLATILITY_FIELDS = tuple(name for name in _FLOAT_FIELDS if name != "volatility")
