"""Bot services: plan and create, start, stop, delete, list, status, trades; owners only."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from aurumbotx.bootstrap import Container
from aurumbotx.db.engine import session_scope
from aurumbotx.domain.enums import BotStatus, TradingMode
from aurumbotx.domain.errors import InvalidInputError, NotFoundError
from aurumbotx.services import bots, keys


def request(**values: object) -> bots.BotRequest:
    fields: dict[str, object] = {
        "strategy": "sma_cross",
        "pairs": ("btc/usdt",),
        "capital": Decimal(1000),
        "timeframe": "1h",
    } | values
    return bots.BotRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def bot(ctx: Container, users: tuple[int, int]) -> bots.BotInfo:
    return bots.create_bot(ctx, users[0], bots.plan_bot(ctx, request()))


def test_a_planned_bot_is_created_for_its_owner(ctx: Container, users: tuple[int, int]) -> None:
    plan = bots.plan_bot(ctx, request(name=None))
    assert (plan.pairs, plan.timeframe, plan.mode, plan.name) == (
        ("BTC/USDT",),
        "1h",
        TradingMode.PAPER,
        "sma_cross BTC/USDT 1h",
    )
    made = bots.create_bot(ctx, users[0], plan)
    assert (made.user_id, made.status, made.capital, made.pairs) == (
        users[0],
        "created",
        Decimal(1000),
        ("BTC/USDT",),
    )
    assert [b.id for b in bots.list_bots(ctx, users[0])] == [made.id]
    assert bots.list_bots(ctx, users[1]) == []
    assert [b.id for b in bots.list_all_bots(ctx)] == [made.id]
    assert bots.bot_owner(ctx, made.id) == users[0]


def test_a_plan_refuses_what_cannot_run(ctx: Container) -> None:
    with pytest.raises(InvalidInputError, match="paper or live"):
        bots.plan_bot(ctx, request(mode="demo"))
    with pytest.raises(InvalidInputError, match="twice"):
        bots.plan_bot(ctx, request(pairs=("BTC/USDT", "btc/usdt")))
    with pytest.raises(InvalidInputError, match="live bot trades real money on live data"):
        bots.plan_bot(ctx, request(mode="live", feed="replay"))
    with pytest.raises(InvalidInputError, match="give --timeframe"):
        bots.plan_bot(ctx, request(timeframe=None))


def test_a_live_bot_needs_its_owners_exchange_key(ctx: Container, users: tuple[int, int]) -> None:
    alice, bob = users
    plan = bots.plan_bot(ctx, request(mode="live"))
    keys.add_key(ctx, bob, "binance", "abcdefghijklmnop", "secret-secret")
    with pytest.raises(InvalidInputError, match="needs an active binance testnet API key"):
        bots.create_bot(ctx, alice, plan)
    assert bots.list_bots(ctx, alice) == []
    assert bots.create_bot(ctx, bob, plan).mode == "live"


def test_an_owner_stops_starts_inspects_and_deletes_a_bot(
    ctx: Container, users: tuple[int, int], bot: bots.BotInfo
) -> None:
    alice, _ = users
    report = bots.bot_status(ctx, alice, bot.id)
    assert (report.bot, report.equity, report.cash, report.closed_trades) == (
        bot,
        Decimal(1000),
        Decimal(1000),
        0,
    )
    assert (report.positions, report.open_orders) == ((), ())
    assert bots.bot_trades(ctx, alice, bot.id).trades == []
    stopped = bots.stop_bot(ctx, alice, bot.id)
    assert (stopped.outcome, stopped.status) == (bots.StopOutcome.STOPPED, BotStatus.STOPPED)
    assert bots.stop_bot(ctx, alice, bot.id).outcome is bots.StopOutcome.ALREADY
    assert bots.start_bot(ctx, alice, bot.id).status == "reconciling"
    with pytest.raises(InvalidInputError, match="stop it first"):
        bots.delete_bot(ctx, alice, bot.id)
    bots.stop_bot(ctx, alice, bot.id)
    deleted = bots.delete_bot(ctx, alice, bot.id)
    assert (deleted.id, deleted.orders_kept) == (bot.id, 0)
    assert bots.list_bots(ctx, alice) == []


def test_a_bot_being_run_is_asked_to_stop(ctx: Container, bot: bots.BotInfo) -> None:
    from aurumbotx.db.repositories.bots import BotRepository

    with session_scope(ctx.session_factory) as session:
        repo = BotRepository(session)
        row = repo.get(bot.id)
        row.owner = "host:1"
        repo.set_status(row, BotStatus.RECONCILING)
        repo.set_status(row, BotStatus.RUNNING)
    done = bots.stop_bot(ctx, bot.user_id, bot.id)
    assert (done.outcome, done.status) == (bots.StopOutcome.REQUESTED, BotStatus.STOPPING)


OPERATIONS: dict[str, Callable[[Container, int, int], object]] = {
    "status": bots.bot_status,
    "trades": bots.bot_trades,
    "stop": bots.stop_bot,
    "start": bots.start_bot,
    "delete": bots.delete_bot,
}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_another_users_bot_is_not_found_like_a_missing_one(
    ctx: Container, users: tuple[int, int], bot: bots.BotInfo, operation: str
) -> None:
    call = OPERATIONS[operation]
    with pytest.raises(NotFoundError) as other:
        call(ctx, users[1], bot.id)
    with pytest.raises(NotFoundError) as missing:
        call(ctx, users[0], bot.id + 99)
    assert str(other.value) == f"no bot with id {bot.id}"
    assert str(missing.value) == f"no bot with id {bot.id + 99}"
    assert bots.bot_status(ctx, users[0], bot.id).bot == bot  # untouched
