"""The Cox–Ross–Rubinstein tree against QuantLib 1.44's BinomialVanillaEngine("crr").

Both build the same tree (drift in the probabilities, nodes centred on spot), so prices,
delta and gamma agree to rounding. One QuantLib quirk shapes the American cases: when
``(T / n) * n`` rounds below ``T`` in floating point, QuantLib skips the exercise condition
at expiry (its grid's last time is just under the exercise time), so its American value
loses the terminal payoff and can fall below the European one. The American comparisons
use maturities where the grid ends exactly on ``T``.
"""

from __future__ import annotations

import numpy as np
import pytest
import QuantLib as ql  # noqa: N813 - the library's customary alias

from quant_engine.pricing import OptionBatch, price_options
from quant_engine.pricing.binomial import crr_tree
from quant_engine.pricing.black_scholes import black_scholes_valuation

TODAY = ql.Date(17, 6, 2024)


def quantlib_crr(
    option: dict[str, float | bool], days: int, steps: int
) -> tuple[float, float, float]:
    """QuantLib's CRR price, delta and gamma; T = days / 365 (Actual/365 Fixed)."""
    ql.Settings.instance().evaluationDate = TODAY
    day_count = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(float(option["spot"]))),
        ql.YieldTermStructureHandle(
            ql.FlatForward(TODAY, float(option["dividend_yield"]), day_count)
        ),
        ql.YieldTermStructureHandle(ql.FlatForward(TODAY, float(option["rate"]), day_count)),
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(TODAY, ql.NullCalendar(), float(option["volatility"]), day_count)
        ),
    )
    maturity = TODAY + days
    exercise = (
        ql.AmericanExercise(TODAY, maturity)
        if option["is_american"]
        else ql.EuropeanExercise(maturity)
    )
    option_type = ql.Option.Call if option["is_call"] else ql.Option.Put
    vanilla = ql.VanillaOption(
        ql.PlainVanillaPayoff(option_type, float(option["strike"])), exercise
    )
    vanilla.setPricingEngine(ql.BinomialVanillaEngine(process, "crr", steps))
    return vanilla.NPV(), vanilla.delta(), vanilla.gamma()


def random_options(seed: int, n: int, steps: int) -> tuple[OptionBatch, np.ndarray]:
    """Random options and their whole-day expiries, keeping only grids that end on T."""
    rng = np.random.default_rng(seed)
    days = rng.integers(5, 1500, 4 * n)
    days = days[(days / 365.0 / steps) * steps == days / 365.0][:n]
    size = len(days)
    batch = OptionBatch.create(
        spot=rng.uniform(50.0, 150.0, size),
        strike=100.0,
        time_to_expiry=days / 365.0,
        volatility=rng.uniform(0.1, 0.8, size),
        rate=rng.uniform(-0.02, 0.1, size),
        dividend_yield=rng.uniform(0.0, 0.08, size),
        is_call=rng.random(size) < 0.5,
        is_american=rng.random(size) < 0.5,
    )
    return batch, days


def option_dict(batch: OptionBatch, i: int) -> dict[str, float | bool]:
    names = ("spot", "strike", "volatility", "rate", "dividend_yield", "is_call", "is_american")
    return {name: getattr(batch, name)[i].item() for name in names}


