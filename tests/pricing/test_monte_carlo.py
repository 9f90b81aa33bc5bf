"""Monte Carlo against the Black–Scholes closed form, and its reproducibility contract."""

from __future__ import annotations

import numpy as np
import pytest

from quant_engine.pricing import OptionBatch, price_options
from quant_engine.pricing.black_scholes import black_scholes_valuation
from quant_engine.pricing.monte_carlo import antithetic_pairs, monte_carlo_price


def random_batch(seed: int, n: int) -> OptionBatch:
    rng = np.random.default_rng(seed)
    return OptionBatch.create(
        spot=rng.uniform(60.0, 140.0, n),
        strike=100.0,
        time_to_expiry=rng.uniform(0.05, 3.0, n),
        volatility=rng.uniform(0.1, 0.8, n),
        rate=rng.uniform(-0.02, 0.1, n),
        dividend_yield=rng.uniform(0.0, 0.08, n),
        is_call=rng.random(n) < 0.5,
    )


def test_prices_lie_within_four_standard_errors_of_black_scholes() -> None:
    batch = random_batch(seed=1, n=60)
    outcome = price_options(batch, "monte_carlo", {"paths": 200_000, "seed": 7})
    assert outcome.standard_error is not None
    exact = black_scholes_valuation(batch).price
    z_scores = (outcome.price - exact) / outcome.standard_error
    assert np.all(np.abs(z_scores) < 4.0)
    assert np.all(outcome.standard_error > 0.0)


def test_standard_error_shrinks_with_the_square_root_of_paths() -> None:
    batch = random_batch(seed=8, n=20)
    few = price_options(batch, "monte_carlo", {"paths": 50_000, "seed": 3}).standard_error
    many = price_options(batch, "monte_carlo", {"paths": 200_000, "seed": 3}).standard_error
    assert few is not None
    assert many is not None
    np.testing.assert_allclose(few / many, 2.0, rtol=0.1)


def test_same_seed_gives_bit_identical_prices_and_greeks() -> None:
    batch = random_batch(seed=2, n=20)
    first = price_options(batch, "monte_carlo", {"paths": 20_000, "seed": 123})
    second = price_options(batch, "monte_carlo", {"paths": 20_000, "seed": 123})
    for name in ("price", "delta", "gamma", "vega", "theta", "rho", "standard_error"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))


def test_different_seeds_give_different_prices() -> None:
    batch = random_batch(seed=3, n=20)
    first = monte_carlo_price(batch, {"paths": 20_000, "seed": 1})
    second = monte_carlo_price(batch, {"paths": 20_000, "seed": 2})
    assert np.all(first != second)


def test_price_does_not_depend_on_position_or_neighbours_in_the_batch() -> None:
    batch = random_batch(seed=4, n=50)
    parameters = {"paths": 140_000, "seed": 9}  # more than one chunk of draws per row
    whole = monte_carlo_price(batch, parameters)
    reversed_order = monte_carlo_price(batch.take(np.arange(50)[::-1]), parameters)[::-1]
    alone = monte_carlo_price(batch.take(np.array([17])), parameters)
    np.testing.assert_array_equal(whole, reversed_order)
    assert alone[0] == whole[17]


def test_odd_path_count_rounds_up_to_whole_antithetic_pairs() -> None:
    assert antithetic_pairs(10_001) == 5_001
    batch = random_batch(seed=5, n=3)
    np.testing.assert_array_equal(
        monte_carlo_price(batch, {"paths": 10_001, "seed": 4}),
        monte_carlo_price(batch, {"paths": 10_002, "seed": 4}),
    )


def test_finite_difference_greeks_agree_with_black_scholes() -> None:
    batch = random_batch(seed=6, n=30)
    outcome = price_options(batch, "monte_carlo", {"paths": 400_000, "seed": 5})
    exact = black_scholes_valuation(batch)
    # Sampling noise with 200,000 pairs and common random numbers: a few per cent at most
    # (gamma, a second difference, is the noisiest).
    tolerance = {"delta": 0.02, "gamma": 0.08, "vega": 0.05, "theta": 0.08, "rho": 0.02}
    for name, limit in tolerance.items():
        expected = getattr(exact, name)
        floor = 0.01 * np.max(np.abs(expected))
        relative = np.abs(getattr(outcome, name) - expected) / (np.abs(expected) + floor)
        assert relative.max() < limit, name


def test_american_exercise_is_rejected_per_item() -> None:
    batch = OptionBatch.create(
        spot=100.0, strike=100.0, time_to_expiry=1.0, volatility=0.2, is_american=[False, True]
    )
    outcome = price_options(batch, "monte_carlo", {"paths": 2_000})
    assert outcome.errors[0] is None
    error = outcome.errors[1]
    assert error is not None
    assert (error.code, error.field) == ("VALIDATION_ERROR", "exercise")
    assert np.isnan(outcome.price[1])
    assert outcome.standard_error is not None
    assert np.isnan(outcome.standard_error[1])
    assert outcome.price[0] == pytest.approx(7.97, abs=0.5)
