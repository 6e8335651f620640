"""`aurumbotx models list | show VERSION | activate VERSION`: the trained models."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from aurumbotx.cli.state import console, container
from aurumbotx.cli.tables import list_table
from aurumbotx.services import models as model_service

models_app = typer.Typer(
    help="Trained models: list them, show one, activate one per pair and timeframe.",
    no_args_is_help=True,
)


_MODEL_IDS = ("version", "pair", "tf", "active")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


@models_app.command("list")
def list_models(
    pair: str | None = typer.Option(None, "--pair", help="Only this pair (BTC/USDT)."),
    timeframe: str | None = typer.Option(None, "--timeframe", "-t", help="Only this timeframe."),
) -> None:
    """List trained models, newest first; a version is its training time (UTC)."""
    rows = model_service.list_models(container(), pair, timeframe)
    if not rows:
        console.print("no models yet: train one with `aurumbotx train --data PAIR_OR_FILE`")
        return
    # No "trained" column: the version is the training time (YYYYMMDD-HHMMSS, UTC).
    table = list_table(
        "version", "name", "pair", "tf", "H", "dir. acc.", "F1", "active", ids=_MODEL_IDS
    )
    for r in rows:
        table.add_row(
            r.version,
            r.model_name,
            r.pair or "?",
            r.timeframe or "?",
            str(r.horizon or "?"),
            _pct(r.accuracy),
            _pct(r.f1_score),
            "yes" if r.is_active else "",
        )
    console.print(table)


@models_app.command("show")
def show_model(
    version: str = typer.Argument(..., help="Model version (YYYYMMDD-HHMMSS-xxxx)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole meta.json."),
) -> None:
    """Show a model: data, target, weights, threshold, walk-forward scores, libraries."""
    details = model_service.show_model(container(), version)
    meta = details.meta
    if as_json:
        console.print_json(json.dumps(meta, default=str))
        return
    console.print(_details(meta, details.active))
    overall = meta.get("walk_forward", {}).get("overall", {})
    table = Table("out of sample (all folds)", "value", title_justify="left")
    for key, value in overall.items():
        table.add_row(key, _value(value))
    console.print(table)


def _details(meta: dict[str, Any], active: bool) -> Table:
    data, target = meta["training_data"], meta["target"]
    table = Table("field", "value", title=f"model {meta['version']}", title_justify="left")
    rows = {
        "name": meta["model_name"],
        "pair / timeframe": f"{meta['pair']} {meta['timeframe']}",
        "active": "yes" if active else "no",
        "trained at": meta["trained_at"],
        "training data": f"{data['first']} .. {data['last']}, {data['candles']:,} candles",
        "data sha256": data["sha256"],
        "target": (
            f"horizon {target['horizon']}, vol_window {target['vol_window']}, "
            f"scale {target['scale']}"
        ),
        "weights": ", ".join(f"{k} {v:.1f}" for k, v in meta["weights"].items()),
        "threshold": f"±{meta['threshold']}",
        "gradient boosting": meta["hyperparameters"].get("gradient_boosting", "?"),
        "libraries": ", ".join(f"{k} {v}" for k, v in meta["libraries"].items()),
    }
    for key, value in rows.items():
        table.add_row(key, str(value))
    return table


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "n/a" if value is None else str(value)


@models_app.command("activate")
def activate(
    version: str = typer.Argument(..., help="Model version to make active for its pair."),
) -> None:
    """Make a model the active one of its pair and timeframe (the previous one is deactivated)."""
    done = model_service.activate_model(container(), version)
    previous = done.previous
    was = f" (was {previous})" if previous and previous != version else ""
    console.print(f"active model for {done.pair} {done.timeframe}: {version}{was}")
