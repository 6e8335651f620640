"""Bots a user can manage: `bot start` refuses what cannot run, `bot list | trades | delete`."""

import csv
import json
import os
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from aurumbotx.testing.cli import CliResult, assert_one_clear_line, run_cli
from aurumbotx.testing.market import write_shared_csv


def create_user(name: str) -> None:
    created = run_cli(
        "users",
        "create",
        "-u",
        name,
        "-e",
        f"{name}@example.com",
        "--password-stdin",
        input_text="password123\n",
    )
    assert created.returncode == 0, created.output


@pytest.fixture
def db() -> Path:
    """A migrated SQLite database with one user, alice."""
    assert run_cli("db", "upgrade").returncode == 0
    create_user("alice")
    return Path(os.environ["AURUMBOTX_HOME"]) / "aurumbotx.db"


@pytest.fixture
def btc_1h(tmp_path: Path) -> Path:
    """800 real BTC/USDT 1h candles, the pair and timeframe in the file name."""
    return write_shared_csv("binance_BTC-USDT_1h", 800, tmp_path / "binance_BTC-USDT_1h.csv")


def query(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def bot_start(feed: str, *extra: str, pair: str = "BTC/USDT") -> CliResult:
    return run_cli(
        "bot", "start", "-s", "sma_cross", "-p", pair, "--capital", "10000", "--feed", feed, *extra
    )


def started_id(result: CliResult) -> int:
    assert result.returncode == 0, result.output
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("bot "))
    return int(line.split()[1])


def write_file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_bad_feeds_and_inputs_are_refused_before_any_bot_is_written(
    db: Path, tmp_path: Path, btc_1h: Path
) -> None:
    five = write_shared_csv("binance_BTC-USDT_5m", 300, tmp_path / "binance_BTC-USDT_5m.csv")
    header = "timestamp,open,high,low,close,volume\n"
    garbage = write_file(tmp_path / "garbage.csv", "hello,world\n1,2\n")
    malformed = write_file(
        tmp_path / "malformed.csv",
        header + "1500000000000,1,2,0.5,1.5,10\n1500003600000,1,2,0.5,oops,10\n",
    )
    duplicated = write_file(
        tmp_path / "duplicated.csv",
        header + "".join(f"{1500000000000 + i * 3600000},1,2,0.5,1.5,10\n" for i in (0, 1, 1, 2)),
    )
    cases: list[tuple[tuple[str, ...], int, str]] = [
        ((f"replay:{tmp_path / 'missing.csv'}", "-t", "1h"), 3, "no such replay file"),
        ((f"replay:{garbage}", "-t", "1h"), 2, "not a candle file"),
        ((f"replay:{malformed}",), 2, "row 2: not a number"),
        ((f"replay:{duplicated}",), 2, "duplicate"),
        ((f"replay:{tmp_path}",), 2, "not a file"),
        ((f"replay:{five}", "-t", "1h"), 2, "holds 5m candles, not 1h"),
        ((f"replay:{btc_1h}", "-t", "5m"), 2, "holds 1h candles, not 5m"),
        (("replay", "-t", "1h"), 3, "no 1h candles of BTC/USDT"),
        (("live",), 2, "give --timeframe"),
        (("live", "-t", "1h", "--mode", "live"), 2, "needs an active binance"),
        ((f"replay:{btc_1h}", "--mode", "live"), 2, "use --feed live"),
        ((f"replay:{btc_1h}", "--mode", "demo"), 2, "--mode must be paper or live"),
        ((f"replay:{btc_1h}", "--param", "fast=x"), 2, "fast"),
        ((f"replay:{btc_1h}", "--user", "nobody"), 3, "no user named 'nobody'"),
    ]
    for extra, code, text in cases:
        feed, *rest = extra
        result = bot_start(feed, *rest)
        assert_one_clear_line(result, code, text)
    other_pair = bot_start(f"replay:{btc_1h}", pair="ETH/USDT")
    assert_one_clear_line(other_pair, 2, "holds BTC/USDT candles, but --pairs says ETH/USDT")
    zero_capital = run_cli(
        "bot", "start", "-s", "sma_cross", "-p", "BTC/USDT", "--capital", "0", "--feed", "live"
    )
    assert_one_clear_line(zero_capital, 2, "--capital must be")
    unknown_strategy = run_cli(
        "bot", "start", "-s", "nope", "-p", "BTC/USDT", "--capital", "1", "--feed", "live"
    )
    assert_one_clear_line(unknown_strategy, 2, "nope")
    assert query(db, "SELECT count(*) FROM bots") == [(0,)]
    assert query(db, "SELECT count(*) FROM system_logs WHERE message LIKE 'bot %'") == [(0,)]
    valid = bot_start(f"replay:{btc_1h}", "-t", "1h")
    assert started_id(valid) == 1
    assert query(db, "SELECT status FROM bots") == [("stopped",)]


