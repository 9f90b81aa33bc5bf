"""Pure model engine: purged walk-forward CV, LightGBM training, metrics and the registry.

numpy, pandas, scipy and lightgbm only; no web framework, no generated contract, and no
dependency on ``quant_engine.features`` (the trainer takes plain arrays).
"""

from quant_engine.models.config import MODEL_THREADS, LightGBMParams, TrainConfig
from quant_engine.models.metrics import FoldMetrics, daily_ic, summarize
from quant_engine.models.registry import HorizonRecord, ModelRegistry, ModelVersion
from quant_engine.models.splits import Fold, purged_walk_forward
from quant_engine.models.trainer import (
    DateRange,
    FoldResult,
    HorizonResult,
    OutOfFold,
    Scaler,
    TrainingCancelled,
    TrainingData,
    TrainResult,
    lightgbm_params,
    predict,
    train,
)

__all__ = [
    "MODEL_THREADS",
    "DateRange",
    "Fold",
    "FoldMetrics",
    "FoldResult",
    "HorizonRecord",
    "HorizonResult",
    "LightGBMParams",
    "ModelRegistry",
    "ModelVersion",
    "OutOfFold",
    "Scaler",
    "TrainConfig",
    "TrainResult",
    "TrainingCancelled",
    "TrainingData",
    "daily_ic",
    "lightgbm_params",
    "predict",
    "purged_walk_forward",
    "summarize",
    "train",
]
