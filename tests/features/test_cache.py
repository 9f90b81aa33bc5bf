"""FeatureCache: computed once per key, corrupt entries recomputed with a warning."""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

import numpy as np
import pytest

from quant_engine.features import FeatureCache, FeatureSet, Panel, cache_key, compute_features
from quant_engine.features import cache as cache_module
from quant_engine.features.catalog import FeatureMode
from tests.features.conftest import make_panel


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every compute the cache runs, by mode."""
    seen: list[str] = []

    def counting(panel: Panel, mode: FeatureMode) -> FeatureSet:
        seen.append(mode)
        return compute_features(panel, mode)

    monkeypatch.setattr(cache_module, "compute_features", counting)
    return seen


def test_second_call_reads_the_cache_instead_of_computing(tmp_path: Path, calls: list[str]) -> None:
    panel = make_panel(80, 3)
    first = FeatureCache(tmp_path).get_or_compute(panel, "full")
    second = FeatureCache(tmp_path).get_or_compute(panel, "full")
    assert calls == ["full"]
    assert second.names == first.names
    assert second.tickers == first.tickers
    assert np.array_equal(second.dates, first.dates)
    assert np.array_equal(second.values, first.values, equal_nan=True)
    assert len(list(tmp_path.glob("*.npz"))) == 1


def test_key_depends_on_mode_benchmark_and_dates(tmp_path: Path, calls: list[str]) -> None:
    panel = make_panel(80, 3)
    keys = {
        cache_key(panel, "core"),
        cache_key(panel, "full"),
        cache_key(dataclasses.replace(panel, benchmark_name="OTHER"), "core"),
        cache_key(panel.cut(panel.dates[60].astype(object)), "core"),
        cache_key(dataclasses.replace(panel, universe_fingerprint="0" * 64), "core"),
    }
    assert len(keys) == 5
    cache = FeatureCache(tmp_path)
    cache.get_or_compute(panel, "core")
    cache.get_or_compute(panel, "full")
    assert calls == ["core", "full"]


def test_corrupt_entry_is_recomputed_with_a_warning(
    tmp_path: Path, calls: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    panel = make_panel(80, 3)
    cache = FeatureCache(tmp_path)
    expected = cache.get_or_compute(panel, "core")
    (entry,) = tmp_path.glob("*.npz")
    entry.write_bytes(b"not a zip file at all")
    with caplog.at_level(logging.WARNING, logger="quant_engine.features.cache"):
        again = cache.get_or_compute(panel, "core")
    assert calls == ["core", "core"]
    assert any("unreadable" in record.getMessage() for record in caplog.records)
    assert np.array_equal(again.values, expected.values, equal_nan=True)
    cache.get_or_compute(panel, "core")  # the rewritten entry is valid again
    assert calls == ["core", "core"]


def test_entry_that_does_not_match_the_panel_is_recomputed(
    tmp_path: Path, calls: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    panel = make_panel(80, 3)
    cache = FeatureCache(tmp_path)
    cache.get_or_compute(panel, "core")
    (entry,) = tmp_path.glob("*.npz")
    np.savez(entry.open("wb"), names=np.array(["x"]), tickers=np.array(["T00"]),
             dates=panel.dates, values=np.zeros((80, 1, 1)))  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="quant_engine.features.cache"):
        cache.get_or_compute(panel, "core")
    assert calls == ["core", "core"]
    assert any("does not match" in record.getMessage() for record in caplog.records)


def test_cache_keeps_at_most_a_few_entries(tmp_path: Path, calls: list[str]) -> None:
    cache = FeatureCache(tmp_path)
    for index in range(cache_module.MAX_ENTRIES + 3):
        panel = dataclasses.replace(make_panel(40, 2), universe_fingerprint=f"{index:064d}")
        cache.get_or_compute(panel, "core")
    assert len(list(tmp_path.glob("*.npz"))) == cache_module.MAX_ENTRIES
    assert not list(tmp_path.glob(".*.tmp"))
    newest = dataclasses.replace(make_panel(40, 2), universe_fingerprint=f"{index:064d}")
    cache.get_or_compute(newest, "core")  # the latest entry survived eviction
    assert len(calls) == cache_module.MAX_ENTRIES + 3


def test_two_threads_asking_for_the_same_key_compute_once(tmp_path: Path, calls: list[str]) -> None:
    panel = make_panel(300, 20)
    cache = FeatureCache(tmp_path)
    results: list[FeatureSet] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute(panel, "full")))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["full"]
    assert np.array_equal(results[0].values, results[1].values, equal_nan=True)
