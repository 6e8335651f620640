"""Compiled inference: a fitted ModelEnsemble as one ONNX graph, run by onnxruntime.

Export (`ensemble_to_onnx`), one converter per member:

* random_forest (RandomForestRegressor) and gradient_boosting ``exact``
  (GradientBoostingRegressor): skl2onnx, float32 input. scikit-learn's trees cast their input
  to float32 as well, and skl2onnx stores float32 thresholds that split those inputs the same
  way, so the branches taken are scikit-learn's.
* gradient_boosting ``hist`` (HistGradientBoostingRegressor): our own converter
  (`hist_gradient_boosting_node`), a TreeEnsembleRegressor with float64 input and thresholds.
  HistGradientBoosting compares float64 features with float64 thresholds: a float32 copy would
  send rows within 1e-7 of a split down the other branch. (skl2onnx 1.20's converter for it is
  float32 only, and fails with onnx 1.23 anyway: a bool in an integer attribute.)
* xgboost: onnxmltools, float32, as XGBoost itself computes.

The three members share one graph: input ``x`` (float64, rows x 27), a Cast to float32 for the
float32 members, three TreeEnsembleRegressor nodes and a Concat into ``members`` (rows x 3, in
`MEMBERS` order), so a candle costs one ``session.run``. The weighted mean is then taken in
float64 in the ensemble's own order (`aurumbotx.ml.ensemble.combine`).

Check (`check_accuracy`): every member and the weighted mean, compiled against the original
estimators, on the caller's rows (real ones: the live pipeline passes its history), 256
seeded standard-normal rows (the preprocessor standardises every input) and probes at split
thresholds (a row whose split feature is the threshold or its float32/float64 neighbours, where
a precision mistake would show). Tolerance: max |difference| <= 1e-5. When the conversion
fails or the check does not pass, `compile_ensemble` falls back to the original members,
loudly: a structlog warning ``compiled_inference_fallback`` and ``compiled = False`` with the
reason on the returned object.

Cache (`load_compiled`): the graph is written next to the model, ``<version>/ensemble.onnx``
with ``ensemble.onnx.json`` (the SHA-256 of the ensemble.joblib it came from and of itself,
the converter versions, the last check), atomically, best effort: an artifact directory that
is not writable keeps the graph in memory. The cache saves the conversion, not the check: a
cached graph is checked again at every load. The joblib files stay the model of record and
their hashes are not changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from aurumbotx.domain.errors import ModelError
from aurumbotx.ml.artifact import ENSEMBLE_FILE, ModelArtifact
from aurumbotx.ml.ensemble import MEMBERS, ModelEnsemble, combine

ONNX_FILE = "ensemble.onnx"
ONNX_META_FILE = "ensemble.onnx.json"
ONNX_CACHE_FORMAT = 1
DEFAULT_TOLERANCE = 1e-5
RANDOM_ROWS = 256
PROBED_SPLITS = 256
MAX_CHECK_ROWS = 2048
INPUT, INPUT32, OUTPUT = "x", "x32", "members"
OPSETS = {"": 17, "ai.onnx.ml": 3}
IR_VERSION = 8
CONVERTER_PACKAGES = ("onnx", "onnxruntime", "skl2onnx", "onnxmltools")

_log = structlog.get_logger("aurumbotx.ml.compiled")


@dataclass(frozen=True)
class AccuracyReport:
    """Compiled against original predictions: max |difference| per member and of the mean."""

    rows: int
    members: dict[str, float]
    prediction: float
    tolerance: float

    @property
    def worst(self) -> float:
        """The largest difference of all."""
        return max([self.prediction, *self.members.values()])

    @property
    def passed(self) -> bool:
        """True when every difference is within the tolerance (NaN fails)."""
        return bool(self.worst <= self.tolerance)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self) | {"passed": self.passed}


class CompiledEnsemble:
    """An ensemble's member predictions through onnxruntime, or its original members."""

    def __init__(
        self,
        ensemble: ModelEnsemble,
        onnx_bytes: bytes | None = None,
        *,
        fallback_reason: str | None = None,
    ) -> None:
        self.ensemble = ensemble
        self.weights = tuple(ensemble.weights[name] for name in MEMBERS)
        self.onnx_bytes = onnx_bytes if fallback_reason is None else None
        self.fallback_reason = fallback_reason
        self.accuracy: AccuracyReport | None = None
        self.cached = False
        self._session: Any = None
        if self.onnx_bytes is not None:
            self._session = _session(self.onnx_bytes)
            self._outputs = [OUTPUT]

    @property
    def compiled(self) -> bool:
        """True when predictions come from onnxruntime, False on the fallback."""
        return self._session is not None

    def member_predictions(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Each member's prediction (float64) for the rows of `x`."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if self._session is None:
            return self.ensemble.member_predictions(x)
        out = self._session.run(self._outputs, {INPUT: x})[0].astype(np.float64)
        return {name: out[:, j] for j, name in enumerate(MEMBERS)}

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The weighted mean of the members for the rows of `x`."""
        return combine(self.member_predictions(x), self.ensemble.weights)

    def predict_row(self, row: np.ndarray) -> tuple[float, list[float]]:
        """(prediction, member predictions in MEMBERS order) of one preprocessed row."""
        if self._session is None:
            found = self.ensemble.member_predictions(row.reshape(1, -1))
            values = [float(found[name][0]) for name in MEMBERS]
        else:
            values = self._session.run(self._outputs, {INPUT: row.reshape(1, -1)})[0][0].tolist()
        # The order of ml.ensemble.combine: 0 + w0 m0 + w1 m1 + w2 m2, in float64.
        total = 0.0
        for weight, value in zip(self.weights, values, strict=True):
            total += weight * value
        return total, values


def compile_ensemble(
    ensemble: ModelEnsemble,
    check_rows: np.ndarray | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    onnx_bytes: bytes | None = None,
) -> CompiledEnsemble:
    """The ensemble compiled and checked (see the module docstring), or the loud fallback."""
    if not ensemble.fitted:
        raise ModelError("the ensemble is not fitted")
    try:
        model_bytes = onnx_bytes if onnx_bytes is not None else ensemble_to_onnx(ensemble)
        compiled = CompiledEnsemble(ensemble, model_bytes)
        report = check_accuracy(compiled, check_rows, tolerance)
    except Exception as error:  # any converter or runtime failure: keep the original models
        return _fallback(ensemble, f"conversion failed: {type(error).__name__}: {error}")
    if not report.passed:
        reason = (
            f"accuracy check failed: max |compiled - original| {report.worst:.3g} > "
            f"{tolerance:g} on {report.rows} rows"
        )
        return _fallback(ensemble, reason, report)
    compiled.accuracy = report
    return compiled


def load_compiled(
    artifact: ModelArtifact,
    check_rows: np.ndarray | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    cache: bool = True,
) -> CompiledEnsemble:
    """The artifact's ensemble compiled, from its cached ensemble.onnx when that is current."""
    source = str((artifact.meta.get("files") or {}).get(ENSEMBLE_FILE) or "")
    directory = artifact.path if cache and source else None
    cached = _read_cache(directory, source) if directory is not None else None
    if cached is not None:
        found = compile_ensemble(
            artifact.ensemble, check_rows, tolerance=tolerance, onnx_bytes=cached
        )
        if found.compiled:
            found.cached = True
            return found
    found = compile_ensemble(artifact.ensemble, check_rows, tolerance=tolerance)
    if found.compiled and directory is not None and found.onnx_bytes is not None:
        _write_cache(directory, source, found)
    return found


def check_accuracy(
    compiled: CompiledEnsemble, rows: np.ndarray | None, tolerance: float = DEFAULT_TOLERANCE
) -> AccuracyReport:
    """Max |compiled - original| per member and of the weighted mean on the check rows."""
    if compiled.onnx_bytes is None:
        raise ModelError("nothing compiled to check")
    x = check_matrix(compiled.onnx_bytes, rows, n_features=_n_features(compiled.ensemble))
    want = compiled.ensemble.member_predictions(x)
    got = compiled.member_predictions(x)
    members = {name: _max_abs(got[name], want[name]) for name in MEMBERS}
    weights = compiled.ensemble.weights
    prediction = _max_abs(combine(got, weights), combine(want, weights))
    return AccuracyReport(len(x), members, prediction, tolerance)


def check_matrix(
    onnx_bytes: bytes, rows: np.ndarray | None, n_features: int, seed: int = 20240101
) -> np.ndarray:
    """The rows of the check: given (at most 2048), random standard-normal and split probes."""
    rng = np.random.default_rng(seed)
    random_rows = rng.standard_normal((RANDOM_ROWS, n_features))
    parts = [random_rows]
    if rows is not None and len(rows):
        given = np.asarray(rows, dtype=np.float64)
        if len(given) > MAX_CHECK_ROWS:
            given = given[np.linspace(0, len(given) - 1, MAX_CHECK_ROWS).astype(int)]
        parts.append(given)
    features, thresholds = split_points(onnx_bytes)
    if len(thresholds):
        pick = rng.choice(len(thresholds), size=min(PROBED_SPLITS, len(thresholds)), replace=False)
        parts.append(_probes(features[pick], thresholds[pick], random_rows, rng))
    return np.vstack(parts)


def split_points(onnx_bytes: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(feature index, threshold as float64) of every branch node of the graph's trees."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_from_string(onnx_bytes)
    features: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for node in model.graph.node:
        if node.op_type != "TreeEnsembleRegressor":
            continue
        attributes = {a.name: a for a in node.attribute}
        modes = np.array([m != b"LEAF" for m in attributes["nodes_modes"].strings])
        if "nodes_values_as_tensor" in attributes:
            thresholds = numpy_helper.to_array(attributes["nodes_values_as_tensor"].t)
        else:
            thresholds = np.asarray(attributes["nodes_values"].floats, dtype=np.float32)
        features.append(np.asarray(attributes["nodes_featureids"].ints)[modes])
        values.append(np.asarray(thresholds, dtype=np.float64)[modes])
    if not features:
        return np.array([], dtype=np.int64), np.array([])
    return np.concatenate(features), np.concatenate(values)


def ensemble_to_onnx(ensemble: ModelEnsemble) -> bytes:
    """The serialized ONNX graph of the three members (see the module docstring)."""
    import onnx
    from onnx import TensorProto, helper

    n_features = _n_features(ensemble)
    nodes = [helper.make_node("Cast", [INPUT], [INPUT32], to=TensorProto.FLOAT, name="cast32")]
    initializers, outputs = [], []
    for name in MEMBERS:
        graph = member_graph(ensemble.models[name], n_features).graph
        source = graph.input[0].name
        double = graph.input[0].type.tensor_type.elem_type == TensorProto.DOUBLE
        renamed = {source: INPUT if double else INPUT32}
        for tensor in graph.initializer:
            copied = onnx.TensorProto()
            copied.CopyFrom(tensor)
            copied.name = renamed.setdefault(tensor.name, f"{name}/{tensor.name}")
            initializers.append(copied)
        for node in graph.node:
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            copy.name = f"{name}/{node.name or node.op_type}"
            for i, edge in enumerate(copy.input):
                copy.input[i] = renamed.setdefault(edge, f"{name}/{edge}")
            for i, edge in enumerate(copy.output):
                copy.output[i] = renamed.setdefault(edge, f"{name}/{edge}")
            nodes.append(copy)
        outputs.append(renamed[graph.output[0].name])
    nodes.append(helper.make_node("Concat", outputs, [OUTPUT], axis=1, name="members"))
    graph = helper.make_graph(
        nodes,
        "aurumbotx_ensemble",
        [helper.make_tensor_value_info(INPUT, TensorProto.DOUBLE, [None, n_features])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, [None, len(MEMBERS)])],
        initializer=initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(domain, v) for domain, v in OPSETS.items()],
        producer_name="aurumbotx",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def member_graph(model: Any, n_features: int) -> Any:
    """One fitted member as an ONNX model whose only output is its prediction (rows x 1)."""
    from sklearn.ensemble import (
        GradientBoostingRegressor,
        HistGradientBoostingRegressor,
        RandomForestRegressor,
    )
    from xgboost import XGBRegressor

    if isinstance(model, HistGradientBoostingRegressor):
        return hist_gradient_boosting_model(model, n_features)
    if isinstance(model, RandomForestRegressor | GradientBoostingRegressor):
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType

        return convert_sklearn(
            model,
            initial_types=[(INPUT32, FloatTensorType([None, n_features]))],
            target_opset=OPSETS,
        )
    if isinstance(model, XGBRegressor):
        from onnxmltools.convert import convert_xgboost
        from onnxmltools.convert.common.data_types import FloatTensorType as XgbFloat

        return convert_xgboost(
            model, initial_types=[(INPUT32, XgbFloat([None, n_features]))], target_opset=15
        )
    raise ModelError(f"no ONNX converter for {type(model).__name__}")


def hist_gradient_boosting_model(model: Any, n_features: int) -> Any:
    """A fitted HistGradientBoostingRegressor as a float64 TreeEnsembleRegressor model."""
    from onnx import TensorProto, helper

    node = hist_gradient_boosting_node(model, "x", "y")
    graph = helper.make_graph(
        [node],
        "hist_gradient_boosting",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [None, n_features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])],
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid(d, v) for d, v in OPSETS.items()]
    )


