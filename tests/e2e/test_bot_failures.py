"""No failure disappears: strategy code that raises, a feed that dies, and the engine goes on.

A strategy failing on `max_strategy_failures` candles in a row (populate, live_signals, or the
live source it returned) halts its bot with the reason in `bot status`, rows in `system_logs`
and an event. Any other exception in a bot's task halts that bot the same way, and the engine
and the other bots go on.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import textwrap
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aurumbotx.testing.cli import run_cli
from aurumbotx.testing.market import write_shared_csv

FLAKY = '''
import numpy as np
import pandas as pd

from aurumbotx.strategies.base import Strategy


class {name}(Strategy):
    name = "{name}"

    @property
    def startup_candles(self) -> int:
        return 20

    def populate(self, candles):
        {populate}
        enter = np.zeros(len(candles), dtype=bool)
        if len(candles) > 20:
            enter[20] = True  # holds a position from candle 21 on
        return pd.DataFrame(
            {{"enter_long": enter, "exit_long": np.zeros(len(candles), dtype=bool)}},
            index=candles.index,
        )

    def live_signals(self, history, on_record=None):
        {live_signals}


class Boom:
    """A live source that raises from the strategy's 30th live candle on (rebuilt or not)."""

    calls = 0

    def on_candle(self, candle):
        Boom.calls += 1
        if Boom.calls >= 30:
            raise KeyError("lost the order book")
