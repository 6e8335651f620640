"""Benchmark: latency of the live AI signal path per closed candle, against the spec's naive one.

Data: the shared real BTC/USDT 1h candles (``REPO.parent / "shared" / "data"``), the last
gap-free stretch. A default-hyperparameter ensemble (100 trees per member, the spec's depths and
weights; ``--n-estimators`` to change) is fitted on the `train` candles before the live window,
then a `LiveSignalPipeline` starts from a `window`-candle history (500) and takes `updates`
new candles (1,000) one by one. Each call is timed with time.perf_counter_ns:

* features: ``StreamingFeatures.update``;
* preprocess: the fitted relative levels + StandardScaler on one row (numpy);
* ensemble: the compiled ONNX graph, one onnxruntime call (``CompiledEnsemble.predict_row``);
* signal: ``SignalProcessor.process`` (threshold, four filters, the record);
* whole path: ``LiveSignalPipeline.on_candle``, timed in a second pass over the same candles.

Baseline, measured in the same run on the first `naive` of those candles: the spec's naive path,
``model_inputs`` (compute_features) on the last 500 candles, the fitted preprocessor and the
original scikit-learn/XGBoost ``predict`` of every member on the last row, then the same
processor. Targets: the spec's floors (features < 20 ms, ensemble < 30 ms, signal < 10 ms,
prediction < 50 ms, all p99 here) and ours, whole path p99 < 1 ms. The live predictions are also
compared with ``artifact.predict`` on the whole window (the batch path).

    .venv/bin/python bench/bench_ai_latency.py [--updates N] [--window N] [--naive N]
                                               [--train N] [--n-estimators N] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from common import SHARED_DATA, format_table, heading, row

from aurumbotx.domain.candles import Candle
from aurumbotx.ml.artifact import ModelArtifact
from aurumbotx.ml.dataset import build_dataset
from aurumbotx.ml.ensemble import ModelEnsemble, combine
from aurumbotx.ml.live import LiveSignalPipeline
from aurumbotx.ml.preprocess import FeaturePreprocessor, model_inputs
from aurumbotx.ml.target import TargetSpec
from aurumbotx.testing.market import make_candle_frame

FILE = "binance_BTC-USDT_1h.csv.gz"
DEFAULT_UPDATES = 1_000
DEFAULT_WINDOW = 500
DEFAULT_NAIVE = 300
DEFAULT_TRAIN = 8_000
DEFAULT_N_ESTIMATORS = 100
THRESHOLD = 0.2  # low enough for BUY/SELL signals to reach the filters
TARGET_WHOLE_P99_US = 1_000.0
SPEC_P99_US = {"features": 20_000.0, "ensemble": 30_000.0, "signal": 10_000.0, "whole": 50_000.0}
STAGES = ("features", "preprocess", "ensemble", "signal")


def say(text: str) -> None:
    """Progress on stderr."""
    print(f"[bench_ai_latency] {text}", file=sys.stderr, flush=True)


def load_candles() -> pd.DataFrame:
    """The shared BTC/USDT 1h candles from the last gap onwards (all one hour apart)."""
    frame = make_candle_frame(pd.read_csv(SHARED_DATA / FILE), source=FILE)
    steps = np.diff(frame.index.as_unit("ms").asi8)
    last_gap = int(np.flatnonzero(steps != 3_600_000)[-1]) + 1
    return frame.iloc[last_gap:]


def train_model(candles: pd.DataFrame, n_estimators: int) -> tuple[ModelArtifact, float]:
    """(a default-hyperparameter model of `candles`, seconds to fit it)."""
    start = time.perf_counter()
    dataset = build_dataset(candles, TargetSpec())
    rows = dataset.inputs.iloc[dataset.rows]
    preprocessor = FeaturePreprocessor().fit(rows)
    ensemble = ModelEnsemble(n_estimators=n_estimators).fit(
        preprocessor.transform(rows), dataset.target[dataset.rows]
    )
    meta = {
        "version": "bench",
        "pair": candles.attrs["pair"],
        "timeframe": candles.attrs["timeframe"],
        "threshold": THRESHOLD,
    }
    return ModelArtifact(meta, preprocessor, ensemble), time.perf_counter() - start


def to_candles(frame: pd.DataFrame) -> list[Candle]:
    """One Candle per row."""
    pair = str(frame.attrs["pair"])
    times = frame.index.as_unit("ms").asi8.tolist()
    values = frame[["open", "high", "low", "close", "volume"]].itertuples(index=False, name=None)
    return [Candle(pair, ts, *v) for ts, v in zip(times, values, strict=True)]


def time_stages(pipeline: LiveSignalPipeline, fresh: list[Candle]) -> dict[str, list[int]]:
    """ns per stage per candle, each stage called as on_candle calls it."""
    clock = time.perf_counter_ns
    out: dict[str, list[int]] = {stage: [] for stage in STAGES}
    gc.collect()
    for candle in fresh:
        t0 = clock()
        features = pipeline.features.update(candle)
        t1 = clock()
        x = pipeline.preprocess(features, candle.close)
        t2 = clock()
        prediction, members = pipeline.predict(x)
        t3 = clock()
        pipeline.decide(features, candle, prediction, members)
        t4 = clock()
        for stage, begin, end in zip(STAGES, (t0, t1, t2, t3), (t1, t2, t3, t4), strict=True):
            out[stage].append(end - begin)
    return out


def time_whole(pipeline: LiveSignalPipeline, fresh: list[Candle]) -> tuple[list[int], list[Any]]:
    """(ns per on_candle call, the records)."""
    clock = time.perf_counter_ns
    timings, records = [], []
    gc.collect()
    for candle in fresh:
        begin = clock()
        record = pipeline.on_candle(candle)
        timings.append(clock() - begin)
        records.append(record)
    return timings, records


def time_naive(
    artifact: ModelArtifact, pipeline: LiveSignalPipeline, series: pd.DataFrame, window: int
) -> dict[str, list[int]]:
    """ns per call of the spec's naive path on each candle of `series` after the first
    `window`: recompute the features of the last `window` candles, predict one row, process."""
    clock = time.perf_counter_ns
    processor, step = pipeline.processor, timedelta(hours=1)
    out: dict[str, list[int]] = {"features": [], "ensemble": [], "signal": [], "whole": []}
    gc.collect()
    for end in range(window, len(series)):
        candles = series.iloc[end + 1 - window : end + 1]
        when = candles.index[-1].to_pydatetime() + step
        t0 = clock()
        inputs = model_inputs(candles)
        t1 = clock()
        members = artifact.ensemble.member_predictions(
            artifact.preprocessor.transform(inputs.iloc[-1:])
        )
        prediction = float(combine(members, artifact.ensemble.weights)[0])
        t2 = clock()
        processor.process(prediction, inputs.iloc[-1].to_dict(), timestamp=when)
        t3 = clock()
        for key, value in zip(out, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            out[key].append(value)
    return out


def stats(timings_ns: list[int]) -> dict[str, float]:
    """p50, p99, mean and max in microseconds."""
    values = np.asarray(timings_ns, dtype=np.float64) / 1e3
    return {
        "p50_us": float(np.percentile(values, 50)),
        "p99_us": float(np.percentile(values, 99)),
        "mean_us": float(values.mean()),
        "max_us": float(values.max()),
    }


def us(figures: dict[str, float]) -> str:
    """'p50 / p99' in microseconds."""
    return f"{figures['p50_us']:,.1f} / {figures['p99_us']:,.1f} us"


def run(
    updates: int = DEFAULT_UPDATES,
    window: int = DEFAULT_WINDOW,
    naive: int = DEFAULT_NAIVE,
    train: int = DEFAULT_TRAIN,
    n_estimators: int = DEFAULT_N_ESTIMATORS,
) -> dict[str, Any]:
    """Fit, stream, time; figures and table rows."""
    candles = load_candles()
    series = candles.iloc[-(window + updates) :]
    say(f"fitting {n_estimators} trees per member on {train:,} candles")
    before = candles.iloc[-(window + updates + train) : -(window + updates)]
    artifact, fit_s = train_model(before, n_estimators)
    history, fresh = series.iloc[:window], to_candles(series.iloc[window:])
    say("compiling and checking the ensemble")
    started = time.perf_counter()
    staged = LiveSignalPipeline(artifact, history, cache=False)
    compile_s = time.perf_counter() - started
    say(f"streaming {updates:,} candles twice, then the naive path on {naive:,}")
    stages = {k: stats(v) for k, v in time_stages(staged, fresh).items()}
    whole_pipeline = LiveSignalPipeline(artifact, history, compiled=staged.compiled)
    whole_ns, records = time_whole(whole_pipeline, fresh)
    whole = stats(whole_ns)
    naive_ns = time_naive(artifact, staged, series.iloc[: window + naive], window)
    baseline = {k: stats(v) for k, v in naive_ns.items()} if naive else {}
    batch = artifact.predict(series).to_numpy()[window:]
    live = np.array([r.prediction for r in records])
    figures: dict[str, Any] = {
        "benchmark": "ai_latency",
        "data": f"{FILE}, {series.index[window]:%Y-%m-%d} .. {series.index[-1]:%Y-%m-%d}",
        "updates": updates,
        "window": window,
        "naive_updates": naive,
        "n_estimators": n_estimators,
        "fit_s": fit_s,
        "pipeline_build_s": compile_s,
        "compiled": staged.compiled.compiled,
        "accuracy": staged.compiled.accuracy.to_dict() if staged.compiled.accuracy else None,
        "live_vs_batch_max_abs": float(np.max(np.abs(live - batch))),
        "actions": pd.Series([r.action.value for r in records]).value_counts().to_dict(),
        "held_by": pd.Series([r.held_by or "" for r in records]).value_counts().to_dict(),
        "stages": stages,
        "whole": whole,
        "naive": baseline,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}"
        ),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "target_p99_us": TARGET_WHOLE_P99_US,
    }
    figures["table"] = table(figures)
    figures["meets_target"] = all(r.get("result") != "MISS" for r in figures["table"])
    return figures


def versus(
    measure: str, ours: dict[str, float], peer: dict[str, float] | None, limit_us: float, who: str
) -> dict[str, str]:
    """One row: our p50/p99 against the naive path's, and a p99 target."""
    ratio = f"{peer['p99_us'] / ours['p99_us']:,.0f}x faster" if peer else ""
    target = f"p99 < {limit_us / 1e3:g} ms ({who})"
    return row(
        measure, us(ours), us(peer) if peer else "", ratio, target, ours["p99_us"] < limit_us
    )


