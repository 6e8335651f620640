"""Backtest == paper replay for every built-in strategy, over whole shared files, warm-up included.

Each case runs the real `aurumbotx bot start` (a paper bot replaying the file through the live
engine and the SQLite store) and `aurumbotx backtest --json` on the same candles, then compares
every trade: entry and exit prices, amounts and fees as exact Decimals, exit reasons, and the
final equity. The first trades of each strategy fall right after its warm-up, so a difference in
the warm-up rule between the two paths shows as a missing or extra first trade.
"""

from __future__ import annotations

import json
import os
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aurumbotx.domain.values import money_arithmetic
from aurumbotx.testing.cli import run_cli
from aurumbotx.testing.market import require_shared_file

Fill = tuple[
    str, str, str, int, Decimal, Decimal, Decimal
]  # pair, side, tag, ts, price, amount, fee

# strategy -> (shared file, timeframe): whole files, each strategy on the candles it is made for.
CASES = {
    "sma_cross": ("binance_BTC-USDT_1m.csv.gz", "1m"),
    "scalping": ("binance_ETH-USDT_1m.csv.gz", "1m"),
    "swing": ("binance_SOL-USDT_1h.csv.gz", "1h"),
}


@pytest.fixture
def home() -> Path:
    path = Path(os.environ["AURUMBOTX_HOME"])
    assert run_cli("db", "upgrade").returncode == 0
    created = run_cli(
        "users", "create", "-u", "alice", "-e", "alice@example.com", "--password-stdin",
        input_text="password123\n",
    )  # fmt: skip
    assert created.returncode == 0, created.output
    return path


def bot_fills(db: Path, bot_id: int) -> list[Fill]:
    """The bot's fills in the order they happened."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT p.symbol, t.side, t.tag, f.ts, f.price, f.amount, f.fee "
            "FROM order_fills f JOIN trades t ON t.id = f.trade_id "
            "JOIN trading_pairs p ON p.id = t.trading_pair_id "
            "WHERE f.bot_id = ? ORDER BY f.ts, f.id",
            (bot_id,),
        ).fetchall()
    return [
        (pair, s, t, ts, Decimal(p), Decimal(a), Decimal(f)) for pair, s, t, ts, p, a, f in rows
    ]


def bot_equity(db: Path, bot_id: int) -> Decimal:
    """The bot's equity at its last candle (its last daily row)."""
    with sqlite3.connect(db) as conn:
        value = conn.execute(
            "SELECT ending_balance FROM bot_daily WHERE bot_id = ? ORDER BY date DESC LIMIT 1",
            (bot_id,),
        ).fetchone()[0]
    return Decimal(value)


