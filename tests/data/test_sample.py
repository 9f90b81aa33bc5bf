"""The sample universe: determinism, realism, benchmarks equal to arch's data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quant_engine.data import TICKER_PATTERN, ImportReport, Store, materialize_sample
from quant_engine.data.sample import SECTORS


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, ImportReport]:
    store = Store(tmp_path_factory.mktemp("sample") / "store")
    return store, materialize_sample(store)


def test_two_fresh_materializations_are_identical(
    sample: tuple[Store, ImportReport], tmp_path: Path
) -> None:
    first_store, first = sample
    second_store = Store(tmp_path / "store")
    second = materialize_sample(second_store)
    assert second.universe_fingerprint == first.universe_fingerprint
    for ticker in ("SYNTEC01", "SP500"):
        one, two = first_store.bars(ticker), second_store.bars(ticker)
        for name in ("date", "open", "high", "low", "close", "adj_close", "volume"):
            assert getattr(one, name).tobytes() == getattr(two, name).tobytes()
    first_segments = sorted(path.name for path in (first_store.root / "segments").iterdir())
    second_segments = sorted(path.name for path in (second_store.root / "segments").iterdir())
    assert first_segments == second_segments


def test_sample_is_a_clean_universe_of_fifty_stocks_and_two_benchmarks(
    sample: tuple[Store, ImportReport],
) -> None:
    store, report = sample
    manifest = store.manifest()
    assert manifest is not None
    assert (manifest.data_mode, manifest.source) == ("sample", "sample")
    infos = list(manifest.tickers.values())
    stocks = [info for info in infos if info.kind == "stock"]
    assert len(stocks) == 50
    assert sorted(info.ticker for info in infos if info.kind == "benchmark") == ["NASDAQ", "SP500"]
    assert all(TICKER_PATTERN.fullmatch(info.ticker) for info in infos)
    assert all(info.ticker.startswith("SYN") for info in stocks)
    assert {info.sector for info in stocks} == {name for _, name, _ in SECTORS}
    assert report.failed == ()
    assert [entry.status for entry in store.quality()] == ["ok"] * 52


def test_stocks_share_the_real_trading_days_and_some_list_late_or_delist(
    sample: tuple[Store, ImportReport],
) -> None:
    store, _ = sample
    calendar = store.bars("SP500").date
    assert (str(calendar[0]), str(calendar[-1]), len(calendar)) == (
        "1999-01-04",
        "2018-12-31",
        5031,
    )
    lengths = []
    for ticker in store.tickers():
        bars = store.bars(ticker)
        assert np.isin(bars.date, calendar).all()
        lengths.append(len(bars))
    assert sum(length < 5031 for length in lengths) == 10


def test_synthetic_bars_are_consistent_and_realistic(sample: tuple[Store, ImportReport]) -> None:
    store, _ = sample
    betas = []
    market = np.diff(np.log(store.bars("SP500").adj_close))
    for ticker in store.tickers():
        if not ticker.startswith("SYN"):
            continue
        bars = store.bars(ticker)
        assert (bars.low <= np.minimum(bars.open, bars.close)).all()
        assert (np.maximum(bars.open, bars.close) <= bars.high).all()
        assert (bars.low > 0).all()
        assert np.array_equal(bars.adj_close, bars.close)
        assert (bars.volume > 0).all()
        assert np.array_equal(bars.close, np.round(bars.close, 4))
        returns = np.diff(np.log(bars.close))
        assert 0.10 < returns.std() * np.sqrt(252) < 0.80  # annualized volatility
        if len(bars) == 5031:
            betas.append(np.cov(returns, market)[0, 1] / market.var())
    assert 0.5 < float(np.median(betas)) < 1.6


def test_benchmarks_are_arch_data_rounded_to_four_decimals(
    sample: tuple[Store, ImportReport],
) -> None:
    import arch.data.nasdaq
    import arch.data.sp500

    store, _ = sample
    for ticker, frame in (("SP500", arch.data.sp500.load()), ("NASDAQ", arch.data.nasdaq.load())):
        bars = store.bars(ticker)
        assert np.array_equal(bars.date, frame.index.values.astype("datetime64[D]"))
        for name, column in (("open", "Open"), ("close", "Close"), ("adj_close", "Adj Close")):
            np.testing.assert_array_equal(
                getattr(bars, name), np.round(frame[column].to_numpy(float), 4)
            )
        np.testing.assert_array_equal(bars.volume, frame["Volume"].to_numpy(float))


def test_materializing_again_does_no_work(sample: tuple[Store, ImportReport]) -> None:
    store, first = sample
    again = materialize_sample(store)
    assert (again.imported, len(again.unchanged), again.committed) == ((), 52, False)
    assert again.universe_fingerprint == first.universe_fingerprint
