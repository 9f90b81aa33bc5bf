"""Implied volatility solvers, vectorized over a batch.

* ``black_scholes_implied_volatility``: Newton's method on the out-of-the-money option
  (in-the-money prices are converted by put–call parity), started at the inflection point
  of price in volatility, where vega peaks. Below that point it iterates on the log of the
  price, which keeps tiny prices converging quadratically. Each step is kept inside a
  shrinking bracket and replaced by bisection when it would leave it; iteration stops when
  a step changes the volatility by at most a few ulps (full double precision).
* ``bracketed_implied_volatility``: for any engine's price function, expands a bracket
  geometrically and then runs the Illinois variant of regula falsi on it.

Volatilities are annualized decimals searched in the domain (0, 10]. Prices outside the
no-arbitrage bounds fail up front with a message naming the bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from quant_engine.pricing.black_scholes import black_scholes_price_and_vega
from quant_engine.pricing.domain import DOMAIN, BoolArray, FloatArray, IndexArray, OptionBatch
from quant_engine.pricing.engine import ImpliedVolatilityResult

MAXIMUM_VOLATILITY = DOMAIN["volatility"][1]
_NEWTON_MAX_ITERATIONS = 100
_NEWTON_STEP_TOLERANCE = 4.0 * np.finfo(np.float64).eps  # relative change of volatility
_NEWTON_NOISE_FLOOR = 1e-10  # relative step below which a non-shrinking step is noise
_SMALLEST_START = 1e-8  # smallest starting volatility of the Newton iteration
_BRACKET_START = (0.05, 1.0)  # first bracket of the generic solver (volatility)
_BRACKET_FLOOR = 1e-4  # smallest volatility the generic solver tries
_BRACKET_EXPANSION = 4.0
_BRACKET_MAX_ROUNDS = 12
_ILLINOIS_MAX_ITERATIONS = 100
_ILLINOIS_TOLERANCE = 1e-12  # relative bracket width at which the generic solver stops


@dataclass
class _Progress:
    """Mutable per-call solver state (local to one call, never shared)."""

    volatility: FloatArray
    iterations: NDArray[np.int64]
    failures: dict[int, str] = field(default_factory=dict)

    def fail(self, positions: IndexArray, message: str) -> None:
        for position in positions.tolist():
            self.failures.setdefault(position, message)
        self.volatility[positions] = np.nan

    def result(self) -> ImpliedVolatilityResult:
        return ImpliedVolatilityResult(self.volatility, self.iterations, self.failures)


def _positions(failures: dict[int, str]) -> IndexArray:
    return np.fromiter(failures, dtype=np.intp, count=len(failures))


def _remaining(n: int, failures: dict[int, str]) -> IndexArray:
    """Positions not in ``failures``, in order."""
    failed = np.zeros(n, dtype=np.bool_)
    failed[_positions(failures)] = True
    return np.flatnonzero(~failed)


def _new_progress(n: int) -> _Progress:
    return _Progress(np.full(n, np.nan), np.zeros(n, dtype=np.int64))


def no_arbitrage_failures(batch: OptionBatch, price: FloatArray) -> dict[int, str]:
    """Items whose price is at or outside the no-arbitrage bounds, with the bound named.

    European: lower ``max(±(S e^{-qT} - K e^{-rT}), 0)``; upper ``S e^{-qT}`` for calls,
    ``K e^{-rT}`` for puts. American: the lower bound also includes immediate exercise
    ``max(±(S - K), 0)``; the upper bound is ``max(S, S e^{-qT})`` for calls and
    ``max(K, K e^{-rT})`` for puts.
    """
    spot_discounted = batch.spot * np.exp(-batch.dividend_yield * batch.time_to_expiry)
    strike_discounted = batch.strike * np.exp(-batch.rate * batch.time_to_expiry)
    sign = np.where(batch.is_call, 1.0, -1.0)
    lower = np.maximum(sign * (spot_discounted - strike_discounted), 0.0)
    upper = np.where(batch.is_call, spot_discounted, strike_discounted)
    american = batch.is_american
    lower = np.where(american, np.maximum(lower, sign * (batch.spot - batch.strike)), lower)
    upper_american = np.where(
        batch.is_call,
        np.maximum(batch.spot, spot_discounted),
        np.maximum(batch.strike, strike_discounted),
    )
    upper = np.where(american, upper_american, upper)
    failures: dict[int, str] = {}
    for position in np.flatnonzero(price <= lower).tolist():
        bound = "intrinsic value" if american[position] else "discounted intrinsic value"
        failures[position] = (
            f"price {float(price[position])!r} is at or below the no-arbitrage lower bound "
            f"{lower[position]:.12g} ({bound}); no volatility fits"
        )
    for position in np.flatnonzero(price >= upper).tolist():
        bound = "S·e^(-qT)" if batch.is_call[position] else "K·e^(-rT)"
        if american[position]:
            bound = "spot" if batch.is_call[position] else "strike"
        failures[position] = (
            f"price {float(price[position])!r} is at or above the no-arbitrage upper bound "
            f"{upper[position]:.12g} ({bound}); no volatility fits"
        )
    return failures


# --- Black–Scholes fast path -------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _OutOfTheMoney:
    """The problem restated on the out-of-the-money option: same volatility, smaller price."""

    batch: OptionBatch  # is_call set to the out-of-the-money side
    target: FloatArray  # its price (currency)
    inflection: FloatArray  # volatility where its vega peaks: sqrt(2 |ln(F/K)| / T)


def _out_of_the_money(batch: OptionBatch, price: FloatArray) -> _OutOfTheMoney:
    spot_discounted = batch.spot * np.exp(-batch.dividend_yield * batch.time_to_expiry)
    strike_discounted = batch.strike * np.exp(-batch.rate * batch.time_to_expiry)
    forward_intrinsic = spot_discounted - strike_discounted  # call minus put, by parity
    call_is_out = forward_intrinsic <= 0.0
    target = price - np.where(batch.is_call, 1.0, -1.0) * np.where(
        batch.is_call == call_is_out, 0.0, forward_intrinsic
    )
    log_moneyness = np.log(spot_discounted / strike_discounted)
    return _OutOfTheMoney(
        batch=batch.replace(is_call=call_is_out),
        target=target,
        inflection=np.sqrt(2.0 * np.abs(log_moneyness) / batch.time_to_expiry),
    )


def _initial_volatility(problem: _OutOfTheMoney, log_scale: BoolArray) -> FloatArray:
    """Start at the inflection point; above it (concave region) at the Brenner–Subrahmanyam
    at-the-money guess when that is further right, which saves steps near the money."""
    batch = problem.batch
    at_the_money_guess = (
        problem.target
        * np.sqrt(2.0 * np.pi / batch.time_to_expiry)
        / (batch.spot * np.exp(-batch.dividend_yield * batch.time_to_expiry))
    )
    guess = np.where(
        log_scale, problem.inflection, np.maximum(problem.inflection, at_the_money_guess)
    )
    result: FloatArray = np.clip(guess, _SMALLEST_START, MAXIMUM_VOLATILITY)
    return result


def _newton_candidate(
    volatility: FloatArray,
    price: FloatArray,
    vega: FloatArray,
    target: FloatArray,
    log_scale: BoolArray,
) -> FloatArray:
    """Newton's next volatility, on the price or (where ``log_scale``) on its logarithm."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        linear_step = (price - target) / vega
        log_step = (np.log(price) - np.log(target)) * price / vega
    result: FloatArray = volatility - np.where(log_scale, log_step, linear_step)
    return result


