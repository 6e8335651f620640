"""`aurumbotx backtest --strategy ai_adaptive --model VERSION`, run as a user runs it."""

import json
from pathlib import Path

import pytest

from aurumbotx.ml.artifact import save_artifact
from aurumbotx.testing.cli import run_cli
from aurumbotx.testing.market import write_shared_csv
from aurumbotx.testing.models import BTC_FILE, btc_model


@pytest.fixture
def candle_file(tmp_path: Path) -> Path:
    """6,000 real BTC/USDT 1h candles: the model's 4,000 training candles and 2,000 after."""
    return write_shared_csv(BTC_FILE, 6_000, tmp_path / "binance_BTC-USDT_1h.csv")


def backtest(candle_file: Path, out: Path, *options: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "backtest",
        "--strategy",
        "ai_adaptive",
        "--data",
        str(candle_file),
        "--json",
        str(out),
        "--no-record",
        "--lookahead-sample",
        "2",
        *options,
    )


def test_in_sample_is_loud_and_out_of_sample_is_not(
    candle_file: Path, home: Path, tmp_path: Path
) -> None:
    artifact = btc_model()
    save_artifact(artifact, home / "models")  # not activated: --model names it
    version = artifact.version

    inside = backtest(candle_file, tmp_path / "in.json", "--model", version)
    assert inside.returncode == 0, inside.output
    assert "IN-SAMPLE" in inside.stderr
    assert f"--model {version} --from 2018-02-01" in inside.stderr
    assert "IN-SAMPLE" not in inside.stdout
    run = json.loads((tmp_path / "in.json").read_text())["run"]
    assert run["strategy"] == "ai_adaptive"
    assert run["params"]["model"] == version
    (warning,) = [w for w in run["warnings"] if "IN-SAMPLE" in w]
    assert f"overlaps the training data of model {version}" in warning
    assert run["lookahead"]["BTC/USDT"].startswith("no lookahead found")

    outside = backtest(
        candle_file, tmp_path / "out.json", "--model", version, "--from", "2018-02-01"
    )
    assert outside.returncode == 0, outside.output
    assert "IN-SAMPLE" not in outside.output
    run = json.loads((tmp_path / "out.json").read_text())["run"]
    assert not [w for w in run["warnings"] if "IN-SAMPLE" in w]
    assert run["start"].startswith("2018-02-01")


def test_without_an_active_model_the_error_says_what_to_do(
    candle_file: Path, home: Path, tmp_path: Path
) -> None:
    result = backtest(candle_file, tmp_path / "x.json")
    assert result.returncode != 0
    assert "Traceback" not in result.output
    assert "no active model for BTC/USDT 1h" in result.stderr