def test_a_replay_takes_the_files_timeframe_and_says_so(db: Path, tmp_path: Path) -> None:
    five = write_shared_csv("binance_BTC-USDT_5m", 300, tmp_path / "btc.csv")
    result = bot_start(f"replay:{five}")
    bot_id = started_id(result)
    assert f"timeframe 5m (the candle spacing of {five})" in result.stdout
    row = query(db, "SELECT timeframe, status, name FROM bots WHERE id = ?", bot_id)
    assert row == [("5m", "stopped", "sma_cross BTC/USDT 5m")]
    last = query(db, "SELECT last_candle_ts FROM bots WHERE id = ?", bot_id)[0][0]
    assert last == int(five.read_text().splitlines()[-1].split(",")[0])


def test_trades_are_the_backtests_round_trips_with_totals_and_full_precision_csv(
    db: Path, tmp_path: Path, btc_1h: Path
) -> None:
    bot_id = started_id(bot_start(f"replay:{btc_1h}"))
    out = tmp_path / "bt.json"
    backtest = run_cli(
        "backtest", "-s", "sma_cross", "-d", str(btc_1h), "--json", str(out), "--no-record"
    )
    assert backtest.returncode == 0, backtest.output
    expected = json.loads(out.read_text())["trades"]
    assert len(expected) >= 5
    exported = tmp_path / "trades.csv"
    shown = run_cli("bot", "trades", str(bot_id), "--csv", str(exported), env={"COLUMNS": "80"})
    assert shown.returncode == 0, shown.output
    rows = list(csv.DictReader(exported.open()))
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected, strict=True):
        assert got["entry_time"] == want["entry_time"]
        assert got["exit_time"] == (want["exit_time"] or "")
        assert Decimal(got["entry_price"]) == Decimal(want["entry_price"])
        assert Decimal(got["amount"]) == Decimal(want["amount"])
        assert Decimal(got["fees"]) == Decimal(want["fees"])
        if want["exit_time"]:
            assert Decimal(got["exit_price"]) == Decimal(want["exit_price"])
            assert Decimal(got["profit_loss"]) == Decimal(want["profit_loss"])
            assert got["exit_reason"] == want["exit_reason"]
            cost = Decimal(want["amount"]) * Decimal(want["entry_price"])
            pct = Decimal(got["profit_loss_pct"])
            assert abs(pct - Decimal(want["profit_loss"]) / cost * 100) < Decimal("1e-20")
        else:
            assert (got["exit_price"], got["profit_loss"], got["exit_reason"]) == ("", "", "open")
    assert len(rows[0]["amount"].split(".")[1]) > 8  # more digits than the table shows
    stdout_csv = run_cli("bot", "trades", str(bot_id), "--csv", "-")
    assert stdout_csv.stdout == exported.read_text()
    closed = [t for t in expected if t["exit_time"]]
    total = sum((Decimal(t["profit_loss"]) for t in closed), Decimal(0))
    fees = sum((Decimal(t["fees"]) for t in expected), Decimal(0))
    won = sum(1 for t in closed if Decimal(t["profit_loss"]) > 0)
    lines = shown.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), shown.stdout
    start = lines.index(next(ln for ln in lines if ln.startswith("total:")))
    totals = " ".join(" ".join(lines[start:]).split())  # rich wraps at 80 columns
    assert f"total: {len(closed)} closed ({won} won, {len(closed) - won} lost)" in totals
    assert f"{len(expected) - len(closed)} open; P/L {total:+,.4f}" in totals
    assert f"({total / 100:+.2f} % of capital 10,000.00); fees {fees:,.4f}" in totals
    first = closed[0]
    price = f"{Decimal(first['entry_price']):.8f}".rstrip("0").rstrip(".")
    assert any(line.startswith(first["entry_time"][:10]) and price in line for line in lines), (
        shown.stdout
    )
    assert_one_clear_line(run_cli("bot", "trades", "99"), 3, "no bot with id 99")
    assert_one_clear_line(
        run_cli("bot", "trades", str(bot_id), "--csv", str(tmp_path)), 2, "cannot write"
    )


