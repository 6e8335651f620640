"""`aurumbotx backtest` and `check-lookahead`, run as a user runs them."""

import json
import re
import sqlite3
from pathlib import Path

import pytest

from aurumbotx.testing.cli import assert_one_clear_line, run_cli
from aurumbotx.testing.market import write_shared_csv

SPEC_METRICS = (
    "total_trades",
    "winning_trades",
    "total_profit",
    "roi_percentage",
    "sharpe_ratio",
    "max_drawdown",
    "win_rate",
    "profit_factor",
)


@pytest.fixture
def candle_file(tmp_path: Path) -> Path:
    """3,000 real BTC/USDT 1h candles in the shared CSV format."""
    return write_shared_csv("binance_BTC-USDT_1h", 3_000, tmp_path / "btc_1h.csv")


def test_backtest_json_report_and_database(candle_file: Path, tmp_path: Path) -> None:
    out, report = tmp_path / "run.json", tmp_path / "run.html"
    result = run_cli(
        "backtest",
        "--strategy",
        "sma_cross",
        "--data",
        str(candle_file),
        "--param",
        "fast=10",
        "--param",
        "slow=50",
        "--fee",
        "0.001",
        "--json",
        str(out),
        "--report",
        str(report),
    )
    assert result.returncode == 0, result.output
    assert "roi_percentage" in result.stdout
    assert "no lookahead found" in result.stdout
    data = json.loads(out.read_text())
    assert set(SPEC_METRICS) <= set(data["metrics"])
    assert data["metrics"]["total_trades"] == sum(1 for t in data["trades"] if t["exit_time"])
    assert data["trades"][0].keys() >= {
        "pair",
        "side",
        "entry_time",
        "exit_time",
        "entry_price",
        "exit_price",
        "amount",
        "fees",
        "profit_loss",
    }
    assert data["trades"][0]["pair"] == "BTC/USDT"
    assert len(data["equity_curve"]) == 3_000
    first_ts, first_equity = data["equity_curve"][0]
    assert first_ts == 1502942400000
    assert first_equity == 10_000.0
    html = report.read_text(encoding="utf-8")
    assert "<html" in html.lower()
    assert '<script src="http' not in html
    with _db() as db:
        row = db.execute(
            "SELECT usage_count, performance_metrics FROM strategies WHERE name='sma_cross'"
        ).fetchone()
    assert row[0] == 1
    assert (
        json.loads(row[1])["last_backtest"]["metrics"]["total_trades"]
        == data["metrics"]["total_trades"]
    )


def _db() -> sqlite3.Connection:
    import os

    return sqlite3.connect(Path(os.environ["AURUMBOTX_HOME"]) / "aurumbotx.db")


def test_date_window_and_costs(candle_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "w.json"
    result = run_cli(
        "backtest",
        "-s",
        "sma_cross",
        "-d",
        str(candle_file),
        "--from",
        "2017-10-01",
        "--to",
        "2017-10-31",
        "--slippage-bps",
        "5",
        "--capital",
        "500",
        "--json",
        str(out),
        "--no-record",
    )
    assert result.returncode == 0, result.output
    data = json.loads(out.read_text())
    assert data["run"]["start"].startswith("2017-10-01T00:00")
    assert data["run"]["end"].startswith("2017-10-31T23:00")
    assert data["run"]["starting_capital"] == "500"
    assert all(t["entry_time"] >= "2017-10-01" for t in data["trades"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "nope"], "unknown strategy 'nope'"),
        (["--strategy", "sma_cross", "--param", "speed=3"], "unknown parameter(s) speed"),
        (["--strategy", "sma_cross", "--from", "2031-01-01"], "fewer than 2 candles"),
        (["--strategy", "sma_cross", "--from", "someday"], "--from: not a date"),
        (["--strategy", "sma_cross", "--fee", "abc"], "--fee must be a number"),
    ],
)
def test_bad_input_is_one_clear_line(candle_file: Path, args: list[str], message: str) -> None:
    line = assert_one_clear_line(
        run_cli("backtest", "--data", str(candle_file), *args, "--no-record")
    )
    assert message in line


def test_file_failing_validation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "timestamp,open,high,low,close,volume\n"
        "1502942400000,100,101,99,100,1\n"
        "1502946000000,100,99,98,100.5,1\n"
    )
    line = assert_one_clear_line(
        run_cli("backtest", "-s", "sma_cross", "-d", str(bad), "--no-record")
    )
    assert "bad.csv" in line
    assert "row 2" in line
    assert "high" in line


def test_check_lookahead_command(candle_file: Path, tmp_path: Path) -> None:
    ok = run_cli(
        "check-lookahead", "--strategy", "swing", "--data", str(candle_file), "--max-signals", "15"
    )
    assert ok.returncode == 0, ok.output
    assert "no lookahead found" in ok.stdout
    cheat = tmp_path / "cheat.py"
    cheat.write_text(
        "import pandas as pd\n"
        "from aurumbotx.strategies.base import Strategy\n"
        "class Cheat(Strategy):\n"
        "    name = 'cheat'\n"
        "    def populate(self, candles):\n"
        "        nxt = candles['close'].shift(-1)\n"
        "        up = (nxt > candles['close']).fillna(False)\n"
        "        return pd.DataFrame(\n"
        "            {'enter_long': up, 'exit_long': ~up, 'nxt': nxt}, index=candles.index\n"
        "        )\n"
    )
    bad = run_cli(
        "check-lookahead", "-s", str(cheat), "-d", str(candle_file), "--max-signals", "10"
    )
    assert bad.returncode == 1
    assert "LOOKAHEAD BIAS in cheat" in bad.stderr
    backtest = run_cli("backtest", "-s", str(cheat), "-d", str(candle_file), "--no-record")
    assert backtest.returncode == 0
    assert "warning: BTC/USDT: LOOKAHEAD BIAS" in backtest.stderr


def test_check_lookahead_samples_by_default_and_all_checks_every_signal(
    candle_file: Path,
) -> None:
    sample = run_cli("check-lookahead", "-s", "scalping", "-d", str(candle_file))
    assert sample.returncode == 0, sample.output
    text = " ".join(sample.stdout.split())
    found = re.search(r"checked ([\d,]+) of ([\d,]+) signal\(s\) \(([^)]*)\) and 20 quiet", text)
    assert found, text
    checked, total = (int(found.group(i).replace(",", "")) for i in (1, 2))
    assert total > 200
    assert checked == 200
    assert "a sample spread over the data; --all checks every one" in found.group(3)
    every = run_cli("check-lookahead", "-s", "sma_cross", "-d", str(candle_file), "--all")
    assert every.returncode == 0, every.output
    text = " ".join(every.stdout.split())
    found = re.search(r"checked ([\d,]+) of ([\d,]+) signal\(s\) \(every one", text)
    assert found, text
    assert found.group(1) == found.group(2)
    both = run_cli(
        "check-lookahead", "-s", "swing", "-d", str(candle_file), "--all", "--max-signals", "5"
    )
    assert_one_clear_line(both, code=2, text="give --all or --max-signals, not both")
