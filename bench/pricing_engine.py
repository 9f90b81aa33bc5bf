"""Benchmark: the vectorized Black–Scholes engine against vollib on the same options.

vollib prices one option per Python call, so it is timed on the first
``REFERENCE_SUBSET`` options and extrapolated linearly to the full batch (each row's name
says so). ``py_vollib_vectorized`` is compared on the full batch when it is importable
(it is not a dependency; its rows are skipped otherwise). Every timing is the best of
``REPEATS`` runs in this process.

Run: ``python -m bench.pricing_engine``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable

import numpy as np
from vollib.black_scholes_merton import black_scholes_merton
from vollib.black_scholes_merton.greeks import analytical
from vollib.black_scholes_merton.implied_volatility import (
    implied_volatility as vollib_implied_volatility,
)

from bench.table import print_table
from quant_engine.pricing import OptionBatch, implied_volatility, price_options
from quant_engine.pricing.black_scholes import black_scholes_price

BATCH_SIZE = 1_000_000
REFERENCE_SUBSET = 20_000
REPEATS = 3
SEED = 20240601


def random_options(n: int, seed: int = SEED) -> OptionBatch:
    """European options around the money: expiries 1 week to 3 years, vols 5 %..100 %."""
    rng = np.random.default_rng(seed)
    return OptionBatch.create(
        spot=rng.uniform(50.0, 150.0, n),
        strike=rng.uniform(50.0, 150.0, n),
        time_to_expiry=rng.uniform(7.0 / 365.0, 3.0, n),
        volatility=rng.uniform(0.05, 1.0, n),
        rate=rng.uniform(0.0, 0.1, n),
        dividend_yield=rng.uniform(0.0, 0.05, n),
        is_call=rng.random(n) < 0.5,
    )


def best_of(work: Callable[[], object], repeats: int = REPEATS) -> float:
    """Shortest wall-clock time of ``repeats`` runs, in seconds."""
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def _vollib_rows(
    batch: OptionBatch, count: int
) -> list[tuple[str, float, float, float, float, float, float]]:
    flags = np.where(batch.is_call, "c", "p")
    return list(
        zip(
            flags[:count].tolist(),
            batch.spot[:count].tolist(),
            batch.strike[:count].tolist(),
            batch.time_to_expiry[:count].tolist(),
            batch.rate[:count].tolist(),
            batch.volatility[:count].tolist(),
            batch.dividend_yield[:count].tolist(),
            strict=True,
        )
    )


def _vollib_prices(rows: list[tuple[str, float, float, float, float, float, float]]) -> None:
    for row in rows:
        black_scholes_merton(*row)


def _vollib_prices_and_greeks(
    rows: list[tuple[str, float, float, float, float, float, float]],
) -> None:
    greeks = (analytical.delta, analytical.gamma, analytical.vega, analytical.theta, analytical.rho)
    for row in rows:
        black_scholes_merton(*row)
        for greek in greeks:
            greek(*row)


def _vollib_implied_volatilities(
    rows: list[tuple[str, float, float, float, float, float, float]], prices: list[float]
) -> None:
    for (flag, spot, strike, expiry, rate, _volatility, dividend), price in zip(
        rows, prices, strict=True
    ):
        vollib_implied_volatility(price, spot, strike, expiry, rate, dividend, flag)


def _row(name: str, seconds: float, reference: str, reference_seconds: float) -> dict[str, object]:
    return {
        "name": name,
        "seconds": seconds,
        "reference": reference,
        "reference_seconds": reference_seconds,
        "ratio": seconds / reference_seconds,
    }


def _solvable(batch: OptionBatch, prices: np.ndarray) -> np.ndarray:
    """Positions whose time value is at least 0.1 % of the price: the implied volatility is
    well defined there (vollib raises on prices that round to intrinsic value)."""
    t = batch.time_to_expiry
    forward_intrinsic = batch.spot * np.exp(-batch.dividend_yield * t) - batch.strike * np.exp(
        -batch.rate * t
    )
    intrinsic = np.maximum(np.where(batch.is_call, forward_intrinsic, -forward_intrinsic), 0.0)
    return np.flatnonzero(prices - intrinsic >= 1e-3 * prices)


def _vollib_comparisons(batch: OptionBatch, prices: np.ndarray) -> list[dict[str, object]]:
    scale = len(batch) / REFERENCE_SUBSET
    rows = _vollib_rows(batch, REFERENCE_SUBSET)
    label = f"1M options (vollib timed on {REFERENCE_SUBSET:,}, extrapolated x{scale:g})"
    solvable = _solvable(batch, prices)
    iv_batch, iv_prices = batch.take(solvable), prices[solvable]
    iv_scale = len(iv_batch) / REFERENCE_SUBSET
    iv_rows = _vollib_rows(iv_batch, REFERENCE_SUBSET)
    iv_label = (
        f"{len(iv_batch):,} options with time value >= 0.1 % of price (vollib timed on "
        f"{REFERENCE_SUBSET:,}, extrapolated x{iv_scale:.4g})"
    )
    reference_iv = best_of(
        lambda: _vollib_implied_volatilities(iv_rows, iv_prices[:REFERENCE_SUBSET].tolist())
    )
    return [
        _row(
            f"black_scholes price, {label}",
            best_of(lambda: black_scholes_price(batch)),
            "vollib",
            scale * best_of(lambda: _vollib_prices(rows)),
        ),
        _row(
            f"black_scholes price+5 greeks via price_options, {label}",
            best_of(lambda: price_options(batch, "black_scholes", {})),
            "vollib",
            scale * best_of(lambda: _vollib_prices_and_greeks(rows)),
        ),
        _row(
            f"black_scholes implied volatility, {iv_label}",
            best_of(lambda: implied_volatility(iv_batch, iv_prices, "black_scholes", {})),
            "vollib",
            iv_scale * reference_iv,
        ),
    ]


def _vectorized_comparisons(batch: OptionBatch, prices: np.ndarray) -> list[dict[str, object]]:
    """Same inputs through py_vollib_vectorized, when it is installed (it is not required)."""
    try:
        vectorized = importlib.import_module("py_vollib_vectorized")
    except ImportError:
        return []
    flags = np.where(batch.is_call, "c", "p")
    reference_price = best_of(
        lambda: vectorized.vectorized_black_scholes_merton(
            flags,
            batch.spot,
            batch.strike,
            batch.time_to_expiry,
            batch.rate,
            batch.volatility,
            batch.dividend_yield,
            return_as="numpy",
        )
    )
    solvable = _solvable(batch, prices)
    iv_batch, iv_prices = batch.take(solvable), prices[solvable]
    reference_iv = best_of(
        lambda: vectorized.vectorized_implied_volatility(
            iv_prices,
            iv_batch.spot,
            iv_batch.strike,
            iv_batch.time_to_expiry,
            iv_batch.rate,
            flags[solvable],
            q=iv_batch.dividend_yield,
            model="black_scholes_merton",
            return_as="numpy",
        )
    )
    return [
        _row(
            "black_scholes price, 1M options",
            best_of(lambda: black_scholes_price(batch)),
            "py_vollib_vectorized",
            reference_price,
        ),
        _row(
            f"black_scholes implied volatility, {len(iv_batch):,} options",
            best_of(lambda: implied_volatility(iv_batch, iv_prices, "black_scholes", {})),
            "py_vollib_vectorized",
            reference_iv,
        ),
    ]


def run() -> list[dict[str, object]]:
    """Time the engine and its references on the same 1,000,000 options."""
    batch = random_options(BATCH_SIZE)
    prices = black_scholes_price(batch)
    return _vollib_comparisons(batch, prices) + _vectorized_comparisons(batch, prices)


if __name__ == "__main__":
    print_table(run())
