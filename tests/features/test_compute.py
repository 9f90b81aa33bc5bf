"""Features: point in time, each formula against an independent per-ticker reference."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from quant_engine.data import Store, import_directory
from quant_engine.features import (
    CATALOG,
    Panel,
    compute_features,
    feature_specs,
    forward_returns,
    load_panel,
    max_lookback,
)
from tests.conftest import SHARED_DATA
from tests.features.conftest import FloatArray, build_panel, make_panel, with_missing

TOLERANCE = 1e-10
ANNUAL = math.sqrt(252)
SECTORS = ("A", "B", "A", "C", "B")


@pytest.fixture(scope="module")
def panel() -> Panel:
    """320 clean rows of 5 tickers, adj_close differing from close, 3 sectors."""
    return make_panel(320, 5, sectors=SECTORS, adjust=True)


@pytest.fixture(scope="module")
def full(panel: Panel) -> dict[str, FloatArray]:
    features = compute_features(panel, "full")
    return {name: features.feature(name) for name in features.names}


def _returns(prices: FloatArray) -> FloatArray:
    out = np.full(len(prices), np.nan)
    for t in range(1, len(prices)):
        out[t] = prices[t] / prices[t - 1] - 1.0
    return out


def _windowed(
    series: FloatArray, window: int, statistic: Callable[[FloatArray], float]
) -> FloatArray:
    """``statistic(series[t-window+1 .. t])`` per t, NaN when the window has a NaN."""
    out = np.full(len(series), np.nan)
    for t in range(window - 1, len(series)):
        chunk = series[t - window + 1 : t + 1]
        if np.all(np.isfinite(chunk)):
            out[t] = statistic(chunk)
    return out


def _ema(series: FloatArray, span: int) -> list[float]:
    alpha = 2.0 / (span + 1.0)
    values = [float(series[0])]
    for x in series[1:]:
        values.append((1.0 - alpha) * values[-1] + alpha * float(x))
    return values


def _wilder_rsi(prices: FloatArray, days: int = 14) -> FloatArray:
    """Wilder's RSI exactly as in his book: SMA seed, then (prev * 13 + x) / 14."""
    out = np.full(len(prices), np.nan)
    gains = [max(prices[t] - prices[t - 1], 0.0) for t in range(1, len(prices))]
    losses = [max(prices[t - 1] - prices[t], 0.0) for t in range(1, len(prices))]
    avg_gain, avg_loss = sum(gains[:days]) / days, sum(losses[:days]) / days
    out[days] = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    for t in range(days + 1, len(prices)):
        avg_gain = (avg_gain * (days - 1) + gains[t - 1]) / days
        avg_loss = (avg_loss * (days - 1) + losses[t - 1]) / days
        out[t] = 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)
    return out


def _macd_hist(close: FloatArray) -> FloatArray:
    macd = np.array(_ema(close, 12)) - np.array(_ema(close, 26))
    signal = np.array(_ema(macd[25:], 9))
    out = np.full(len(close), np.nan)
    out[33:] = (macd[33:] - signal[8:]) / close[33:]
    return out


def _close(actual: FloatArray, expected: FloatArray) -> None:
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True)


@pytest.mark.parametrize("days", [1, 5, 21, 63])
def test_returns_are_simple_returns_on_adj_close(
    panel: Panel, full: dict[str, FloatArray], days: int
) -> None:
    for column in range(len(panel.tickers)):
        prices = panel.adj_close[:, column]
        expected = np.full(len(prices), np.nan)
        expected[days:] = [prices[t] / prices[t - days] - 1 for t in range(days, len(prices))]
        _close(full[f"ret_{days}d"][:, column], expected)


@pytest.mark.parametrize("days", [21, 63])
def test_volatility_is_annualized_sample_std_of_daily_returns(
    panel: Panel, full: dict[str, FloatArray], days: int
) -> None:
    for column in range(len(panel.tickers)):
        returns = _returns(panel.adj_close[:, column])
        expected = _windowed(returns, days, lambda chunk: np.std(chunk, ddof=1) * ANNUAL)
        _close(full[f"vol_{days}d"][:, column], expected)


def test_rsi_matches_a_hand_rolled_wilder_loop(panel: Panel, full: dict[str, FloatArray]) -> None:
    for column in range(len(panel.tickers)):
        _close(full["rsi_14"][:, column], _wilder_rsi(panel.adj_close[:, column]))


def test_macd_histogram_matches_hand_rolled_emas_over_close(
    panel: Panel, full: dict[str, FloatArray]
) -> None:
    for column in range(len(panel.tickers)):
        _close(full["macd_hist"][:, column], _macd_hist(panel.close[:, column]))


def test_volume_z_score_uses_the_21_day_window_including_today(
    panel: Panel, full: dict[str, FloatArray]
) -> None:
    for column in range(len(panel.tickers)):
        volume = panel.volume[:, column]
        expected = np.full(len(volume), np.nan)
        for t in range(20, len(volume)):
            chunk = volume[t - 20 : t + 1]
            expected[t] = (volume[t] - chunk.mean()) / chunk.std(ddof=1)
        _close(full["volume_z_21d"][:, column], expected)


