"""Which tickers are tradable on each date: point in time unless asked otherwise."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from quant_engine.features.panel import Panel

MIN_LIQUIDITY_FRACTION = 0.5
"""A ticker needs dollar volume on at least this fraction of the liquidity window's rows
(e.g. 32 of 63) before it can rank in the liquidity cut: a fresh listing is out until then."""


def universe_mask(
    panel: Panel,
    *,
    survivorship: bool,
    full_universe: bool,
    top_n: int = 100,
    liquidity_days: int = 63,
) -> npt.NDArray[np.bool_]:
    """dates × tickers mask of the tradable universe.

    - ``survivorship=True`` (point in time, no survivorship bias): on each date every
      ticker with a finite close that day, including tickers whose history ends early.
    - ``survivorship=False``: additionally only tickers with a finite close on the panel's
      last date. This deliberately looks ahead (survivorship-biased universe).
    - ``full_universe=False``: on each date only the ``top_n`` eligible tickers by trailing
      median dollar volume (close × volume, source currency) over the last
      ``liquidity_days`` rows up to and including t (rows <= t only; at least
      :data:`MIN_LIQUIDITY_FRACTION` of them with data); ties go to the earlier ticker
      in ``panel.tickers``. ``full_universe=True``: no liquidity cut.
    """
    eligible = np.isfinite(panel.close)
    if not survivorship and eligible.shape[0] > 0:
        eligible &= eligible[-1][np.newaxis, :]
    if full_universe:
        return eligible
    liquidity = trailing_dollar_volume(panel, liquidity_days)
    eligible &= np.isfinite(liquidity)
    return eligible & (_descending_rank(liquidity, eligible) < top_n)


def trailing_dollar_volume(panel: Panel, days: int) -> npt.NDArray[np.float64]:
    """Median of ``close * volume`` over the last ``days`` rows (<= t), skipping missing
    rows; NaN with fewer than ``MIN_LIQUIDITY_FRACTION * days`` rows of data."""
    with np.errstate(invalid="ignore"):
        dollar_volume = panel.close * panel.volume
    minimum = max(1, int(np.ceil(days * MIN_LIQUIDITY_FRACTION)))
    median = pd.DataFrame(dollar_volume).rolling(days, min_periods=minimum).median()
    return np.asarray(median.to_numpy(dtype=np.float64), dtype=np.float64)


def _descending_rank(
    values: npt.NDArray[np.float64], eligible: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Per row, 0 for the largest eligible value, 1 for the next, …; ineligible tickers rank
    after every eligible one. Ties keep column order (stable sort)."""
    key = np.where(eligible, -values, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    ranks = np.empty(order.shape, dtype=np.int64)
    np.put_along_axis(
        ranks,
        order,
        np.arange(order.shape[1])[np.newaxis, :].repeat(order.shape[0], axis=0),
        axis=1,
    )
    return ranks
