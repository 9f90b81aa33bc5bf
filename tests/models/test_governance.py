"""Champion / challenger governance: who is promoted, on which evidence, and the record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from quant_engine.core.errors import ArtifactCorruptError, ConflictError
from quant_engine.data import Store
from quant_engine.models.governance import (
    GOVERNANCE_FILE,
    MIN_COMMON_DATES,
    PROMOTION_MARGIN,
    Comparison,
)
from quant_engine.models.research import Research

SMALL = {"n_estimators": 15, "num_leaves": 15, "min_data_in_leaf": 50}


def _params(end: str, years: int, folds: int, seed: int = 0) -> dict[str, Any]:
    return {
        "horizons": [5],
        "feature_mode": "core",
        "survivorship": True,
        "full_universe": False,
        "years": years,
        "end": end,
        "folds": folds,
        "embargo_days": 5,
        "seed": seed,
        "lightgbm": {"learning_rate": 0.05, "feature_fraction": 0.8, **SMALL},
    }


@pytest.fixture(scope="module")
def trained(
    sample_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Research, list[dict[str, Any]]]:
    """v1 trained to 2014; v2 to 2016 (out of fold on dates after v1's end)."""
    research = Research(Store(sample_store), tmp_path_factory.mktemp("home"))
    results = [
        research.train(_params("2014-12-31", years=2, folds=2)),
        research.train(_params("2016-12-30", years=3, folds=3)),
    ]
    return research, results


def test_first_version_becomes_champion_and_records_the_icir_floor(
    trained: tuple[Research, list[dict[str, Any]]],
) -> None:
    _, (first, _) = trained
    decision = first["decision"]
    assert decision["version"] == "v1"
    assert decision["promoted"] is True
    assert decision["champion_before"] is None
    assert decision["champion_after"] == "v1"
    icir = first["horizons"][0]["overall"]["icir"]
    assert decision["metrics"]["challenger_icir"] == pytest.approx(icir)
    assert decision["meets_icir_floor"] is (icir >= 0.05)
    assert decision["reason"].startswith("first version: champion by default")


def _independent_rank_ic(
    research: Research, champion: str, challenger: str
) -> tuple[float, float, int]:
    """Both mean daily rank ICs recomputed with scipy on the common out-of-sample rows."""
    oof = research.registry.load_oof(challenger)
    champion_version = research.registry.load(champion)
    panel = research.panel()
    end_row = int(np.searchsorted(panel.dates, np.datetime64(champion_version.training_window[1])))
    first_oos = panel.dates[end_row + 1 + 5]
    rows = oof[(oof["horizon"] == 5) & (oof["date"].to_numpy(dtype="datetime64[D]") >= first_oos)]
    features = research.feature_set(panel, champion_version.feature_mode)
    date_index = np.searchsorted(features.dates, rows["date"].to_numpy(dtype="datetime64[D]"))
    ticker_index = pd.Index(features.tickers).get_indexer(rows["ticker"])
    matrix = features.values[date_index, ticker_index, :]
    rows = rows.assign(champion=champion_version.predict(5, matrix, features.names))
    challenger_ics, champion_ics = [], []
    for _, day in rows.groupby("date"):
        if len(day) < 3:
            continue
        challenger_ics.append(spearmanr(day["prediction"], day["label"]).statistic)
        champion_ics.append(spearmanr(day["champion"], day["label"]).statistic)
    return float(np.mean(challenger_ics)), float(np.mean(champion_ics)), len(challenger_ics)


def test_challenger_is_judged_on_common_out_of_sample_dates(
    trained: tuple[Research, list[dict[str, Any]]],
) -> None:
    research, (_, second) = trained
    decision = second["decision"]
    metrics = decision["metrics"]
    challenger_ic, champion_ic, dates = _independent_rank_ic(research, "v1", "v2")
    assert metrics["common_dates"] == dates
    assert dates >= MIN_COMMON_DATES
    assert metrics["challenger_rank_ic"] == pytest.approx(challenger_ic, abs=1e-12)
    assert metrics["champion_rank_ic"] == pytest.approx(champion_ic, abs=1e-12)
    promoted = challenger_ic > champion_ic + PROMOTION_MARGIN
    assert decision["promoted"] is promoted
    assert decision["champion_after"] == ("v2" if promoted else "v1")
    assert f"over {dates} dates" in decision["reason"]


def test_without_enough_common_dates_the_champion_stays(
    trained: tuple[Research, list[dict[str, Any]]],
) -> None:
    research, _ = trained
    if research.governance.champion() != "v2":
        research.promote("v2")
    third = research.train(_params("2016-12-30", years=2, folds=2, seed=3))
    decision = third["decision"]
    assert decision["promoted"] is False
    assert decision["champion_after"] == "v2"
    assert decision["reason"] == (
        "insufficient common out-of-sample dates: 0 < 60; champion v2 kept"
    )
    assert research.governance.roles()[third["version"]] == "challenger"


def test_manual_promotion_is_recorded_and_retires_the_champion(
    trained: tuple[Research, list[dict[str, Any]]],
) -> None:
    research, _ = trained
    before = research.governance.champion()
    target = "v1" if before != "v1" else "v2"
    decision = research.promote(target)
    assert decision.kind == "manual"
    assert decision.champion_before == before
    assert decision.champion_after == target
    roles = research.governance.roles()
    assert roles[target] == "champion"
    assert roles[str(before)] == "retired"
    assert research.governance.decisions()[-1] == decision
    with pytest.raises(ConflictError):
        research.promote(target)


def test_unreadable_governance_state_is_artifact_corrupt(
    trained: tuple[Research, list[dict[str, Any]]], caplog: pytest.LogCaptureFixture
) -> None:
    research, _ = trained
    path = research.registry.root / GOVERNANCE_FILE
    saved = path.read_bytes()
    try:
        path.write_text("{not json")
        with pytest.raises(ArtifactCorruptError, match=GOVERNANCE_FILE):
            research.governance.champion()
        assert any(GOVERNANCE_FILE in record.getMessage() for record in caplog.records)
    finally:
        path.write_bytes(saved)


def test_survivorship_biased_challenger_is_never_promoted_automatically(
    trained: tuple[Research, list[dict[str, Any]]],
) -> None:
    research, _ = trained
    biased = research.train(
        {**_params("2016-12-30", years=2, folds=2, seed=7), "survivorship": False}
    )
    version = research.registry.load(biased["version"])
    champion = research.governance.champion()
    winning = Comparison(challenger_rank_ic=0.2, champion_rank_ic=0.0, common_dates=200)
    decision = research.governance.decide(version, lambda _champion, _horizon: winning)
    assert decision.promoted is False
    assert decision.champion_after == champion
    assert "survivorship-biased universe" in decision.reason