def hist_gradient_boosting_node(model: Any, source: str, target: str) -> Any:
    """TreeEnsembleRegressor: baseline + the sum of every tree's leaf, float64 splits (x <= t)."""
    from onnx import helper, numpy_helper

    if getattr(model, "n_trees_per_iteration_", 1) != 1 or getattr(model, "is_categorical_", None):
        raise ModelError("only single-output HistGradientBoosting without categories converts")
    nodes: dict[str, list[Any]] = {
        k: [] for k in ("tree", "id", "feature", "mode", "true", "false")
    }
    thresholds: list[float] = []
    leaves: dict[str, list[Any]] = {"tree": [], "id": [], "weight": []}
    for tree, (predictor,) in enumerate(model._predictors):
        for i, row in enumerate(predictor.nodes):
            leaf = bool(row["is_leaf"])
            nodes["tree"].append(tree)
            nodes["id"].append(i)
            nodes["feature"].append(0 if leaf else int(row["feature_idx"]))
            nodes["mode"].append("LEAF" if leaf else "BRANCH_LEQ")
            nodes["true"].append(0 if leaf else int(row["left"]))
            nodes["false"].append(0 if leaf else int(row["right"]))
            thresholds.append(0.0 if leaf else float(row["num_threshold"]))
            if leaf:
                leaves["tree"].append(tree)
                leaves["id"].append(i)
                leaves["weight"].append(float(row["value"]))
    baseline = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()
    return helper.make_node(
        "TreeEnsembleRegressor",
        [source],
        [target],
        domain="ai.onnx.ml",
        name="hist_gradient_boosting",
        n_targets=1,
        aggregate_function="SUM",
        post_transform="NONE",
        base_values_as_tensor=numpy_helper.from_array(baseline),
        nodes_treeids=nodes["tree"],
        nodes_nodeids=nodes["id"],
        nodes_featureids=nodes["feature"],
        nodes_modes=nodes["mode"],
        nodes_values_as_tensor=numpy_helper.from_array(np.asarray(thresholds)),
        nodes_truenodeids=nodes["true"],
        nodes_falsenodeids=nodes["false"],
        nodes_missing_value_tracks_true=[0] * len(thresholds),
        target_treeids=leaves["tree"],
        target_nodeids=leaves["id"],
        target_ids=[0] * len(leaves["id"]),
        target_weights_as_tensor=numpy_helper.from_array(np.asarray(leaves["weight"])),
    )