def test_distance_from_252_day_high_uses_raw_close(
    panel: Panel, full: dict[str, FloatArray]
) -> None:
    for column in range(len(panel.tickers)):
        close = panel.close[:, column]
        expected = _windowed(close, 252, lambda chunk: chunk[-1] / chunk.max() - 1.0)
        _close(full["dist_252d_high"][:, column], expected)


def _regressions(panel: Panel, column: int) -> tuple[FloatArray, FloatArray]:
    """Beta (linregress over 63 rows) and idiosyncratic vol (std of 21 residuals)."""
    stock = _returns(panel.adj_close[:, column])
    market = _returns(panel.benchmark)
    beta = np.full(len(stock), np.nan)
    idio = np.full(len(stock), np.nan)
    for t in range(63, len(stock)):
        window = slice(t - 62, t + 1)
        beta[t] = stats.linregress(market[window], stock[window]).slope
        recent = slice(t - 20, t + 1)
        idio[t] = np.std(stock[recent] - beta[t] * market[recent], ddof=1) * ANNUAL
    return beta, idio


def test_beta_and_idiosyncratic_vol_match_linregress(
    panel: Panel, full: dict[str, FloatArray]
) -> None:
    for column in range(len(panel.tickers)):
        beta, idio = _regressions(panel, column)
        _close(full["beta_63d"][:, column], beta)
        _close(full["idio_vol_21d"][:, column], idio)


def test_full_features_match_references(panel: Panel, full: dict[str, FloatArray]) -> None:
    for column in range(len(panel.tickers)):
        adj, close = panel.adj_close[:, column], panel.close[:, column]
        returns = _returns(adj)
        momentum = np.full(len(adj), np.nan)
        momentum[252:] = adj[231:-21] / adj[:-252] - 1
        gap = np.full(len(adj), np.nan)
        gap[1:] = panel.open[1:, column] / close[:-1] - 1
        illiquidity = np.abs(returns) / (close * panel.volume[:, column])
        _close(full["mom_12_1"][:, column], momentum)
        _close(full["max_ret_21d"][:, column], _windowed(returns, 21, np.max))
        _close(
            full["skew_63d"][:, column],
            _windowed(returns, 63, lambda chunk: stats.skew(chunk, bias=False)),
        )
        _close(full["overnight_gap"][:, column], gap)
        _close(
            full["intraday_range"][:, column],
            (panel.high[:, column] - panel.low[:, column]) / close,
        )
        _close(full["amihud_21d"][:, column], _windowed(illiquidity, 21, np.mean) * 1e9)


def test_ranks_are_cross_sectional_percentiles_among_finite_values(
    full: dict[str, FloatArray],
) -> None:
    values = full["ret_63d"]
    expected = np.full(values.shape, np.nan)
    for t in range(values.shape[0]):
        finite = np.isfinite(values[t])
        if finite.sum() > 1:
            ranks = stats.rankdata(values[t, finite])
            expected[t, finite] = (ranks - 1) / (finite.sum() - 1)
    _close(full["rank_ret_63d"], expected)
    assert np.nanmin(full["rank_ret_63d"]) == 0.0
    assert np.nanmax(full["rank_ret_63d"]) == 1.0


def test_sector_relative_return_subtracts_the_sector_mean(full: dict[str, FloatArray]) -> None:
    ret = full["ret_21d"]
    expected = np.empty(ret.shape)
    for column, sector in enumerate(SECTORS):
        members = [index for index, name in enumerate(SECTORS) if name == sector]
        expected[:, column] = ret[:, column] - ret[:, members].mean(axis=1)
    _close(full["sector_rel_ret_21d"], expected)
    assert np.allclose(full["sector_rel_ret_21d"][:, 3][21:], 0.0)  # alone in sector C


def test_every_feature_starts_after_exactly_its_lookback(full: dict[str, FloatArray]) -> None:
    for spec in feature_specs("full", has_sectors=True):
        first_rows = np.argmax(np.isfinite(full[spec.name]), axis=0)
        assert set(first_rows.tolist()) == {spec.lookback - 1}, spec.name


def test_full_mode_without_sectors_omits_the_sector_feature() -> None:
    features = compute_features(make_panel(60, 3), "full")
    assert "sector_rel_ret_21d" not in features.names
    assert features.names == tuple(spec.name for spec in feature_specs("full", has_sectors=False))
    assert features.values.shape == (60, 3, len(features.names))


def test_core_mode_has_the_twelve_core_features() -> None:
    features = compute_features(make_panel(60, 3, sectors=("A", "A", "B")), "core")
    assert features.names == (
        "ret_1d", "ret_5d", "ret_21d", "ret_63d", "vol_21d", "vol_63d", "rsi_14",
        "macd_hist", "volume_z_21d", "dist_252d_high", "beta_63d", "idio_vol_21d",
    )  # fmt: skip


