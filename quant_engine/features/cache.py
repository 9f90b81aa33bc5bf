"""A small on-disk cache of computed feature sets, keyed by data and formula version.

One ``.npz`` file per key (uncompressed: writing and reading are memory-speed), written
atomically. A file that cannot be read or does not match the panel is logged as a warning
and recomputed; the cache never raises because of its own files. At most
:data:`MAX_ENTRIES` files are kept (the least recently written go first).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import zipfile
from pathlib import Path

import numpy as np

from quant_engine.core.atomic import atomic_write_with
from quant_engine.features.catalog import FEATURES_VERSION, FeatureMode, feature_specs
from quant_engine.features.compute import FeatureSet, compute_features
from quant_engine.features.panel import Panel

logger = logging.getLogger(__name__)

MAX_ENTRIES = 4
"""Feature files kept in the cache folder (a full S&P 500 set is ≈ 180 MB)."""
SUFFIX = ".npz"


def cache_key(panel: Panel, mode: FeatureMode) -> str:
    """sha256 (hex) of what determines a feature set: the data's universe fingerprint,
    the mode, the benchmark, the formula version, the first/last date and the shape."""
    first = str(panel.dates[0]) if len(panel.dates) else ""
    last = str(panel.dates[-1]) if len(panel.dates) else ""
    fields = {
        "universe_fingerprint": panel.universe_fingerprint,
        "mode": mode,
        "benchmark": panel.benchmark_name,
        "features_version": FEATURES_VERSION,
        "first_date": first,
        "last_date": last,
        "shape": [len(panel.dates), len(panel.tickers)],
    }
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


class FeatureCache:
    """Feature sets cached under ``root`` (e.g. ``QE_HOME/features``); thread-safe: two
    threads asking for the same key compute it once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def get_or_compute(self, panel: Panel, mode: FeatureMode) -> FeatureSet:
        """The features of ``mode`` on ``panel``, from the cache when a valid entry exists,
        else computed and stored."""
        key = cache_key(panel, mode)
        path = self.root / f"{key}{SUFFIX}"
        with self._lock_for(key):
            cached = self._load(path, panel, mode)
            if cached is not None:
                return cached
            features = compute_features(panel, mode)
            self._store(path, features)
            return features

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _load(self, path: Path, panel: Panel, mode: FeatureMode) -> FeatureSet | None:
        """The entry at ``path`` if it exists and matches ``panel``; None otherwise."""
        if not path.exists():
            return None
        expected = tuple(spec.name for spec in feature_specs(mode, has_sectors=panel.has_sectors))
        try:
            with np.load(path, allow_pickle=False) as archive:
                names = tuple(str(name) for name in archive["names"])
                tickers = tuple(str(ticker) for ticker in archive["tickers"])
                dates = archive["dates"].astype("datetime64[D]")
                values = np.asarray(archive["values"], dtype=np.float64)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            logger.warning(
                "feature cache entry %s is unreadable, recomputing: %s", path.name, error
            )
            return None
        shape = (len(panel.dates), len(panel.tickers), len(expected))
        if (
            names != expected
            or tickers != panel.tickers
            or not np.array_equal(dates, panel.dates)
            or values.shape != shape
        ):
            logger.warning(
                "feature cache entry %s does not match its panel, recomputing", path.name
            )
            return None
        values.setflags(write=False)
        return FeatureSet(names=names, values=values, dates=panel.dates, tickers=panel.tickers)

    def _store(self, path: Path, features: FeatureSet) -> None:
        """Write ``features`` atomically, then drop the oldest entries beyond MAX_ENTRIES."""

        def write(target: Path) -> None:
            with open(target, "wb") as handle:
                np.savez(
                    handle,
                    names=np.array(features.names, dtype=np.str_),
                    tickers=np.array(features.tickers, dtype=np.str_),
                    dates=features.dates.astype("datetime64[D]"),
                    values=features.values,
                )

        try:
            atomic_write_with(path, write)
        except OSError as error:
            logger.warning("feature cache entry %s could not be written: %s", path.name, error)
            return
        self._evict(keep=path)

    def _evict(self, keep: Path) -> None:
        """Delete the least recently written entries so at most MAX_ENTRIES remain
        (``keep``, the entry just written, always stays)."""
        dated: list[tuple[int, Path]] = []
        for entry in self.root.glob(f"*{SUFFIX}"):
            try:
                dated.append((entry.stat().st_mtime_ns, entry))
            except FileNotFoundError:  # removed by another cache on the same folder
                continue
        older = sorted((item for item in dated if item[1] != keep), reverse=True)
        for _, stale in older[MAX_ENTRIES - 1 :]:
            stale.unlink(missing_ok=True)
