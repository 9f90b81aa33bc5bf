"""The model registry: immutable, verified model versions under ``QE_HOME/registry/v{N}/``.

A version is only a directory — no index file, no state file — holding

* ``model_h{h}.txt``: LightGBM model text per horizon ``h`` (trading days);
* ``oof.parquet``: out-of-fold predictions (columns horizon, date, ticker, prediction, label);
* ``metadata.json``: what was trained, how, on what, with the sha256 of every other file.

A version is written into a hidden temporary directory beside the others, every file and
the directory are fsynced, and the directory is renamed to ``v{N}`` in one step, so a crash
never leaves a partial version. Concurrent saves get distinct numbers: each claims its
``N`` by creating ``.claim-v{N}`` with ``O_EXCL`` before the rename (a claim left by a crash
only makes that number skipped). Reads trust nothing: a missing file, a sha256 mismatch
or unparseable metadata is an ``ArtifactCorruptError`` naming the file, logged as a warning.
Role pointers (champion, challenger) and governance live above this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import json
import logging
import os
import platform
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TypeVar

import lightgbm as lgb
import numpy as np
import pandas as pd

import quant_engine
from quant_engine.core.errors import (
    ArtifactCorruptError,
    NotFoundError,
    UnavailableError,
    ValidationFailedError,
)
from quant_engine.models.metrics import FoldMetrics
from quant_engine.models.trainer import (
    FloatArray,
    FoldResult,
    HorizonResult,
    Scaler,
    TrainResult,
    predict,
)

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bumped when the layout of a version directory or of ``metadata.json`` changes."""

METADATA_FILE = "metadata.json"
OOF_FILE = "oof.parquet"
OOF_COLUMNS = ("horizon", "date", "ticker", "prediction", "label")

