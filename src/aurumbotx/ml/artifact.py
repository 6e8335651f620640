"""One trained model version on disk: `<models_dir>/<version>/`, saved atomically.

    <models_dir>/<version>/
        meta.json              everything about the model, readable without unpickling
        preprocessor.joblib    the fitted FeaturePreprocessor (relative levels + scaler)
        ensemble.joblib        the fitted ModelEnsemble (members, tuned weights)

`meta.json` holds: format, version, model name, pair, timeframe, creation time, the feature
list, the target definition (horizon, vol_window, scale), the tuned weights and threshold, the
hyperparameters, the training range, size and the SHA-256 of the training candles
(`candles_sha256`), the library versions, the walk-forward metrics, the validation of the
final fit, per-feature importances, and the SHA-256 of both joblib files (checked on load).

The version is ``YYYYMMDD-HHMMSS-xxxx``: the UTC training time and 4 hex digits of a hash of
the training data and settings, 20 characters (the spec's VARCHAR(20)). Saving writes a
hidden temporary directory and renames it into place, so a version directory is complete or
absent. Loading refuses, with a ModelError naming the difference, a model whose feature list
differs from this code's or whose scikit-learn or xgboost major.minor version differs from the
installed one (their pickles are not portable across those). joblib files are pickles: load
only models you trained.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from aurumbotx.domain.errors import AlreadyExistsError, ModelError, NotFoundError
from aurumbotx.features import FEATURE_COLUMNS, require_history
from aurumbotx.ml.ensemble import ModelEnsemble
from aurumbotx.ml.preprocess import FeaturePreprocessor, complete_rows, model_inputs
from aurumbotx.ml.target import TargetSpec

ARTIFACT_FORMAT = 1
META_FILE = "meta.json"
PREPROCESSOR_FILE = "preprocessor.joblib"
ENSEMBLE_FILE = "ensemble.joblib"
VERSION_PATTERN = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{4}$")
CHECKED_LIBRARIES = ("scikit-learn", "xgboost")  # pickles tied to their major.minor


def library_versions() -> dict[str, str]:
    """Versions of the libraries a model depends on, and of Python."""
    import sklearn
    import talib
    import xgboost

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "xgboost": xgboost.__version__,
        "ta-lib": str(talib.__version__),
    }


def make_version(trained_at: datetime, fingerprint: str) -> str:
    """'YYYYMMDD-HHMMSS-xxxx' from a UTC time and 4 hex digits of `fingerprint`'s SHA-256."""
    if trained_at.tzinfo is None:
        raise ModelError("the training time must be timezone-aware (UTC)")
    digest = hashlib.sha256(f"{fingerprint}|{trained_at.isoformat()}".encode()).hexdigest()
    return f"{trained_at:%Y%m%d-%H%M%S}-{digest[:4]}"


def check_version(version: str) -> str:
    """`version` when it has the artifact version's shape; ModelError otherwise."""
    if not VERSION_PATTERN.match(version):
        raise ModelError(f"not a model version: {version!r} (expected YYYYMMDD-HHMMSS-xxxx)")
    return version


@dataclass
class ModelArtifact:
    """A fitted model and its metadata: what a strategy or a report needs to use it."""

    meta: dict[str, Any]
    preprocessor: FeaturePreprocessor
    ensemble: ModelEnsemble
    path: Path | None = None

    @property
    def version(self) -> str:
        """The version string (directory name)."""
        return str(self.meta["version"])

    @property
    def pair(self) -> str:
        """The pair it was trained on."""
        return str(self.meta["pair"])

    @property
    def timeframe(self) -> str:
        """The timeframe it was trained on."""
        return str(self.meta["timeframe"])

    @property
    def threshold(self) -> float:
        """The tuned signal threshold: BUY above +threshold, SELL below -threshold."""
        return float(self.meta["threshold"])

    @property
    def target(self) -> TargetSpec:
        """The target definition the model predicts."""
        return TargetSpec.from_dict(self.meta["target"])

    def predict_inputs(self, inputs: pd.DataFrame) -> np.ndarray:
        """Predictions for complete rows of `model_inputs` (ModelError on warm-up rows)."""
        return self.ensemble.predict(self.preprocessor.transform(inputs))

    def predict(self, candles: pd.DataFrame) -> pd.Series:
        """A prediction per candle (NaN where a feature is missing); needs >= 200 candles."""
        require_history(len(candles))
        inputs = model_inputs(candles)
        complete = complete_rows(inputs)
        out = np.full(len(candles), np.nan)
        if complete.any():
            out[complete] = self.predict_inputs(inputs[complete])
        return pd.Series(out, index=candles.index, name="prediction")


