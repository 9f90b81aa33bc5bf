"""The deterministic sample universe (``data_mode = "sample"``).

Trading days are the real ones of the S&P 500 history bundled with ``arch``
(``arch.data.sp500.load()``, 1999-01-04 … 2018-12-31, 5031 days). Two real benchmark series
come from the same package: ``SP500`` and ``NASDAQ`` (OHLC, Adj Close as ``adj_close``,
Volume; read from the package's CSV files, prices rounded like the rest). Fifty synthetic
stocks named ``SYN<sector code><nn>`` (e.g. ``SYNTEC01``) are generated around them from
:data:`SAMPLE_SEED` with numpy's PCG64 ``Generator``:

    log_return[t] = alpha + beta * market[t] + sector_factor[t] + idiosyncratic[t]

- ``market[t]`` is the real S&P 500 daily log return of Adj Close (0 on the first day);
- each of 8 sectors has its own daily shock, standard normal and shared by its stocks,
  which each stock takes with its own weight ``sector_vol``;
- ``idiosyncratic[t]`` is Normal(0, idio_vol) per day;
- the two noise terms are scaled by the market's volatility regime (EWMA of squared market
  returns, λ = 0.94, relative to its mean, clipped to [0.5, 3]) so crises (2000-02, 2008,
  2011) are turbulent for every stock;
- per stock: beta ~ U(0.5, 1.6), sector_vol ~ U(0.4 %, 0.9 %) per day,
  idio_vol ~ U(0.8 %, 2.0 %) per day, alpha ~ Normal(0, 0.01 %) per day, start price
  log-uniform in [10, 150], volume level log-uniform in [2e5, 2e7] shares/day;
- five stocks list late and five delist early, so survivorship matters.

OHLC are consistent by construction: open = previous close × exp(overnight move), high and
low extend max/min(open, close) by |Normal| moves; volume is lognormal around the stock's
level, higher on large moves. Prices are rounded to 4 decimals (and floored at 0.01) and
volume to whole shares, so last-bit differences between platforms' exp/log cannot change
the stored bytes (short of a value landing exactly on a rounding tie). Same seed and numpy
version (whose ``Generator`` streams are stable) → same data on every machine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from quant_engine.core.errors import ArtifactCorruptError, UnavailableError
from quant_engine.data.models import TickerKind
from quant_engine.data.quality import RawBars

SAMPLE_SEED = 20_180_207
"""Root seed of the sample universe (PCG64 via ``numpy.random.SeedSequence``)."""

SAMPLE_SOURCE = "sample"
SECTORS: tuple[tuple[str, str, int], ...] = (
    ("TEC", "technology", 8),
    ("FIN", "financials", 7),
    ("HLT", "health care", 7),
    ("ENR", "energy", 6),
    ("IND", "industrials", 6),
    ("CON", "consumer", 6),
    ("UTL", "utilities", 5),
    ("MAT", "materials", 5),
)
"""(ticker code, sector name, number of stocks): 50 stocks in 8 sectors."""

BETA_RANGE = (0.5, 1.6)
SECTOR_VOL_RANGE = (0.004, 0.009)
"""Daily standard deviation of a sector factor (fraction, log-return)."""
IDIO_VOL_RANGE = (0.008, 0.020)
"""Daily standard deviation of a stock's own noise (fraction, log-return)."""
ALPHA_SD = 0.0001
"""Standard deviation of a stock's daily drift (fraction, log-return)."""
START_PRICE_RANGE = (10.0, 150.0)
VOLUME_LEVEL_RANGE = (2e5, 2e7)
"""Typical daily volume of a stock (shares), drawn log-uniformly."""
VOLUME_LOG_SD = 0.35
VOLUME_MOVE_SENSITIVITY = 0.25
"""Added to log volume per standard deviation of the day's absolute return."""
OVERNIGHT_SHARE = 0.3
"""Share of the day's own noise that already shows in the open."""
OVERNIGHT_NOISE_SHARE = 0.2
"""Extra open-only noise, as a share of the daily idiosyncratic volatility."""
MARKET_DAILY_VOL = 0.0115
"""Typical S&P 500 daily volatility (fraction), used to scale volume's reaction to moves."""
INTRADAY_RANGE_SD = 0.5
"""High/low extend beyond open/close by |Normal(0, this × daily vol)| (log)."""
REGIME_EWMA_LAMBDA = 0.94
REGIME_CLIP = (0.5, 3.0)
LATE_LISTINGS = 5
EARLY_DELISTINGS = 5
LISTING_WINDOW = (250, 2500)
"""Row index range in which a late-listed stock starts (trading days from 1999-01-04)."""
DELISTING_WINDOW = (2500, 4780)
PRICE_DECIMALS = 4
MIN_PRICE = 0.01


@dataclass(frozen=True)
class SampleSeries:
    """One ticker of the sample, ready for the quality rules."""

    ticker: str
    kind: TickerKind
    sector: str | None
    raw: RawBars

    @property
    def source_file(self) -> str:
        return f"sample:{self.ticker}"


