"""`aurumbotx emulator`: a user runs a live bot end to end on one machine, no exchange needed."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from aurumbotx.testing.cli import cli_executable, run_cli
from aurumbotx.testing.emulator import make_ccxt_binance
from aurumbotx.testing.market import write_shared_csv


def start_emulator(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """The command in the background; what it printed: url, api key, secret."""
    proc = subprocess.Popen(
        [cli_executable(), "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"COLUMNS": "200", "NO_COLOR": "1", **__import__("os").environ},
    )
    seen: dict[str, str] = {}
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while "secret" not in seen:
        assert time.monotonic() < deadline, "the emulator printed no credentials"
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "the emulator ended"
        if match := re.search(r"listening on (http://\S+)", line):
            seen["url"] = match.group(1)
        if match := re.match(r"(api key|secret):\s+(\S+)", line.strip()):
            seen[match.group(1)] = match.group(2)
    return proc, seen


def test_a_live_bot_trades_end_to_end_against_the_emulator_command(tmp_path: Path) -> None:
    candles = write_shared_csv("binance_BTC-USDT_1h", 300, tmp_path / "btc_1h.csv")
    proc, emu = start_emulator("--balance", "USDT=5000", "--price", "BTC/USDT=30000")
    try:
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": emu["url"], "AURUMBOTX_EXCHANGE__TESTNET": "false"}
        assert run_cli("db", "upgrade", env=env).returncode == 0
        created = run_cli(
            "users", "create", "-u", "alice", "-e", "a@example.com", "--password-stdin",
            env=env, input_text="password123\n",
        )  # fmt: skip
        assert created.returncode == 0, created.output
        added = run_cli(
            "keys", "add", "--stdin", "--mainnet", env=env,
            input_text=f"{emu['api key']}\n{emu['secret']}\n",
        )  # fmt: skip
        assert added.returncode == 0, added.output
        assert emu["secret"] not in added.output
        started = run_cli(
            "bot", "start", "--strategy", "sma_cross", "--pairs", "BTC/USDT", "--capital", "1000",
            "--mode", "live", "--feed", f"replay:{candles}", env=env, timeout=300,
        )  # fmt: skip
        assert started.returncode == 0, started.output
        exchange = make_ccxt_binance(emu["url"], apiKey=emu["api key"], secret=emu["secret"])
        trades = exchange.fetch_my_trades("BTC/USDT")
        assert len(trades) >= 2  # the bot's orders executed on the emulator's account
        # The bot's books are the account's executions: one closed trade per sell order.
        closed = re.search(r"closed trades (\d+)", started.stdout)
        assert closed is not None, started.stdout
        assert int(closed.group(1)) == len({t["order"] for t in trades if t["side"] == "sell"})
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_bad_emulator_options_get_one_clear_line() -> None:
    result = run_cli("emulator", "--balance", "USDT", "--run-seconds", "0")
    assert result.returncode != 0
    assert "--balance must look like NAME=AMOUNT" in result.stderr
    assert "Traceback" not in result.output


def test_a_live_bot_never_replays_a_file_against_a_real_exchange(tmp_path: Path) -> None:
    candles = write_shared_csv("binance_BTC-USDT_1h", 100, tmp_path / "btc_1h.csv")
    assert run_cli("db", "upgrade").returncode == 0
    for url in (None, "https://api.binance.com", "http://10.0.0.5:8765"):
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": url} if url else {}
        result = run_cli(
            "bot", "start", "--strategy", "sma_cross", "--pairs", "BTC/USDT", "--capital", "100",
            "--mode", "live", "--feed", f"replay:{candles}", env=env,
        )  # fmt: skip
        assert result.returncode == 2, result.output
        assert "a live bot trades real money on live data: use --feed live" in result.stderr
