"""Compiled inference: ONNX graph vs the original members within 1e-5, the loud fallback, cache."""

import json
from pathlib import Path

import numpy as np
import pytest
from structlog.testing import capture_logs

from aurumbotx.ml import compiled as compiled_module
from aurumbotx.ml.artifact import ModelArtifact, save_artifact
from aurumbotx.ml.compiled import (
    DEFAULT_TOLERANCE,
    ONNX_FILE,
    ONNX_META_FILE,
    CompiledEnsemble,
    check_matrix,
    compile_ensemble,
    load_compiled,
    split_points,
)
from aurumbotx.ml.ensemble import MEMBERS, ModelEnsemble
from aurumbotx.ml.preprocess import complete_rows, model_inputs
from aurumbotx.testing.market import load_shared_candles
from aurumbotx.testing.models import BTC_FILE, btc_model


@pytest.fixture(scope="module")
def artifact() -> ModelArtifact:
    return btc_model()


@pytest.fixture(scope="module")
def unseen_rows(artifact: ModelArtifact) -> np.ndarray:
    """Model rows of 3,000 real candles after the training data (none used by the check)."""
    candles = load_shared_candles(BTC_FILE, rows=9_000).iloc[6_000:]
    inputs = model_inputs(candles)
    return artifact.preprocessor.transform(inputs[complete_rows(inputs)])


def max_differences(
    compiled: CompiledEnsemble, ensemble: ModelEnsemble, x: np.ndarray
) -> dict[str, float]:
    got, want = compiled.member_predictions(x), ensemble.member_predictions(x)
    out = {name: float(np.max(np.abs(got[name] - want[name]))) for name in MEMBERS}
    out["prediction"] = float(np.max(np.abs(compiled.predict(x) - ensemble.predict(x))))
    return out


def test_compiled_members_match_the_originals(
    artifact: ModelArtifact, unseen_rows: np.ndarray
) -> None:
    ensemble = artifact.ensemble
    compiled = compile_ensemble(ensemble, unseen_rows[:500])
    assert compiled.compiled
    assert compiled.fallback_reason is None
    report = compiled.accuracy
    assert report is not None
    assert report.passed
    assert report.rows > 500 + 256  # given rows, random rows and split probes
    assert set(report.members) == set(MEMBERS)
    # On rows the check never saw: every member and the weighted mean within 1e-5.
    found = max_differences(compiled, ensemble, unseen_rows)
    assert max(found.values()) <= DEFAULT_TOLERANCE, found
    assert found["random_forest"] > 0  # float32 inside the graph: not bit-identical
    for row in unseen_rows[:50]:
        prediction, members = compiled.predict_row(row)
        assert prediction == pytest.approx(float(ensemble.predict(row[None])[0]), abs=1e-5)
        assert len(members) == len(MEMBERS)


def test_exact_gradient_boosting_converts_too() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((600, 27))
    y = np.tanh(x[:, 0] - 0.5 * x[:, 4] * x[:, 9] + rng.normal(0, 0.3, 600))
    ensemble = ModelEnsemble(gradient_boosting="exact", n_estimators=8, n_jobs=1).fit(x, y)
    compiled = compile_ensemble(ensemble)
    assert compiled.compiled, compiled.fallback_reason
    found = max_differences(compiled, ensemble, rng.standard_normal((2_000, 27)))
    assert max(found.values()) <= DEFAULT_TOLERANCE, found


def test_split_probes_sit_on_the_thresholds(artifact: ModelArtifact) -> None:
    compiled = compile_ensemble(artifact.ensemble)
    assert compiled.onnx_bytes is not None
    features, thresholds = split_points(compiled.onnx_bytes)
    assert len(features) == len(thresholds) > 100
    assert features.min() >= 0
    assert features.max() < 27
    matrix = check_matrix(compiled.onnx_bytes, None, 27)
    probes = matrix[256:]
    on_threshold = np.isin(probes, thresholds).any(axis=1)
    assert len(probes) > 0
    assert on_threshold.mean() > 0.15


def test_failed_conversion_falls_back_loudly(
    artifact: ModelArtifact, unseen_rows: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_ensemble: ModelEnsemble) -> bytes:
        raise RuntimeError("converter exploded")

    monkeypatch.setattr(compiled_module, "ensemble_to_onnx", broken)
    with capture_logs() as logs:
        fallback = compile_ensemble(artifact.ensemble, unseen_rows[:100])
    assert not fallback.compiled
    assert fallback.fallback_reason == "conversion failed: RuntimeError: converter exploded"
    (event,) = [e for e in logs if e["event"] == "compiled_inference_fallback"]
    assert event["log_level"] == "warning"
    assert "converter exploded" in event["reason"]
    # The fallback IS the original models: identical predictions.
    x = unseen_rows[:300]
    assert np.array_equal(fallback.predict(x), artifact.ensemble.predict(x))
    prediction, _ = fallback.predict_row(x[7])
    assert prediction == pytest.approx(float(artifact.ensemble.predict(x[7:8])[0]), abs=1e-15)


def test_failed_accuracy_check_falls_back_loudly(artifact: ModelArtifact) -> None:
    with capture_logs() as logs:
        fallback = compile_ensemble(artifact.ensemble, tolerance=0.0)
    assert not fallback.compiled
    assert (fallback.fallback_reason or "").startswith("accuracy check failed: max |compiled")
    assert fallback.accuracy is not None
    assert not fallback.accuracy.passed
    assert [e["event"] for e in logs] == ["compiled_inference_fallback"]


def test_graph_is_cached_next_to_the_model(artifact: ModelArtifact, tmp_path: Path) -> None:
    saved = btc_model()
    directory = save_artifact(saved, tmp_path / "models")
    first = load_compiled(saved)
    assert first.compiled
    assert not first.cached
    record = json.loads((directory / ONNX_META_FILE).read_text())
    assert record["source_sha256"] == saved.meta["files"]["ensemble.joblib"]
    assert record["accuracy"]["passed"] is True
    assert (directory / ONNX_FILE).read_bytes() == first.onnx_bytes
    again = load_compiled(saved)
    assert again.compiled
    assert again.cached
    # A tampered graph is not trusted: compiled afresh and rewritten.
    (directory / ONNX_FILE).write_bytes(b"not a model")
    fresh = load_compiled(saved)
    assert fresh.compiled
    assert not fresh.cached
    assert (directory / ONNX_FILE).read_bytes() == fresh.onnx_bytes
    # No directory (an in-memory artifact): compiled in memory, nothing written.
    in_memory = load_compiled(artifact)
    assert in_memory.compiled
    assert not in_memory.cached