def table(figures: dict[str, Any]) -> list[dict[str, str]]:
    """The rows: each stage and the whole path, ours against the naive path."""
    stages, naive, whole = figures["stages"], figures["naive"], figures["whole"]
    compiled = "compiled ONNX" if figures["compiled"] else "FALLBACK: original members"
    return [
        heading(
            f"AI signal path per closed candle, p50 / p99: {figures['updates']:,} BTC/USDT 1h "
            f"candles after a {figures['window']}-candle window (naive path: the first "
            f"{figures['naive_updates']:,})"
        ),
        versus(
            "features (streaming update)",
            stages["features"],
            naive.get("features"),
            SPEC_P99_US["features"],
            "spec",
        ),
        row("preprocess (one row, numpy)", us(stages["preprocess"]), note="naive: in 'ensemble'"),
        versus(
            f"ensemble ({compiled})",
            stages["ensemble"],
            naive.get("ensemble"),
            SPEC_P99_US["ensemble"],
            "spec",
        ),
        versus(
            "signal (processor + record)",
            stages["signal"],
            naive.get("signal"),
            SPEC_P99_US["signal"],
            "spec",
        ),
        versus("whole path (on_candle)", whole, naive.get("whole"), SPEC_P99_US["whole"], "spec"),
        versus("  same, our target", whole, None, TARGET_WHOLE_P99_US, "ours"),
        row(
            "live vs batch predictions, max |diff|",
            f"{figures['live_vs_batch_max_abs']:.1e}",
            target="<= 1e-05",
            passed=figures["live_vs_batch_max_abs"] <= 1e-5,
        ),
    ]


