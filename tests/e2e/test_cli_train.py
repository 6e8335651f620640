"""`aurumbotx train` and `aurumbotx models ...`, run as a user runs them."""

import json
import re
import sqlite3
from pathlib import Path

import pytest

from aurumbotx.testing.cli import assert_one_clear_line, run_cli
from aurumbotx.testing.market import write_shared_csv


@pytest.fixture
def candle_file(tmp_path: Path) -> Path:
    """6,000 real BTC/USDT 1h candles in the shared CSV format."""
    return write_shared_csv("binance_BTC-USDT_1h", 6_000, tmp_path / "binance_BTC-USDT_1h.csv")


def test_train_saves_records_reports_and_activates(
    candle_file: Path, home: Path, tmp_path: Path
) -> None:
    report = tmp_path / "train.html"
    result = run_cli(
        "train",
        "--data",
        str(candle_file),
        "--folds",
        "2",
        "--horizon",
        "12",
        "--name",
        "btc-e2e",
        "--n-estimators",
        "8",
        "--report",
        str(report),
    )
    assert result.returncode == 0, result.output
    assert "fold 2" in result.stdout
    assert "buy-and-hold" in result.stdout
    (version_dir,) = [p for p in (home / "models").iterdir() if p.is_dir()]
    version = version_dir.name
    assert len(version) == 20
    meta = json.loads((version_dir / "meta.json").read_text())
    assert meta["pair"] == "BTC/USDT"
    assert meta["timeframe"] == "1h"
    assert meta["target"]["horizon"] == 12
    assert meta["training_data"]["candles"] == 6_000
    assert len(meta["walk_forward"]["folds"]) == 2
    assert meta["hyperparameters"]["members"]["random_forest"]["params"]["n_estimators"] == 8

    with sqlite3.connect(home / "aurumbotx.db") as db:
        row = db.execute(
            "SELECT model_name, version, pair, timeframe, horizon, accuracy, f1_score, "
            "training_data_size, is_active, metrics, artifact_path FROM ai_model_performance"
        ).fetchone()
    name, db_version, pair, timeframe, horizon, accuracy, f1, size, active, metrics, path = row
    assert (name, db_version, pair, timeframe, horizon) == (
        "btc-e2e",
        version,
        "BTC/USDT",
        "1h",
        12,
    )
    overall = meta["walk_forward"]["overall"]
    assert float(accuracy) == pytest.approx(overall["directional_accuracy"], abs=1e-6)
    assert 0.3 < float(accuracy) < 0.7
    assert f1 is None or 0.0 <= float(f1) <= 1.0
    assert size == meta["training_data"]["labelled_rows"]
    assert not active
    assert json.loads(metrics)["overall"]["rows"] == overall["rows"]
    assert Path(path) == version_dir

    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc=", html, re.I)  # plotly.js inlined: opens offline
    assert version in html
    assert 'id="fold-equity"' in html

    listed = run_cli("models", "list")
    assert listed.returncode == 0, listed.output
    assert version in listed.stdout
    activated = run_cli("models", "activate", version)
    assert activated.returncode == 0, activated.output
    assert f"active model for BTC/USDT 1h: {version}" in activated.stdout
    active_file = json.loads((home / "models" / "active.json").read_text())
    assert active_file == {"active": {"BTC/USDT 1h": version}}
    shown = run_cli("models", "show", version)
    assert shown.returncode == 0, shown.output
    assert "horizon 12" in shown.stdout
    assert "directional_accuracy" in shown.stdout


def test_bad_input_gets_one_line(candle_file: Path, home: Path) -> None:
    line = assert_one_clear_line(run_cli("train", "--data", str(candle_file), "--folds", "50"))
    assert "not enough data for 50 folds" in line
    line = assert_one_clear_line(
        run_cli("train", "--data", str(candle_file), "--gradient-boosting", "fast")
    )
    assert "hist or exact" in line
    line = assert_one_clear_line(run_cli("models", "show", "20000101-000000-abcd"))
    assert "no model version" in line
    line = assert_one_clear_line(run_cli("models", "activate", "20000101-000000-abcd"))
    assert "no model version" in line
    assert not (home / "models").exists()