@dataclass(frozen=True)
class StockSpec:
    """Parameters of one synthetic stock (volatilities are daily, as fractions)."""

    ticker: str
    sector_index: int
    beta: float
    sector_vol: float
    idio_vol: float
    alpha: float
    start_price: float
    volume_level: float
    first_row: int
    end_row: int
    seed: np.random.SeedSequence

    @property
    def sector(self) -> str:
        """Name of the stock's sector."""
        return SECTORS[self.sector_index][1]


@dataclass(frozen=True)
class SampleMarket:
    """Shared inputs: trading days, market returns, volatility regime, sector shocks."""

    days: npt.NDArray[np.int32]
    market_returns: npt.NDArray[np.float64]
    regime: npt.NDArray[np.float64]
    sector_shocks: npt.NDArray[np.float64]
    """Standard normal shocks, one row per sector (scaled per stock by its sector_vol)."""


def load_benchmarks() -> tuple[SampleSeries, ...]:
    """The real S&P 500 and NASDAQ daily series bundled with ``arch``.

    The files behind ``arch.data.sp500.load()`` / ``arch.data.nasdaq.load()`` are read
    directly with pyarrow: importing ``arch`` itself takes seconds.
    """
    return (
        _benchmark("SP500", _arch_data_file("sp500", "sp500.csv.gz")),
        _benchmark("NASDAQ", _arch_data_file("nasdaq", "nasdaq.csv.gz")),
    )


def _arch_data_file(folder: str, name: str) -> Path:
    spec = importlib.util.find_spec("arch")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise UnavailableError("the arch package (sample benchmark data) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / folder / name
    if not path.is_file():
        raise UnavailableError(f"arch sample data {path} is missing")
    return path


def _benchmark(ticker: str, path: Path) -> SampleSeries:
    """A benchmark from an arch CSV (Date as M/D/YYYY; Open…Adj Close, Volume)."""
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={"Date": pa.timestamp("s"), "Volume": pa.float64()},
                timestamp_parsers=["%m/%d/%Y"],
            ),
        )
    except (pa.ArrowException, OSError) as error:
        raise ArtifactCorruptError(f"arch sample data {path} is unreadable: {error}") from error
    days = table.column("Date").cast(pa.date32()).cast(pa.int32()).to_numpy()
    values = {
        name: _round_price(np.asarray(table.column(column).to_numpy(), dtype=np.float64))
        for name, column in (
            ("open", "Open"),
            ("high", "High"),
            ("low", "Low"),
            ("close", "Close"),
            ("adj_close", "Adj Close"),
        )
    }
    values["volume"] = np.rint(np.asarray(table.column("Volume").to_numpy(), dtype=np.float64))
    dates = np.asarray(days, dtype=np.int32).astype("datetime64[D]")
    return SampleSeries(ticker=ticker, kind="benchmark", sector=None, raw=_raw(dates, values))


def sample_market(benchmarks: tuple[SampleSeries, ...]) -> SampleMarket:
    """Trading days and market returns from the S&P 500 benchmark (the first one)."""
    sp500 = benchmarks[0].raw
    adjusted = sp500.values["adj_close"]
    market = np.concatenate(([0.0], np.diff(np.log(adjusted))))
    sector_seed = np.random.SeedSequence(SAMPLE_SEED).spawn(2)[1]
    shocks = np.random.Generator(np.random.PCG64(sector_seed)).standard_normal(
        (len(SECTORS), market.shape[0])
    )
    return SampleMarket(
        days=sp500.days, market_returns=market, regime=_regime(market), sector_shocks=shocks
    )