def converter_versions() -> dict[str, str]:
    """Installed versions of the converters and the runtime."""
    found = {}
    for package in CONVERTER_PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "missing"
    return found


def _session(onnx_bytes: bytes) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One candle at a time on a shared 2-core machine: a thread pool only adds hand-offs.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def _fallback(
    ensemble: ModelEnsemble, reason: str, report: AccuracyReport | None = None
) -> CompiledEnsemble:
    _log.warning(
        "compiled_inference_fallback",
        reason=reason,
        accuracy=report.to_dict() if report else None,
        consequence="predicting with the original scikit-learn/XGBoost members (slower)",
    )
    fallback = CompiledEnsemble(ensemble, fallback_reason=reason)
    fallback.accuracy = report
    return fallback


def _probes(
    features: np.ndarray, thresholds: np.ndarray, base: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Rows whose split feature sits on a threshold and on its float32/float64 neighbours."""
    out = []
    for feature, threshold in zip(features.tolist(), thresholds.tolist(), strict=True):
        t32 = np.float32(threshold)
        for value in (
            threshold,
            np.nextafter(threshold, np.inf),
            np.nextafter(threshold, -np.inf),
            float(np.nextafter(t32, np.float32(np.inf))),
            float(np.nextafter(t32, np.float32(-np.inf))),
        ):
            row = base[int(rng.integers(len(base)))].copy()
            row[feature] = value
            out.append(row)
    return np.asarray(out)


def _n_features(ensemble: ModelEnsemble) -> int:
    count = getattr(ensemble.models[MEMBERS[0]], "n_features_in_", None)
    if count is None:
        raise ModelError("the ensemble is not fitted")
    return int(count)


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) if len(a) else 0.0


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_cache(directory: Path, source_sha256: str) -> bytes | None:
    """The cached graph when its record names this ensemble.joblib and its hash matches."""
    try:
        record = json.loads((directory / ONNX_META_FILE).read_text(encoding="utf-8"))
        data = (directory / ONNX_FILE).read_bytes()
    except (OSError, ValueError):
        return None
    current = (
        isinstance(record, Mapping)
        and record.get("format") == ONNX_CACHE_FORMAT
        and record.get("source_sha256") == source_sha256
        and record.get("onnx_sha256") == _sha256(data)
    )
    return data if current else None


def _write_cache(directory: Path, source_sha256: str, compiled: CompiledEnsemble) -> None:
    """Write ensemble.onnx and its record atomically; an unwritable directory is not an error."""
    data = compiled.onnx_bytes or b""
    record = {
        "format": ONNX_CACHE_FORMAT,
        "source": ENSEMBLE_FILE,
        "source_sha256": source_sha256,
        "onnx_sha256": _sha256(data),
        "libraries": converter_versions(),
        "accuracy": compiled.accuracy.to_dict() if compiled.accuracy else None,
    }
    token = secrets.token_hex(4)
    written: list[Path] = []
    try:
        for name, payload in (
            (ONNX_FILE, data),
            (ONNX_META_FILE, json.dumps(record, indent=1).encode()),
        ):
            tmp = directory / f".{name}.{token}.tmp"
            written.append(tmp)
            tmp.write_bytes(payload)
            os.replace(tmp, directory / name)
    except OSError as error:
        _log.info("compiled_inference_not_cached", directory=str(directory), error=str(error))
        for tmp in written:
            tmp.unlink(missing_ok=True)
