"""load_panel: the store's stocks as dates × tickers arrays, with a benchmark."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from quant_engine.core.errors import UnavailableError
from quant_engine.data import Store, import_directory
from quant_engine.features import EQUAL_WEIGHT, Panel, load_panel
from tests.conftest import SHARED_DATA

SP500_5YR = SHARED_DATA / "sp500_5yr"
HEADER = "date,open,high,low,close,volume\n"
FIELDS = ("open", "high", "low", "close", "adj_close", "volume")


@pytest.fixture(scope="module")
def sample(sample_store: Path) -> tuple[Store, Panel]:
    store = Store(sample_store)
    return store, load_panel(store)


def test_panel_holds_the_stocks_sorted_without_benchmarks(sample: tuple[Store, Panel]) -> None:
    store, panel = sample
    manifest = store.manifest()
    assert manifest is not None
    stocks = sorted(info.ticker for info in manifest.tickers.values() if info.kind == "stock")
    assert panel.tickers == tuple(stocks)
    assert "SP500" not in panel.tickers
    assert "NASDAQ" not in panel.tickers
    assert len(panel.tickers) == 50
    assert panel.universe_fingerprint == manifest.universe_fingerprint
    assert panel.has_sectors
    assert panel.sectors == tuple(manifest.tickers[ticker].sector for ticker in panel.tickers)


def test_every_stored_row_lands_on_its_date_and_the_rest_is_nan(
    sample: tuple[Store, Panel],
) -> None:
    store, panel = sample
    assert panel.dates.dtype == np.dtype("datetime64[D]")
    assert (np.diff(panel.dates).astype(np.int64) > 0).all()
    stored_dates = np.unique(np.concatenate([store.bars(t).date for t in panel.tickers]))
    assert np.array_equal(panel.dates, stored_dates)
    for column, ticker in enumerate(panel.tickers):
        bars = store.bars(ticker)
        rows = np.searchsorted(panel.dates, bars.date)
        for field in FIELDS:
            values = getattr(panel, field)
            assert values.shape == (len(panel.dates), len(panel.tickers))
            assert np.array_equal(values[rows, column], getattr(bars, field))
            assert np.isnan(np.delete(values[:, column], rows)).all()


def test_benchmark_is_the_named_series_close_aligned_to_the_dates(
    sample: tuple[Store, Panel],
) -> None:
    store, panel = sample
    assert panel.benchmark_name == "SP500"
    series = store.bars("SP500")
    common, in_panel, in_series = np.intersect1d(panel.dates, series.date, return_indices=True)
    assert len(common) > 5000
    assert np.array_equal(panel.benchmark[in_panel], series.close[in_series])
    assert np.isnan(np.delete(panel.benchmark, in_panel)).all()
    nasdaq = load_panel(store, benchmark="NASDAQ", end=dt.date(2000, 1, 31))
    assert nasdaq.benchmark_name == "NASDAQ"
    assert nasdaq.benchmark[0] == store.bars("NASDAQ", start=dt.date(1999, 1, 4)).close[0]


def test_load_with_end_equals_the_cut_of_the_full_panel(sample: tuple[Store, Panel]) -> None:
    store, panel = sample
    end = dt.date(2005, 6, 15)
    loaded, cut = load_panel(store, end=end), panel.cut(end)
    assert loaded.dates[-1] <= np.datetime64(end)
    assert np.array_equal(loaded.dates, cut.dates)
    assert loaded.tickers == cut.tickers
    for field in (*FIELDS, "benchmark"):
        assert np.array_equal(getattr(loaded, field), getattr(cut, field), equal_nan=True), field


def test_panel_arrays_are_read_only(sample: tuple[Store, Panel]) -> None:
    _, panel = sample
    with pytest.raises(ValueError, match="read-only"):
        panel.close[0, 0] = 1.0


def test_an_empty_store_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(UnavailableError) as caught:
        load_panel(Store(tmp_path / "store"))
    assert caught.value.status == 503


def _write(folder: Path, ticker: str, rows: list[tuple[str, float]]) -> None:
    lines = [f"{day},{close},{close * 1.01},{close * 0.99},{close},1000" for day, close in rows]
    (folder / f"{ticker}.csv").write_text(HEADER + "\n".join(lines) + "\n")


def test_directory_mode_benchmark_is_the_compounded_equal_weight_return(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    _write(folder, "AAA", [("2021-01-04", 10.0), ("2021-01-05", 11.0), ("2021-01-06", 12.1)])
    _write(folder, "BBB", [("2021-01-05", 20.0), ("2021-01-06", 19.0), ("2021-01-07", 19.95)])
    store = Store(tmp_path / "store")
    import_directory(folder, store)
    panel = load_panel(store)
    assert panel.benchmark_name == EQUAL_WEIGHT
    assert panel.sectors == (None, None)
    assert not panel.has_sectors
    # day 2: only AAA has a return (+10 %); day 3: AAA +10 %, BBB -5 %; day 4: BBB +5 %
    expected = np.array([1.0, 1.1, 1.1 * (1 + (0.10 - 0.05) / 2), 1.1 * 1.025 * 1.05])
    np.testing.assert_allclose(panel.benchmark, expected, rtol=1e-12)
    assert np.isnan(panel.close[0, 1])
    assert np.isnan(panel.close[3, 0])


@pytest.fixture(scope="module")
def real_panel(tmp_path_factory: pytest.TempPathFactory) -> Panel:
    if not SP500_5YR.is_dir():
        pytest.skip(f"real data folder {SP500_5YR} is absent")
    store = Store(tmp_path_factory.mktemp("real") / "store")
    import_directory(SP500_5YR, store)
    return load_panel(store)


def test_real_sp500_folder_loads_with_an_equal_weight_benchmark(real_panel: Panel) -> None:
    assert len(real_panel.tickers) == 505
    assert real_panel.dates[0] == np.datetime64("2013-02-08")
    assert real_panel.dates[-1] == np.datetime64("2018-02-07")
    assert real_panel.benchmark_name == EQUAL_WEIGHT
    assert np.isfinite(real_panel.benchmark).all()
    assert np.isnan(real_panel.close).any()  # late listings and gaps stay NaN
    assert np.array_equal(real_panel.adj_close, real_panel.close, equal_nan=True)