@dataclass
class _NewtonState:
    """Items still iterating: positions, their problem, bracket and current volatility."""

    active: IndexArray
    batch: OptionBatch
    target: FloatArray
    log_scale: BoolArray
    low: FloatArray
    high: FloatArray
    volatility: FloatArray
    previous_step: FloatArray  # size of the last change of volatility

    def keep(self, mask: BoolArray) -> None:
        self.active, self.batch = self.active[mask], self.batch.take(np.flatnonzero(mask))
        self.target, self.log_scale = self.target[mask], self.log_scale[mask]
        self.low, self.high = self.low[mask], self.high[mask]
        self.volatility, self.previous_step = self.volatility[mask], self.previous_step[mask]


def _newton_state(problem: _OutOfTheMoney, active: IndexArray) -> _NewtonState:
    batch, target = problem.batch.take(active), problem.target[active]
    inflection = np.clip(problem.inflection[active], _SMALLEST_START, MAXIMUM_VOLATILITY)
    inflection_price, _ = black_scholes_price_and_vega(batch.replace(volatility=inflection))
    log_scale = target < inflection_price  # below the inflection: convex region
    sub_problem = _OutOfTheMoney(batch, target, problem.inflection[active])
    return _NewtonState(
        active=active,
        batch=batch,
        target=target,
        log_scale=log_scale,
        low=np.zeros(len(active)),
        high=np.full(len(active), MAXIMUM_VOLATILITY),
        volatility=_initial_volatility(sub_problem, log_scale),
        previous_step=np.full(len(active), np.inf),
    )