'''


def strategy_file(tmp_path: Path, name: str, populate: str, live_signals: str) -> Path:
    path = tmp_path / f"{name}.py"
    code = FLAKY.format(name=name, populate=populate, live_signals=live_signals)
    path.write_text(textwrap.dedent(code))
    return path


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


def start(strategy: Path, candles: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = run_cli(
        "bot", "start", "--strategy", str(strategy), "--pairs", "BTC/USDT", "--timeframe", "1h",
        "--capital", "1000", "--mode", "paper", "--feed", f"replay:{candles}", env=env,
    )  # fmt: skip
    assert result.returncode == 1, result.output  # the bot ended halted
    assert "Traceback" not in result.output
    return int(result.stdout.split()[1]), result.output


def logs(home: Path, bot_id: int) -> list[str]:
    with sqlite3.connect(home / "aurumbotx.db") as conn:
        rows = conn.execute(
            "SELECT level, message FROM system_logs "
            "WHERE json_extract(additional_data, '$.bot_id') = ? ORDER BY id",
            (bot_id,),
        ).fetchall()
    return [f"{level} {message}" for level, message in rows]


@pytest.mark.parametrize(
    ("populate", "live_signals", "expected"),
    [
        ("if len(candles) > 60: raise ValueError('bad column')", "return None", "ValueError"),
        ("pass", "raise RuntimeError('no live source')", "RuntimeError: no live source"),
        ("pass", "return Boom()", "KeyError: 'lost the order book'"),
    ],
    ids=["populate", "live_signals", "live_source_mid_run"],
)
def test_a_failing_strategy_halts_its_bot_with_the_reason(
    home: Path, tmp_path: Path, populate: str, live_signals: str, expected: str
) -> None:
    source = strategy_file(tmp_path, "flaky", populate, live_signals)
    candles = write_shared_csv("binance_BTC-USDT_1h", 300, tmp_path / "btc.csv")
    bot_id, _ = start(source, candles)
    status = run_cli("bot", "status", str(bot_id)).stdout
    assert "halted" in status
    assert "failed on 3 candles in a row" in status
    assert expected in status
    rows = logs(home, bot_id)
    assert sum("StrategyFailed" in row for row in rows) == 3, rows
    assert any(row.startswith("ERROR") and "in a row" in row for row in rows)
    assert any("running -> halted" in row for row in rows)


def test_the_number_of_failures_is_a_setting(home: Path, tmp_path: Path) -> None:
    source = strategy_file(tmp_path, "flaky", "raise ValueError('always')", "return None")
    candles = write_shared_csv("binance_BTC-USDT_1h", 100, tmp_path / "btc.csv")
    bot_id, _ = start(source, candles, env={"AURUMBOTX_ENGINE__MAX_STRATEGY_FAILURES": "5"})
    status = run_cli("bot", "status", str(bot_id)).stdout
    assert "failed on 5 candles in a row" in status
    assert sum("StrategyFailed" in row for row in logs(home, bot_id)) == 5


def test_failures_that_are_not_in_a_row_do_not_halt(home: Path, tmp_path: Path) -> None:
    every_other = "if len(candles) % 2: raise ValueError('odd')"
    source = strategy_file(tmp_path, "flaky", every_other, "return None")
    candles = write_shared_csv("binance_BTC-USDT_1h", 120, tmp_path / "btc.csv")
    result = run_cli(
        "bot", "start", "--strategy", str(source), "--pairs", "BTC/USDT", "--timeframe", "1h",
        "--capital", "1000", "--mode", "paper", "--feed", f"replay:{candles}",
    )  # fmt: skip
    assert result.returncode == 0, result.output
    bot_id = int(result.stdout.split()[1])
    assert "stopped" in run_cli("bot", "status", str(bot_id)).stdout
    assert sum("StrategyFailed" in row for row in logs(home, bot_id)) == 50  # candles 21..119


def test_a_feed_that_crashes_halts_its_bot_and_the_others_go_on(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aurumbotx.bootstrap import build_container, make_bot
    from aurumbotx.config import get_settings
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.bots import BotRepository, DbBotDirectory
    from aurumbotx.db.repositories.strategies import StrategyRepository
    from aurumbotx.db.repositories.users import UserRepository
    from aurumbotx.engine.service import EngineService

    candles = write_shared_csv("binance_BTC-USDT_1h", 400, tmp_path / "btc.csv")
    get_settings.cache_clear()
    container = build_container(get_settings())
    with session_scope(container.session_factory) as session:
        user = UserRepository(session).get_by_username("alice")
        assert user is not None
        strategy = StrategyRepository(session).get_or_create("sma_cross", "", {})
        ids = [
            BotRepository(session)
            .create(
                user_id=user.id,
                name=f"b{i}",
                strategy="sma_cross",
                strategy_id=strategy.id,
                parameters={"fast": 5, "slow": 20},
                pairs=["BTC/USDT"],
                timeframe="1h",
                capital=Decimal(1000),
                risk_percentage=Decimal(100),
                risk_limits={},
                mode="paper",
                feed=f"replay:{candles}",
                speed="max",
            )
            .id
            for i in range(2)
        ]

    def crashing_bot(bot_id: int) -> Any:
        handle = make_bot(container, bot_id)
        if bot_id == ids[0]:
            real = handle.feed.stream

            async def dies_mid_run() -> AsyncIterator[Any]:
                n = 0
                async for candle in real():
                    n += 1
                    if n == 150:
                        raise ConnectionResetError("peer reset the socket")
                    yield candle

            monkeypatch.setattr(handle.feed, "stream", dies_mid_run)
        return handle

    events: list[dict[str, Any]] = []

    async def publish(channel: str, event: dict[str, Any]) -> None:
        events.append(event)

    class Quiet:
        def __getattr__(self, name: str) -> Any:
            return lambda *args, **kwargs: None

    engine = EngineService(
        DbBotDirectory(container.session_factory), crashing_bot, publish, Quiet(), poll_seconds=0.05
    )
    asyncio.run(asyncio.wait_for(engine.run(exit_when_idle=True), 240))
    with session_scope(container.session_factory) as session:
        bots = {b.id: (b.status, b.status_reason) for b in BotRepository(session).list()}
    container.close()
    reason = "unexpected error: ConnectionResetError: peer reset the socket"
    assert bots[ids[0]] == ("halted", reason)
    assert bots[ids[1]] == ("stopped", "feed ended (replay finished)")
    halted = {"type": "BotStatusChanged", "bot_id": ids[0], "status": "halted", "reason": reason}
    assert any(halted.items() <= event.items() for event in events)
    assert any(f"bot {ids[0]}: running -> halted ({reason})" in row for row in logs(home, ids[0]))
