"""The research workbench over one ``QE_HOME``: features, training, registry, governance
and signals, as the jobs and the API edge use them.

Everything here is blocking (pandas, LightGBM, file I/O): call it from a job or a worker
thread, never from the event loop. Results are plain JSON-ready mappings shaped like the
contract's schemas, so the API edge only validates and wraps them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from quant_engine.core.errors import ErrorDetail, NotFoundError, ValidationFailedError
from quant_engine.data import Store
from quant_engine.data.cancel import CancelToken, ProgressCallback
from quant_engine.features import (
    FeatureCache,
    FeatureMode,
    FeatureSet,
    Panel,
    feature_specs,
    load_panel,
    max_lookback,
)
from quant_engine.models.config import LightGBMParams, TrainConfig
from quant_engine.models.governance import Comparison, Decision, Governance, compare
from quant_engine.models.pipeline import omitted_features, train_version
from quant_engine.models.registry import HorizonRecord, ModelRegistry, ModelVersion
from quant_engine.models.signals import SignalSet, SignalStore, resolve_as_of, score

logger = logging.getLogger(__name__)

FEATURE_MODES: tuple[FeatureMode, ...] = ("core", "full")


class PredictionFailed(Exception):  # noqa: N818 - the job error code's name
    """More than half of the tickers could not be scored."""

    def __init__(self, message: str, signals: SignalSet) -> None:
        super().__init__(message)
        self.signals = signals


def train_config(params: Mapping[str, Any]) -> TrainConfig:
    """The engine's config of a ``TrainParams`` mapping (every field present)."""
    end = params.get("end")
    return TrainConfig(
        horizons=tuple(int(h) for h in params["horizons"]),
        feature_mode=str(params["feature_mode"]),
        survivorship=bool(params["survivorship"]),
        full_universe=bool(params["full_universe"]),
        years=int(params["years"]),
        end=dt.date.fromisoformat(end) if isinstance(end, str) else None,
        folds=int(params["folds"]),
        embargo_days=int(params["embargo_days"]),
        seed=int(params["seed"]),
        lightgbm=LightGBMParams(**params["lightgbm"]),
    )