def _newton_step(
    state: _NewtonState, price: FloatArray, vega: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """Next volatility per item and whether the item has converged.

    Safeguards (as in Numerical Recipes' ``rtsafe``): a Newton step that leaves the bracket,
    or that does not at least halve the previous step while still large, becomes a
    bisection. Converged: the step is a few ulps; or it stopped shrinking below 1e-10
    relative, i.e. it is rounding noise in the price; or the bracket has collapsed.
    """
    newton = _newton_candidate(state.volatility, price, vega, state.target, state.log_scale)
    step = np.abs(newton - state.volatility)
    at_noise_floor = step <= _NEWTON_NOISE_FLOOR * state.volatility
    shrinking = step <= 0.5 * state.previous_step
    inside = np.isfinite(newton) & (newton > state.low) & (newton < state.high)
    use_newton = (inside & shrinking) | at_noise_floor
    candidate = np.where(use_newton, newton, 0.5 * (state.low + state.high))
    tolerance = _NEWTON_STEP_TOLERANCE * state.volatility
    converged = (
        (price == state.target)
        | (step <= tolerance)
        | (at_noise_floor & ~shrinking)
        | (state.high - state.low <= tolerance)
    )
    state.previous_step = np.abs(candidate - state.volatility)
    return np.where(price == state.target, state.volatility, candidate), converged


def _newton_solve(problem: _OutOfTheMoney, progress: _Progress, active: IndexArray) -> None:
    state = _newton_state(problem, active)
    for _ in range(_NEWTON_MAX_ITERATIONS):
        if len(state.active) == 0:
            return
        price, vega = black_scholes_price_and_vega(state.batch.replace(volatility=state.volatility))
        progress.iterations[state.active] += 1
        state.low = np.where(price < state.target, state.volatility, state.low)
        state.high = np.where(price > state.target, state.volatility, state.high)
        state.volatility, converged = _newton_step(state, price, vega)
        progress.volatility[state.active[converged]] = state.volatility[converged]
        state.keep(~converged)
    progress.fail(state.active, "implied volatility did not converge")


def black_scholes_implied_volatility(
    batch: OptionBatch, price: FloatArray
) -> ImpliedVolatilityResult:
    """Black–Scholes implied volatility of each European option from its price (currency).

    ``batch.volatility`` is ignored. Returns annualized volatilities (NaN where failed) and,
    for failed items, why.
    """
    progress = _new_progress(len(batch))
    bounds = no_arbitrage_failures(batch, price)
    progress.failures.update(bounds)
    progress.volatility[_positions(bounds)] = np.nan
    problem = _out_of_the_money(batch, price)
    candidates = _remaining(len(batch), bounds)
    ceiling, _ = black_scholes_price_and_vega(
        problem.batch.take(candidates).replace(
            volatility=np.full(len(candidates), MAXIMUM_VOLATILITY)
        )
    )
    too_high = problem.target[candidates] >= ceiling
    progress.fail(candidates[too_high], _above_maximum_message())
    _newton_solve(problem, progress, candidates[~too_high])
    return progress.result()


def _above_maximum_message() -> str:
    return (
        f"price implies a volatility above the maximum {MAXIMUM_VOLATILITY:g} of the search range"
    )


# --- Generic bracketed path --------------------------------------------------------------


PriceOf = Callable[[OptionBatch], FloatArray]


@dataclass(frozen=True, eq=False)
class _Search:
    """One generic search: the engine's price function, the items and their target prices."""

    price_of: PriceOf
    batch: OptionBatch
    target: FloatArray
    progress: _Progress

    def errors(self, active: IndexArray, volatility: FloatArray) -> FloatArray:
        """Model price minus target price for the items ``active`` at ``volatility``."""
        self.progress.iterations[active] += 1
        model_price = self.price_of(self.batch.take(active).replace(volatility=volatility))
        result: FloatArray = model_price - self.target[active]
        return result


@dataclass
class _Bracket:
    """Per active item: volatilities bracketing the root and price errors there."""

    active: IndexArray
    low: FloatArray
    high: FloatArray
    error_low: FloatArray  # model price minus target at ``low``
    error_high: FloatArray

    def keep(self, mask: BoolArray) -> None:
        self.active, self.low, self.high = self.active[mask], self.low[mask], self.high[mask]
        self.error_low, self.error_high = self.error_low[mask], self.error_high[mask]


def _shift_down(search: _Search, bracket: _Bracket, down: IndexArray) -> None:
    """Price too high at ``low``: the old low becomes the high, a lower low is tried."""
    bracket.high[down], bracket.error_high[down] = bracket.low[down], bracket.error_low[down]
    bracket.low[down] = np.maximum(bracket.low[down] / _BRACKET_EXPANSION, _BRACKET_FLOOR)
    bracket.error_low[down] = search.errors(bracket.active[down], bracket.low[down])


def _shift_up(search: _Search, bracket: _Bracket, up: IndexArray) -> None:
    """Price too low at ``high``: the old high becomes the low, a higher high is tried."""
    bracket.low[up], bracket.error_low[up] = bracket.high[up], bracket.error_high[up]
    bracket.high[up] = np.minimum(bracket.high[up] * _BRACKET_EXPANSION, MAXIMUM_VOLATILITY)
    bracket.error_high[up] = search.errors(bracket.active[up], bracket.high[up])


def _drop_unbracketed(search: _Search, bracket: _Bracket) -> None:
    broken = ~(np.isfinite(bracket.error_low) & np.isfinite(bracket.error_high))
    search.progress.fail(
        bracket.active[broken], "the model could not be priced while bracketing the volatility"
    )
    low_failed = ~broken & (bracket.error_low > 0.0)
    search.progress.fail(
        bracket.active[low_failed],
        f"price implies a volatility below the minimum {_BRACKET_FLOOR:g} of the search range",
    )
    high_failed = ~broken & (bracket.error_high < 0.0)
    search.progress.fail(bracket.active[high_failed], _above_maximum_message())
    bracket.keep(~(broken | low_failed | high_failed))


def _expand_bracket(search: _Search, active: IndexArray) -> _Bracket:
    """Slide a starting bracket geometrically until the price errors change sign."""
    low = np.full(len(active), _BRACKET_START[0])
    high = np.full(len(active), _BRACKET_START[1])
    bracket = _Bracket(active, low, high, search.errors(active, low), search.errors(active, high))
    for _ in range(_BRACKET_MAX_ROUNDS):
        move_down = (bracket.error_low > 0.0) & (bracket.low > _BRACKET_FLOOR)
        move_up = (bracket.error_high < 0.0) & (bracket.high < MAXIMUM_VOLATILITY) & ~move_down
        if not (move_down.any() or move_up.any()):
            break
        _shift_down(search, bracket, np.flatnonzero(move_down))
        _shift_up(search, bracket, np.flatnonzero(move_up))
    _drop_unbracketed(search, bracket)
    return bracket


def _illinois_step(search: _Search, bracket: _Bracket, last_side: NDArray[np.int8]) -> FloatArray:
    """One regula falsi step; returns the trial volatilities and their price errors."""
    weight = bracket.error_high / (bracket.error_high - bracket.error_low)
    trial = bracket.high - weight * (bracket.high - bracket.low)
    trial = np.where(np.isfinite(trial), trial, 0.5 * (bracket.low + bracket.high))
    error = search.errors(bracket.active, trial)
    above = error > 0.0
    # Illinois: when the same end moves twice in a row, halve the stale end's error.
    bracket.error_low = np.where(
        above & (last_side == 1), 0.5 * bracket.error_low, bracket.error_low
    )
    bracket.error_high = np.where(
        ~above & (last_side == -1), 0.5 * bracket.error_high, bracket.error_high
    )
    bracket.high = np.where(above, trial, bracket.high)
    bracket.error_high = np.where(above, error, bracket.error_high)
    bracket.low = np.where(above, bracket.low, trial)
    bracket.error_low = np.where(above, bracket.error_low, error)
    last_side[:] = np.where(above, 1, -1)
    return np.stack([trial, error])


def _illinois(search: _Search, bracket: _Bracket) -> None:
    last_side = np.zeros(len(bracket.active), dtype=np.int8)  # -1 low moved, +1 high moved
    for _ in range(_ILLINOIS_MAX_ITERATIONS):
        if len(bracket.active) == 0:
            return
        trial, error = _illinois_step(search, bracket, last_side)
        converged = bracket.high - bracket.low <= _ILLINOIS_TOLERANCE * bracket.high
        done = (error == 0.0) | converged
        search.progress.volatility[bracket.active[done]] = trial[done]
        failed = ~np.isfinite(error)
        search.progress.fail(
            bracket.active[failed], "the model could not be priced during the volatility search"
        )
        last_side = last_side[~(done | failed)]
        bracket.keep(~(done | failed))
    search.progress.fail(bracket.active, "implied volatility did not converge")


def bracketed_implied_volatility(
    price_of: PriceOf, batch: OptionBatch, price: FloatArray
) -> ImpliedVolatilityResult:
    """Implied volatility for any engine, given its price function of a batch.

    ``batch.volatility`` is ignored; ``price`` is in currency. Returns annualized
    volatilities (NaN where failed) and, for failed items, why.
    """
    progress = _new_progress(len(batch))
    bounds = no_arbitrage_failures(batch, price)
    progress.failures.update(bounds)
    progress.volatility[_positions(bounds)] = np.nan
    candidates = _remaining(len(batch), bounds)
    search = _Search(price_of, batch, price, progress)
    _illinois(search, _expand_bracket(search, candidates))
    return progress.result()
