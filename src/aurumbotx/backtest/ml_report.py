"""The HTML report of a training run: walk-forward results, self-contained like report.py.

plotly.js is embedded once (no CDN, opens offline). In order: the model (version, pair,
timeframe, data range, target, final weights and threshold); the pooled out-of-sample scores
and trading returns; one table row per fold; predicted against realised target (scatter, at
most `MAX_SCATTER_POINTS` evenly spaced rows) and both over time (min/max-preserving
decimation); each fold's equity for the model's signals, buy-and-hold and sma_cross; the
final model's feature importances. Chart times are UTC.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from aurumbotx.backtest.ml_eval import Evaluation
from aurumbotx.backtest.report import decimate
from aurumbotx.backtest.report_plotly import figure_html

MAX_SCATTER_POINTS = 5_000
MAX_LINE_POINTS = 3_000
_COLOURS = {"model": "#1565c0", "buy_hold": "#7b8794", "sma_cross": "#e08a00"}
_LABELS = {"model": "model signals", "buy_hold": "buy-and-hold", "sma_cross": "sma_cross"}
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;
max-width:1400px;padding:0 1rem;color:#1f2933}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.sub{color:#52606d;margin:.2rem 0}
table{border-collapse:collapse;font-size:.85rem}td,th{padding:.25rem .6rem;text-align:right;
border-bottom:1px solid #e4e7eb}th{background:#f5f7fa}td.l,th.l{text-align:left}
.pos{color:#18794e}.neg{color:#c62828}
"""
# (key, label, kind) of the columns of the fold table and the overall table.
_SCORE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("directional_accuracy", "Dir. accuracy", "pct"),
    ("signal_accuracy", "Signal accuracy", "pct"),
    ("signal_rows", "Signals", "int"),
    ("buy_f1", "BUY F1", "pct"),
    ("sell_f1", "SELL F1", "pct"),
    ("f1", "F1 (mean)", "pct"),
    ("pearson", "Pearson", "num"),
    ("spearman", "Spearman", "num"),
    ("model_return", "Model return", "ret"),
    ("buy_hold_return", "Buy & hold", "ret"),
    ("sma_cross_return", "sma_cross", "ret"),
    ("model_trades", "Model trades", "int"),
)