@pytest.mark.parametrize("steps", [2, 3, 50, 500])
def test_price_delta_gamma_match_quantlib_crr(steps: int) -> None:
    batch, days = random_options(seed=steps, n=40, steps=steps)
    assert len(batch) >= 20
    assert batch.is_american.any()
    assert (~batch.is_american).any()
    ours = crr_tree(batch, steps)
    reference = np.array(
        [quantlib_crr(option_dict(batch, i), int(days[i]), steps) for i in range(len(batch))]
    )
    np.testing.assert_allclose(ours.price, reference[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.delta, reference[:, 1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.gamma, reference[:, 2], rtol=1e-8, atol=1e-12)


def test_american_put_matches_published_quantlib_value() -> None:
    # TOOLCHAIN.md: S=100, K=110, T=1, r=5%, vol=30%, 500 steps -> QuantLib 15.622259
    batch = OptionBatch.create(
        spot=100.0,
        strike=110.0,
        time_to_expiry=1.0,
        volatility=0.3,
        rate=0.05,
        is_call=False,
        is_american=True,
    )
    outcome = price_options(batch, "binomial", {"steps": 500})
    expected = quantlib_crr(option_dict(batch, 0), 365, 500)[0]
    assert outcome.price[0] == pytest.approx(expected, rel=1e-10)
    assert outcome.price[0] == pytest.approx(15.622259, abs=5e-7)


def test_american_put_is_worth_at_least_european_and_intrinsic() -> None:
    rng = np.random.default_rng(11)
    n = 200
    european = OptionBatch.create(
        spot=rng.uniform(40.0, 160.0, n),
        strike=100.0,
        time_to_expiry=rng.uniform(0.05, 3.0, n),
        volatility=rng.uniform(0.05, 0.9, n),
        rate=rng.uniform(0.0, 0.15, n),
        dividend_yield=rng.uniform(0.0, 0.05, n),
        is_call=False,
    )
    american = european.replace(is_american=np.ones(n, dtype=bool))
    european_price = crr_tree(european, 300).price
    american_price = crr_tree(american, 300).price
    assert np.all(american_price >= european_price)
    assert np.all(american_price >= np.maximum(american.strike - american.spot, 0.0))
    # with positive rates early exercise has value somewhere in this sample
    assert np.any(american_price > european_price + 1e-3)


def test_european_greeks_approach_black_scholes() -> None:
    rng = np.random.default_rng(5)
    n = 150
    batch = OptionBatch.create(
        spot=rng.uniform(60.0, 140.0, n),
        strike=100.0,
        time_to_expiry=rng.uniform(0.05, 3.0, n),
        volatility=rng.uniform(0.1, 0.8, n),
        rate=rng.uniform(-0.02, 0.1, n),
        dividend_yield=rng.uniform(0.0, 0.08, n),
        is_call=rng.random(n) < 0.5,
    )
    tree = price_options(batch, "binomial", {"steps": 500})
    closed_form = black_scholes_valuation(batch)
    # A 500-step tree's discretisation error is O(1/n); greeks from differences of trees
    # inherit it, so they are held to 3 % of their size (floored at 1 % of the largest).
    for name in ("price", "delta", "gamma", "vega", "theta", "rho"):
        expected = getattr(closed_form, name)
        floor = 0.01 * np.max(np.abs(expected))
        relative = np.abs(getattr(tree, name) - expected) / (np.abs(expected) + floor)
        assert relative.max() < 0.03, name


def test_american_theta_is_zero_where_exercise_is_immediate() -> None:
    batch = OptionBatch.create(
        spot=40.0,
        strike=100.0,
        time_to_expiry=1.0,
        volatility=0.2,
        rate=0.08,
        is_call=False,
        is_american=True,
    )
    outcome = price_options(batch, "binomial", {"steps": 200})
    assert outcome.price[0] == pytest.approx(60.0, abs=1e-12)
    assert outcome.delta[0] == pytest.approx(-1.0, abs=1e-12)
    assert outcome.theta[0] == pytest.approx(0.0, abs=1e-12)


def test_one_step_tree_prices_with_zero_gamma() -> None:
    batch = OptionBatch.create(spot=100.0, strike=100.0, time_to_expiry=1.0, volatility=0.2)
    outcome = price_options(batch, "binomial", {"steps": 1})
    up = np.exp(0.2)  # one step of dx = vol sqrt(T); the down node is out of the money
    probability = 0.5 + 0.5 * (-0.02) / 0.2
    assert outcome.price[0] == pytest.approx(probability * 100.0 * (up - 1.0), rel=1e-14)
    assert outcome.gamma[0] == 0.0
    assert outcome.errors == (None,)
    assert np.isfinite(outcome.theta[0])


def test_negative_branch_probability_is_a_per_item_validation_error() -> None:
    # p = 1/2 + 1/2 (r - vol^2/2) dt / (vol sqrt(dt)): vol 1 % gives p = 35.9, vol 300 % p = 0.09
    batch = OptionBatch.create(
        spot=100.0, strike=100.0, time_to_expiry=1.0, volatility=[0.01, 3.0], rate=1.0
    )
    outcome = price_options(batch, "binomial", {"steps": 2})
    error = outcome.errors[0]
    assert error is not None
    assert (error.code, error.field) == ("VALIDATION_ERROR", "parameters.steps")
    assert np.isnan(outcome.price[0])
    assert outcome.errors[1] is None
    assert np.isfinite(outcome.price[1])
