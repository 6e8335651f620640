"""Benchmark: ensemble training time, walk-forward time, and honest out-of-sample results.

Data: the last `rows` candles (default 43,800 = 5 years) of the shared Binance BTC/USDT and
ETH/USDT 1h files, target horizon 24, volatility window 168, scale 2 (the defaults).

(a) Training: each member of the default ensemble fitted once on every labelled BTC row, with
    `gradient_boosting` "hist" (HistGradientBoostingRegressor, the default) and "exact" (the
    spec's GradientBoostingRegressor); the ensemble's time is the sum of its members'.
(b) Walk-forward: `aurumbotx.backtest.ml_eval.evaluate` (5 folds, hist), wall time per pair.
    Target: < 300 s on the 2-core machine.
(c) Out of sample, per pair: pooled directional accuracy, F1 (mean of BUY and SELL), and the
    after-fee return (0.1 % per side) of trading the signals through the backtester, compounded
    over the test windows, against buy-and-hold and sma_cross on the same windows.

The machine is shared: the load average before and after is printed with the figures.

    .venv/bin/python bench/bench_training.py [--rows N] [--folds K] [--pairs BTC ETH]
                                              [--skip-exact] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from typing import Any

import pandas as pd
from common import SHARED_DATA, heading, row, seconds

from aurumbotx.backtest.ml_eval import evaluate
from aurumbotx.ml.dataset import Dataset, build_dataset
from aurumbotx.ml.ensemble import MEMBERS, make_members
from aurumbotx.ml.preprocess import FeaturePreprocessor
from aurumbotx.ml.target import TargetSpec
from aurumbotx.ml.walkforward import TrainingConfig
from aurumbotx.testing.market import make_candle_frame

DEFAULT_ROWS = 43_800  # 5 years of hourly candles
TARGET_WALK_FORWARD_S = 300.0
PAIRS = ("BTC", "ETH")


def load_pair(base: str, rows: int) -> pd.DataFrame:
    """The last `rows` candles of the shared `base`/USDT 1h file."""
    name = f"binance_{base}-USDT_1h.csv.gz"
    raw = pd.read_csv(SHARED_DATA / name)
    return make_candle_frame(raw.iloc[-rows:].reset_index(drop=True), source=name)


def time_members(dataset: Dataset, exact: bool) -> dict[str, float]:
    """Seconds to fit each member (and the exact gradient boosting) on every labelled row."""
    rows = dataset.rows
    matrix = (
        FeaturePreprocessor().fit(dataset.inputs.iloc[rows]).transform(dataset.inputs.iloc[rows])
    )
    target = dataset.target[rows]
    kinds = ("hist", "exact") if exact else ("hist",)
    timings: dict[str, float] = {}
    for kind in kinds:
        members = make_members(kind)
        for name in MEMBERS:
            label = f"gradient_boosting_{kind}" if name == "gradient_boosting" else name
            if label in timings:
                continue
            start = time.perf_counter()
            members[name].fit(matrix, target)
            timings[label] = time.perf_counter() - start
    return timings


def run(
    rows: int = DEFAULT_ROWS, folds: int = 5, pairs: tuple[str, ...] = PAIRS, exact: bool = True
) -> dict[str, Any]:
    """Time training and walk-forward; the out-of-sample results per pair, in a dict."""
    load_before = os.getloadavg()
    spec = TargetSpec()
    datasets = {base: build_dataset(load_pair(base, rows), spec) for base in pairs}
    first = datasets[pairs[0]]
    fits = time_members(first, exact)
    results: dict[str, Any] = {}
    for base, dataset in datasets.items():
        start = time.perf_counter()
        evaluation = evaluate(dataset, f"{base}/USDT", "1h", TrainingConfig(folds=folds))
        results[base] = {
            "seconds": time.perf_counter() - start,
            "overall": evaluation.overall,
            "folds": evaluation.to_dict()["folds"],
            "warnings": evaluation.warnings,
            "first": dataset.index[0].isoformat(),
            "last": dataset.index[-1].isoformat(),
            "labelled_rows": int(dataset.labelled.sum()),
        }
    walk_forward_s = results[pairs[0]]["seconds"]
    figures: dict[str, Any] = {
        "benchmark": "training",
        "rows": rows,
        "folds": folds,
        "fit_s": fits,
        "ensemble_hist_s": fits["random_forest"] + fits["gradient_boosting_hist"] + fits["xgboost"],
        "walk_forward_s": walk_forward_s,
        "target_walk_forward_s": TARGET_WALK_FORWARD_S,
        "meets_target": walk_forward_s < TARGET_WALK_FORWARD_S,
        "pairs": results,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
    }
    if "gradient_boosting_exact" in fits:
        figures["ensemble_exact_s"] = (
            fits["random_forest"] + fits["gradient_boosting_exact"] + fits["xgboost"]
        )
    figures["table"] = table(figures, first.labelled.sum())
    return figures


def table(figures: dict[str, Any], labelled: int) -> list[dict[str, str]]:
    """The rows printed by run_all.py."""
    fits = figures["fit_s"]
    out = [heading(f"training on {labelled:,} labelled rows (last {figures['rows']:,} candles)")]
    for name, value in fits.items():
        out.append(row(f"fit {name}", seconds(value)))
    out.append(row("fit ensemble, hist", seconds(figures["ensemble_hist_s"])))
    if "ensemble_exact_s" in figures:
        out.append(row("fit ensemble, exact (spec)", seconds(figures["ensemble_exact_s"])))
    for base, result in figures["pairs"].items():
        overall = result["overall"]
        out.append(heading(f"{base}/USDT 1h walk-forward, {figures['folds']} folds (hist)"))
        out.append(
            row(
                "walk-forward time",
                seconds(result["seconds"]),
                target=f"< {TARGET_WALK_FORWARD_S:.0f} s",
                passed=result["seconds"] < TARGET_WALK_FORWARD_S,
            )
        )
        out.append(row("directional accuracy (OOS)", _pct(overall["directional_accuracy"])))
        out.append(row("F1 BUY/SELL mean (OOS)", _pct(overall["f1"])))
        out.append(
            row(
                "after-fee return: model vs buy-and-hold",
                _ret(overall["model_return"]),
                _ret(overall["buy_hold_return"]),
                note=f"sma_cross {_ret(overall['sma_cross_return'])}; "
                f"{overall['model_trades']} model trades",
            )
        )
    return out


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _ret(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.1f} %"


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit status 1 when the walk-forward misses its time target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--pairs", nargs="+", default=list(PAIRS))
    parser.add_argument("--skip-exact", action="store_true", help="do not time the exact GB")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.rows, args.folds, tuple(args.pairs), exact=not args.skip_exact)
    if args.json:
        print(json.dumps({k: v for k, v in figures.items() if k != "table"}, default=str))
    else:
        from common import format_table

        print(format_table(figures["table"]))
        machine = figures["machine"]
        before, after = (
            "/".join(f"{x:.2f}" for x in machine[key]) for key in ("load_before", "load_after")
        )
        print(f"machine: {machine['cpus']} CPUs, load average {before} before, {after} after")
    return 0 if figures["meets_target"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