def backtest(tmp_path: Path, strategy: str, data: list[str], *extra: str) -> dict[str, Any]:
    out = tmp_path / f"{strategy}.json"
    args = [arg for item in data for arg in ("--data", item)]
    result = run_cli(
        "backtest", "--strategy", strategy, *args, "--json", str(out), "--no-record",
        "--lookahead-sample", "0", *extra, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    document: dict[str, Any] = json.loads(out.read_text())
    return document


def start_paper_bot(strategy: str, pairs: list[str], timeframe: str, feed: str, *extra: str) -> int:
    result = run_cli(
        "bot", "start", "--strategy", strategy, "--pairs", *pairs, "--timeframe", timeframe,
        "--capital", "10000", "--mode", "paper", "--feed", feed, *extra, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.output
    return int(result.stdout.split()[1])


def assert_same_trades(
    document: dict[str, Any], fills: list[Fill], equity: Decimal, *, min_trades: int
) -> None:
    """Every backtest trade is the bot's: prices, amounts, fees, reasons; same final equity."""
    trades = document["trades"]
    assert len(trades) >= min_trades
    for pair in {t["pair"] for t in trades} | {f[0] for f in fills}:
        mine = [t for t in trades if t["pair"] == pair]
        buys = [f for f in fills if f[0] == pair and f[1] == "BUY"]
        sells = [f for f in fills if f[0] == pair and f[1] == "SELL"]
        assert [(Decimal(t["entry_price"]), Decimal(t["amount"])) for t in mine] == [
            (b[4], b[5]) for b in buys
        ]
        closed = [t for t in mine if t["exit_time"]]
        assert [(Decimal(t["exit_price"]), t["exit_reason"]) for t in closed] == [
            (s[4], {"exit": "signal"}.get(s[2], s[2])) for s in sells
        ]
        with money_arithmetic():  # the engine's rounding, not whatever this thread was left with
            fees = [
                b[6] + (sells[i][6] if i < len(sells) else Decimal(0)) for i, b in enumerate(buys)
            ]
        assert [Decimal(t["fees"]) for t in mine] == fees
    assert Decimal(document["run"]["final_equity"]) == equity
    run = document["run"]
    print(  # the parity table of docs/engine.md comes from these lines (pytest -s)
        f"parity: {run['strategy']} {','.join(run['pairs'])} {run['timeframe']} "
        f"{run['start']}..{run['end']}: {len(trades)} trades, {len(fills)} fills, "
        f"final equity {equity}"
    )


def first_entry_row(document: dict[str, Any], data: Path) -> int:
    """How many candles of the file come before the first trade's entry."""
    import pandas as pd

    first = pd.Timestamp(document["trades"][0]["entry_time"])
    stamps = pd.read_csv(data, usecols=["timestamp"])["timestamp"]
    return int((stamps < first.value // 1_000_000).sum())


@pytest.mark.slow
@pytest.mark.parametrize("strategy", sorted(CASES))
def test_paper_replay_equals_the_backtest_over_a_whole_file(
    home: Path, tmp_path: Path, strategy: str
) -> None:
    name, timeframe = CASES[strategy]
    data = require_shared_file(name)
    document = backtest(tmp_path, strategy, [str(data)])
    bot_id = start_paper_bot(strategy, [document["run"]["pairs"][0]], timeframe, f"replay:{data}")
    db = home / "aurumbotx.db"
    assert_same_trades(document, bot_fills(db, bot_id), bot_equity(db, bot_id), min_trades=20)


@pytest.mark.slow
def test_ai_adaptive_paper_replay_equals_the_backtest(home: Path, tmp_path: Path) -> None:
    from aurumbotx.ml.artifact import save_artifact
    from aurumbotx.testing.models import BTC_FILE, btc_model

    artifact = btc_model()
    save_artifact(artifact, home / "models")
    data = require_shared_file(f"{BTC_FILE}.csv.gz")
    model = ("--param", f"model={artifact.version}")
    document = backtest(tmp_path, "ai_adaptive", [str(data)], *model)
    bot_id = start_paper_bot("ai_adaptive", ["BTC/USDT"], "1h", f"replay:{data}", *model)
    db = home / "aurumbotx.db"
    # The tiny test model enters once and holds over the whole file: one trade, 64,524 candles
    # of equity to agree on (test_bot_replay.py has a shorter window with several trades).
    assert_same_trades(document, bot_fills(db, bot_id), bot_equity(db, bot_id), min_trades=1)


@pytest.mark.slow
def test_a_two_pair_paper_replay_equals_the_two_pair_backtest(home: Path, tmp_path: Path) -> None:
    files = [require_shared_file(f"binance_{p}-USDT_1h.csv.gz") for p in ("SOL", "XRP")]
    for path, pair in zip(files, ("SOL/USDT", "XRP/USDT"), strict=True):
        imported = run_cli("data", "import", str(path), "--pair", pair, "--timeframe", "1h")
        assert imported.returncode == 0, imported.output
    document = backtest(tmp_path, "swing", ["SOL/USDT", "XRP/USDT"], "--timeframe", "1h")
    assert document["run"]["pairs"] == ["SOL/USDT", "XRP/USDT"]
    bot_id = start_paper_bot("swing", ["SOL/USDT", "XRP/USDT"], "1h", "replay")
    db = home / "aurumbotx.db"
    fills = bot_fills(db, bot_id)
    assert {f[0] for f in fills} == {"SOL/USDT", "XRP/USDT"}
    assert_same_trades(document, fills, bot_equity(db, bot_id), min_trades=20)


def test_the_warm_up_rule_is_one_rule(home: Path, tmp_path: Path) -> None:
    """Scalping signals inside its 200-candle warm-up: neither path trades them."""
    from aurumbotx.strategies.registry import create_strategy
    from aurumbotx.testing.market import load_shared_candles, write_shared_csv

    rows = 600
    candles = load_shared_candles("binance_ETH-USDT_1m", rows=rows)
    strategy = create_strategy("scalping", {"rsi_entry": "45", "volume_ratio_min": "0"})
    raw = strategy.populate(candles)
    start = strategy.startup_candles - 1
    assert raw["enter_long"].iloc[:start].any()  # the raw rule fires inside the warm-up
    data = write_shared_csv("binance_ETH-USDT_1m", rows, tmp_path / "eth_1m.csv")
    params = ("--param", "rsi_entry=45", "--param", "volume_ratio_min=0")
    document = backtest(tmp_path, "scalping", [str(data)], *params)
    assert first_entry_row(document, data) > start  # filled at the open after the signal
    bot_id = start_paper_bot("scalping", ["ETH/USDT"], "1m", f"replay:{data}", *params)
    db = home / "aurumbotx.db"
    assert_same_trades(document, bot_fills(db, bot_id), bot_equity(db, bot_id), min_trades=3)


def test_a_gap_follows_one_rule_in_the_backtest_and_the_bot(home: Path, tmp_path: Path) -> None:
    """Candles the data lacks are not invented anywhere; the gap is recorded where it is met."""
    import pandas as pd

    from aurumbotx.testing.market import write_shared_csv

    full = write_shared_csv("binance_BTC-USDT_1m", 3000, tmp_path / "full.csv")
    frame = pd.read_csv(full)
    gapped = tmp_path / "btc_1m_gap.csv"
    frame.drop(index=range(1500, 1507)).to_csv(gapped, index=False)  # 7 minutes lost
    document = backtest(tmp_path, "sma_cross", [str(gapped)])
    assert document["run"]["data_gaps"] == {"BTC/USDT": {"gaps": 1, "missing": 7}}
    assert any("7 1m candle(s) missing" in w for w in document["run"]["warnings"])
    bot_id = start_paper_bot("sma_cross", ["BTC/USDT"], "1m", f"replay:{gapped}")
    db = home / "aurumbotx.db"
    assert_same_trades(document, bot_fills(db, bot_id), bot_equity(db, bot_id), min_trades=5)
    with sqlite3.connect(db) as conn:
        logged = [m for (m,) in conn.execute("SELECT message FROM system_logs")]
    gaps = [m for m in logged if "CandleGap" in m]
    assert len(gaps) == 1
    assert "7 1m candle(s) missing" in gaps[0]
    shown = run_cli("bot", "status", str(bot_id))
    assert "candle(s) missing" in shown.output
