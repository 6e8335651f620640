"""Live-mode bots (the ccxt client, real ccxt) against the Binance emulator over HTTP.

The candles come from a replay so that runs are deterministic; orders go through ccxt to the
emulator, whose market orders fill at a scripted price per distinct order. A run killed with
SIGKILL (including once between "order accepted by the exchange" and "answer stored") must end
with the orders and fills of an uninterrupted run, and no order twice on the exchange.
"""

import os
import random
import signal
import sqlite3
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from aurumbotx.bootstrap import build_container
from aurumbotx.config import get_settings
from aurumbotx.db.engine import session_scope
from aurumbotx.db.repositories.bots import BotRepository
from aurumbotx.db.repositories.strategies import StrategyRepository
from aurumbotx.testing.cli import cli_executable, run_cli
from aurumbotx.testing.emulator.server import BinanceEmulator
from aurumbotx.testing.market import write_shared_csv

PAIR = "BTC/USDT"
ORDER = "/api/v3/order"
MAINNET = {"AURUMBOTX_EXCHANGE__TESTNET": "false"}
PRICES = [f"{100 + (i % 7) * 0.5:.2f}" for i in range(400)]


@pytest.fixture
def candle_file(tmp_path: Path) -> Path:
    return write_shared_csv("binance_BTC-USDT_1h", 500, tmp_path / "btc_1h.csv")


def make_emulator() -> BinanceEmulator:
    emu = BinanceEmulator()
    emu.start()
    emu.add_market(PAIR, tick_size="0.01", step_size="0.00001", min_notional="5")
    emu.add_account("key-a", "secret-a", {"USDT": "10000"})
    emu.set_fees("0.001", asset="quote")
    emu.set_price_script(PAIR, PRICES)
    return emu


def live_bot(env: dict[str, str], candles: Path, risk: int = 100) -> int:
    """A user, an encrypted key and a live-mode bot replaying `candles` (created in-process)."""
    os.environ.update(env)
    get_settings.cache_clear()
    if (
        run_cli("users", "list", env=env).returncode != 0
        or "alice" not in run_cli("users", "list", env=env).stdout
    ):
        assert run_cli("db", "upgrade", env=env).returncode == 0
        assert (
            run_cli(
                "users",
                "create",
                "-u",
                "alice",
                "-e",
                "a@example.com",
                "--password-stdin",
                env=env,
                input_text="password123\n",
            ).returncode
            == 0
        )
        added = run_cli(
            "keys", "add", "--stdin", "--mainnet", env=env, input_text="key-a\nsecret-a\n"
        )
        assert added.returncode == 0, added.output
        assert "secret-a" not in added.output
    container = build_container(get_settings())
    with session_scope(container.session_factory) as session:
        strategy = StrategyRepository(session).get_or_create("sma_cross", "", {})
        row = BotRepository(session).create(
            user_id=1,
            name="live replay",
            strategy="sma_cross",
            strategy_id=strategy.id,
            parameters={"fast": 10, "slow": 50},
            pairs=[PAIR],
            timeframe="1h",
            capital=Decimal(10_000),
            risk_percentage=Decimal(risk),
            risk_limits={},
            mode="live",
            feed=f"replay:{candles}",
            speed="max",
        )
        bot_id = row.id
    container.close()
    return bot_id


