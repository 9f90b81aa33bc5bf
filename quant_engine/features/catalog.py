"""The feature catalogue: names, groups, lookbacks and one-line descriptions.

The formulas live in the docstrings of the functions of :mod:`quant_engine.features.compute`
that compute them. Returns are computed on ``adj_close``, which equals ``close`` unless the
source had an Adj Close column; price-level features (MACD / close, distance from the
252-day high, intraday range, overnight gap, dollar volume) use the raw open/high/low/close.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FeatureGroup = Literal["core", "full"]
FeatureMode = Literal["core", "full"]

FEATURES_VERSION = "1"
"""Bump when any formula, window or NaN policy changes (part of the feature cache key)."""

SECTOR_FEATURE = "sector_rel_ret_21d"
RANK_PREFIX = "rank_"


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its name, group, and ``lookback``, the number of trading days (panel
    rows, up to and including t) it needs before its first value on a ticker with no gap.
    ``description`` is one line, with units."""

    name: str
    group: FeatureGroup
    lookback: int
    description: str


_CORE: tuple[FeatureSpec, ...] = (
    FeatureSpec("ret_1d", "core", 2, "simple return over 1 trading day (fraction)"),
    FeatureSpec("ret_5d", "core", 6, "simple return over 5 trading days (fraction)"),
    FeatureSpec("ret_21d", "core", 22, "simple return over 21 trading days (fraction)"),
    FeatureSpec("ret_63d", "core", 64, "simple return over 63 trading days (fraction)"),
    FeatureSpec("vol_21d", "core", 22, "std of the last 21 daily returns, annualized by sqrt(252)"),
    FeatureSpec("vol_63d", "core", 64, "std of the last 63 daily returns, annualized by sqrt(252)"),
    FeatureSpec("rsi_14", "core", 15, "Wilder RSI over 14 trading days (0..100)"),
    FeatureSpec("macd_hist", "core", 34, "MACD(12, 26, 9) histogram divided by close"),
    FeatureSpec("volume_z_21d", "core", 21, "z-score of volume vs its 21-day mean and std"),
    FeatureSpec("dist_252d_high", "core", 252, "close / 252-day max close - 1 (fraction, <= 0)"),
    FeatureSpec("beta_63d", "core", 64, "beta of daily returns to the benchmark's, 63 days"),
    FeatureSpec(
        "idio_vol_21d",
        "core",
        64,
        "std of 21 daily residuals r - beta_63d * r_benchmark, annualized by sqrt(252)",
    ),
)

_EXTRA: tuple[FeatureSpec, ...] = (
    *(
        FeatureSpec(
            f"{RANK_PREFIX}{spec.name}",
            "full",
            spec.lookback,
            f"cross-sectional percentile rank (0..1) of {spec.name} on the date",
        )
        for spec in _CORE
    ),
    FeatureSpec("mom_12_1", "full", 253, "12-1 momentum: adj_close[t-21] / adj_close[t-252] - 1"),
    FeatureSpec("max_ret_21d", "full", 22, "largest daily return of the last 21 trading days"),
    FeatureSpec("skew_63d", "full", 64, "sample skewness (bias-corrected) of 63 daily returns"),
    FeatureSpec("overnight_gap", "full", 2, "open[t] / close[t-1] - 1 (fraction)"),
    FeatureSpec("intraday_range", "full", 1, "(high - low) / close (fraction)"),
    FeatureSpec(
        "amihud_21d", "full", 22, "21-day mean of |daily return| / dollar volume, times 1e9"
    ),
    FeatureSpec(
        SECTOR_FEATURE, "full", 22, "ret_21d minus the mean ret_21d of the ticker's sector"
    ),
)

CATALOG: tuple[FeatureSpec, ...] = _CORE + _EXTRA
"""Every feature, core first, in the order feature arrays use."""


def feature_specs(mode: FeatureMode, *, has_sectors: bool) -> tuple[FeatureSpec, ...]:
    """The features of ``mode`` in order: ``core`` = the 12 core features; ``full`` = core
    followed by the rest, the sector feature only when ``has_sectors``."""
    if mode == "core":
        return _CORE
    return tuple(spec for spec in CATALOG if has_sectors or spec.name != SECTOR_FEATURE)


def max_lookback(mode: FeatureMode, *, has_sectors: bool) -> int:
    """Largest lookback (trading days) among the features of ``mode``."""
    return max(spec.lookback for spec in feature_specs(mode, has_sectors=has_sectors))
