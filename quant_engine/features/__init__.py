"""Features, labels and universes over the dates × tickers panel of the stock universe.

Pure engine: imports only numpy, pandas, pyarrow, :mod:`quant_engine.core` and
:mod:`quant_engine.data`. Everything here is point in time: a value at date t uses rows
dated <= t only (labels, by definition, use rows t+1 … t+1+horizon).
"""

from quant_engine.features.cache import FeatureCache, cache_key
from quant_engine.features.catalog import (
    CATALOG,
    FEATURES_VERSION,
    FeatureGroup,
    FeatureMode,
    FeatureSpec,
    feature_specs,
    max_lookback,
)
from quant_engine.features.compute import FeatureSet, compute_features
from quant_engine.features.labels import forward_returns
from quant_engine.features.panel import EQUAL_WEIGHT, Panel, as_date, load_panel
from quant_engine.features.universe import universe_mask

__all__ = [
    "CATALOG",
    "EQUAL_WEIGHT",
    "FEATURES_VERSION",
    "FeatureCache",
    "FeatureGroup",
    "FeatureMode",
    "FeatureSet",
    "FeatureSpec",
    "Panel",
    "as_date",
    "cache_key",
    "compute_features",
    "feature_specs",
    "forward_returns",
    "load_panel",
    "max_lookback",
    "universe_mask",
]
