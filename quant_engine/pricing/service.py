"""Pricing and implied volatility for whole batches: validation, dispatch, per-item errors.

One model per call (``price_options``, ``implied_volatility``): an unknown model or invalid
settings raise, since they concern the whole call. Mixed calls (``*_grouped``) group items
by (model, parameters), price each group in one vectorized call and scatter the results
back in input order; there an unknown model or invalid settings are per-item errors.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from quant_engine.core.errors import UnknownModelError, ValidationFailedError
from quant_engine.pricing.domain import (
    IMPLIED_VOLATILITY_FIELDS,
    PRICING_FIELDS,
    FloatArray,
    IndexArray,
    ItemError,
    ItemErrorLog,
    IVOutcome,
    OptionBatch,
    PricingOutcome,
    domain_violations,
    validate_exercise,
    validate_fields,
)
from quant_engine.pricing.engine import Engine, ImpliedVolatilityResult, Valuation
from quant_engine.pricing.implied_vol import bracketed_implied_volatility
from quant_engine.pricing.registry import get_engine, resolve_parameters

_OUTPUTS = ("price", "delta", "gamma", "vega", "theta", "rho")


def _nan(n: int) -> FloatArray:
    return np.full(n, np.nan)


def _engine_checks(
    engine: Engine, batch: OptionBatch, parameters: Mapping[str, float], log: ItemErrorLog
) -> None:
    if engine.check_items is None:
        return
    valid = log.valid_positions()
    found = engine.check_items(batch.take(valid), parameters)
    failed = np.array([error is not None for error in found], dtype=np.bool_)
    mask = np.zeros(len(batch), dtype=np.bool_)
    mask[valid[failed]] = True
    log.record(mask, [error for error in found if error is not None])


def _record_non_finite(valuation: Valuation, valid: IndexArray, log: ItemErrorLog) -> None:
    """Mark items whose price or greeks came out non-finite as CALCULATION_FAILED."""
    for name in _OUTPUTS:
        values: FloatArray = getattr(valuation, name)
        bad = np.zeros(len(log.errors), dtype=np.bool_)
        bad[valid[~np.isfinite(values)]] = True
        message = f"the {name} came out non-finite (got {{value!r}}) for these inputs"
        found = [
            ItemError("CALCULATION_FAILED", message.format(value=value), None)
            for value in values[~np.isfinite(values)].tolist()
        ]
        log.record(bad, found)


def _scatter(
    valuation: Valuation | None, valid: IndexArray, log: ItemErrorLog, n: int
) -> PricingOutcome:
    columns = {name: _nan(n) for name in _OUTPUTS}
    standard_error = None
    if valuation is not None:
        for name in _OUTPUTS:
            columns[name][valid] = getattr(valuation, name)
        if valuation.standard_error is not None:
            standard_error = _nan(n)
            standard_error[valid] = valuation.standard_error
    for column in (*columns.values(), *([standard_error] if standard_error is not None else [])):
        column[log.failed] = np.nan
    return PricingOutcome(**columns, standard_error=standard_error, errors=tuple(log.errors))


def price_options(
    batch: OptionBatch, model: str, parameters: Mapping[str, float]
) -> PricingOutcome:
    """Price every option of ``batch`` with one engine and its ``parameters``.

    Raises ``UnknownModelError`` for an unknown ``model`` and ``ValidationFailedError``
    (detail ``loc=("parameters", name)``) for unknown or invalid settings. Items outside the
    domain, or American items on a European-only engine, get a VALIDATION_ERROR naming the
    field; items whose results are not finite get CALCULATION_FAILED. Failed items are NaN.
    Units as in ``PricingOutcome``.
    """
    engine = get_engine(model)
    resolved = resolve_parameters(engine.info, parameters)
    log = ItemErrorLog(len(batch))
    validate_fields(batch, log, PRICING_FIELDS)
    validate_exercise(batch, engine.info, log)
    _engine_checks(engine, batch, resolved, log)
    valid = log.valid_positions()
    valuation = None
    if len(valid) > 0:
        subset = batch if len(valid) == len(batch) else batch.take(valid)
        # Extreme but in-domain inputs (e.g. T = 1e-300) may overflow; such items are
        # caught below as CALCULATION_FAILED, so numpy's warnings would only be noise.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
            valuation = engine.value(subset, resolved)
        _record_non_finite(valuation, valid, log)
    return _scatter(valuation, valid, log, len(batch))


# --- Implied volatility ------------------------------------------------------------------


def implied_volatility(
    batch: OptionBatch, price: FloatArray, model: str, parameters: Mapping[str, float]
) -> IVOutcome:
    """Implied volatility (annualized decimal) of each option from its price (currency).

    ``batch.volatility`` is ignored. Raises like ``price_options`` for an unknown model or
    invalid settings. Per item: VALIDATION_ERROR for inputs outside the domain (field
    ``price`` for the price), CALCULATION_FAILED for a price outside the no-arbitrage
    bounds (the message names the bound) or a search that does not converge.
    """
    engine = get_engine(model)
    resolved = resolve_parameters(engine.info, parameters)
    price = np.asarray(price, dtype=np.float64)
    if price.shape != (len(batch),):
        raise ValueError(f"price must have shape ({len(batch)},), got {price.shape}")
    log = ItemErrorLog(len(batch))
    validate_fields(batch, log, IMPLIED_VOLATILITY_FIELDS)
    bad, messages = domain_violations("price", price)
    log.record(bad, [ItemError("VALIDATION_ERROR", message, "price") for message in messages])
    validate_exercise(batch, engine.info, log)
    valid = log.valid_positions()
    volatility = _nan(len(batch))
    iterations = np.zeros(len(batch), dtype=np.int64)
    if len(valid) > 0:
        result = _solve(engine, resolved, batch.take(valid), price[valid])
        volatility[valid] = result.volatility
        iterations[valid] = result.iterations
        failed = np.fromiter(result.failures, dtype=np.intp, count=len(result.failures))
        log.record_at(
            valid[failed],
            [
                ItemError("CALCULATION_FAILED", message, None)
                for message in result.failures.values()
            ],
        )
    volatility[log.failed] = np.nan
    return IVOutcome(volatility, iterations, tuple(log.errors))


def _solve(
    engine: Engine, parameters: Mapping[str, float], batch: OptionBatch, price: FloatArray
) -> ImpliedVolatilityResult:
    if engine.implied_volatility is not None:
        return engine.implied_volatility(batch, price)
    return bracketed_implied_volatility(
        lambda candidate: engine.price(candidate, parameters), batch, price
    )


# --- Mixed batches -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Group:
    model: str
    parameters: Mapping[str, float]
    positions: IndexArray


def _parameters_key(parameters: Mapping[str, float]) -> Hashable:
    try:
        key = tuple(sorted(parameters.items()))
        hash(key)
    except TypeError:  # unhashable or unorderable values: group the item on its own
        return ("ungroupable", id(parameters))
    return key


def _groups(
    n: int, models: Sequence[str], parameters: Sequence[Mapping[str, float]]
) -> list[_Group]:
    if len(models) != n or len(parameters) != n:
        raise ValueError(
            f"models ({len(models)}) and parameters ({len(parameters)}) must have one entry "
            f"per item ({n})"
        )
    members: dict[tuple[str, Hashable], list[int]] = {}
    first: dict[tuple[str, Hashable], Mapping[str, float]] = {}
    for position, (model, settings) in enumerate(zip(models, parameters, strict=True)):
        key = (model, _parameters_key(settings))
        members.setdefault(key, []).append(position)
        first.setdefault(key, settings)
    return [
        _Group(key[0], first[key], np.asarray(positions, dtype=np.intp))
        for key, positions in members.items()
    ]


def _group_error(error: UnknownModelError | ValidationFailedError) -> ItemError:
    if isinstance(error, UnknownModelError):
        return ItemError("UNKNOWN_MODEL", error.message, "model")
    detail = error.details[0] if error.details else None
    field = ".".join(str(part) for part in detail.loc) if detail else "parameters"
    return ItemError("VALIDATION_ERROR", error.message, field)


OutcomeT = TypeVar("OutcomeT", PricingOutcome, IVOutcome)


def _run_groups(
    batch: OptionBatch,
    models: Sequence[str],
    parameters: Sequence[Mapping[str, float]],
    run: Callable[[OptionBatch, _Group], OutcomeT],
    scatter: Callable[[OutcomeT, IndexArray], None],
) -> list[ItemError | None]:
    """Run each (model, parameters) group, scatter its outcome, collect per-item errors."""
    errors: list[ItemError | None] = [None] * len(batch)
    for group in _groups(len(batch), models, parameters):
        try:
            outcome = run(batch.take(group.positions), group)
        except (UnknownModelError, ValidationFailedError) as error:
            for position in group.positions.tolist():
                errors[position] = _group_error(error)
            continue
        scatter(outcome, group.positions)
        for position, item_error in zip(group.positions.tolist(), outcome.errors, strict=True):
            errors[position] = item_error
    return errors


def price_grouped(
    batch: OptionBatch, models: Sequence[str], parameters: Sequence[Mapping[str, float]]
) -> PricingOutcome:
    """Price a mixed batch: item i with engine ``models[i]`` and settings ``parameters[i]``.

    Never raises for a bad model or settings: those items get UNKNOWN_MODEL (field
    ``model``) or VALIDATION_ERROR (field ``parameters.<name>``). ``standard_error`` is an
    array (NaN outside Monte Carlo items) when any item used Monte Carlo, else None.
    """
    n = len(batch)
    columns = {name: _nan(n) for name in _OUTPUTS}
    standard_error: FloatArray | None = None

    def scatter(outcome: PricingOutcome, positions: IndexArray) -> None:
        nonlocal standard_error
        for name in _OUTPUTS:
            columns[name][positions] = getattr(outcome, name)
        if outcome.standard_error is not None:
            if standard_error is None:
                standard_error = _nan(n)
            standard_error[positions] = outcome.standard_error

    errors = _run_groups(
        batch,
        models,
        parameters,
        lambda subset, group: price_options(subset, group.model, group.parameters),
        scatter,
    )
    return PricingOutcome(
        **columns,
        standard_error=standard_error,
        errors=tuple(errors),
    )


def implied_volatility_grouped(
    batch: OptionBatch,
    price: FloatArray,
    models: Sequence[str],
    parameters: Sequence[Mapping[str, float]],
) -> IVOutcome:
    """Implied volatility of a mixed batch (per-item models and settings, as in
    ``price_grouped``); ``price`` in currency, result in annualized decimals."""
    n = len(batch)
    price = np.asarray(price, dtype=np.float64)
    volatility = _nan(n)
    iterations: NDArray[np.int64] = np.zeros(n, dtype=np.int64)

    def scatter(outcome: IVOutcome, positions: IndexArray) -> None:
        volatility[positions] = outcome.implied_volatility
        iterations[positions] = outcome.iterations

    errors = _run_groups(
        batch,
        models,
        parameters,
        lambda subset, group: implied_volatility(
            subset, price[group.positions], group.model, group.parameters
        ),
        scatter,
    )
    return IVOutcome(volatility, iterations, tuple(errors))
