"""Signals at the engine level: every failure reason from a targeted input, ranks and
percentiles against scipy, ``resolve_as_of`` and the signal store on disk."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import rankdata

from quant_engine.core.errors import ArtifactCorruptError, NotFoundError, ValidationFailedError
from quant_engine.data import Store
from quant_engine.data.models import TickerInfo
from quant_engine.features import FeatureSet, Panel, max_lookback
from quant_engine.models.registry import ModelVersion
from quant_engine.models.research import Research
from quant_engine.models.signals import (
    STALE_BUSINESS_DAYS,
    FailedTicker,
    SignalRow,
    SignalSet,
    SignalStore,
    resolve_as_of,
    score,
)

GENERATED_AT = dt.datetime(2019, 1, 2, 8, 30, tzinfo=dt.UTC)
LAST_DAY = dt.date(2018, 12, 31)
TRAIN_PARAMS: dict[str, Any] = {
    "horizons": [5],
    "feature_mode": "core",
    "survivorship": True,
    "full_universe": False,
    "years": 2,
    "end": None,
    "folds": 2,
    "embargo_days": 5,
    "seed": 0,
    "lightgbm": {"n_estimators": 15},
}


@dataclass(frozen=True)
class Trained:
    version: ModelVersion
    panel: Panel
    features: FeatureSet
    stocks: tuple[TickerInfo, ...]

    def day(self, row: int) -> dt.date:
        return dt.date.fromisoformat(str(self.panel.dates[row]))

    def row_of(self, day: dt.date) -> int:
        return int(np.searchsorted(self.panel.dates, np.datetime64(day, "D")))

    def delisted(self) -> TickerInfo:
        """The stock that delists first."""
        return min((s for s in self.stocks if s.last_date < LAST_DAY), key=lambda s: s.last_date)

    def late_listed(self) -> TickerInfo:
        """The stock that lists last."""
        return max(self.stocks, key=lambda s: s.first_date)

    def score(self, as_of: dt.date, tickers: list[str] | None, **kw: Any) -> SignalSet:
        return score(
            self.version,
            5,
            self.panel,
            kw.get("features", self.features),
            as_of=as_of,
            tickers=tickers,
            generated_at=GENERATED_AT,
        )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, sample_store: Path) -> Trained:
    """v1 (core features, horizon 5) trained on a copy of the sample store."""
    home = tmp_path_factory.mktemp("signals") / "home"
    shutil.copytree(sample_store, home / "store")
    store = Store(home / "store")
    research = Research(store, home)
    research.train(TRAIN_PARAMS)
    panel = research.panel()
    manifest = store.manifest()
    assert manifest is not None
    stocks = tuple(info for info in manifest.tickers.values() if info.kind == "stock")
    return Trained(
        version=research.registry.load("v1"),
        panel=panel,
        features=research.feature_set(panel, "core"),
        stocks=stocks,
    )


# ----------------------------------------------------------------------- failure reasons


def test_a_name_outside_the_panel_is_an_unknown_ticker(trained: Trained) -> None:
    signals = trained.score(LAST_DAY, ["ZZZA", "SYNTEC01"])
    assert signals.failed_tickers == (
        FailedTicker("ZZZA", "UNKNOWN_TICKER", "not a stock of the universe"),
    )
    assert [(row.ticker, row.rank, row.percentile) for row in signals.signals] == [
        ("SYNTEC01", 1, 1.0)
    ]


def test_a_delisted_ticker_asked_for_later_is_stale(trained: Trained) -> None:
    gone = trained.delisted()
    lag = int(np.busday_count(gone.last_date, LAST_DAY))
    signals = trained.score(LAST_DAY, [gone.ticker])
    assert signals.signals == ()
    assert signals.failed_tickers == (
        FailedTicker(
            gone.ticker, "STALE_DATA", f"last row {gone.last_date} is {lag} business days old"
        ),
    )


def test_staleness_starts_after_five_business_days_without_a_row(trained: Trained) -> None:
    gone = trained.delisted()
    last_row = trained.row_of(gone.last_date)
    lags = {
        int(np.busday_count(gone.last_date, trained.day(row))): trained.day(row)
        for row in range(last_row + 1, last_row + 10)
    }
    at_limit = trained.score(lags[STALE_BUSINESS_DAYS], [gone.ticker]).failed_tickers
    beyond = trained.score(lags[STALE_BUSINESS_DAYS + 1], [gone.ticker]).failed_tickers
    assert [item.reason for item in at_limit] == ["MISSING_FEATURES"]  # no row that day
    assert [item.reason for item in beyond] == ["STALE_DATA"]


def test_the_default_universe_drops_a_stock_once_it_is_stale(trained: Trained) -> None:
    gone = trained.delisted()
    last_row = trained.row_of(gone.last_date)
    later = next(
        trained.day(row)
        for row in range(last_row + 1, len(trained.panel.dates))
        if np.busday_count(gone.last_date, trained.day(row)) > STALE_BUSINESS_DAYS
    )
    signals = trained.score(later, None)
    tickers = {row.ticker for row in signals.signals}
    assert gone.ticker not in tickers
    assert gone.ticker not in {item.ticker for item in signals.failed_tickers}


def test_a_late_listing_shortly_after_its_first_day_has_insufficient_history(
    trained: Trained,
) -> None:
    late = trained.late_listed()
    first_row = trained.row_of(late.first_date)
    lookback = max_lookback("core", has_sectors=True)
    assert lookback == 252
    as_of = trained.day(first_row + 99)  # its 100th row
    signals = trained.score(as_of, [late.ticker])
    assert signals.signals == ()
    assert signals.failed_tickers == (
        FailedTicker(
            late.ticker, "INSUFFICIENT_HISTORY", f"100 rows up to as_of, {lookback} needed"
        ),
    )


def test_a_late_listing_is_scored_once_it_has_the_longest_lookback(trained: Trained) -> None:
    late = trained.late_listed()
    first_row = trained.row_of(late.first_date)
    lookback = max_lookback("core", has_sectors=True)
    short = trained.score(trained.day(first_row + lookback - 2), [late.ticker])
    enough = trained.score(trained.day(first_row + lookback - 1), [late.ticker])
    assert [item.reason for item in short.failed_tickers] == ["INSUFFICIENT_HISTORY"]
    assert enough.failed_tickers == ()
    assert [row.ticker for row in enough.signals] == [late.ticker]


def test_a_ticker_asked_for_before_its_first_row_has_insufficient_history(
    trained: Trained,
) -> None:
    late = trained.late_listed()
    before = trained.day(trained.row_of(late.first_date) - 1)
    signals = trained.score(before, [late.ticker])
    assert signals.failed_tickers == (
        FailedTicker(late.ticker, "INSUFFICIENT_HISTORY", "no rows up to as_of"),
    )


def test_a_non_finite_feature_on_as_of_is_missing_features(trained: Trained) -> None:
    features = trained.features
    row = trained.row_of(LAST_DAY)
    column = features.tickers.index("SYNTEC01")
    feature = features.names.index("rsi_14")
    values = features.values.copy()
    values[row, column, feature] = np.nan
    holed = FeatureSet(features.names, values, features.dates, features.tickers)
    signals = trained.score(LAST_DAY, ["SYNTEC01", "SYNFIN01"], features=holed)
    assert signals.failed_tickers == (
        FailedTicker("SYNTEC01", "MISSING_FEATURES", "not finite: rsi_14"),
    )
    assert [row.ticker for row in signals.signals] == ["SYNFIN01"]
    assert np.isfinite(features.values[row, column, feature])  # the original is untouched


def test_a_horizon_the_version_was_not_trained_for_is_not_found(trained: Trained) -> None:
    with pytest.raises(NotFoundError, match="no horizon 10"):
        score(
            trained.version,
            10,
            trained.panel,
            trained.features,
            as_of=LAST_DAY,
            tickers=None,
            generated_at=GENERATED_AT,
        )


# ---------------------------------------------------------------- ranks and percentiles


def test_ranks_and_percentiles_match_scipy_rankdata(trained: Trained) -> None:
    signals = trained.score(LAST_DAY, None)
    rows = signals.signals
    count = len(rows)
    assert count == 45  # 50 stocks, 5 delisted before the last day
    assert signals.failed_tickers == ()
    scores = np.array([row.score for row in rows])
    assert len(np.unique(scores)) == count
    np.testing.assert_array_equal([row.rank for row in rows], rankdata(-scores, method="min"))
    assert [row.rank for row in rows] == list(range(1, count + 1))
    expected = (rankdata(scores, method="min") - 1) / (count - 1)
    np.testing.assert_allclose([row.percentile for row in rows], expected, rtol=0, atol=1e-12)
    assert (rows[0].percentile, rows[-1].percentile) == (1.0, 0.0)


def test_scores_are_the_versions_predictions_of_the_as_of_features(trained: Trained) -> None:
    signals = trained.score(LAST_DAY, ["SYNTEC01", "SYNFIN01", "SYNHLT01"])
    row = trained.row_of(LAST_DAY)
    columns = [trained.features.tickers.index(t) for t in ("SYNTEC01", "SYNFIN01", "SYNHLT01")]
    direct = trained.version.predict(
        5, trained.features.values[row, columns, :], trained.features.names
    )
    by_ticker = {item.ticker: item.score for item in signals.signals}
    assert [by_ticker[t] for t in ("SYNTEC01", "SYNFIN01", "SYNHLT01")] == direct.tolist()


# ------------------------------------------------------------------------- resolve_as_of


def test_resolve_as_of_maps_a_weekend_to_the_previous_trading_day(trained: Trained) -> None:
    saturday, sunday = dt.date(2018, 12, 29), dt.date(2018, 12, 30)
    assert saturday.weekday() == 5
    assert resolve_as_of(trained.panel, saturday) == dt.date(2018, 12, 28)
    assert resolve_as_of(trained.panel, sunday) == dt.date(2018, 12, 28)


def test_resolve_as_of_maps_a_market_holiday_to_the_previous_trading_day(
    trained: Trained,
) -> None:
    assert resolve_as_of(trained.panel, dt.date(2018, 12, 25)) == dt.date(2018, 12, 24)


def test_resolve_as_of_defaults_to_the_last_stored_day(trained: Trained) -> None:
    assert resolve_as_of(trained.panel, None) == LAST_DAY
    assert resolve_as_of(trained.panel, dt.date(2030, 1, 1)) == LAST_DAY


def test_resolve_as_of_before_the_first_stored_day_is_a_validation_error(
    trained: Trained,
) -> None:
    with pytest.raises(ValidationFailedError) as raised:
        resolve_as_of(trained.panel, dt.date(1999, 1, 1))
    assert raised.value.details[0].loc == ("body", "as_of")


# --------------------------------------------------------------------------- SignalStore


def _signal_set(as_of: dt.date) -> SignalSet:
    return SignalSet(
        version="v3",
        horizon=5,
        as_of=as_of,
        generated_at=GENERATED_AT,
        universe_fingerprint="ab" * 32,
        in_sample=False,
        signals=(
            SignalRow("SYNTEC01", 0.012, 1, 1.0),
            SignalRow("SYNFIN01", -0.004, 2, 0.0),
        ),
        failed_tickers=(FailedTicker("ZZZA", "UNKNOWN_TICKER", "not a stock of the universe"),),
    )


def test_signal_store_round_trips_a_set_as_the_contract_mapping(tmp_path: Path) -> None:
    store = SignalStore(tmp_path / "signals")
    signals = _signal_set(dt.date(2018, 12, 28))
    store.save(signals)
    assert (tmp_path / "signals" / "v3" / "h5" / "2018-12-28.json").is_file()
    loaded = store.load("v3", 5, dt.date(2018, 12, 28))
    assert loaded == signals.as_dict()
    assert loaded["signals"][0] == {
        "ticker": "SYNTEC01",
        "score": 0.012,
        "rank": 1,
        "percentile": 1.0,
    }
    assert loaded["generated_at"] == "2019-01-02T08:30:00+00:00"


def test_signal_store_without_as_of_loads_the_newest_set(tmp_path: Path) -> None:
    store = SignalStore(tmp_path / "signals")
    store.save(_signal_set(dt.date(2018, 12, 31)))
    store.save(_signal_set(dt.date(2018, 6, 29)))
    assert store.load("v3", 5, None)["as_of"] == "2018-12-31"
    assert store.load("v3", 5, dt.date(2018, 6, 29))["as_of"] == "2018-06-29"


def test_signal_store_without_a_set_is_not_found(tmp_path: Path) -> None:
    store = SignalStore(tmp_path / "signals")
    with pytest.raises(NotFoundError, match="no signals generated for v3 horizon 5"):
        store.load("v3", 5, None)
    store.save(_signal_set(dt.date(2018, 12, 31)))
    with pytest.raises(NotFoundError, match="as of 2018-12-28"):
        store.load("v3", 5, dt.date(2018, 12, 28))


def test_corrupt_signal_file_is_artifact_corrupt(tmp_path: Path) -> None:
    store = SignalStore(tmp_path / "signals")
    store.save(_signal_set(dt.date(2018, 12, 31)))
    path = tmp_path / "signals" / "v3" / "h5" / "2018-12-31.json"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ArtifactCorruptError, match=r"signal set 2018-12-31\.json is unreadable"):
        store.load("v3", 5, None)


def test_signal_file_that_is_not_an_object_is_artifact_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "signals" / "v3" / "h5" / "2018-12-31.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([1, 2, 3]))
    with pytest.raises(ArtifactCorruptError, match="is not an object"):
        SignalStore(tmp_path / "signals").load("v3", 5, dt.date(2018, 12, 31))


def test_tied_scores_share_their_rank_and_percentile(trained: Trained) -> None:
    features = trained.features
    row = trained.row_of(LAST_DAY)
    values = features.values.copy()
    values[row, features.tickers.index("SYNFIN01")] = values[
        row, features.tickers.index("SYNTEC01")
    ]
    twin = FeatureSet(features.names, values, features.dates, features.tickers)
    signals = trained.score(LAST_DAY, ["SYNTEC01", "SYNFIN01", "SYNHLT01"], features=twin)
    by_ticker = {item.ticker: item for item in signals.signals}
    tied, other = by_ticker["SYNTEC01"], by_ticker["SYNHLT01"]
    assert by_ticker["SYNFIN01"].score == tied.score
    assert by_ticker["SYNFIN01"].rank == tied.rank
    assert by_ticker["SYNFIN01"].percentile == tied.percentile
    if other.score > tied.score:
        assert (other.rank, other.percentile, tied.rank, tied.percentile) == (1, 1.0, 2, 0.0)
    else:
        assert (tied.rank, tied.percentile, other.rank, other.percentile) == (1, 0.5, 3, 0.0)


def test_scores_inside_the_training_window_are_flagged_in_sample(trained: Trained) -> None:
    end = trained.version.training_window[1]
    end_row = trained.row_of(end)
    inside = trained.score(trained.day(end_row - 1 - 5), ["SYNTEC01"])
    first_outside = trained.score(trained.day(end_row - 5), ["SYNTEC01"])
    assert inside.in_sample is True
    assert first_outside.in_sample is False  # its label window passes the training end
    assert trained.score(LAST_DAY, ["SYNTEC01"]).in_sample is False


def test_default_universe_is_the_versions_liquid_universe(trained: Trained) -> None:
    """Trained with full_universe=false, the default scores each date's 100 most liquid
    names: on the sample's 50 stocks that is every stock still trading."""
    from quant_engine.features import universe_mask

    row = trained.row_of(LAST_DAY)
    mask = universe_mask(trained.panel, survivorship=True, full_universe=False)[row]
    expected = {t for t, member in zip(trained.panel.tickers, mask, strict=True) if member}
    signals = trained.score(LAST_DAY, None)
    assert {item.ticker for item in signals.signals} | {
        item.ticker for item in signals.failed_tickers
    } == expected
