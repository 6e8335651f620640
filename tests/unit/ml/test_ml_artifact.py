"""Artifacts: atomic save, same predictions after load, refused mismatches; the file registry."""

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurumbotx.domain.errors import AlreadyExistsError, DataError, ModelError, NotFoundError
from aurumbotx.features import FEATURE_COLUMNS
from aurumbotx.ml import artifact as artifact_module
from aurumbotx.ml.artifact import (
    ModelArtifact,
    check_version,
    library_versions,
    load_artifact,
    make_version,
    read_meta,
    save_artifact,
)
from aurumbotx.ml.dataset import build_dataset, candles_sha256
from aurumbotx.ml.registry import (
    active_version,
    list_versions,
    read_active,
    resolve_model,
    set_active,
)
from aurumbotx.ml.target import TargetSpec
from aurumbotx.ml.training import build_artifact
from aurumbotx.ml.walkforward import TrainingConfig, train_final
from aurumbotx.testing.candles import make_random_candles

CONFIG = TrainingConfig(folds=2, n_estimators=4)
WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return make_random_candles(2_000, seed=11)


@pytest.fixture(scope="module")
def trained(candles: pd.DataFrame) -> ModelArtifact:
    dataset = build_dataset(candles, TargetSpec(horizon=6, vol_window=50))
    fitted = train_final(dataset, CONFIG)
    metrics = {"overall": {"directional_accuracy": 0.51}, "folds": []}
    return build_artifact(
        fitted,
        dataset,
        pair="RW/USDT",
        timeframe="1h",
        name="test",
        config=CONFIG,
        metrics=metrics,
        trained_at=WHEN,
    )


def fresh(trained: ModelArtifact, when: datetime = WHEN) -> ModelArtifact:
    meta = dict(trained.meta)
    meta["version"] = make_version(when, "x")
    return ModelArtifact(meta, trained.preprocessor, trained.ensemble)