def test_list_shows_owner_equity_and_pl_and_fits_80_columns(
    db: Path, tmp_path: Path, btc_1h: Path
) -> None:
    create_user("bob")
    ran = started_id(bot_start(f"replay:{btc_1h}", "--user", "alice"))
    waiting = started_id(
        bot_start(
            f"replay:{btc_1h}",
            "--detach",
            "--user",
            "bob",
            "--name",
            "a rather long name for a waiting bot",
        )
    )
    with sqlite3.connect(db) as conn:  # an id as long as a user may meet: it must stay whole
        conn.execute("UPDATE bots SET id = 1234567 WHERE id = ?", (waiting,))
    listed = run_cli("bot", "list", env={"COLUMNS": "80"})
    assert listed.returncode == 0, listed.output
    lines = listed.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), listed.stdout
    (equity_text,) = query(
        db,
        "SELECT ending_balance FROM bot_daily WHERE bot_id = ? ORDER BY date DESC LIMIT 1",
        ran,
    )[0]
    equity = Decimal(str(equity_text))
    assert equity != Decimal(10000)
    ran_line = next(ln for ln in lines if ln.split()[:2] == [str(ran), "alice"])
    assert f" stopped {equity:,.2f} {equity - 10000:+,.2f} " in f" {' '.join(ran_line.split())} "
    bob_line = next(ln for ln in lines if ln.split()[:2] == ["1234567", "bob"])
    assert " created 10,000.00 +0.00 - " in f" {' '.join(bob_line.split())} "
    only_bob = run_cli("bot", "list", "--user", "bob").stdout
    assert "1234567" in only_bob
    assert "alice" not in only_bob


def test_delete_keeps_the_money_history_detached_or_purges_it(
    db: Path, tmp_path: Path, btc_1h: Path
) -> None:
    kept = started_id(bot_start(f"replay:{btc_1h}"))
    purged = started_id(bot_start(f"replay:{btc_1h}"))
    orders = query(db, "SELECT count(*) FROM trades WHERE bot_id = ?", kept)[0][0]
    fills = query(db, "SELECT count(*) FROM order_fills WHERE bot_id = ?", kept)[0][0]
    assert isinstance(orders, int)
    assert orders >= 10
    deleted = run_cli("bot", "delete", str(kept))
    assert deleted.returncode == 0, deleted.output
    assert f"its {orders} orders stay in `trades`" in deleted.stdout
    assert query(db, "SELECT count(*) FROM bots WHERE id = ?", kept) == [(0,)]
    for table in ("bot_daily", "paper_balances"):
        assert query(db, f"SELECT count(*) FROM {table} WHERE bot_id = ?", kept) == [(0,)]  # noqa: S608
    detached = query(
        db, "SELECT user_id, pair, signal_data FROM trades WHERE bot_id IS NULL ORDER BY id"
    )
    assert len(detached) == orders
    assert all(
        (uid, pair) == (1, "BTC/USDT") and json.loads(str(data))["deleted_bot"]["id"] == kept
        for uid, pair, data in detached
    )
    assert query(db, "SELECT count(*) FROM order_fills WHERE bot_id IS NULL") == [(fills,)]
    assert_one_clear_line(run_cli("bot", "trades", str(kept)), 3, f"no bot with id {kept}")
    assert_one_clear_line(run_cli("bot", "delete", str(kept)), 3, f"no bot with id {kept}")

    purge = run_cli("bot", "delete", str(purged), "--purge")
    assert purge.returncode == 0, purge.output
    assert f"deleted with its {orders} orders" in purge.stdout
    assert query(db, "SELECT count(*) FROM trades") == [(orders,)]  # the kept bot's only
    assert query(db, "SELECT count(*) FROM order_fills") == [(fills,)]


def test_delete_refuses_a_running_bot_and_a_live_bot_with_open_orders(db: Path) -> None:
    keys = run_cli("keys", "add", "--stdin", input_text="my-api-key-123\nmy-secret-456\n")
    assert keys.returncode == 0, keys.output
    live = started_id(
        bot_start("live", "--mode", "live", "-t", "1m", "--detach", "--capital", "100")
    )
    for status, owner in (("running", "host:1"), ("reconciling", "host:1"), ("created", "h:2")):
        with sqlite3.connect(db) as conn:
            conn.execute(
                "UPDATE bots SET status = ?, owner = ? WHERE id = ?", (status, owner, live)
            )
        refused = run_cli("bot", "delete", str(live), "--force")
        assert_one_clear_line(refused, 2, f"bot {live} is {status}: stop it first")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE bots SET status = 'stopped', owner = NULL WHERE id = ?", (live,))
        conn.execute(
            "INSERT INTO trades (user_id, bot_id, side, amount, price, status, pair, "
            "client_order_id) VALUES (1, ?, 'BUY', 0.001, 50000, 'OPEN', 'BTC/USDT', 'c1')",
            (live,),
        )
    refused = run_cli("bot", "delete", str(live))
    assert_one_clear_line(refused, 2, f"live bot {live} still holds 1 open order(s)")
    assert query(db, "SELECT count(*) FROM bots") == [(1,)]
    forced = run_cli("bot", "delete", str(live), "--force")
    assert forced.returncode == 0, forced.output
    assert query(db, "SELECT count(*) FROM bots") == [(0,)]
    assert query(db, "SELECT bot_id, status FROM trades") == [(None, "OPEN")]