def test_a_missing_row_blocks_windows_until_they_pass_the_gap() -> None:
    gap_row = 100
    panel = with_missing(make_panel(200, 2), [gap_row], 0)
    features = compute_features(panel, "full")
    assert np.isnan(features.values[gap_row, 0]).all()
    ret_1d, vol_21d = features.feature("ret_1d")[:, 0], features.feature("vol_21d")[:, 0]
    assert np.isnan(ret_1d[gap_row + 1])  # no return bridged over the gap
    assert np.isfinite(ret_1d[gap_row + 2])
    assert np.isnan(vol_21d[gap_row : gap_row + 22]).all()
    assert np.isfinite(vol_21d[gap_row + 22])
    assert np.isfinite(features.feature("rsi_14")[gap_row + 2, 0])  # averages carry over
    available = [spec.lookback <= gap_row for spec in feature_specs("full", has_sectors=False)]
    assert np.isfinite(features.values[gap_row, 1, available]).all()  # the other ticker is fine


def test_flat_prices_and_zero_volume_give_nan_without_warnings() -> None:
    rows = 80
    flat = np.full((rows, 2), 10.0)
    panel = build_panel(
        dates=np.datetime64("2021-01-01") + np.arange(rows),
        open_=flat,
        high=flat,
        low=flat,
        close=flat,
        adj_close=flat,
        volume=np.zeros((rows, 2)),
        benchmark=np.full(rows, 100.0),
        sectors=("A", "A"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        features = compute_features(panel, "full")
    assert not np.isinf(features.values).any()
    for name in ("rsi_14", "volume_z_21d", "beta_63d", "amihud_21d"):
        assert np.isnan(features.feature(name)).all(), name
    assert (features.feature("vol_21d")[21:] == 0.0).all()


def _assert_point_in_time(panel: Panel, cuts: list[dt.date], horizon: int = 5) -> None:
    features = compute_features(panel, "full")
    labels = forward_returns(panel, horizon)
    for end in cuts:
        short = panel.cut(end)
        rows = len(short.dates)
        assert 0 < rows < len(panel.dates)
        cut_features = compute_features(short, "full")
        assert cut_features.names == features.names
        # bit-identical, NaN where NaN
        assert np.array_equal(cut_features.values, features.values[:rows], equal_nan=True)
        assert np.array_equal(cut_features.values, features.cut(end).values, equal_nan=True)
        cut_labels = forward_returns(short, horizon)
        defined = np.isfinite(cut_labels)
        assert defined.any()
        assert np.array_equal(cut_labels[defined], labels[:rows][defined])
        assert np.isnan(cut_labels[rows - horizon - 1 :]).all()


def test_features_and_labels_are_point_in_time_on_the_sample(sample_store: Path) -> None:
    panel = load_panel(Store(sample_store), end=dt.date(2008, 12, 31))
    assert panel.has_sectors
    cuts = [dt.date(2001, 3, 30), dt.date(2004, 7, 1), dt.date(2008, 10, 10)]
    _assert_point_in_time(panel, cuts)


def test_features_are_point_in_time_with_gaps_listings_and_delistings() -> None:
    panel = make_panel(400, 6, sectors=(*SECTORS, "C"))
    panel = with_missing(panel, slice(0, 150), 1)  # lists late
    panel = with_missing(panel, slice(300, 400), 2)  # delists
    panel = with_missing(panel, [40, 41, 200, 260], 3)  # gaps
    days = panel.dates.astype(dt.date)
    _assert_point_in_time(panel, [days[120], days[201], days[299], days[350]])


def test_catalogue_full_without_sectors_omits_only_the_sector_feature() -> None:
    with_sectors = [spec.name for spec in feature_specs("full", has_sectors=True)]
    without = [spec.name for spec in feature_specs("full", has_sectors=False)]
    assert with_sectors == [spec.name for spec in CATALOG]
    assert without == [name for name in with_sectors if name != "sector_rel_ret_21d"]
    assert feature_specs("core", has_sectors=True) == feature_specs("core", has_sectors=False)
    assert [spec.name for spec in feature_specs("core", has_sectors=True)] == without[:12]
    assert all(spec.group == "core" for spec in CATALOG[:12])
    assert all(spec.group == "full" for spec in CATALOG[12:])
    assert len(set(with_sectors)) == len(with_sectors) == 31
    assert max_lookback("core", has_sectors=False) == 252
    assert max_lookback("full", has_sectors=True) == 253


def test_features_are_point_in_time_on_real_sp500_data(tmp_path: Path) -> None:
    folder = SHARED_DATA / "sp500_5yr"
    if not folder.is_dir():
        pytest.skip(f"real data folder {folder} is absent")
    store = Store(tmp_path / "store")
    import_directory(folder, store)
    panel = load_panel(store, end=dt.date(2015, 12, 31))  # real gaps and listings
    assert np.isnan(panel.close).any()
    _assert_point_in_time(panel, [dt.date(2014, 3, 14), dt.date(2015, 7, 1)])