def test_round_trip_gives_identical_predictions(
    trained: ModelArtifact, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = save_artifact(fresh(trained), tmp_path)
    assert sorted(p.name for p in path.iterdir()) == [
        "ensemble.joblib",
        "meta.json",
        "preprocessor.joblib",
    ]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary directory left
    loaded = load_artifact(tmp_path, path.name)
    before, after = trained.predict(candles), loaded.predict(candles)
    np.testing.assert_array_equal(before.to_numpy(), after.to_numpy())
    assert before.iloc[:199].isna().all()
    assert before.iloc[199:].notna().all()
    assert loaded.threshold == trained.threshold
    assert loaded.target == TargetSpec(horizon=6, vol_window=50)


def test_meta_is_complete_and_readable_without_unpickling(
    trained: ModelArtifact, candles: pd.DataFrame, tmp_path: Path
) -> None:
    path = save_artifact(fresh(trained), tmp_path)
    meta = json.loads((path / "meta.json").read_text())
    assert meta == read_meta(tmp_path, path.name)
    assert meta["features"] == list(FEATURE_COLUMNS)
    assert meta["target"]["horizon"] == 6
    assert meta["target"]["vol_window"] == 50
    assert meta["target"]["scale"] == 2.0
    assert meta["pair"] == "RW/USDT"
    assert meta["timeframe"] == "1h"
    assert meta["training_data"]["sha256"] == candles_sha256(candles)
    assert meta["training_data"]["candles"] == len(candles)
    assert set(meta["libraries"]) == {
        "python",
        "numpy",
        "pandas",
        "scikit-learn",
        "xgboost",
        "ta-lib",
    }
    assert set(meta["files"]) == {"preprocessor.joblib", "ensemble.joblib"}
    assert set(meta["weights"]) == {"random_forest", "gradient_boosting", "xgboost"}
    assert meta["walk_forward"]["overall"]["directional_accuracy"] == 0.51
    assert set(meta["feature_importance"]) == set(FEATURE_COLUMNS)
    assert meta["hyperparameters"]["threshold"] == meta["threshold"]


def test_version_shape() -> None:
    version = make_version(WHEN, "abc")
    assert version.startswith("20250102-030405-")
    assert len(version) == 20
    assert check_version(version) == version
    assert make_version(WHEN, "abd") != version
    with pytest.raises(ModelError):
        check_version("../etc")
    with pytest.raises(ModelError):
        make_version(datetime(2025, 1, 1), "x")  # noqa: DTZ001 - naive on purpose


def test_saving_twice_is_refused_and_failures_leave_nothing(
    trained: ModelArtifact, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifact = fresh(trained)
    save_artifact(artifact, tmp_path)
    with pytest.raises(AlreadyExistsError):
        save_artifact(fresh(trained), tmp_path)

    def broken_dump(obj: object, path: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(artifact_module.joblib, "dump", broken_dump)
    other = fresh(trained, datetime(2025, 2, 1, tzinfo=UTC))
    with pytest.raises(OSError, match="disk full"):
        save_artifact(other, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [artifact.version]


def edit_meta(path: Path, **changes: object) -> None:
    meta = json.loads((path / "meta.json").read_text())
    meta.update(changes)
    (path / "meta.json").write_text(json.dumps(meta))


def test_feature_and_library_mismatches_are_refused(trained: ModelArtifact, tmp_path: Path) -> None:
    path = save_artifact(fresh(trained), tmp_path)
    version = path.name
    edit_meta(path, features=[*FEATURE_COLUMNS[:-1], "price_momentum_2"])
    with pytest.raises(ModelError, match=r"other features.*price_momentum"):
        load_artifact(tmp_path, version)
    edit_meta(path, features=list(reversed(FEATURE_COLUMNS)))
    with pytest.raises(ModelError, match="different order"):
        load_artifact(tmp_path, version)
    libraries = library_versions()
    edit_meta(
        path, features=list(FEATURE_COLUMNS), libraries={**libraries, "scikit-learn": "0.1.0"}
    )
    with pytest.raises(ModelError, match=r"scikit-learn 0\.1\.0"):
        load_artifact(tmp_path, version)
    edit_meta(path, libraries={**libraries, "xgboost": "0.90"})
    with pytest.raises(ModelError, match=r"xgboost 0\.90"):
        load_artifact(tmp_path, version)
    # Another patch release is compatible.
    major, minor = libraries["scikit-learn"].split(".")[:2]
    edit_meta(path, libraries={**libraries, "scikit-learn": f"{major}.{minor}.999"})
    assert load_artifact(tmp_path, version).version == version
    with (path / "ensemble.joblib").open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelError, match="does not match its hash"):
        load_artifact(tmp_path, version)
    (path / "ensemble.joblib").unlink()
    with pytest.raises(ModelError, match=r"ensemble\.joblib is missing"):
        load_artifact(tmp_path, version)
    with pytest.raises(NotFoundError):
        load_artifact(tmp_path, "20000101-000000-abcd")


def test_prediction_needs_the_history_of_the_features(
    trained: ModelArtifact, candles: pd.DataFrame
) -> None:
    with pytest.raises(DataError, match="need at least 200"):
        trained.predict(candles.iloc[:199])
    last = trained.predict(candles.iloc[:200])
    assert last.iloc[:-1].isna().all()
    assert np.isfinite(last.iloc[-1])
    # The last value does not depend on candles after it.
    assert last.iloc[-1] == pytest.approx(trained.predict(candles.iloc[:300]).iloc[199], rel=1e-12)


def test_registry_resolves_the_active_model_without_a_database(
    trained: ModelArtifact, tmp_path: Path
) -> None:
    first = save_artifact(fresh(trained), tmp_path).name
    second = save_artifact(fresh(trained, datetime(2025, 3, 1, tzinfo=UTC)), tmp_path).name
    assert [m["version"] for m in list_versions(tmp_path)] == [first, second]
    with pytest.raises(NotFoundError, match="no active model"):
        resolve_model("active", "RW/USDT", "1h", tmp_path)
    assert set_active(tmp_path, "RW/USDT", "1h", first) is None
    assert set_active(tmp_path, "RW/USDT", "1h", second) == first
    assert read_active(tmp_path) == {"RW/USDT 1h": second}
    assert active_version(tmp_path, "RW/USDT", "1h") == second
    assert resolve_model("active", "RW/USDT", "1h", tmp_path).version == second
    assert resolve_model(first, "RW/USDT", "1h", tmp_path).version == first
    with pytest.raises(ModelError, match="not BTC/USDT 1h"):
        resolve_model(first, "BTC/USDT", "1h", tmp_path)
    with pytest.raises(ModelError, match="not RW/USDT 4h"):
        set_active(tmp_path, "RW/USDT", "4h", first)
    (tmp_path / "active.json").write_text("{not json")
    with pytest.raises(ModelError, match="unreadable"):
        read_active(tmp_path)