def footer(figures: dict[str, Any]) -> list[str]:
    """Accuracy of the compiled graph, the decisions made, the machine."""
    accuracy = figures["accuracy"] or {}
    members = ", ".join(f"{k} {v:.1e}" for k, v in (accuracy.get("members") or {}).items())
    return [
        f"compiled vs original on {accuracy.get('rows', 0):,} check rows: {members}; weighted "
        f"mean {accuracy.get('prediction', float('nan')):.1e}",
        f"actions {figures['actions']}, held by {figures['held_by']}",
        f"fit {figures['fit_s']:.1f} s ({figures['n_estimators']} trees per member), pipeline "
        f"build incl. compile + check {figures['pipeline_build_s']:.2f} s; {figures['machine']}; "
        f"{figures['measured_at']}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=DEFAULT_UPDATES)
    parser.add_argument("--window", type=int, default=DEFAULT_WINDOW)
    parser.add_argument(
        "--naive", type=int, default=DEFAULT_NAIVE, help="candles of the naive path"
    )
    parser.add_argument("--train", type=int, default=DEFAULT_TRAIN, help="training candles")
    parser.add_argument("--n-estimators", type=int, default=DEFAULT_N_ESTIMATORS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.updates, args.window, args.naive, args.train, args.n_estimators)
    if args.json:
        print(json.dumps(figures, default=str))
    else:
        print(format_table(figures["table"]))
        print("\n".join(footer(figures)))
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
