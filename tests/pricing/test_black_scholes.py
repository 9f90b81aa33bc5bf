"""Black–Scholes prices and greeks against independent references.

Reference: a 40-digit mpmath evaluation of the closed form (tolerance 1e-10 relative) and
QuantLib 1.44's AnalyticEuropeanEngine, whose normal CDF approximation is only good to
about 5e-10 relative in the tails (so it is held to 5e-9 there, see TOOLCHAIN.md).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import QuantLib as ql  # noqa: N813 - the library's customary alias

from quant_engine.pricing import OptionBatch, price_options
from quant_engine.pricing.black_scholes import black_scholes_price, black_scholes_valuation

GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")
# Below this magnitude doubles are subnormal or underflow: compare absolutely there.
UNDERFLOW_FLOOR = 1e-250


def random_batch(seed: int, n: int) -> OptionBatch:
    """Options across the whole domain: deep in/out of the money, expiries from 1e-4 years."""
    rng = np.random.default_rng(seed)
    return OptionBatch.create(
        spot=100.0 * np.exp(rng.uniform(-3.0, 3.0, n)),
        strike=100.0,
        time_to_expiry=np.exp(rng.uniform(np.log(1e-4), np.log(100.0), n)),
        volatility=np.exp(rng.uniform(np.log(0.01), np.log(10.0), n)),
        rate=rng.uniform(-1.0, 1.0, n),
        dividend_yield=rng.uniform(-1.0, 1.0, n),
        is_call=rng.random(n) < 0.5,
    )


def option_rows(batch: OptionBatch) -> list[dict[str, float | bool]]:
    """One dict of plain Python values per option, keyed by the batch's column names."""
    names = ("spot", "strike", "time_to_expiry", "volatility", "rate", "dividend_yield")
    columns = {name: getattr(batch, name).tolist() for name in (*names, "is_call")}
    return [{name: columns[name][i] for name in columns} for i in range(len(batch))]


def mpmath_valuation(option: dict[str, float | bool]) -> list[float]:
    """Price and the five greeks from the closed form at 40 significant digits."""
    is_call = bool(option["is_call"])
    with mpmath.workdps(40):
        s, k, t, sigma, r, q = (
            mpmath.mpf(float(option[name]))
            for name in ("spot", "strike", "time_to_expiry", "volatility", "rate", "dividend_yield")
        )
        root_t = mpmath.sqrt(t)
        d1 = (mpmath.log(s / k) + (r - q + sigma**2 / 2) * t) / (sigma * root_t)
        d2 = d1 - sigma * root_t
        spot_discounted, strike_discounted = s * mpmath.exp(-q * t), k * mpmath.exp(-r * t)
        sign = 1 if is_call else -1
        cdf1, cdf2 = mpmath.ncdf(sign * d1), mpmath.ncdf(sign * d2)
        density = spot_discounted * mpmath.npdf(d1)
        values = (
            sign * (spot_discounted * cdf1 - strike_discounted * cdf2),
            sign * mpmath.exp(-q * t) * cdf1,
            density / (s * s * sigma * root_t),
            density * root_t,
            -density * sigma / (2 * root_t)
            + sign * (q * spot_discounted * cdf1 - r * strike_discounted * cdf2),
            sign * t * strike_discounted * cdf2,
        )
        return [float(value) for value in values]


def test_price_and_greeks_match_mpmath_to_1e_10_relative() -> None:
    batch = random_batch(seed=20240611, n=3000)
    ours = black_scholes_valuation(batch)
    reference = np.array([mpmath_valuation(option) for option in option_rows(batch)])
    for column, name in enumerate(GREEKS):
        expected = reference[:, column]
        difference = np.abs(getattr(ours, name) - expected)
        tolerance = 1e-10 * np.abs(expected) + UNDERFLOW_FLOOR
        worst = int(np.argmax(difference / tolerance))
        assert np.all(difference <= tolerance), (name, worst, expected[worst])


