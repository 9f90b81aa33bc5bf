"""Black–Scholes–Merton closed form for European options with a continuous dividend yield.

Inputs are an :class:`OptionBatch` (times in years, rates, yields and volatilities as
continuously compounded annualized decimals); every function works on whole arrays.
The normal CDF is ``scipy.special.ndtr`` (about 1e-16 relative, also in the far tails);
each option is priced from the side where the CDF terms do not cancel
(``N(-d)`` for puts, ``N(d)`` for calls), so deep in- and out-of-the-money prices and very
short expiries keep their relative accuracy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import erfcx, ndtr

from quant_engine.pricing.domain import BoolArray, FloatArray, OptionBatch
from quant_engine.pricing.engine import Valuation

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)


@dataclass(frozen=True, eq=False)
class _Terms:
    """Shared intermediate quantities of the formula, per option."""

    sqrt_time: FloatArray  # sqrt(years)
    total_deviation: FloatArray  # sigma * sqrt(T)
    d1: FloatArray
    d2: FloatArray
    spot_discounted: FloatArray  # S exp(-qT)
    strike_discounted: FloatArray  # K exp(-rT)
    sign: FloatArray  # +1 for calls, -1 for puts


def _terms(batch: OptionBatch) -> _Terms:
    sqrt_time = np.sqrt(batch.time_to_expiry)
    total_deviation = batch.volatility * sqrt_time
    log_moneyness = np.log(batch.spot / batch.strike) + (
        (batch.rate - batch.dividend_yield) * batch.time_to_expiry
    )
    d1 = log_moneyness / total_deviation + 0.5 * total_deviation
    return _Terms(
        sqrt_time=sqrt_time,
        total_deviation=total_deviation,
        d1=d1,
        d2=d1 - total_deviation,
        spot_discounted=batch.spot * np.exp(-batch.dividend_yield * batch.time_to_expiry),
        strike_discounted=batch.strike * np.exp(-batch.rate * batch.time_to_expiry),
        sign=np.where(batch.is_call, 1.0, -1.0),
    )


def _price(terms: _Terms, cdf_d1: FloatArray, cdf_d2: FloatArray) -> FloatArray:
    """Price from ``N(±d1)``, ``N(±d2)``; deep in the tails via Mills ratios instead."""
    # call: S e^{-qT} N(d1) - K e^{-rT} N(d2); put: K e^{-rT} N(-d2) - S e^{-qT} N(-d1)
    spot_leg = terms.spot_discounted * cdf_d1
    strike_leg = terms.strike_discounted * cdf_d2
    price: FloatArray = np.where(terms.sign > 0.0, spot_leg - strike_leg, strike_leg - spot_leg)
    in_tails = np.maximum(terms.sign * terms.d1, terms.sign * terms.d2) < 0.0
    if in_tails.any():
        price[in_tails] = _tail_price(terms, in_tails)
    return price


def _mills_ratio(z: FloatArray) -> FloatArray:
    """N(-z) / phi(z), accurate for large positive z (scaled complementary error function)."""
    result: FloatArray = _SQRT_HALF_PI * erfcx(z * _INV_SQRT_2)
    return result


def _tail_price(terms: _Terms, mask: BoolArray) -> FloatArray:
    """Price where both normal CDF terms are tail probabilities (out of the money).

    With ``N(d) = phi(d) M(-d)`` (M the Mills ratio) and ``S e^{-qT} phi(d1) =
    K e^{-rT} phi(d2)``, the difference of two tiny, nearly equal numbers becomes
    ``K e^{-rT} phi(d2) (M(-s d1) - M(-s d2))``: the rounding of d1 and d2 is no longer
    amplified by the steep tails (about d^2 times less error for large |d|).
    """
    sign, d1, d2 = terms.sign[mask], terms.d1[mask], terms.d2[mask]
    difference = _mills_ratio(-sign * d1) - _mills_ratio(-sign * d2)
    result: FloatArray = sign * terms.strike_discounted[mask] * _density(d2) * difference
    return result


def black_scholes_price(batch: OptionBatch) -> FloatArray:
    """Present value of each European option, in the currency of spot and strike."""
    terms = _terms(batch)
    return _price(terms, ndtr(terms.sign * terms.d1), ndtr(terms.sign * terms.d2))


def black_scholes_price_and_vega(batch: OptionBatch) -> tuple[FloatArray, FloatArray]:
    """Present value (currency) and vega (per 1.00 of volatility) of each European option."""
    terms = _terms(batch)
    vega: FloatArray = terms.spot_discounted * _density(terms.d1) * terms.sqrt_time
    price = _price(terms, ndtr(terms.sign * terms.d1), ndtr(terms.sign * terms.d2))
    return price, vega


def _density(d: FloatArray) -> FloatArray:
    result: FloatArray = _INV_SQRT_2PI * np.exp(-0.5 * d * d)
    return result


def black_scholes_valuation(batch: OptionBatch) -> Valuation:
    """Price and analytic greeks of each European option.

    Units: delta per 1.00 of spot, gamma per 1.00 of spot squared, vega per 1.00 of
    volatility, theta per year (dV/dt, calendar time), rho per 1.00 of rate.
    """
    terms = _terms(batch)
    sign = terms.sign
    cdf_d1 = ndtr(sign * terms.d1)  # N(d1) for calls, N(-d1) for puts
    cdf_d2 = ndtr(sign * terms.d2)
    price = _price(terms, cdf_d1, cdf_d2)
    # S e^{-qT} phi(d1) is the vega density; it equals K e^{-rT} phi(d2) analytically.
    spot_density = terms.spot_discounted * _density(terms.d1)
    time_decay = -0.5 * spot_density * batch.volatility / terms.sqrt_time
    theta = time_decay + sign * (
        batch.dividend_yield * terms.spot_discounted * cdf_d1
        - batch.rate * terms.strike_discounted * cdf_d2
    )
    return Valuation(
        price=price,
        delta=sign * np.exp(-batch.dividend_yield * batch.time_to_expiry) * cdf_d1,
        gamma=spot_density / (batch.spot * batch.spot * terms.total_deviation),
        vega=spot_density * terms.sqrt_time,
        theta=theta,
        rho=sign * batch.time_to_expiry * terms.strike_discounted * cdf_d2,
        standard_error=None,
    )
