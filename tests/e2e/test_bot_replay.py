"""Paper bots replaying real candles: parity with the backtest, and crash safety (SIGKILL)."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from aurumbotx.testing.cli import CliResult, cli_executable, run_cli
from aurumbotx.testing.market import write_shared_csv


@pytest.fixture
def candle_file(tmp_path: Path) -> Path:
    """2,000 real BTC/USDT 1h candles in the shared CSV format."""
    return write_shared_csv("binance_BTC-USDT_1h", 2_000, tmp_path / "btc_1h.csv")


@pytest.fixture
def home() -> Path:
    path = Path(os.environ["AURUMBOTX_HOME"])
    assert run_cli("db", "upgrade").returncode == 0
    created = run_cli(
        "users",
        "create",
        "-u",
        "alice",
        "-e",
        "alice@example.com",
        "--password-stdin",
        input_text="password123\n",
    )
    assert created.returncode == 0, created.output
    return path


def fills(db: Path, bot_id: int) -> list[tuple[str, str, int, Decimal, Decimal, Decimal]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT t.side, t.tag, f.ts, f.price, f.amount, f.fee FROM order_fills f "
            "JOIN trades t ON t.id = f.trade_id WHERE f.bot_id = ? ORDER BY f.ts, f.id",
            (bot_id,),
        ).fetchall()
    return [(s, t, ts, Decimal(p), Decimal(a), Decimal(fee)) for s, t, ts, p, a, fee in rows]


def run_bot(
    candles: Path, *extra: str, strategy: str = "sma_cross", env: dict[str, str] | None = None
) -> CliResult:
    """`aurumbotx bot start` of a paper bot replaying `candles`."""
    return run_cli(
        "bot",
        "start",
        "--strategy",
        strategy,
        "--pairs",
        "BTC/USDT",
        "--timeframe",
        "1h",
        "--capital",
        "10000",
        "--mode",
        "paper",
        "--feed",
        f"replay:{candles}",
        *extra,
        env=env,
    )


def start_bot(candles: Path, *extra: str, code: int = 0) -> int:
    """Create (and, without --detach, run) a paper bot; `code`: 1 when it should end halted."""
    result = run_bot(candles, *extra)
    assert result.returncode == code, result.output
    return int(result.stdout.split()[1])


def test_paper_replay_makes_the_backtests_trades(
    home: Path, candle_file: Path, tmp_path: Path
) -> None:
    bot_id = start_bot(candle_file)
    out = tmp_path / "bt.json"
    assert (
        run_cli(
            "backtest", "-s", "sma_cross", "-d", str(candle_file), "--json", str(out), "--no-record"
        ).returncode
        == 0
    )
    trades = json.loads(out.read_text())["trades"]
    got = fills(home / "aurumbotx.db", bot_id)
    buys = [f for f in got if f[0] == "BUY"]
    sells = [f for f in got if f[0] == "SELL"]
    assert len(trades) >= 10
    assert len(buys) == len(trades)
    for trade, buy in zip(trades, buys, strict=True):
        assert Decimal(trade["entry_price"]) == buy[3]
        assert Decimal(trade["amount"]) == buy[4]
        assert trade["entry_time"].startswith(
            time.strftime("%Y-%m-%dT%H:%M", time.gmtime(buy[2] / 1000))
        )
    closed = [t for t in trades if t["exit_time"]]
    assert [Decimal(t["exit_price"]) for t in closed] == [s[3] for s in sells]
    status = run_cli("bot", "status", str(bot_id))
    assert "stopped" in status.stdout
    assert "replay finished" in status.stdout


def _progress(db: Path, bot_id: int) -> int:
    with sqlite3.connect(db) as conn:
        value = conn.execute("SELECT last_candle_ts FROM bots WHERE id = ?", (bot_id,)).fetchone()[
            0
        ]
    return int(value or 0)


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    home: Path, candle_file: Path
) -> None:
    db = home / "aurumbotx.db"
    reference = start_bot(candle_file)
    expected = fills(db, reference)
    bot_id = start_bot(candle_file, "--detach")
    rng = random.Random(20241124)
    kills = 0
    hour = 3_600_000
    while kills < 6:
        # Kill after a random number of candles since the last restart, mid-stream.
        start = _progress(db, bot_id)
        target = start + rng.randint(20, 150) * hour
        proc = subprocess.Popen(
            [cli_executable(), "engine", "--exit-when-idle"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ.copy(),
        )
        deadline = time.monotonic() + 60
        while proc.poll() is None and _progress(db, bot_id) < target:
            assert time.monotonic() < deadline, "the engine made no progress"
            time.sleep(0.01)
        if proc.poll() is not None:
            break  # the replay ended before this kill
        time.sleep(rng.uniform(0, 0.05))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 5
    final = subprocess.run(
        [cli_executable(), "engine", "--exit-when-idle"],
        capture_output=True,
        timeout=300,
        check=False,
        env=os.environ.copy(),
    )
    assert final.returncode == 0, final.stderr
    got = fills(home / "aurumbotx.db", bot_id)
    assert [f[:2] + f[2:] for f in got] == expected
    with sqlite3.connect(home / "aurumbotx.db") as conn:
        ids = [
            r[0]
            for r in conn.execute("SELECT client_order_id FROM trades WHERE bot_id = ?", (bot_id,))
        ]
        states = conn.execute(
            "SELECT status, COUNT(*) FROM trades WHERE bot_id = ? GROUP BY status", (bot_id,)
        ).fetchall()
        status = conn.execute("SELECT status FROM bots WHERE id = ?", (bot_id,)).fetchone()[0]
        per_order = conn.execute(
            "SELECT t.status, COUNT(f.id) FROM trades t "
            "LEFT JOIN order_fills f ON f.trade_id = t.id WHERE t.bot_id = ? GROUP BY t.id",
            (bot_id,),
        ).fetchall()
    assert len(ids) == len(set(ids))
    assert status == "stopped"
    assert dict(states).get("PENDING", 0) == 0
    assert all((s == "FILLED") == (n == 1) and n <= 1 for s, n in per_order)


def test_risk_limits_act_identically_in_backtest_and_paper(
    home: Path, candle_file: Path, tmp_path: Path
) -> None:
    limits = ["--stop-loss-pct", "1.5", "--take-profit-pct", "3", "--max-drawdown-pct", "6"]
    bot_id = start_bot(candle_file, *limits, "--risk", "50", code=1)
    out = tmp_path / "bt.json"
    result = run_cli(
        "backtest",
        "-s",
        "sma_cross",
        "-d",
        str(candle_file),
        "--json",
        str(out),
        "--no-record",
        "--risk",
        "50",
        *limits,
    )
    assert result.returncode == 0, result.output
    data = json.loads(out.read_text())
    trades = data["trades"]
    got = fills(home / "aurumbotx.db", bot_id)
    sells = [f for f in got if f[0] == "SELL"]
    closed = [t for t in trades if t["exit_time"]]
    reasons = {t["exit_reason"] for t in closed}
    assert {"stop_loss", "take_profit"} <= reasons
    assert [(t["exit_reason"], Decimal(t["exit_price"])) for t in closed] == [
        ({"exit": "signal"}.get(s[1], s[1]), s[3]) for s in sells
    ]
    assert [Decimal(t["entry_price"]) for t in trades] == [f[3] for f in got if f[0] == "BUY"]
    # The drawdown halt stops entries in both at the same candle: the trades agree above.
    halted = data["run"]["halted"]
    assert "max drawdown 6 %" in halted["reason"]
    status = run_cli("bot", "status", str(bot_id)).stdout
    assert "halted" in status
    assert "max drawdown 6 %" in status
    assert all(t["entry_time"] < halted["time"] for t in trades)


def test_ai_adaptive_paper_bot_uses_the_live_path_and_trades_like_the_backtest(
    home: Path, tmp_path: Path
) -> None:
    from aurumbotx.ml.artifact import save_artifact
    from aurumbotx.testing.models import BTC_FILE, btc_model

    artifact = btc_model()
    save_artifact(artifact, home / "models")
    candles = write_shared_csv(BTC_FILE, 6_000, tmp_path / "binance_BTC-USDT_1h.csv")

    result = run_bot(
        candles,
        "--param",
        f"model={artifact.version}",
        strategy="ai_adaptive",
        env={"AURUMBOTX_LOGGING__LEVEL": "INFO"},
    )
    assert result.returncode == 0, result.output
    bot_id = int(result.stdout.split()[1])
    assert "ai_prediction_generated" in result.stderr  # the live path logged (stderr: not engine)
    bt = tmp_path / "bt.json"
    ran = run_cli(
        "backtest",
        "-s",
        "ai_adaptive",
        "-d",
        str(candles),
        "--param",
        f"model={artifact.version}",
        "--json",
        str(bt),
        "--no-record",
        "--lookahead-sample",
        "0",
    )
    assert ran.returncode == 0, ran.output
    trades = json.loads(bt.read_text())["trades"]
    assert trades, "the model should trade on this data"
    got = fills(home / "aurumbotx.db", bot_id)
    assert [Decimal(t["entry_price"]) for t in trades] == [f[3] for f in got if f[0] == "BUY"]
    with sqlite3.connect(home / "aurumbotx.db") as conn:
        why = conn.execute(
            "SELECT signal_data FROM trades WHERE bot_id = ? AND tag = 'entry' LIMIT 1",
            (bot_id,),
        ).fetchone()[0]
    record = json.loads(why)["signal"]["data"]
    assert record["action"] == "BUY"
    assert record["model_version"] == artifact.version
    assert {"prediction", "members", "filters"} <= record.keys()


def test_one_engine_runs_several_bots_and_rolls_up_performance_daily(
    home: Path, candle_file: Path
) -> None:
    first = start_bot(candle_file, "--detach")
    second = start_bot(candle_file, "--detach", "--param", "fast=5", "--param", "slow=30")
    done = subprocess.run(
        [cli_executable(), "engine", "--exit-when-idle"],
        capture_output=True,
        timeout=300,
        check=False,
        env=os.environ.copy(),
    )
    assert done.returncode == 0, done.stderr
    db = home / "aurumbotx.db"
    with sqlite3.connect(db) as conn:
        statuses = dict(conn.execute("SELECT id, status FROM bots"))
        closed = conn.execute(
            "SELECT COUNT(*) FROM trades WHERE tag = 'exit' AND status = 'FILLED'"
        ).fetchone()[0]
        perf = conn.execute("SELECT SUM(total_trades), COUNT(*) FROM performance_daily").fetchone()
        last_day = conn.execute(
            "SELECT ending_balance FROM performance_daily ORDER BY date DESC LIMIT 1"
        ).fetchone()[0]
        bot_days = conn.execute(
            "SELECT bot_id, ending_balance FROM bot_daily d WHERE date = "
            "(SELECT MAX(date) FROM bot_daily WHERE bot_id = d.bot_id)"
        ).fetchall()
    assert statuses[first] == statuses[second] == "stopped"
    assert len(fills(db, first)) > 10
    assert len(fills(db, second)) > 10
    assert perf[0] == closed  # every closed round trip counted once, on its day
    assert perf[1] > 30  # one row per day of the replay
    assert Decimal(last_day) == sum(Decimal(b) for _, b in bot_days)
