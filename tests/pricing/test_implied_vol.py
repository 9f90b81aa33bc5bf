"""Implied volatility: round trips through each engine and failures per item."""

from __future__ import annotations

import numpy as np
import pytest
from vollib.black_scholes.implied_volatility import (
    implied_volatility as vollib_implied_volatility,
)

from quant_engine.pricing import (
    OptionBatch,
    implied_volatility,
    implied_volatility_grouped,
    price_options,
)


def strike_expiry_grid(is_call: bool) -> tuple[OptionBatch, np.ndarray]:
    """Strikes 50..200 x expiries 0.01..10 years x volatilities 5 %..200 %, spot 100."""
    strikes = np.linspace(50.0, 200.0, 31)
    expiries = np.array([0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
    volatilities = np.array([0.05, 0.2, 0.5, 1.0, 2.0])
    strike, expiry, volatility = (
        axis.ravel() for axis in np.meshgrid(strikes, expiries, volatilities, indexing="ij")
    )
    batch = OptionBatch.create(
        spot=100.0,
        strike=strike,
        time_to_expiry=expiry,
        volatility=volatility,
        rate=0.03,
        dividend_yield=0.01,
        is_call=is_call,
    )
    return batch, volatility


def well_conditioned(batch: OptionBatch, price: np.ndarray) -> np.ndarray:
    """Items whose price carries the volatility: time value and room below the upper bound
    are both at least 1e-4 of the price, and the price is a normal (not subnormal) double.
    Elsewhere the price rounds to a bound and no solver can recover the volatility."""
    t = batch.time_to_expiry
    spot_discounted = batch.spot * np.exp(-batch.dividend_yield * t)
    strike_discounted = batch.strike * np.exp(-batch.rate * t)
    sign = np.where(batch.is_call, 1.0, -1.0)
    lower = np.maximum(sign * (spot_discounted - strike_discounted), 0.0)
    upper = np.where(batch.is_call, spot_discounted, strike_discounted)
    return (price > 1e-300) & (price - lower >= 1e-4 * price) & (upper - price >= 1e-4 * price)


@pytest.mark.parametrize("is_call", [True, False])
def test_black_scholes_round_trip_recovers_volatility_to_1e_9(is_call: bool) -> None:
    batch, volatility = strike_expiry_grid(is_call)
    price = price_options(batch, "black_scholes", {}).price
    ignored = batch.replace(volatility=np.full(len(batch), np.nan))  # input vol is ignored
    outcome = implied_volatility(ignored, price, "black_scholes", {})
    usable = well_conditioned(batch, price)
    assert usable.mean() > 0.75
    recovered = outcome.implied_volatility[usable]
    np.testing.assert_allclose(recovered, volatility[usable], rtol=1e-9, atol=0.0)
    assert all(outcome.errors[i] is None for i in np.flatnonzero(usable))


def test_price_below_lower_bound_fails_naming_the_bound() -> None:
    # call, S=120, K=100, T=1, r=5 %: discounted intrinsic 120 - 100 e^-0.05 = 24.877
    batch = OptionBatch.create(
        spot=120.0, strike=100.0, time_to_expiry=1.0, volatility=0.2, rate=0.05
    )
    outcome = implied_volatility(batch, np.array([24.0]), "black_scholes", {})
    error = outcome.errors[0]
    assert error is not None
    assert error.code == "CALCULATION_FAILED"
    assert "lower bound" in error.message
    assert np.isnan(outcome.implied_volatility[0])


def test_price_above_upper_bound_fails_naming_the_bound() -> None:
    batch = OptionBatch.create(
        spot=100.0,
        strike=100.0,
        time_to_expiry=1.0,
        volatility=0.2,
        rate=0.05,
        dividend_yield=0.02,
        is_call=[True, False],
    )
    # upper bounds: call S e^-qT = 98.02, put K e^-rT = 95.12
    outcome = implied_volatility(batch, np.array([99.0, 96.0]), "black_scholes", {})
    for error, bound in zip(outcome.errors, ("S·e^(-qT)", "K·e^(-rT)"), strict=True):
        assert error is not None
        assert error.code == "CALCULATION_FAILED"
        assert "upper bound" in error.message
        assert bound in error.message


def test_nonpositive_price_is_a_validation_error_on_price() -> None:
    batch = OptionBatch.create(spot=100.0, strike=100.0, time_to_expiry=1.0, volatility=0.2)
    outcome = implied_volatility(
        batch.take(np.array([0, 0])), np.array([0.0, 8.0]), "black_scholes", {}
    )
    error = outcome.errors[0]
    assert error is not None
    assert (error.code, error.field) == ("VALIDATION_ERROR", "price")
    assert outcome.errors[1] is None
    # reference: vollib (Jäckel's "Let's be rational") for the same call
    assert outcome.implied_volatility[1] == pytest.approx(
        vollib_implied_volatility(8.0, 100.0, 100.0, 1.0, 0.0, "c"), rel=1e-12
    )


def test_generic_solver_inverts_the_american_binomial_tree() -> None:
    rng = np.random.default_rng(3)
    n = 30
    batch = OptionBatch.create(
        spot=100.0,
        strike=rng.uniform(70.0, 140.0, n),
        time_to_expiry=rng.uniform(0.1, 2.0, n),
        volatility=rng.uniform(0.1, 0.9, n),
        rate=0.05,
        dividend_yield=0.02,
        is_call=rng.random(n) < 0.5,
        is_american=True,
    )
    parameters = {"steps": 200}
    price = price_options(batch, "binomial", parameters).price
    outcome = implied_volatility(batch, price, "binomial", parameters)
    # deep in-the-money puts may be worth exactly their exercise value: no volatility fits
    solved = np.array([error is None for error in outcome.errors])
    immediate = price <= np.maximum(batch.strike - batch.spot, 0.0) * ~batch.is_call
    np.testing.assert_array_equal(solved, ~immediate)
    assert solved.sum() >= n - 3
    np.testing.assert_allclose(
        outcome.implied_volatility[solved], batch.volatility[solved], rtol=1e-9
    )


def test_generic_solver_inverts_monte_carlo_with_its_fixed_draws() -> None:
    batch = OptionBatch.create(
        spot=100.0, strike=[80.0, 100.0, 125.0], time_to_expiry=1.0, volatility=0.3, rate=0.02
    )
    parameters = {"paths": 20_000, "seed": 11}
    price = price_options(batch, "monte_carlo", parameters).price
    outcome = implied_volatility(batch, price, "monte_carlo", parameters)
    np.testing.assert_allclose(outcome.implied_volatility, 0.3, rtol=1e-9)


def test_grouped_solves_each_item_with_its_own_model() -> None:
    batch = OptionBatch.create(
        spot=100.0,
        strike=100.0,
        time_to_expiry=1.0,
        volatility=0.25,
        rate=0.05,
        is_call=False,
        is_american=[False, True, False, True],
    )
    models = ["black_scholes", "binomial", "no_such_model", "black_scholes"]
    parameters = [{}, {"steps": 100}, {}, {}]
    price = np.array(
        [
            price_options(batch.take(np.array([0])), "black_scholes", {}).price[0],
            price_options(batch.take(np.array([1])), "binomial", {"steps": 100}).price[0],
            5.0,
            6.0,
        ]
    )
    outcome = implied_volatility_grouped(batch, price, models, parameters)
    assert outcome.implied_volatility[0] == pytest.approx(0.25, rel=1e-12)
    assert outcome.implied_volatility[1] == pytest.approx(0.25, rel=1e-9)
    unknown, american = outcome.errors[2], outcome.errors[3]
    assert unknown is not None
    assert (unknown.code, unknown.field) == ("UNKNOWN_MODEL", "model")
    assert american is not None
    assert (american.code, american.field) == ("VALIDATION_ERROR", "exercise")
    assert np.isnan(outcome.implied_volatility[2:]).all()