def save_artifact(artifact: ModelArtifact, models_dir: Path) -> Path:
    """Write `artifact` to `<models_dir>/<version>/` atomically; returns that directory."""
    version = check_version(artifact.version)
    models_dir.mkdir(parents=True, exist_ok=True)
    final = models_dir / version
    if final.exists():
        raise AlreadyExistsError(f"model version {version} already exists in {models_dir}")
    tmp = models_dir / f".tmp-{version}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        joblib.dump(artifact.preprocessor, tmp / PREPROCESSOR_FILE)
        joblib.dump(artifact.ensemble, tmp / ENSEMBLE_FILE)
        meta = dict(artifact.meta)
        meta["files"] = {name: _sha256(tmp / name) for name in (PREPROCESSOR_FILE, ENSEMBLE_FILE)}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
        os.rename(tmp, final)  # atomic on one file system; fails if `final` appeared meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    artifact.meta = meta
    artifact.path = final
    return final


def read_meta(models_dir: Path, version: str) -> dict[str, Any]:
    """The meta.json of one version, without unpickling anything."""
    path = models_dir / check_version(version) / META_FILE
    if not path.is_file():
        raise NotFoundError(f"no model version {version} in {models_dir}")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(f"model {version}: unreadable {META_FILE}: {error}") from None
    if not isinstance(meta, dict) or meta.get("format") != ARTIFACT_FORMAT:
        raise ModelError(f"model {version}: unknown artifact format in {META_FILE}")
    return meta


def check_compatible(meta: dict[str, Any]) -> None:
    """ModelError when the model's features or library versions do not match this install."""
    version = meta.get("version", "?")
    features = list(meta.get("features", []))
    if features != list(FEATURE_COLUMNS):
        missing = [f for f in FEATURE_COLUMNS if f not in features]
        extra = [f for f in features if f not in FEATURE_COLUMNS]
        detail = f"missing {missing}, unknown {extra}" if missing or extra else "a different order"
        raise ModelError(
            f"model {version} was trained on other features than this version computes "
            f"({detail}): retrain it"
        )
    installed = library_versions()
    trained = meta.get("libraries", {})
    for library in CHECKED_LIBRARIES:
        if _major_minor(str(trained.get(library))) != _major_minor(installed[library]):
            raise ModelError(
                f"model {version} was trained with {library} {trained.get(library)}, "
                f"this installation has {installed[library]}: retrain it"
            )


def load_artifact(models_dir: Path, version: str) -> ModelArtifact:
    """Load a version after checking its features, library versions and file hashes."""
    meta = read_meta(models_dir, version)
    check_compatible(meta)
    directory = models_dir / version
    hashes = meta.get("files") or {}
    for name in (PREPROCESSOR_FILE, ENSEMBLE_FILE):
        path = directory / name
        if name not in hashes or not path.is_file() or _sha256(path) != hashes[name]:
            raise ModelError(f"model {version}: {name} is missing or does not match its hash")
    preprocessor = joblib.load(directory / PREPROCESSOR_FILE)
    ensemble = joblib.load(directory / ENSEMBLE_FILE)
    if not isinstance(preprocessor, FeaturePreprocessor) or not isinstance(ensemble, ModelEnsemble):
        raise ModelError(f"model {version}: unexpected objects in its joblib files")
    return ModelArtifact(meta, preprocessor, ensemble, directory)


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