def test_short_expiry_and_deep_out_of_the_money_keep_relative_accuracy() -> None:
    batch = OptionBatch.create(
        spot=100.0,
        strike=[100.0, 103.0, 97.0, 110.0, 90.0],
        time_to_expiry=1e-4,
        volatility=[0.2, 0.2, 0.2, 1.0, 1.0],
        rate=0.05,
        dividend_yield=0.01,
        is_call=[True, True, False, True, False],
    )
    ours = black_scholes_price(batch)
    expected = np.array([mpmath_valuation(option)[0] for option in option_rows(batch)])
    assert np.all(expected > 1e-60)
    np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=0.0)


def quantlib_greeks(option: dict[str, float | bool]) -> list[float]:
    """QuantLib's AnalyticEuropeanEngine on flat curves; T = days / 365 (Actual/365 Fixed)."""
    spot, strike, volatility, rate, dividend = (
        float(option[name]) for name in ("spot", "strike", "volatility", "rate", "dividend_yield")
    )
    days = round(float(option["time_to_expiry"]) * 365.0)
    today = ql.Date(3, 6, 2024)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, dividend, day_count)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rate, day_count)),
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(today, ql.NullCalendar(), volatility, day_count)
        ),
    )
    option_type = ql.Option.Call if option["is_call"] else ql.Option.Put
    option = ql.VanillaOption(
        ql.PlainVanillaPayoff(option_type, strike), ql.EuropeanExercise(today + days)
    )
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return [
        option.NPV(),
        option.delta(),
        option.gamma(),
        option.vega(),
        option.theta(),
        option.rho(),
    ]


def test_price_and_greeks_match_quantlib_analytic_engine() -> None:
    rng = np.random.default_rng(7)
    n = 400
    days = rng.integers(1, 3650, n)
    batch = OptionBatch.create(
        spot=100.0 * np.exp(rng.uniform(-0.7, 0.7, n)),
        strike=100.0,
        time_to_expiry=days / 365.0,
        volatility=rng.uniform(0.05, 1.5, n),
        rate=rng.uniform(-0.05, 0.15, n),
        dividend_yield=rng.uniform(-0.02, 0.1, n),
        is_call=rng.random(n) < 0.5,
    )
    ours = black_scholes_valuation(batch)
    reference = np.array([quantlib_greeks(option) for option in option_rows(batch)])
    for column, name in enumerate(GREEKS):
        expected = reference[:, column]
        # QuantLib's CDF is good to ~5e-10 relative: allow 5e-9, floor at 1e-12 of spot.
        np.testing.assert_allclose(
            getattr(ours, name), expected, rtol=5e-9, atol=1e-12 * 100.0, err_msg=name
        )


def test_put_call_parity_holds() -> None:
    batch = random_batch(seed=3, n=2000)
    calls = black_scholes_valuation(batch.replace(is_call=np.ones(len(batch), dtype=bool)))
    puts = black_scholes_valuation(batch.replace(is_call=np.zeros(len(batch), dtype=bool)))
    t = batch.time_to_expiry
    spot_discounted = batch.spot * np.exp(-batch.dividend_yield * t)
    strike_discounted = batch.strike * np.exp(-batch.rate * t)
    scale = spot_discounted + strike_discounted
    parity_gap = np.abs((calls.price - puts.price) - (spot_discounted - strike_discounted))
    assert np.all(parity_gap <= 1e-13 * scale)
    np.testing.assert_allclose(
        calls.delta - puts.delta, np.exp(-batch.dividend_yield * t), rtol=1e-13, atol=0.0
    )
    np.testing.assert_array_equal(calls.gamma, puts.gamma)
    np.testing.assert_array_equal(calls.vega, puts.vega)


def test_price_options_reports_analytic_greeks_without_standard_error() -> None:
    batch = OptionBatch.create(
        spot=100.0, strike=100.0, time_to_expiry=1.0, volatility=0.2, rate=0.05
    )
    outcome = price_options(batch, "black_scholes", {})
    # Hull, Options, Futures and Other Derivatives: S=K=100, T=1, r=5%, sigma=20% -> 10.4506
    assert outcome.price[0] == pytest.approx(10.450583572185565, rel=1e-14)
    assert outcome.standard_error is None
    assert outcome.errors == (None,)