_VERSION = re.compile(r"^v([1-9][0-9]{0,8})$")
_CLAIM = re.compile(r"^\.claim-v([1-9][0-9]{0,8})$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TEMP_PREFIX = ".tmp-"
_MAX_CLAIM_ATTEMPTS = 1000

T = TypeVar("T")


def model_file_name(horizon: int) -> str:
    """File name of the model text for ``horizon`` (trading days)."""
    return f"model_h{horizon}.txt"


@dataclass(frozen=True)
class HorizonRecord:
    """What ``metadata.json`` records for one horizon (trading days)."""

    horizon: int
    model_file: str
    scaler: Scaler
    folds: tuple[FoldResult, ...]
    overall: FoldMetrics
    feature_importance_gain: tuple[float, ...]
    feature_importance_split: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready mapping."""
        return {
            "horizon": self.horizon,
            "model_file": self.model_file,
            "scaler": self.scaler.as_dict(),
            "folds": [fold.as_dict() for fold in self.folds],
            "overall": self.overall.as_dict(),
            "feature_importance": {
                "gain": list(self.feature_importance_gain),
                "split": list(self.feature_importance_split),
            },
        }


@dataclass(frozen=True, eq=False)
class ModelVersion:
    """One loaded, verified model version (immutable on disk)."""

    version: str
    path: Path
    created_at: dt.datetime
    """UTC, timezone-aware."""
    request: Mapping[str, object]
    feature_mode: str
    feature_names: tuple[str, ...]
    """The ordered feature list every prediction must present."""
    horizons: tuple[HorizonRecord, ...]
    training_window: tuple[dt.date, dt.date]
    """First and last trading day of the training window."""
    universe_fingerprint: str
    benchmark: str
    warnings: tuple[str, ...]
    library_versions: Mapping[str, str]
    files: Mapping[str, str]
    """File name -> sha256 (hex) of every file except ``metadata.json``."""

    def horizon(self, horizon: int) -> HorizonRecord:
        """The record of ``horizon`` (trading days); ``NotFoundError`` if not trained."""
        for record in self.horizons:
            if record.horizon == horizon:
                return record
        trained = [record.horizon for record in self.horizons]
        raise NotFoundError(f"model {self.version} has no horizon {horizon} (has {trained})")

    def model_text(self, horizon: int) -> str:
        """The model text of ``horizon``, re-verified against its sha256 on every read."""
        record = self.horizon(horizon)
        payload = _verified_bytes(self.path, record.model_file, self.files[record.model_file])
        return payload.decode("utf-8")

    def predict(
        self, horizon: int, features: FloatArray, feature_names: Sequence[str]
    ) -> FloatArray:
        """Predict (rows,) forward returns for ``features`` (rows, F).

        ``feature_names`` must equal the stored ordered list exactly — columns are never
        reordered silently; a mismatch is an ``ArtifactCorruptError``.
        """
        if tuple(feature_names) != self.feature_names:
            _raise_corrupt(
                f"model {self.version} expects features {list(self.feature_names)}, "
                f"got {list(feature_names)}"
            )
        record = self.horizon(horizon)
        return predict(self.model_text(horizon), record.scaler, features)


def _raise_corrupt(message: str) -> NoReturn:
    logger.warning("model registry: %s", message)
    raise ArtifactCorruptError(message)


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _verified_bytes(folder: Path, name: str, expected_sha256: str) -> bytes:
    """Read ``folder/name`` and check its sha256; ``ArtifactCorruptError`` naming the file."""
    where = f"{folder.name}/{name}"
    try:
        payload = (folder / name).read_bytes()
    except FileNotFoundError:
        _raise_corrupt(f"model file {where} is missing")
    except OSError as error:
        _raise_corrupt(f"model file {where} cannot be read: {error.strerror}")
    if _sha256(payload) != expected_sha256:
        _raise_corrupt(f"model file {where} does not match its sha256 in {METADATA_FILE}")
    return payload


def _write_synced(path: Path, payload: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_directory(path: Path) -> None:
    # Makes the rename durable; some platforms cannot open a directory, which only
    # weakens durability after a power cut, never correctness.
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _library_versions() -> dict[str, str]:
    return {
        "lightgbm": str(lgb.__version__),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "quant_engine": quant_engine.__version__,
    }


def _oof_bytes(result: TrainResult) -> bytes:
    frames = [
        pd.DataFrame(
            {
                "horizon": np.full(horizon.oof.prediction.size, horizon.horizon, dtype=np.int64),
                "date": horizon.oof.dates.astype("datetime64[s]"),
                "ticker": horizon.oof.tickers.astype(object),
                "prediction": horizon.oof.prediction,
                "label": horizon.oof.label,
            }
        )
        for horizon in result.horizons
    ]
    buffer = io.BytesIO()
    pd.concat(frames, ignore_index=True).to_parquet(buffer, index=False)
    return buffer.getvalue()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ModelRegistry:
    """Versions ``v1, v2, ...`` under ``root`` (``QE_HOME/registry``)."""

    def __init__(self, root: Path, *, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.root = root
        self._clock = clock

    # -- availability -------------------------------------------------------------------

    def check_readable(self) -> None:
        """Create the root if missing; ``UnavailableError`` if it is not a readable directory."""
        if not self.root.exists():
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise self._unavailable(f"cannot be created ({error.strerror})") from error
        self._require_readable()

    def _require_readable(self) -> None:
        if not self.root.is_dir():
            raise self._unavailable("is not a directory")
        if not os.access(self.root, os.R_OK | os.X_OK):
            raise self._unavailable("is not readable (permission denied)")

    def _unavailable(self, reason: str) -> UnavailableError:
        message = f"model registry {self.root} {reason}"
        logger.warning(message)
        return UnavailableError(message)

    def _entries(self) -> list[str]:
        if not self.root.exists():
            return []
        self._require_readable()
        try:
            return os.listdir(self.root)
        except OSError as error:
            raise self._unavailable(f"cannot be listed ({error.strerror})") from error

    # -- listing ------------------------------------------------------------------------

    def list_versions(self) -> tuple[str, ...]:
        """Version names, newest (highest N) first."""
        numbers = sorted(
            (int(match.group(1)) for match in map(_VERSION.match, self._entries()) if match),
            reverse=True,
        )
        return tuple(f"v{number}" for number in numbers if (self.root / f"v{number}").is_dir())

    def _next_number(self) -> int:
        numbers = [0]
        for entry in self._entries():
            match = _VERSION.match(entry) or _CLAIM.match(entry)
            if match:
                numbers.append(int(match.group(1)))
        return max(numbers) + 1

    # -- saving -------------------------------------------------------------------------

    def save(
        self,
        result: TrainResult,
        *,
        request: Mapping[str, object],
        feature_mode: str,
        training_window: tuple[dt.date, dt.date],
        universe_fingerprint: str,
        benchmark: str,
        warnings: Sequence[str],
    ) -> ModelVersion:
        """Write ``result`` as the next version ``v{N}`` atomically and return it, loaded.

        The feature list is the scalers' (one list for every horizon).
        ``request`` must be JSON-serializable (``ValidationFailedError`` otherwise).
        """
        if not result.horizons:
            raise ValidationFailedError("a training result without horizons cannot be saved")
        names = result.horizons[0].scaler.feature_names
        if any(horizon.scaler.feature_names != names for horizon in result.horizons):
            raise ValidationFailedError("every horizon of a version must use one feature list")
        self.check_readable()
        files: dict[str, bytes] = {
            model_file_name(h.horizon): h.model_text.encode("utf-8") for h in result.horizons
        }
        files[OOF_FILE] = _oof_bytes(result)
        document: dict[str, object] = {
            "format_version": FORMAT_VERSION,
            "created_at": self._clock().astimezone(dt.UTC).isoformat(),
            "request": dict(request),
            "feature_mode": feature_mode,
            "features": list(names),
            "horizons": [_record_of(h).as_dict() for h in result.horizons],
            "training_window": {
                "start": training_window[0].isoformat(),
                "end": training_window[1].isoformat(),
            },
            "universe_fingerprint": universe_fingerprint,
            "benchmark": benchmark,
            "warnings": list(warnings),
            "library_versions": _library_versions(),
            "files": {name: _sha256(payload) for name, payload in sorted(files.items())},
        }
        _encode_metadata({**document, "version": "v1"})  # fail on a bad request before writing
        with self._temporary_directory() as staging:
            for name, payload in files.items():
                _write_synced(staging / name, payload)
            version = self._publish(staging, document)
        return self.load(version)

    @contextlib.contextmanager
    def _temporary_directory(self) -> Iterator[Path]:
        staging = self.root / f"{_TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            staging.mkdir()
        except OSError as error:
            raise self._unavailable(f"is not writable ({error.strerror})") from error
        try:
            yield staging
        finally:
            if staging.exists():
                shutil.rmtree(staging)

    def _publish(self, staging: Path, document: dict[str, object]) -> str:
        """Claim the next free number, write the metadata naming it, rename into place."""
        for _ in range(_MAX_CLAIM_ATTEMPTS):
            number = self._next_number()
            claim = self.root / f".claim-v{number}"
            try:
                os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue  # another save claimed this number first
            version = f"v{number}"
            try:
                metadata = staging / METADATA_FILE
                metadata.unlink(missing_ok=True)
                _write_synced(metadata, _encode_metadata({**document, "version": version}))
                _fsync_directory(staging)
                try:
                    os.rename(staging, self.root / version)
                except OSError as error:
                    if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                        continue  # that version exists already (its claim was released)
                    raise self._unavailable(f"is not writable ({error.strerror})") from error
                _fsync_directory(self.root)
                return version
            finally:
                claim.unlink(missing_ok=True)
        raise self._unavailable("has no free version number after many attempts")

    # -- loading ------------------------------------------------------------------------

    def _version_path(self, version: str) -> Path:
        path = self.root / version
        if not _VERSION.match(version) or not path.is_dir():
            if self.root.exists():
                self._require_readable()
            raise NotFoundError(f"model version {version!r} not found")
        return path

    def metadata(self, version: str) -> ModelVersion:
        """Decode ``version``'s metadata without hashing its files (cheap: for status
        checks; use :meth:`load` before using the model). ``ArtifactCorruptError`` when it
        cannot be read or parsed, ``NotFoundError`` for an unknown version."""
        path = self._version_path(version)
        try:
            payload = (path / METADATA_FILE).read_bytes()
        except OSError as error:
            _raise_corrupt(f"{version}/{METADATA_FILE} cannot be read: {error.strerror}")
        return _decode_metadata(payload, path)

    def load(self, version: str) -> ModelVersion:
        """Load and verify ``version`` (``"v<N>"``): the metadata parses and every file it
        lists matches its sha256. ``NotFoundError`` for an unknown version."""
        loaded = self.metadata(version)
        path = loaded.path
        for name, digest in loaded.files.items():
            _verified_bytes(path, name, digest)
        return loaded

    def load_oof(self, version: str) -> pd.DataFrame:
        """Out-of-fold predictions of ``version`` (verified): columns horizon, date, ticker,
        prediction, label."""
        loaded = self.load(version)
        payload = _verified_bytes(loaded.path, OOF_FILE, loaded.files[OOF_FILE])
        try:
            frame = pd.read_parquet(io.BytesIO(payload))
        except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
            _raise_corrupt(f"{version}/{OOF_FILE} cannot be parsed: {error}")
        if tuple(frame.columns) != OOF_COLUMNS:
            _raise_corrupt(f"{version}/{OOF_FILE} has columns {list(frame.columns)}")
        return frame


def _record_of(result: HorizonResult) -> HorizonRecord:
    return HorizonRecord(
        horizon=result.horizon,
        model_file=model_file_name(result.horizon),
        scaler=result.scaler,
        folds=result.folds,
        overall=result.overall,
        feature_importance_gain=result.feature_importance_gain,
        feature_importance_split=result.feature_importance_split,
    )


def _encode_metadata(document: Mapping[str, object]) -> bytes:
    try:
        text = json.dumps(document, indent=2, sort_keys=True, allow_nan=False, ensure_ascii=True)
    except (TypeError, ValueError) as error:
        raise ValidationFailedError(f"training metadata is not valid JSON: {error}") from error
    return (text + "\n").encode("ascii")


# -- defensive metadata decoding -----------------------------------------------------------


class _MalformedError(ValueError):
    """A structural problem in metadata.json (converted to ArtifactCorruptError)."""


def _field(document: Mapping[str, object], key: str, kind: type[T]) -> T:
    if key not in document:
        raise _MalformedError(f"missing field {key!r}")
    value = document[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _MalformedError(f"field {key!r} must be {kind.__name__}, got {type(value).__name__}")
    return value


def _str_tuple(document: Mapping[str, object], key: str) -> tuple[str, ...]:
    values = _field(document, key, list)
    if not all(isinstance(value, str) for value in values):
        raise _MalformedError(f"field {key!r} must be a list of strings")
    return tuple(values)


def _decode_metadata(payload: bytes, path: Path) -> ModelVersion:
    where = f"{path.name}/{METADATA_FILE}"
    try:
        document = json.loads(payload.decode("utf-8"))
        if not isinstance(document, dict):
            raise _MalformedError("not a JSON object")
        return _model_version(document, path)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        _raise_corrupt(f"{where} is not valid JSON: {error}")
    except (_MalformedError, ValueError, KeyError, TypeError) as error:
        _raise_corrupt(f"{where} is malformed: {error}")


def _model_version(document: dict[str, object], path: Path) -> ModelVersion:
    if _field(document, "format_version", int) != FORMAT_VERSION:
        raise _MalformedError(f"unknown format_version {document['format_version']!r}")
    version = _field(document, "version", str)
    if version != path.name:
        raise _MalformedError(f"version {version!r} does not match its directory {path.name!r}")
    created_at = dt.datetime.fromisoformat(_field(document, "created_at", str))
    if created_at.tzinfo is None:  # written by hand or by an older tool: read as UTC
        created_at = created_at.replace(tzinfo=dt.UTC)
    feature_names = _str_tuple(document, "features")
    files = _files(_field(document, "files", dict))
    horizons = tuple(_horizon(item) for item in _field(document, "horizons", list))
    if not horizons:
        raise _MalformedError("no horizons")
    for record in horizons:
        if record.model_file not in files:
            raise _MalformedError(f"{record.model_file} is not listed in files")
        if record.scaler.feature_names != feature_names:
            raise _MalformedError(f"the scaler of h={record.horizon} has a different feature list")
    if OOF_FILE not in files:
        raise _MalformedError(f"{OOF_FILE} is not listed in files")
    window = _field(document, "training_window", dict)
    versions = _field(document, "library_versions", dict)
    return ModelVersion(
        version=version,
        path=path,
        created_at=created_at.astimezone(dt.UTC),
        request=_field(document, "request", dict),
        feature_mode=_field(document, "feature_mode", str),
        feature_names=feature_names,
        horizons=horizons,
        training_window=(
            dt.date.fromisoformat(_field(window, "start", str)),
            dt.date.fromisoformat(_field(window, "end", str)),
        ),
        universe_fingerprint=_field(document, "universe_fingerprint", str),
        benchmark=_field(document, "benchmark", str),
        warnings=_str_tuple(document, "warnings"),
        library_versions={str(key): str(value) for key, value in versions.items()},
        files=files,
    )


def _files(listing: dict[str, object]) -> dict[str, str]:
    files: dict[str, str] = {}
    for name, digest in listing.items():
        # Names come from disk: refuse anything that could point outside the version folder.
        if not _FILE_NAME.match(name) or name == METADATA_FILE:
            raise _MalformedError(f"file name {name!r} is not allowed")
        if not isinstance(digest, str) or not _SHA256.match(digest):
            raise _MalformedError(f"sha256 of {name!r} is not 64 hex digits")
        files[name] = digest
    return files


def _horizon(item: object) -> HorizonRecord:
    if not isinstance(item, dict):
        raise _MalformedError("each horizon must be an object")
    importance = _field(item, "feature_importance", dict)
    gain = _field(importance, "gain", list)
    split = _field(importance, "split", list)
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in gain):
        raise _MalformedError("feature_importance.gain must be numbers")
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in split):
        raise _MalformedError("feature_importance.split must be integers")
    horizon = _field(item, "horizon", int)
    model_file = _field(item, "model_file", str)
    if model_file != model_file_name(horizon):
        raise _MalformedError(f"model_file {model_file!r} does not match h={horizon}")
    return HorizonRecord(
        horizon=horizon,
        model_file=model_file,
        scaler=Scaler.from_dict(_field(item, "scaler", dict)),
        folds=tuple(_fold(fold) for fold in _field(item, "folds", list)),
        overall=FoldMetrics.from_dict(_field(item, "overall", dict)),
        feature_importance_gain=tuple(float(value) for value in gain),
        feature_importance_split=tuple(split),
    )


def _fold(item: object) -> FoldResult:
    if not isinstance(item, dict):
        raise _MalformedError("each fold must be an object")
    return FoldResult.from_dict(item)
