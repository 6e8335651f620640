"""`aurumbotx train`: walk-forward evaluation, then the final model, saved and recorded.

scikit-learn, xgboost and plotly are imported inside the command so that `aurumbotx --help`
and the other commands start fast. `register` also attaches `aurumbotx models ...`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from aurumbotx.cli import models_cmd
from aurumbotx.cli.backtest_cmd import load_inputs
from aurumbotx.cli.options import DATE_HELP, output_file, parse_date
from aurumbotx.cli.state import console, err_console
from aurumbotx.domain.errors import InvalidInputError, NoDataError

if TYPE_CHECKING:
    import pandas as pd

    from aurumbotx.backtest.ml_eval import Evaluation
    from aurumbotx.ml.artifact import ModelArtifact
    from aurumbotx.ml.dataset import Dataset
    from aurumbotx.ml.walkforward import TrainingConfig

MAX_NAME = 50  # ai_model_performance.model_name is VARCHAR(50)
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


def _window(frame: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    first = parse_date(start, "--from")
    last = parse_date(end, "--to", end_of_day=True)
    if first and last and last <= first:
        raise InvalidInputError("--to must be after --from")
    index = frame.index
    i0 = int(index.searchsorted(first, side="left")) if first else 0
    i1 = int(index.searchsorted(last, side="right")) if last else len(frame)
    if i1 - i0 < 2:
        raise NoDataError(f"no candles between {start or 'the start'} and {end or 'the end'}")
    return frame.iloc[i0:i1]


def _evaluate(dataset: Dataset, pair: str, timeframe: str, config: TrainingConfig) -> Evaluation:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from aurumbotx.backtest.ml_eval import evaluate

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("walk-forward", total=config.folds)

        def on_progress(fold: int, stage: str) -> None:
            if stage == "done":
                bar.advance(task)
            else:
                bar.update(task, description=f"fold {fold}/{config.folds}: {stage}")

        result = evaluate(dataset, pair, timeframe, config, on_progress)
        bar.update(task, description="walk-forward done")
    return result


def _record(artifact: ModelArtifact, path: Path) -> str | None:
    """Add the model's row to ai_model_performance; a reason when it could not be recorded."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.models import ModelRepository

    box = models_cmd.ready_container(strict=False)
    if box is None:
        return "not recorded in the database: run `aurumbotx db upgrade` first"
    with session_scope(box.session_factory) as session:
        ModelRepository(session).add(artifact, path)
    return None


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
    from aurumbotx.ml.artifact import save_artifact
    from aurumbotx.ml.dataset import build_dataset
    from aurumbotx.ml.splits import make_splits
    from aurumbotx.ml.target import TargetSpec

    spec = TargetSpec(horizon=horizon, vol_window=vol_window, scale=scale)
    config = _config(name, folds, gradient_boosting, n_estimators, fee)
    report = output_file(report, "--report")  # before minutes of training, not after
    with console.status("loading candles and computing features"):
        frames, tf, _ = load_inputs([data], timeframe, exchange)
        ((pair, frame),) = frames.items()
        dataset = build_dataset(_window(frame, start, end), spec)
    console.print(
        f"{pair} {tf}: {len(dataset.candles):,} candles, {int(dataset.labelled.sum()):,} "
        f"labelled rows; target horizon {horizon}, volatility window {vol_window}, scale {scale}"
    )
    # Refuse too little data before any progress bar or fitting (the splits are cheap).
    make_splits(dataset.rows, horizon, config.folds, config.test_fraction)
    evaluation = _evaluate(dataset, pair, tf, config)
    console.print(fold_table(evaluation))
    for warning in evaluation.warnings:
        err_console.print(f"[bold red]warning:[/] {warning}", highlight=False)
    artifact = _final_model(dataset, pair, tf, name.strip(), config, evaluation)
    path = save_artifact(artifact, models_cmd.models_dir())
    console.print(f"model {artifact.version} saved to {path}")
    problem = _record(artifact, path)
    if problem:
        err_console.print(f"[yellow]warning:[/] {problem}")
    if report is not None:
        from aurumbotx.backtest.ml_report import write_training_report

        with console.status("writing the report"):
            write_training_report(evaluation, artifact.meta, report)
        console.print(f"report written to {report.resolve()}")
    console.print(f"activate it with: aurumbotx models activate {artifact.version}")


def _config(
    name: str, folds: int, gradient_boosting: str, n_estimators: int, fee: float
) -> TrainingConfig:
    """The training settings of the command line, checked."""
    from aurumbotx.ml.ensemble import GRADIENT_BOOSTING_CHOICES
    from aurumbotx.ml.walkforward import TrainingConfig

    if gradient_boosting not in GRADIENT_BOOSTING_CHOICES:
        raise InvalidInputError(
            f"--gradient-boosting must be hist or exact, not {gradient_boosting!r}"
        )
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidInputError(f"--name must be 1 to {MAX_NAME} characters")
    return TrainingConfig(
        folds=folds, gradient_boosting=gradient_boosting, n_estimators=n_estimators, fee_rate=fee
    )


def _final_model(
    dataset: Dataset,
    pair: str,
    timeframe: str,
    name: str,
    config: TrainingConfig,
    evaluation: Evaluation,
) -> ModelArtifact:
    from aurumbotx.ml.training import build_artifact
    from aurumbotx.ml.walkforward import train_final

    with console.status("final model: tuning on the last validation tail") as status:
        fitted = train_final(
            dataset, config, on_stage=lambda text: status.update(f"final model: {text}")
        )
    weights = ", ".join(f"{k} {v:.1f}" for k, v in fitted.ensemble.weights.items())
    console.print(f"final model: weights {weights}; threshold ±{fitted.threshold:.2f}")
    return build_artifact(
        fitted,
        dataset,
        pair=pair,
        timeframe=timeframe,
        name=name,
        config=config,
        metrics=evaluation.to_dict(),
        trained_at=datetime.now(UTC).replace(microsecond=0),
    )


def register(app: typer.Typer) -> None:
    """Attach `train` and the `models` group."""
    app.command("train")(train)
    app.add_typer(models_cmd.models_app, name="models")