class Research:
    """Features, training, registry, governance and signals over one home folder."""

    def __init__(
        self,
        store: Store,
        home: Path,
        *,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.features = FeatureCache(home / "features")
        self.registry = ModelRegistry(home / "registry")
        self.governance = Governance(self.registry)
        self.signals = SignalStore(home / "signals")
        self._clock = clock

    # ------------------------------------------------------------------ data

    def panel(self) -> Panel:
        """Every stored stock as a panel (``UnavailableError`` before the first import)."""
        return load_panel(self.store)

    def feature_set(self, panel: Panel, mode: str) -> FeatureSet:
        return self.features.get_or_compute(panel, _mode(mode))

    def catalog(self, mode: str) -> dict[str, Any]:
        """The contract's ``FeatureCatalog`` for ``mode`` and the stored universe."""
        manifest = self.store.manifest()
        stocks = [
            info for info in (manifest.tickers.values() if manifest else ()) if info.kind == "stock"
        ]
        has_sectors = bool(stocks) and all(info.sector is not None for info in stocks)
        specs = feature_specs(_mode(mode), has_sectors=has_sectors)
        return {
            "feature_mode": mode,
            "features": [
                {
                    "name": spec.name,
                    "group": spec.group,
                    "lookback_days": spec.lookback,
                    "description": spec.description,
                }
                for spec in specs
            ],
            "omitted": [
                {"name": name, "reason": "the universe has no sectors (directory data)"}
                for name in omitted_features(mode, has_sectors)
            ],
            "has_sectors": has_sectors,
            "max_lookback_days": max_lookback(_mode(mode), has_sectors=has_sectors),
        }

    # -------------------------------------------------------------- training

    def train(
        self,
        params: Mapping[str, Any],
        *,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """Run a ``train`` job: train, register, decide. Returns the ``TrainResult``."""
        config = train_config(params)
        self.registry.check_readable()
        panel = self.panel()
        version, _ = train_version(
            panel,
            lambda mode: self.feature_set(panel, mode),
            config,
            self.registry,
            dict(params),
            cancel=cancel,
            progress=progress,
        )
        decision = self.governance.decide(version, self._comparison(version, panel))
        roles = self.governance.roles()
        return {
            "version": version.version,
            "role": roles.get(version.version, "challenger"),
            "training_start": version.training_window[0].isoformat(),
            "training_end": version.training_window[1].isoformat(),
            "horizons": [_horizon_report(record) for record in version.horizons],
            "warnings": list(version.warnings),
            "decision": decision.as_dict(),
        }

    def _comparison(
        self, challenger: ModelVersion, panel: Panel
    ) -> Callable[[ModelVersion, int], Comparison]:
        def run(champion: ModelVersion, horizon: int) -> Comparison:
            oof = self.registry.load_oof(challenger.version)
            features = self.feature_set(panel, champion.feature_mode)
            return compare(oof, champion, horizon, panel.dates, features)

        return run

    # -------------------------------------------------------------- registry

    def resolve(self, version: str) -> ModelVersion:
        """Load ``v<N>`` or the champion (verified); ``NotFoundError`` when absent."""
        if version == "champion":
            champion = self.governance.champion()
            if champion is None:
                raise NotFoundError("no champion yet: train a model first")
            version = champion
        return self.registry.load(version)

    def list_models(self, limit: int, cursor: str | None) -> dict[str, Any]:
        """The contract's ``ModelPage``: versions newest first, older than ``cursor``."""
        versions = list(self.registry.list_versions())
        if cursor is not None:  # keyset: the versions older than the cursor's
            after = int(cursor.removeprefix("v"))
            versions = [name for name in versions if int(name.removeprefix("v")) < after]
        page = versions[:limit]
        roles = self.governance.roles()
        items = [_summary(self.registry.load(name), roles) for name in page]
        return {
            "items": items,
            "next_cursor": page[-1] if len(versions) > limit else None,
            "champion": self.governance.champion(),
        }

    def model_lab(self, version: str) -> dict[str, Any]:
        """The contract's ``ModelLabResult`` of ``version``."""
        loaded = self.resolve(version)
        for record in loaded.horizons:  # every model file verified, not only the metadata
            loaded.model_text(record.horizon)
        self.registry.load_oof(loaded.version)
        roles = self.governance.roles()
        return {
            "summary": _summary(loaded, roles),
            "request": dict(loaded.request),
            "features": list(loaded.feature_names),
            "benchmark": loaded.benchmark,
            "warnings": list(loaded.warnings),
            "library_versions": dict(loaded.library_versions),
            "files": dict(loaded.files),
            "horizons": [_horizon_report(record) for record in loaded.horizons],
            "decisions": [d.as_dict() for d in self.governance.decisions(loaded.version)],
        }

    def importance(self, version: str, horizon: int | None, kind: str) -> dict[str, Any]:
        """The contract's ``FeatureImportance``, largest first."""
        loaded = self.resolve(version)
        record = loaded.horizon(horizon if horizon is not None else loaded.horizons[0].horizon)
        loaded.model_text(record.horizon)
        values: Sequence[float] = (
            record.feature_importance_gain if kind == "gain" else record.feature_importance_split
        )
        items = sorted(
            zip(loaded.feature_names, values, strict=True), key=lambda item: (-item[1], item[0])
        )
        return {
            "version": loaded.version,
            "horizon": record.horizon,
            "kind": kind,
            "items": [{"feature": name, "importance": float(value)} for name, value in items],
        }

    def promote(self, version: str) -> Decision:
        loaded = self.resolve(version)
        for record in loaded.horizons:
            loaded.model_text(record.horizon)
        return self.governance.promote(loaded)

    # --------------------------------------------------------------- signals

    def predict(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Run a ``predict`` job: score, store, and return the ``PredictResult``.

        Raises ``PredictionFailed`` when more than half of the tickers fail (nothing is
        stored then).
        """
        loaded = self.resolve(str(params["version"]))
        horizon = params.get("horizon")
        horizon = int(horizon) if horizon is not None else loaded.horizons[0].horizon
        loaded.horizon(horizon)
        panel = self.panel()
        as_of_param = params.get("as_of")
        as_of = resolve_as_of(
            panel, dt.date.fromisoformat(as_of_param) if isinstance(as_of_param, str) else None
        )
        features = self.feature_set(panel, loaded.feature_mode)
        tickers = params.get("tickers")
        signals = score(
            loaded,
            horizon,
            panel,
            features,
            as_of=as_of,
            tickers=[str(t) for t in tickers] if tickers is not None else None,
            generated_at=self._clock(),
        )
        failed, total = (
            len(signals.failed_tickers),
            len(signals.failed_tickers) + len(signals.signals),
        )
        if total == 0 or 2 * failed > total:
            raise PredictionFailed(
                f"{failed} of {total} tickers could not be scored at {as_of}", signals
            )
        self.signals.save(signals)
        return {
            "version": loaded.version,
            "horizon": horizon,
            "as_of": as_of.isoformat(),
            "scored": len(signals.signals),
            "failed_tickers": [
                {"ticker": f.ticker, "reason": f.reason, "message": f.message}
                for f in signals.failed_tickers
            ],
        }

    def signal_set(
        self, version: str | None, horizon: int | None, as_of: dt.date | None
    ) -> dict[str, Any]:
        loaded = self.resolve(version or "champion")
        record = loaded.horizon(horizon if horizon is not None else loaded.horizons[0].horizon)
        return self.signals.load(loaded.version, record.horizon, as_of)


def _mode(mode: str) -> FeatureMode:
    if mode not in FEATURE_MODES:
        raise ValidationFailedError(
            f"unknown feature_mode {mode!r}",
            [ErrorDetail(loc=("feature_mode",), msg=f"must be one of {FEATURE_MODES}")],
        )
    return mode


def _json_float(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _horizon_report(record: HorizonRecord) -> dict[str, Any]:
    return {
        "horizon": record.horizon,
        "overall": record.overall.as_dict(),
        "folds": [
            {
                "fold": fold.index,
                "train": fold.train.as_dict(),
                "test": fold.test.as_dict(),
                "metrics": fold.metrics.as_dict(),
            }
            for fold in record.folds
        ],
    }


def _summary(version: ModelVersion, roles: Mapping[str, str]) -> dict[str, Any]:
    first = version.horizons[0].overall
    return {
        "version": version.version,
        "role": roles.get(version.version, "challenger"),
        "created_at": version.created_at.isoformat(),
        "feature_mode": version.feature_mode,
        "horizons": [record.horizon for record in version.horizons],
        "training_start": version.training_window[0].isoformat(),
        "training_end": version.training_window[1].isoformat(),
        "universe_fingerprint": version.universe_fingerprint,
        "survivorship": bool(version.request.get("survivorship", True)),
        "rank_ic": _json_float(first.rank_ic),
        "icir": _json_float(first.icir),
    }
