"""Small synthetic panels built directly (no store), with known prices and gaps."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quant_engine.features import Panel

FloatArray = npt.NDArray[np.float64]


def make_panel(
    rows: int = 320,
    tickers: int = 5,
    *,
    seed: int = 7,
    sectors: tuple[str | None, ...] | None = None,
    adjust: bool = False,
) -> Panel:
    """A random-walk panel of ``tickers`` stocks over ``rows`` business days.

    Stock returns load on a random benchmark (so betas are far from 0); opens, highs, lows
    are consistent with the closes; volume is lognormal. With ``adjust``, ``adj_close`` is
    the close scaled by a factor that steps up mid-sample (as a dividend adjustment would).
    """
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0003, 0.01, rows)
    betas = rng.uniform(0.5, 1.5, tickers)
    returns = market[:, None] * betas + rng.normal(0.0, 0.015, (rows, tickers))
    close = 50.0 * np.cumprod(1.0 + returns, axis=0)
    open_ = close * (1.0 + rng.normal(0.0, 0.005, (rows, tickers)))
    high = np.maximum(open_, close) * (1.0 + rng.uniform(0.0, 0.01, (rows, tickers)))
    low = np.minimum(open_, close) * (1.0 - rng.uniform(0.0, 0.01, (rows, tickers)))
    volume = np.round(np.exp(rng.normal(13.0, 0.4, (rows, tickers))))
    adj_close = close.copy()
    if adjust:
        adj_close[: rows // 2] *= 0.97
    dates = np.busday_offset(np.datetime64("2020-01-01", "D"), np.arange(rows), roll="forward")
    return build_panel(
        dates=dates,
        open_=open_,
        high=high,
        low=low,
        close=close,
        adj_close=adj_close,
        volume=volume,
        benchmark=1000.0 * np.cumprod(1.0 + market),
        sectors=sectors if sectors is not None else (None,) * tickers,
    )


def build_panel(
    *,
    dates: npt.NDArray[np.datetime64],
    open_: FloatArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    adj_close: FloatArray,
    volume: FloatArray,
    benchmark: FloatArray,
    sectors: tuple[str | None, ...],
    benchmark_name: str = "TEST",
) -> Panel:
    tickers = tuple(f"T{index:02d}" for index in range(close.shape[1]))
    return Panel(
        dates=dates.astype("datetime64[D]"),
        tickers=tickers,
        open=open_,
        high=high,
        low=low,
        close=close,
        adj_close=adj_close,
        volume=volume,
        sectors=sectors,
        benchmark=benchmark,
        benchmark_name=benchmark_name,
        universe_fingerprint="f" * 64,
    )


def with_missing(panel: Panel, rows: slice | list[int], column: int) -> Panel:
    """``panel`` with every price and volume of ``column`` set to NaN on ``rows``."""
    fields = {}
    for name in ("open", "high", "low", "close", "adj_close", "volume"):
        values = np.array(getattr(panel, name), dtype=np.float64)
        values[rows, column] = np.nan
        fields[name] = values
    return build_panel(
        dates=panel.dates,
        open_=fields["open"],
        high=fields["high"],
        low=fields["low"],
        close=fields["close"],
        adj_close=fields["adj_close"],
        volume=fields["volume"],
        benchmark=panel.benchmark,
        sectors=panel.sectors,
        benchmark_name=panel.benchmark_name,
    )
