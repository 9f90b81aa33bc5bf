"""Monte Carlo pricing of European options under geometric Brownian motion.

Each path draws the terminal spot directly,
``S_T = S exp((r - q - sigma^2/2) T + sigma sqrt(T) Z)``, and pairs ``Z`` with ``-Z``
(antithetic variates). ``paths`` counts simulated terminal values: an odd request is
rounded up to the next even number, so ``ceil(paths / 2)`` antithetic pairs are drawn and
at least the requested number of paths is simulated. The price is the discounted mean of
the pair averages; its standard error is their sample standard deviation over the square
root of the number of pairs.

Common random numbers: one set of normal draws, generated from ``seed`` with numpy's
PCG64, serves every option (and every bumped copy for the greeks) in the call. Rows are
processed with fixed chunk sizes and per-row reductions, so an option's price does not
depend on the other options in the batch or on its position, and the same seed gives
bit-identical prices. Greeks are finite differences with the same draws (``greeks.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from quant_engine.pricing import greeks
from quant_engine.pricing.domain import FloatArray, OptionBatch
from quant_engine.pricing.engine import Valuation

# Work arrays are (rows x pairs); this bounds one of them (16 MB) whatever the batch size.
_MAX_CHUNK_ELEMENTS = 2_000_000
# Pairs per path chunk: fixed, so every row is reduced in exactly the same order.
_PAIRS_PER_CHUNK = 1 << 16


@dataclass(frozen=True, eq=False)
class _PairStatistics:
    """Running count, mean and sum of squared deviations of pair-averaged payoffs, per row."""

    count: int
    mean: FloatArray
    squared_deviations: FloatArray

    def merged(self, other: _PairStatistics) -> _PairStatistics:
        """Chan et al.'s pairwise update: numerically stable for any number of chunks."""
        if self.count == 0:
            return other
        count = self.count + other.count
        shift = other.mean - self.mean
        return _PairStatistics(
            count=count,
            mean=self.mean + shift * (other.count / count),
            squared_deviations=self.squared_deviations
            + other.squared_deviations
            + shift * shift * (self.count * other.count / count),
        )


@dataclass(frozen=True, eq=False)
class MonteCarloPrices:
    """Per option: discounted price estimate and its standard error (currency)."""

    price: FloatArray
    standard_error: FloatArray


def antithetic_pairs(paths: int) -> int:
    """Number of antithetic pairs for a requested path count (odd counts round up)."""
    return (paths + 1) // 2


def normal_draws(pairs: int, seed: int) -> FloatArray:
    """The standard normal draws shared by every option of a call, one per pair."""
    return np.random.Generator(np.random.PCG64(seed)).standard_normal(pairs)


def _chunk_statistics(batch: OptionBatch, draws: FloatArray) -> _PairStatistics:
    time = batch.time_to_expiry[:, None]
    drift = (batch.rate[:, None] - batch.dividend_yield[:, None]) * time
    drift -= 0.5 * batch.volatility[:, None] ** 2 * time
    diffusion = batch.volatility[:, None] * np.sqrt(time) * draws[None, :]
    sign = np.where(batch.is_call, 1.0, -1.0)[:, None]
    spot, strike = batch.spot[:, None], batch.strike[:, None]
    payoff_up = np.maximum(sign * (spot * np.exp(drift + diffusion) - strike), 0.0)
    payoff_down = np.maximum(sign * (spot * np.exp(drift - diffusion) - strike), 0.0)
    pair_average = 0.5 * (payoff_up + payoff_down)
    mean = pair_average.mean(axis=1)
    deviations = pair_average - mean[:, None]
    return _PairStatistics(
        count=draws.shape[0],
        mean=mean,
        squared_deviations=np.sum(deviations * deviations, axis=1),
    )


def _row_statistics(batch: OptionBatch, draws: FloatArray) -> _PairStatistics:
    statistics = _PairStatistics(0, np.zeros(len(batch)), np.zeros(len(batch)))
    for start in range(0, draws.shape[0], _PAIRS_PER_CHUNK):
        chunk = draws[start : start + _PAIRS_PER_CHUNK]
        statistics = statistics.merged(_chunk_statistics(batch, chunk))
    return statistics


def simulate(batch: OptionBatch, draws: FloatArray) -> MonteCarloPrices:
    """Price estimate and standard error of each European option from the shared draws."""
    pairs = draws.shape[0]
    rows_per_chunk = max(1, _MAX_CHUNK_ELEMENTS // min(pairs, _PAIRS_PER_CHUNK))
    means, variances = [], []
    for start in range(0, len(batch), rows_per_chunk):
        rows = batch.take(np.arange(start, min(start + rows_per_chunk, len(batch))))
        statistics = _row_statistics(rows, draws)
        means.append(statistics.mean)
        variances.append(statistics.squared_deviations / max(pairs - 1, 1))
    if not means:
        return MonteCarloPrices(price=np.zeros(0), standard_error=np.zeros(0))
    discount = np.exp(-batch.rate * batch.time_to_expiry)
    return MonteCarloPrices(
        price=discount * np.concatenate(means),
        standard_error=discount * np.sqrt(np.concatenate(variances) / pairs),
    )


def _draws(parameters: Mapping[str, float]) -> FloatArray:
    return normal_draws(antithetic_pairs(int(parameters["paths"])), int(parameters["seed"]))


def monte_carlo_price(batch: OptionBatch, parameters: Mapping[str, float]) -> FloatArray:
    """Present value estimate of each European option (currency)."""
    return simulate(batch, _draws(parameters)).price


def monte_carlo_valuation(batch: OptionBatch, parameters: Mapping[str, float]) -> Valuation:
    """Price, standard error and finite-difference greeks with common random numbers.

    Units as in ``PricingOutcome``; the standard error is that of the price estimate.
    """
    bumps = [
        greeks.spot_bump(batch),
        greeks.volatility_bump(batch),
        greeks.rate_bump(batch),
        greeks.expiry_bump(batch),
    ]
    estimates = simulate(greeks.stack(batch, bumps), _draws(parameters))
    delta, vega, rho, expiry_derivative = greeks.differences(estimates.price, bumps)
    n = len(batch)
    return Valuation(
        price=estimates.price[:n],
        delta=delta,
        gamma=greeks.second_difference(estimates.price, bumps, 0),
        vega=vega,
        theta=-expiry_derivative,
        rho=rho,
        standard_error=estimates.standard_error[:n],
    )