def write_training_report(evaluation: Evaluation, meta: dict[str, Any], path: Path) -> Path:
    """Write the report of a training run to `path` (atomically) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_training_report(evaluation, meta), encoding="utf-8")
    tmp.replace(path)
    return path


def render_training_report(evaluation: Evaluation, meta: dict[str, Any]) -> str:
    """The report as one HTML document (plotly.js inlined)."""
    title = f"Model {meta.get('version', '')} · {meta.get('pair', '')} · {meta.get('timeframe')}"
    sections = [
        _header(meta, evaluation),
        "<h2>Out of sample, all test windows</h2>",
        _overall_table(evaluation.overall),
        "<h2>Per fold</h2>",
        _fold_table(evaluation),
        "<h2>Predicted vs realised target</h2>",
        figure_html(_scatter_figure(evaluation), "prediction-scatter"),
        figure_html(_series_figure(evaluation), "prediction-series"),
        "<h2>Equity per test window</h2>",
        figure_html(_equity_figure(evaluation), "fold-equity"),
        "<h2>Feature importance (final model)</h2>",
        figure_html(_importance_figure(meta.get("feature_importance") or {}), "importance"),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def _header(meta: dict[str, Any], evaluation: Evaluation) -> str:
    data = meta.get("training_data", {})
    target = meta.get("target", {})
    config = evaluation.config
    weights = ", ".join(f"{k} {v:.1f}" for k, v in (meta.get("weights") or {}).items())
    lines = [
        f"Data: {data.get('first', '?')} → {data.get('last', '?')} UTC, "
        f"{data.get('candles', '?')} candles (sha256 {str(data.get('sha256', ''))[:16]}…)",
        f"Target: horizon {target.get('horizon')} candles, volatility window "
        f"{target.get('vol_window')}, scale {target.get('scale')}: {target.get('definition', '')}",
        f"Walk-forward: {config.folds} folds over the last {config.test_fraction:.0%} of the "
        f"labelled rows, validation tail {config.validation_fraction:.0%}, purge "
        f"{target.get('horizon')} + embargo {config.embargo} candles, gradient boosting "
        f"{config.gradient_boosting}, {config.n_estimators} trees per member, fee "
        f"{config.fee_rate:.2%} per side; {evaluation.seconds:.1f} s",
        f"Final model: weights {weights}; threshold ±{meta.get('threshold')}",
        "Libraries: " + ", ".join(f"{k} {v}" for k, v in (meta.get("libraries") or {}).items()),
    ]
    return "\n".join(f"<p class='sub'>{html.escape(line)}</p>" for line in lines)


def _format(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "ret":
        return f"{value * 100:+.2f}%"
    return f"{value:+.4f}"


def _cell(value: Any, kind: str) -> str:
    css = ""
    if kind == "ret" and isinstance(value, float):
        css = "pos" if value > 0 else "neg" if value < 0 else ""
    return f"<td class='{css}'>{html.escape(_format(value, kind))}</td>"


def _overall_table(overall: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td class='l'>{html.escape(label)}</td>{_cell(overall.get(key), kind)}</tr>"
        for key, label, kind in _SCORE_COLUMNS
    )
    note = (
        "<p class='sub'>Returns compounded over the test windows; accuracy and F1 pooled over "
        "all test rows. Folds beating buy-and-hold: "
        f"{overall.get('folds_beating_buy_hold', 'n/a')}, beating sma_cross: "
        f"{overall.get('folds_beating_sma_cross', 'n/a')}.</p>"
    )
    return f"<table>{rows}</table>{note}"


def _fold_table(evaluation: Evaluation) -> str:
    head = "<th>#</th><th class='l'>Test window (UTC)</th><th>Rows</th><th class='l'>Weights"
    head += "</th><th>Threshold</th>" + "".join(
        f"<th>{label}</th>" for _, label, _ in _SCORE_COLUMNS
    )
    rows = []
    for fold, trading in zip(evaluation.folds, evaluation.trading, strict=True):
        values = fold.scores | trading.metrics
        weights = "/".join(f"{w:.1f}" for w in fold.model.ensemble.weights.values())
        window = f"{fold.index[0]:%Y-%m-%d %H:%M} → {fold.index[-1]:%Y-%m-%d %H:%M}"
        cells = "".join(_cell(values.get(key), kind) for key, _, kind in _SCORE_COLUMNS)
        rows.append(
            f"<tr><td>{fold.split.number}</td><td class='l'>{html.escape(window)}</td>"
            f"<td>{len(fold.prediction):,}</td><td class='l'>{weights}</td>"
            f"<td>±{fold.model.threshold:.2f}</td>{cells}</tr>"
        )
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _scatter_figure(evaluation: Evaluation) -> go.Figure | None:
    total = sum(len(f.prediction) for f in evaluation.folds)
    if not total:
        return None
    step = max(1, int(np.ceil(total / MAX_SCATTER_POINTS)))
    fig = go.Figure()
    for fold in evaluation.folds:
        fig.add_trace(
            go.Scattergl(
                x=fold.prediction[::step].tolist(),
                y=fold.target[::step].tolist(),
                mode="markers",
                name=f"fold {fold.split.number}",
                marker={"size": 4, "opacity": 0.5},
            )
        )
    fig.update_xaxes(title_text="prediction")
    fig.update_yaxes(title_text="realised target")
    shown = "every test row" if step == 1 else f"one test row in {step}"
    fig.update_layout(height=480, title={"text": shown})
    return fig


def _series_figure(evaluation: Evaluation) -> go.Figure | None:
    if not evaluation.folds:
        return None
    index = _naive(pd.DatetimeIndex(np.concatenate([f.index for f in evaluation.folds])))
    fig = go.Figure()
    for name, values, colour in (
        ("realised target", np.concatenate([f.target for f in evaluation.folds]), "#b0b8c1"),
        ("prediction", np.concatenate([f.prediction for f in evaluation.folds]), "#1565c0"),
    ):
        shown = decimate(pd.Series(values, index=index), MAX_LINE_POINTS)
        fig.add_trace(
            go.Scatter(x=shown.index, y=shown.to_numpy(), name=name, line={"color": colour})
        )
    fig.update_layout(height=360, hovermode="x")
    return fig


def _equity_figure(evaluation: Evaluation) -> go.Figure | None:
    if not evaluation.trading:
        return None
    titles = [
        f"fold {f.split.number}: {f.index[0]:%Y-%m-%d} → {f.index[-1]:%Y-%m-%d}"
        for f in evaluation.folds
    ]
    fig = make_subplots(
        rows=len(titles),
        cols=1,
        subplot_titles=titles,
        vertical_spacing=min(0.12, 0.4 / len(titles)),
    )
    for row, trading in enumerate(evaluation.trading, start=1):
        for name, curve in trading.equity.items():
            shown = decimate(curve.astype("float64"), MAX_LINE_POINTS)
            fig.add_trace(
                go.Scatter(
                    x=_naive(pd.DatetimeIndex(shown.index)),
                    y=shown.to_numpy(),
                    name=_LABELS[name],
                    line={"color": _COLOURS[name]},
                    legendgroup=name,
                    showlegend=row == 1,
                ),
                row=row,
                col=1,
            )
    fig.update_layout(height=120 + 260 * len(titles), hovermode="x")
    return fig


def _importance_figure(importance: dict[str, float]) -> go.Figure | None:
    if not importance:
        return None
    ordered = sorted(importance.items(), key=lambda item: item[1])
    fig = go.Figure(go.Bar(x=[v for _, v in ordered], y=[k for k, _ in ordered], orientation="h"))
    fig.update_layout(
        height=120 + 18 * len(ordered),
        title={"text": "mean normalised importance over the members that report one"},
    )
    return fig


def _naive(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    # plotly.js ignores UTC offsets in date strings; naive UTC times plot as labelled.
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
