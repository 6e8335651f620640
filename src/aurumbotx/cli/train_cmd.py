"""`aurumbotx train`: walk-forward evaluation, then the final model, saved and recorded.

scikit-learn, xgboost and plotly are imported inside the command so that `aurumbotx --help`
and the other commands start fast. `register` also attaches `aurumbotx models ...`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from aurumbotx.cli import models_cmd
from aurumbotx.cli.options import DATE_HELP, output_file, parse_date
from aurumbotx.cli.state import console, container, err_console
from aurumbotx.services import models as model_service

if TYPE_CHECKING:
    from aurumbotx.backtest.ml_eval import Evaluation
    from aurumbotx.ml.artifact import ModelArtifact

_ROWS = (
    ("directional_accuracy", "directional accuracy", "pct"),
    ("signal_rows", "BUY/SELL signals", "int"),
    ("signal_accuracy", "accuracy of signals", "pct"),
    ("buy_f1", "F1 BUY", "pct"),
    ("sell_f1", "F1 SELL", "pct"),
    ("pearson", "Pearson", "num"),
    ("spearman", "Spearman", "num"),
    ("model_return", "model return", "ret"),
    ("buy_hold_return", "buy-and-hold", "ret"),
    ("sma_cross_return", "sma_cross", "ret"),
    ("model_trades", "model trades", "int"),
)


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "pct":
        return f"{value * 100:.1f} %"
    if kind == "ret":
        return f"{value * 100:+.2f} %"
    return f"{value:+.3f}"


def fold_table(evaluation: Evaluation) -> Table:
    """Out-of-sample scores and returns: one column per fold, then all folds together."""
    table = Table("", title_justify="left")
    table.title = "walk-forward, out of sample (returns after fees, long-only)"
    for fold in evaluation.folds:
        table.add_column(f"fold {fold.split.number}", justify="right")
    table.add_column("all", justify="right")
    folds = evaluation.folds
    table.add_row(
        "test from", *(f"{f.index[0]:%Y-%m-%d}" for f in folds), f"{folds[0].index[0]:%Y-%m-%d}"
    )
    table.add_row(
        "test to", *(f"{f.index[-1]:%Y-%m-%d}" for f in folds), f"{folds[-1].index[-1]:%Y-%m-%d}"
    )
    table.add_row(
        "weights rf/gb/xgb",
        *("/".join(f"{w:.1f}" for w in f.model.ensemble.weights.values()) for f in folds),
        "",
    )
    table.add_row("threshold", *(f"±{f.model.threshold:.2f}" for f in folds), "")
    values = [f.scores | t.metrics for f, t in zip(folds, evaluation.trading, strict=True)]
    for key, label, kind in _ROWS:
        cells = [_fmt(v.get(key), kind) for v in values]
        table.add_row(label, *cells, _fmt(evaluation.overall.get(key), kind))
    return table


def _evaluate(prepared: model_service.PreparedTraining) -> Evaluation:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    folds = prepared.config.folds
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("walk-forward", total=folds)

        def on_progress(fold: int, stage: str) -> None:
            if stage == "done":
                bar.advance(task)
            else:
                bar.update(task, description=f"fold {fold}/{folds}: {stage}")

        result = model_service.evaluate_model(prepared, on_progress)
        bar.update(task, description="walk-forward done")
    return result


def train(
    data: str = typer.Option(..., "--data", "-d", help="Candle file or pair in the store."),
    timeframe: str | None = typer.Option(
        None, "--timeframe", "-t", help="Timeframe of a store pair (default 1h; files: detected)."
    ),
    exchange: str = typer.Option("binance", "--exchange", help="Exchange of a store pair."),
    start: str | None = typer.Option(None, "--from", help=f"First day of data used: {DATE_HELP}."),
    end: str | None = typer.Option(
        None, "--to", help=f"Last day of data used, inclusive: {DATE_HELP}."
    ),
    horizon: int = typer.Option(24, "--horizon", min=1, help="Target horizon H in candles."),
    vol_window: int = typer.Option(
        168, "--vol-window", min=2, help="Candles of the volatility that scales the target."
    ),
    scale: float = typer.Option(2.0, "--scale", min=0.01, help="Sigmas mapped to a target of 1."),
    name: str = typer.Option("ensemble", "--name", help="Model name (ai_model_performance)."),
    folds: int = typer.Option(5, "--folds", min=1, help="Walk-forward test windows."),
    gradient_boosting: str = typer.Option(
        "hist", "--gradient-boosting", help="hist (fast, default) or exact (the spec's)."
    ),
    fee: float = typer.Option(
        0.001, "--fee", min=0.0, max=0.05, help="Fee per side, a fraction from 0 to 0.05 (0.001)."
    ),
    report: Path | None = typer.Option(None, "--report", help="Write an HTML report."),
    n_estimators: int = typer.Option(100, "--n-estimators", min=1, hidden=True),
) -> None:
    """Train the ensemble: walk-forward evaluation, then a final model on all the data."""
    request = model_service.TrainRequest(
        data=data,
        timeframe=timeframe,
        exchange=exchange,
        start=parse_date(start, "--from"),
        end=parse_date(end, "--to", end_of_day=True),
        horizon=horizon,
        vol_window=vol_window,
        scale=scale,
        name=name,
        folds=folds,
        gradient_boosting=gradient_boosting,
        fee=fee,
        n_estimators=n_estimators,
    )
    model_service.training_config(name, folds, gradient_boosting, n_estimators, fee)
    report = output_file(report, "--report")  # before minutes of training, not after
    with console.status("loading candles and computing features"):
        prepared = model_service.prepare_training(container(), request)
    dataset = prepared.dataset
    console.print(
        f"{prepared.pair} {prepared.timeframe}: {len(dataset.candles):,} candles, "
        f"{int(dataset.labelled.sum()):,} labelled rows; target horizon {horizon}, "
        f"volatility window {vol_window}, scale {scale}"
    )
    evaluation = _evaluate(prepared)
    console.print(fold_table(evaluation))
    for warning in evaluation.warnings:
        err_console.print(f"[bold red]warning:[/] {warning}", highlight=False)
    artifact = _final_model(prepared, evaluation)
    saved = model_service.save_model(container(), artifact)
    console.print(f"model {artifact.version} saved to {saved.path}")
    if saved.problem:
        err_console.print(f"[yellow]warning:[/] {saved.problem}")
    if report is not None:
        from aurumbotx.backtest.ml_report import write_training_report

        with console.status("writing the report"):
            write_training_report(evaluation, artifact.meta, report)
        console.print(f"report written to {report.resolve()}")
    console.print(f"activate it with: aurumbotx models activate {artifact.version}")


def _final_model(prepared: model_service.PreparedTraining, evaluation: Evaluation) -> ModelArtifact:
    with console.status("final model: tuning on the last validation tail") as status:
        artifact = model_service.final_model(
            prepared, evaluation, on_stage=lambda text: status.update(f"final model: {text}")
        )
    weights = ", ".join(f"{k} {v:.1f}" for k, v in artifact.meta["weights"].items())
    console.print(f"final model: weights {weights}; threshold ±{artifact.meta['threshold']:.2f}")
    return artifact


def register(app: typer.Typer) -> None:
    """Attach `train` and the `models` group."""
    app.command("train")(train)
    app.add_typer(models_cmd.models_app, name="models")
