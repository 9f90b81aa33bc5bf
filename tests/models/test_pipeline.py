"""Training from the store: every request field matters, results are reproducible byte for
byte, and a window ending at T sees no price after T."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from quant_engine.data import Store, import_directory
from quant_engine.features import FeatureSet, Panel, compute_features, load_panel
from quant_engine.models.pipeline import SURVIVORSHIP_WARNING, prepare_training, resolve_end
from quant_engine.models.research import Research, train_config
from quant_engine.models.trainer import train
from tests.conftest import SHARED_DATA

SP500 = SHARED_DATA / "sp500_5yr"

# Small on purpose: two years of the sample (50 stocks), two folds, 15 trees.
BASE: dict[str, Any] = {
    "horizons": [5],
    "feature_mode": "core",
    "survivorship": True,
    "full_universe": False,
    "years": 2,
    "end": "2016-12-30",
    "folds": 2,
    "embargo_days": 5,
    "seed": 0,
    "lightgbm": {
        "num_leaves": 15,
        "learning_rate": 0.05,
        "n_estimators": 15,
        "min_data_in_leaf": 50,
        "feature_fraction": 0.8,
    },
}


def _params(**changes: Any) -> dict[str, Any]:
    params = {**BASE, "lightgbm": dict(BASE["lightgbm"])}
    for key, value in changes.items():
        if key.startswith("lightgbm."):
            params["lightgbm"][key.removeprefix("lightgbm.")] = value
        else:
            params[key] = value
    return params


@pytest.fixture(scope="module")
def research(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Research:
    return Research(Store(sample_store), tmp_path_factory.mktemp("home"))


def _fingerprint(research: Research, result: Mapping[str, Any]) -> tuple[object, ...]:
    """What a training produced: model file hashes, window and every fold's rows/metrics."""
    version = research.registry.load(result["version"])
    files = tuple(sorted((k, v) for k, v in version.files.items() if k.startswith("model_")))
    return (files, result["training_start"], result["training_end"], repr(result["horizons"]))


def test_same_request_on_same_data_gives_identical_model_files(research: Research) -> None:
    first = research.registry.load(research.train(_params())["version"])
    second = research.registry.load(research.train(_params())["version"])
    assert first.version != second.version
    model = "model_h5.txt"
    assert first.files[model] == second.files[model]
    text = (first.path / model).read_bytes()
    assert hashlib.sha256(text).hexdigest() == first.files[model]
    assert (second.path / model).read_bytes() == text


@pytest.mark.parametrize(
    "change",
    [
        {"horizons": [10]},
        {"horizons": [5, 10]},
        {"feature_mode": "full"},
        {"survivorship": False},
        {"years": 3},
        {"end": "2015-12-31"},
        {"folds": 3},
        {"embargo_days": 20},
        {"seed": 1},
        {"lightgbm.num_leaves": 7},
        {"lightgbm.learning_rate": 0.2},
        {"lightgbm.n_estimators": 25},
        {"lightgbm.min_data_in_leaf": 400},
        {"lightgbm.feature_fraction": 0.5},
    ],
    ids=lambda change: next(iter(change)),
)
def test_each_request_field_changes_the_result(research: Research, change: dict[str, Any]) -> None:
    baseline = _fingerprint(research, research.train(_params()))
    changed = _fingerprint(research, research.train(_params(**change)))
    assert changed != baseline


def test_survivorship_false_drops_delisted_tickers_and_says_biased(research: Research) -> None:
    panel = research.panel()
    features = research.feature_set(panel, "core")
    biased = prepare_training(panel, features, train_config(_params(survivorship=False)))
    honest = prepare_training(panel, features, train_config(_params()))
    delisted = panel.tickers.index("SYNCON03")  # last row 2016-04-05, inside the window
    assert honest.data.mask[:, delisted].any()
    assert not biased.data.mask[:, delisted].any()
    assert SURVIVORSHIP_WARNING in biased.warnings
    assert SURVIVORSHIP_WARNING not in honest.warnings


def test_years_beyond_the_data_are_clipped_with_a_warning(research: Research) -> None:
    panel = research.panel()
    prepared = prepare_training(
        panel, research.feature_set(panel, "core"), train_config(_params(years=50))
    )
    assert prepared.window[0] == dt.date(1999, 1, 4)
    assert any("starts at the first stored date 1999-01-04" in w for w in prepared.warnings)


def test_end_resolves_to_the_last_trading_day_on_or_before_it(research: Research) -> None:
    panel = research.panel()
    assert resolve_end(panel, dt.date(2016, 12, 31)) == dt.date(2016, 12, 30)  # a Saturday
    assert resolve_end(panel, None) == dt.date(2018, 12, 31)


def test_no_label_reaches_past_end(research: Research) -> None:
    panel = research.panel()
    prepared = prepare_training(
        panel, research.feature_set(panel, "core"), train_config(_params(horizons=[5]))
    )
    labels = prepared.data.labels[5]
    # the label of date t needs open[t+1+5]: the last 6 dates of the window have none
    assert np.isnan(labels[-6:]).all()
    assert np.isfinite(labels[-7]).any()


def _model_texts(panel: Panel, features: FeatureSet, params: dict[str, Any]) -> list[str]:
    config = train_config(params)
    prepared = prepare_training(panel, features, config)
    return [h.model_text for h in train(prepared.data, config).horizons]


def test_training_to_end_equals_training_on_data_cut_at_end(research: Research) -> None:
    """The leak test: with end = T, the full data and a copy that stops at T give the
    same model, byte for byte (features, labels and universe all point in time)."""
    panel = research.panel()
    end = dt.date(2014, 6, 30)
    params = _params(end=end.isoformat(), horizons=[5, 10], survivorship=False)
    on_full = _model_texts(panel, research.feature_set(panel, "full"), _params(**params))
    cut = panel.cut(end)
    on_cut = _model_texts(cut, compute_features(cut, "full"), _params(**params))
    assert on_full == on_cut
    later = _model_texts(panel, research.feature_set(panel, "full"), _params(end="2014-07-31"))
    assert later != on_full


@pytest.mark.skipif(not SP500.is_dir(), reason="../shared/data/sp500_5yr absent")
def test_full_universe_changes_the_model_on_the_sp500(tmp_path: Path) -> None:
    """With 505 tickers the default keeps each date's 100 most liquid; true keeps all."""
    store = Store(tmp_path / "store")
    import_directory(SP500, store)
    research = Research(store, tmp_path / "home")
    panel = load_panel(store)
    features = research.feature_set(panel, "core")
    params = _params(years=1, end=None)
    wide = _params(years=1, end=None, full_universe=True)
    liquid = prepare_training(panel, features, train_config(params))
    everything = prepare_training(panel, features, train_config(wide))
    assert int(liquid.data.mask.sum(axis=1).max()) == 100
    assert int(everything.data.mask.sum(axis=1).max()) > 450
    assert _fingerprint(research, research.train(params)) != _fingerprint(
        research, research.train(wide)
    )