def _regime(market: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """EWMA volatility of the market relative to its mean (1 = normal times)."""
    variance = np.empty_like(market)
    level = float(np.mean(market**2))
    for day, move in enumerate(market.tolist()):
        variance[day] = level
        level = REGIME_EWMA_LAMBDA * level + (1.0 - REGIME_EWMA_LAMBDA) * move * move
    volatility = np.sqrt(variance)
    relative = np.clip(volatility / np.mean(volatility), *REGIME_CLIP)
    return np.asarray(relative, dtype=np.float64)


def stock_specs(trading_days: int) -> tuple[StockSpec, ...]:
    """Parameters of the 50 synthetic stocks, drawn from the universe seed."""
    universe_seed, _ = np.random.SeedSequence(SAMPLE_SEED).spawn(2)
    stock_seeds = universe_seed.spawn(sum(size for _, _, size in SECTORS) + 1)
    rng = np.random.Generator(np.random.PCG64(stock_seeds[-1]))
    layout = [
        (index, code, number)
        for index, (code, _, size) in enumerate(SECTORS)
        for number in range(1, size + 1)
    ]
    count = len(layout)
    first_rows = np.zeros(count, dtype=np.int64)
    end_rows = np.full(count, trading_days, dtype=np.int64)
    movers = rng.choice(count, LATE_LISTINGS + EARLY_DELISTINGS, replace=False)
    first_rows[movers[:LATE_LISTINGS]] = rng.integers(*LISTING_WINDOW, size=LATE_LISTINGS)
    end_rows[movers[LATE_LISTINGS:]] = rng.integers(*DELISTING_WINDOW, size=EARLY_DELISTINGS)
    draws = {
        "beta": rng.uniform(*BETA_RANGE, count),
        "sector_vol": rng.uniform(*SECTOR_VOL_RANGE, count),
        "idio_vol": rng.uniform(*IDIO_VOL_RANGE, count),
        "alpha": rng.normal(0.0, ALPHA_SD, count),
        "start_price": _log_uniform(rng, START_PRICE_RANGE, count),
        "volume_level": _log_uniform(rng, VOLUME_LEVEL_RANGE, count),
    }
    return tuple(
        StockSpec(
            ticker=f"SYN{code}{number:02d}",
            sector_index=sector_index,
            first_row=int(first_rows[row]),
            end_row=int(end_rows[row]),
            seed=stock_seeds[row],
            **{name: float(values[row]) for name, values in draws.items()},
        )
        for row, (sector_index, code, number) in enumerate(layout)
    )


def _log_uniform(
    rng: np.random.Generator, bounds: tuple[float, float], count: int
) -> npt.NDArray[np.float64]:
    """``count`` draws whose logarithm is uniform between the logs of ``bounds``."""
    return np.exp(rng.uniform(math.log(bounds[0]), math.log(bounds[1]), count))


def generate_stock(market: SampleMarket, spec: StockSpec) -> SampleSeries:
    """Daily bars of one synthetic stock over its listing window."""
    rng = np.random.Generator(np.random.PCG64(spec.seed))
    window = slice(spec.first_row, spec.end_row)
    regime = market.regime[window]
    size = regime.shape[0]
    noise = rng.standard_normal((4, size))
    sector = market.sector_shocks[spec.sector_index, window] * spec.sector_vol * regime
    own = noise[0] * spec.idio_vol * regime
    returns = spec.alpha + spec.beta * market.market_returns[window] + sector + own
    returns[0] = 0.0
    log_close = np.log(spec.start_price) + np.cumsum(returns)
    log_open = (
        log_close
        - returns
        + OVERNIGHT_SHARE * own
        + OVERNIGHT_NOISE_SHARE * noise[1] * spec.idio_vol * regime
    )
    day_vol = spec.idio_vol * regime
    log_high = np.maximum(log_open, log_close) + np.abs(noise[2]) * INTRADAY_RANGE_SD * day_vol
    log_low = np.minimum(log_open, log_close) - np.abs(noise[3]) * INTRADAY_RANGE_SD * day_vol
    total_vol = np.sqrt((spec.beta * MARKET_DAILY_VOL) ** 2 + spec.sector_vol**2 + spec.idio_vol**2)
    log_volume = np.log(spec.volume_level) + VOLUME_LOG_SD * rng.standard_normal(size)
    log_volume += VOLUME_MOVE_SENSITIVITY * np.abs(returns) / total_vol
    values = {
        "open": _round_price(np.exp(log_open)),
        "high": _round_price(np.exp(log_high)),
        "low": _round_price(np.exp(log_low)),
        "close": _round_price(np.exp(log_close)),
        "volume": np.rint(np.exp(log_volume)),
    }
    values["adj_close"] = values["close"]
    dates = market.days[window].astype("datetime64[D]")
    return SampleSeries(
        ticker=spec.ticker, kind="stock", sector=spec.sector, raw=_raw(dates, values)
    )


def _round_price(prices: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Prices rounded to :data:`PRICE_DECIMALS` and floored at :data:`MIN_PRICE` (both
    monotone, so low <= open, close <= high survives)."""
    return np.maximum(np.round(prices, PRICE_DECIMALS), MIN_PRICE)


def _raw(dates: npt.NDArray[np.datetime64], values: dict[str, npt.NDArray[np.float64]]) -> RawBars:
    days = dates.astype("datetime64[D]").astype(np.int64).astype(np.int32)
    originals: dict[str, pa.Array] = {"date": pa.array(days, type=pa.int32()).cast(pa.date32())}
    originals.update({name: pa.array(column, type=pa.float64()) for name, column in values.items()})
    valid = np.ones(days.shape[0], dtype=np.bool_)
    return RawBars(days=days, date_valid=valid, values=values, originals=originals)


def series_sha256(series: SampleSeries) -> str:
    """sha256 (hex) of a generated series' raw arrays: its identity for re-imports."""
    digest = hashlib.sha256(f"{series.ticker}|{series.kind}|{series.sector}|".encode())
    digest.update(np.ascontiguousarray(series.raw.days, dtype="<i4").tobytes())
    for name in sorted(series.raw.values):
        digest.update(name.encode("ascii"))
        digest.update(np.ascontiguousarray(series.raw.values[name], dtype="<f8").tobytes())
    return digest.hexdigest()