def engine(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [cli_executable(), "engine", "--exit-when-idle"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )


def db_path() -> Path:
    return Path(os.environ["AURUMBOTX_HOME"]) / "aurumbotx.db"


def bot_fills(bot_id: int) -> list[tuple[str, str, Decimal, Decimal]]:
    with sqlite3.connect(db_path()) as conn:
        rows = conn.execute(
            "SELECT t.side, t.tag, f.price, f.amount FROM order_fills f "
            "JOIN trades t ON t.id = f.trade_id WHERE f.bot_id = ? ORDER BY f.ts, f.id",
            (bot_id,),
        ).fetchall()
    return [(s, t, Decimal(p), Decimal(a)) for s, t, p, a in rows]


def progress(bot_id: int) -> int:
    with sqlite3.connect(db_path()) as conn:
        value = conn.execute("SELECT last_candle_ts FROM bots WHERE id = ?", (bot_id,)).fetchone()
    return int(value[0] or 0)


def test_live_bot_survives_kills_without_duplicate_orders(candle_file: Path) -> None:
    reference_emu, emu = make_emulator(), make_emulator()
    try:
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": reference_emu.base_url, **MAINNET}
        reference = live_bot(env, candle_file)
        done = engine(env)
        assert done.wait(timeout=300) == 0, done.stderr.read() if done.stderr else ""
        expected = bot_fills(reference)
        assert len(expected) >= 8
        reference_orders = reference_emu.orders("key-a")

        env = {"AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url, **MAINNET}
        bot_id = live_bot(env, candle_file)
        rng = random.Random(7)
        kills = 0
        hour = 3_600_000
        for round_ in range(6):
            before = len(emu.orders("key-a"))
            targeted = round_ == 2
            if targeted:
                # Accepted by the exchange, answer held back: killed before it is stored.
                emu.delay_next(seconds=20, path=ORDER, method="POST", after_processing=True)
            target = progress(bot_id) + rng.randint(30, 120) * hour
            proc = engine(env)
            deadline = time.monotonic() + 90
            while proc.poll() is None:
                assert time.monotonic() < deadline, "no progress"
                if targeted and len(emu.orders("key-a")) > before:
                    time.sleep(0.2)
                    break
                if not targeted and progress(bot_id) >= target:
                    break
                time.sleep(0.01)
            if proc.poll() is not None:
                break
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        assert kills >= 5
        final = engine(env)
        assert final.wait(timeout=300) == 0
        got = bot_fills(bot_id)
        assert got == expected
        orders = emu.orders("key-a")
        ids = [o.client_order_id for o in orders]
        assert len(ids) == len(set(ids))
        assert len(orders) == len(reference_orders)
        with sqlite3.connect(db_path()) as conn:
            status = conn.execute("SELECT status FROM bots WHERE id = ?", (bot_id,)).fetchone()[0]
            pending = conn.execute(
                "SELECT COUNT(*) FROM trades WHERE bot_id = ? AND status = 'PENDING'", (bot_id,)
            ).fetchone()[0]
        assert status == "stopped"
        assert pending == 0
    finally:
        reference_emu.stop()
        emu.stop()


def _run_faulty(emu: BinanceEmulator, env: dict[str, str], candles: Path) -> tuple[int, str]:
    """Run a live bot to its end; check it stopped with no order twice; its warnings/errors."""
    bot_id = live_bot(env, candles)
    proc = engine(env)
    assert proc.wait(timeout=300) == 0
    ids = [o.client_order_id for o in emu.orders("key-a")]
    assert len(ids) == len(set(ids))
    with sqlite3.connect(db_path()) as conn:
        status = conn.execute("SELECT status FROM bots WHERE id = ?", (bot_id,)).fetchone()[0]
        logs = [
            m
            for (m,) in conn.execute(
                "SELECT message FROM system_logs WHERE level IN ('WARNING', 'ERROR')"
            )
        ]
        rows = conn.execute(
            "SELECT client_order_id, status, filled_amount FROM trades WHERE bot_id = ?",
            (bot_id,),
        ).fetchall()
    db_ids = [r[0] for r in rows]
    assert status == "stopped"
    assert len(db_ids) == len(set(db_ids))
    assert set(ids) <= set(db_ids)
    # The database agrees with the exchange on every order it placed.
    remote = {o.client_order_id: o for o in emu.orders("key-a")}
    for cid, state, filled in rows:
        if cid in remote and state != "REJECTED":
            assert Decimal(filled) == Decimal(str(remote[cid].executed_qty)), cid
    return bot_id, "\n".join(logs)


def test_transport_faults_are_retried_logged_and_never_duplicate_an_order(
    candle_file: Path,
) -> None:
    emu = make_emulator()
    try:
        env = {
            "AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url,
            "AURUMBOTX_EXCHANGE__TIMEOUT_SECONDS": "2",
            **MAINNET,
        }
        emu.rate_limit_next(1, retry_after=1, path=ORDER)
        emu.fail_next(1, status=418, retry_after=1, path=ORDER)
        emu.fail_next(1, status=503, path=ORDER, method="POST")
        emu.delay_next(seconds=4, path=ORDER, method="POST", after_processing=True)
        emu.drop_next(1, path=ORDER, method="POST", after_processing=True)
        emu.partial_fill_next("0.5")
        bot_id, logs = _run_faulty(emu, env, candle_file)
        statuses = {r.status for r in emu.requests(ORDER)}
        assert {429, 418, 503, None} <= statuses  # None: an answer that never came
        for cause in ("429", "418", "Internal error", "timed out"):
            assert cause in logs, cause
        shown = run_cli("bot", "status", str(bot_id), env=env).output
        assert "retry" in shown
    finally:
        emu.stop()


def test_refused_orders_are_events_not_crashes(candle_file: Path) -> None:
    emu = make_emulator()
    try:
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url, **MAINNET}
        emu.reject_next(code=-2010, msg="Account has insufficient balance for requested action.")
        emu.reject_next(code=-1013, msg="Filter failure: NOTIONAL")
        bot_id, logs = _run_faulty(emu, env, candle_file)
        assert "insufficient balance" in logs
        assert "Filter failure: NOTIONAL" in logs
        shown = run_cli("bot", "status", str(bot_id), env=env).output
        assert "insufficient balance" in shown or "NOTIONAL" in shown
    finally:
        emu.stop()


def _run_until_first_answer(env: dict[str, str], bot_id: int, candles: Path) -> str:
    """Process candles in this process until an entry's answer is committed; then 'crash'.

    The runner and its exchange client are dropped as a SIGKILL would drop them, right after
    the candle whose commit stored the exchange's answer and before the next candle (which is
    where the fills used to be stored).
    """
    import pandas as pd

    from aurumbotx.bootstrap import make_bot
    from aurumbotx.domain.candles import Candle

    os.environ.update(env)
    get_settings.cache_clear()
    container = build_container(get_settings())
    runner = make_bot(container, bot_id).runner
    runner.reconcile()
    try:
        for row in pd.read_csv(candles).itertuples(index=False):
            candle = Candle(PAIR, int(row.timestamp), row.open, row.high, row.low, row.close,
                            row.volume)  # fmt: skip
            runner.on_candle(candle)
            answered = [o for o in runner.router.sent if o.side.value == "BUY" and o.filled_amount]
            if answered:
                return answered[0].client_order_id
    finally:
        container.close()
    raise AssertionError("no entry was answered")


def test_a_kill_after_an_answer_and_before_the_next_candle_loses_no_fill(
    candle_file: Path,
) -> None:
    reference_emu, emu = make_emulator(), make_emulator()
    try:
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": reference_emu.base_url, **MAINNET}
        reference = live_bot(env, candle_file)
        done = engine(env)
        assert done.wait(timeout=300) == 0, done.stderr.read() if done.stderr else ""
        expected = bot_fills(reference)

        env = {"AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url, **MAINNET}
        bot_id = live_bot(env, candle_file)
        cid = _run_until_first_answer(env, bot_id, candle_file)
        assert [o.client_order_id for o in emu.orders("key-a")] == [cid]
        final = engine(env)
        assert final.wait(timeout=300) == 0, final.stderr.read() if final.stderr else ""
        assert bot_fills(bot_id) == expected
        remote = {o.client_order_id: o for o in emu.orders("key-a")}
        assert len(remote) == len(reference_emu.orders("key-a"))
        with sqlite3.connect(db_path()) as conn:
            rows = conn.execute(
                "SELECT t.client_order_id, t.status, t.filled_amount, "
                "COALESCE((SELECT SUM(f.amount) FROM order_fills f WHERE f.trade_id = t.id), 0) "
                "FROM trades t WHERE t.bot_id = ?",
                (bot_id,),
            ).fetchall()
        for order_id, status, filled, booked in rows:
            # A stored order never claims more than its recorded fills; a FILLED one is the
            # exchange's execution. (The replay's last answer is booked at the bot's next candle.)
            assert Decimal(filled) == Decimal(str(booked)), order_id
            if status == "FILLED":
                assert Decimal(filled) == Decimal(str(remote[order_id].executed_qty)), order_id
    finally:
        reference_emu.stop()
        emu.stop()


def test_a_request_in_flight_at_a_restart_executes_once(candle_file: Path) -> None:
    """Killed while the exchange holds the order request: the restart must not send it again.

    The held request is still valid (inside its recvWindow) and executes after the restart;
    Binance accepts a filled order's client id again, so an immediate re-send executes twice.
    """
    reference_emu, emu = make_emulator(), make_emulator()
    try:
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": reference_emu.base_url, **MAINNET}
        # 40 % a trade: the account can pay for an entry twice, as a real one often can.
        reference = live_bot(env, candle_file, risk=40)
        done = engine(env)
        assert done.wait(timeout=300) == 0, done.stderr.read() if done.stderr else ""
        expected = bot_fills(reference)

        env = {"AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url, **MAINNET}
        bot_id = live_bot(env, candle_file, risk=40)
        # Processed 9 s after it arrives: inside the 10 s recvWindow, so it will execute.
        emu.delay_next(seconds=9, path=ORDER, method="POST")
        proc = engine(env)
        deadline = time.monotonic() + 90
        while not [r for r in emu.requests(ORDER) if r.method == "POST"]:
            assert proc.poll() is None, "the engine ended before it sent an order"
            assert time.monotonic() < deadline, "no order was sent"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        held = next(r for r in emu.requests(ORDER) if r.method == "POST")
        assert int(held.params["recvWindow"]) == 10_000  # explicit, and what the wait assumes
        with sqlite3.connect(db_path()) as conn:
            (sent_ts,) = conn.execute(
                "SELECT sent_ts FROM trades WHERE client_order_id = ?",
                (held.params["newClientOrderId"],),
            ).fetchone()
        assert int(held.params["timestamp"]) == sent_ts  # stored before the request left
        final = engine(env)
        assert final.wait(timeout=300) == 0, final.stderr.read() if final.stderr else ""
        while held.handled_status is None:  # the exchange gets to the held request at last
            assert time.monotonic() < deadline + 60, "the held request was never processed"
            time.sleep(0.05)

        orders = emu.orders("key-a")
        ids = [o.client_order_id for o in orders]
        assert len(ids) == len(set(ids)), "an order executed twice"
        assert len(orders) == len(reference_emu.orders("key-a"))
        assert bot_fills(bot_id) == expected
        with sqlite3.connect(db_path()) as conn:
            notes = [m for (m,) in conn.execute("SELECT message FROM system_logs")]
        # The restart waited for the held request (a restart slower than the hold finds it
        # executed already and adopts it: no wait needed then).
        assert any("request may still execute; waited" in n or "adopted" in n for n in notes)
    finally:
        reference_emu.stop()
        emu.stop()


def test_a_partly_filled_entry_is_booked_exactly_and_shown(candle_file: Path) -> None:
    emu = make_emulator()
    try:
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url, **MAINNET}
        emu.partial_fill_next("0.5", expire_rest=True)  # the first entry: half, rest expired
        bot_id, logs = _run_faulty(emu, env, candle_file)
        first = emu.orders("key-a")[0]
        assert first.status == "EXPIRED"
        assert first.executed_qty > 0
        with sqlite3.connect(db_path()) as conn:
            status, booked = conn.execute(
                "SELECT t.status, (SELECT SUM(f.amount) FROM order_fills f WHERE f.trade_id = t.id)"
                " FROM trades t WHERE t.client_order_id = ?",
                (first.client_order_id,),
            ).fetchone()
            exit_amount = conn.execute(
                "SELECT t.amount FROM trades t WHERE t.bot_id = ? AND t.side = 'SELL' "
                "ORDER BY t.id LIMIT 1",
                (bot_id,),
            ).fetchone()[0]
        assert status == "EXPIRED"
        assert Decimal(str(booked)) == first.executed_qty  # fee in USDT: all of it is ours
        assert Decimal(str(exit_amount)) == first.executed_qty  # the exit sells what was bought
        assert f"{first.client_order_id} partly filled" in logs
        shown = run_cli("bot", "status", str(bot_id), env=env).output
        assert "partly filled" in shown
    finally:
        emu.stop()


def test_a_live_bot_whose_books_the_account_cannot_cover_halts_before_trading(
    candle_file: Path,
) -> None:
    emu = BinanceEmulator()
    emu.start()
    try:
        emu.add_market(PAIR, tick_size="0.01", step_size="0.00001", min_notional="5")
        emu.add_account("key-a", "secret-a", {"USDT": "5000"})  # the bot is given 10,000
        emu.set_price_script(PAIR, PRICES)
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url, **MAINNET}
        bot_id = live_bot(env, candle_file)
        proc = engine(env)
        assert proc.wait(timeout=300) == 0, proc.stderr.read() if proc.stderr else ""
        assert emu.orders("key-a") == []
        with sqlite3.connect(db_path()) as conn:
            status, reason = conn.execute(
                "SELECT status, status_reason FROM bots WHERE id = ?", (bot_id,)
            ).fetchone()
        assert status == "halted"
        assert reason.startswith("books differ from the exchange: 10000 USDT in the books, 5000")
        shown = run_cli("bot", "status", str(bot_id), env=env).output
        assert "books differ from the exchange" in shown
    finally:
        emu.stop()


def test_coins_gone_from_the_account_halt_a_running_live_bot(candle_file: Path) -> None:
    """Checked while running too: a withdrawal, a manual sale, another program on the key."""
    import pandas as pd

    from aurumbotx.bootstrap import make_bot
    from aurumbotx.domain.candles import Candle

    emu = make_emulator()
    try:
        env = {
            "AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url,
            "AURUMBOTX_ENGINE__BALANCE_CHECK_SECONDS": "0",
            **MAINNET,
        }
        bot_id = live_bot(env, candle_file)
        container = build_container(get_settings())
        try:
            runner = make_bot(container, bot_id).runner
            runner.reconcile()
            assert runner.failed_reason is None  # 10,000 USDT booked, 10,000 held
            rows = pd.read_csv(candle_file).itertuples(index=False)
            for row in rows:
                candle = Candle(PAIR, int(row.timestamp), row.open, row.high, row.low, row.close,
                                row.volume)  # fmt: skip
                runner.on_candle(candle)
                assert runner.failed_reason is None
                if runner.engine.portfolio.positions and not runner.router.sent:
                    break  # holding, nothing in flight: the books were just checked
            held = runner.engine.portfolio.positions[PAIR].amount
            emu.withdraw("key-a", "BTC", held / 2)
            row = next(rows)
            runner.on_candle(Candle(PAIR, int(row.timestamp), row.open, row.high, row.low,
                                    row.close, row.volume))  # fmt: skip
            assert runner.failed_reason is not None
            assert f"{held} BTC in the books, {held - held / 2} on the exchange" in (
                runner.failed_reason
            )
        finally:
            container.close()
    finally:
        emu.stop()


# ---------------------------------------------------------------------------- chaos suite
# The engine runs under a shim that SIGKILLs it at a named phase of an order's life (the n-th
# time the phase is reached); the test kills it at the phases only the exchange sees (a request
# held in flight, accepted but unanswered). Every run ends with an undisturbed engine and is
# compared with an undisturbed reference run under the same faults.

CHAOS_SHIM = """
import os, signal, sys

PHASE, AFTER = os.environ.get("CHAOS_PHASE", ""), int(os.environ.get("CHAOS_AFTER", "1"))
seen = 0


def hit(name):
    global seen
    if name == PHASE:
        seen += 1
        if seen >= AFTER:
            with open(os.environ["CHAOS_LOG"], "a") as log:
                log.write(name + "\\n")
            os.kill(os.getpid(), signal.SIGKILL)


def after(cls, method, name):
    original = getattr(cls, method)

    def wrapper(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        hit(name)
        return result

    setattr(cls, method, wrapper)


from aurumbotx.db.repositories.bot_store import DbBotStore
from aurumbotx.execution.ccxt.client import CcxtExchangeClient

after(DbBotStore, "save_intent", "before_send")  # intent committed, nothing sent
after(DbBotStore, "mark_sent", "sending")  # send time committed, the request not out yet
after(CcxtExchangeClient, "submit_order", "answered_unstored")  # answer in memory only
after(DbBotStore, "commit_candle", "between_candles")
after(DbBotStore, "load_state", "reconciling")  # state read, the exchange not asked yet

from aurumbotx.cli.app import main

main(sys.argv[1:])
"""

SHIM_PHASES = ("before_send", "sending", "answered_unstored", "between_candles")
EXCHANGE_PHASES = ("in_flight", "accepted_unanswered")


def chaos_engine(env: dict[str, str], shim: Path, phase: str, nth: int, log: Path):
    import sys

    return subprocess.Popen(
        [sys.executable, str(shim), "engine", "--exit-when-idle"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={
            **os.environ,
            **env,
            "CHAOS_PHASE": phase,
            "CHAOS_AFTER": str(nth),
            "CHAOS_LOG": str(log),
        },
    )


def with_faults(emu: BinanceEmulator) -> BinanceEmulator:
    """Every transport fault of the emulator, on the first order requests."""
    emu.rate_limit_next(1, retry_after=1, path=ORDER)
    emu.fail_next(1, status=418, retry_after=1, path=ORDER)
    emu.fail_next(1, status=503, path=ORDER, method="POST")
    emu.drop_next(1, path=ORDER, method="POST", after_processing=True)
    return emu


def _kill_at_the_exchange(emu: BinanceEmulator, env: dict[str, str], phase: str) -> None:
    """Kill while the emulator holds an order request (before or after executing it)."""
    before = len([r for r in emu.requests(ORDER) if r.method == "POST"])
    emu.delay_next(
        seconds=6, path=ORDER, method="POST", after_processing=phase == "accepted_unanswered"
    )
    proc = engine(env)
    deadline = time.monotonic() + 90
    while len([r for r in emu.requests(ORDER) if r.method == "POST"]) <= before:
        assert proc.poll() is None, "the engine ended before the held request"
        assert time.monotonic() < deadline, "no order request"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
def test_chaos_kills_at_every_phase_of_an_order_lose_and_duplicate_nothing(
    candle_file: Path, tmp_path: Path
) -> None:
    shim = tmp_path / "chaos_shim.py"
    shim.write_text(CHAOS_SHIM)
    kills_log = tmp_path / "kills.log"
    reference_emu = with_faults(make_emulator())
    try:
        env = {"AURUMBOTX_EXCHANGE__BASE_URL": reference_emu.base_url, **MAINNET}
        reference = live_bot(env, candle_file, risk=40)
        done = engine(env)
        assert done.wait(timeout=300) == 0, done.stderr.read() if done.stderr else ""
        expected = bot_fills(reference)
        assert len(expected) >= 8
        expected_orders = len(reference_emu.orders("key-a"))
        expected_balances = reference_emu.balances("key-a")
    finally:
        reference_emu.stop()

    rng = random.Random(20261203)
    runs: list[tuple[str, int]] = []
    for phase in (*SHIM_PHASES, *EXCHANGE_PHASES):
        emu = with_faults(make_emulator())
        try:
            env = {"AURUMBOTX_EXCHANGE__BASE_URL": emu.base_url, **MAINNET}
            bot_id = live_bot(env, candle_file, risk=40)
            nth = rng.randint(1, 4)
            if phase in SHIM_PHASES:
                proc = chaos_engine(env, shim, phase, nth, kills_log)
                assert proc.wait(timeout=300) == -signal.SIGKILL, f"{phase} was never reached"
            else:
                _kill_at_the_exchange(emu, env, phase)
            # The restart is killed during its reconciliation, then an engine runs to the end.
            proc = chaos_engine(env, shim, "reconciling", 1, kills_log)
            assert proc.wait(timeout=300) == -signal.SIGKILL
            final = engine(env)
            assert final.wait(timeout=300) == 0, final.stderr.read() if final.stderr else ""
            if phase == "in_flight":
                time.sleep(6.5)  # the request the emulator held has been processed by now
            orders = emu.orders("key-a")
            ids = [o.client_order_id for o in orders]
            assert len(ids) == len(set(ids)), f"{phase}: an order executed twice"
            assert len(orders) == expected_orders, phase
            assert bot_fills(bot_id) == expected, f"{phase}: fills differ"
            assert emu.balances("key-a") == expected_balances, phase
            with sqlite3.connect(db_path()) as conn:
                pending = conn.execute(
                    "SELECT COUNT(*) FROM trades WHERE bot_id = ? AND status = 'PENDING'",
                    (bot_id,),
                ).fetchone()[0]
            assert pending == 0, phase
            runs.append((phase, nth))
        finally:
            emu.stop()
    killed = kills_log.read_text().split()
    assert set(SHIM_PHASES) | {"reconciling"} <= set(killed)
    print(f"chaos: {len(runs)} runs, {len(killed) + len(EXCHANGE_PHASES)} kills: {runs}")
