"""Performance service: the spec's PerformanceMetrics of a user's bots over a period."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from aurumbotx.bootstrap import Container
from aurumbotx.db.engine import session_scope
from aurumbotx.db.models import BotDaily, OrderFill, Trade
from aurumbotx.domain.errors import InvalidInputError, NotFoundError
from aurumbotx.services import bots
from aurumbotx.services.performance import Period, performance

TODAY = date(2026, 3, 10)


def ms(day: date, hour: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp() * 1000)


def add_trip(ctx: Container, bot: bots.BotInfo, day: date, buy: str, sell: str) -> None:
    """A round trip of 1 BTC, bought at 1:00 and sold at 2:00 of `day`, fee 1 each way."""
    with session_scope(ctx.session_factory) as session:
        for hour, side, price in ((1, "BUY", buy), (2, "SELL", sell)):
            trade = Trade(
                user_id=bot.user_id,
                bot_id=bot.id,
                side=side,
                order_type="MARKET",
                amount=Decimal(1),
                price=Decimal(price),
                client_order_id=f"{bot.id}-{day}-{side}",
                pair="BTC/USDT",
                status="FILLED",
            )
            session.add(trade)
            session.flush()
            session.add(
                OrderFill(
                    trade_id=trade.id,
                    bot_id=bot.id,
                    exchange_trade_id=f"t{trade.id}",
                    amount=Decimal(1),
                    price=Decimal(price),
                    fee=Decimal(1),
                    ts=ms(day, hour),
                )
            )


def add_days(ctx: Container, bot_id: int, balances: list[tuple[date, str, str]]) -> None:
    with session_scope(ctx.session_factory) as session:
        for day, start, end in balances:
            session.add(
                BotDaily(
                    bot_id=bot_id,
                    date=day,
                    starting_balance=Decimal(start),
                    ending_balance=Decimal(end),
                    peak_balance=max(Decimal(start), Decimal(end)),
                )
            )


@pytest.fixture
def bot(ctx: Container, users: tuple[int, int]) -> bots.BotInfo:
    request = bots.BotRequest(
        strategy="sma_cross", pairs=("BTC/USDT",), capital=Decimal(1000), timeframe="1h"
    )
    made = bots.create_bot(ctx, users[0], bots.plan_bot(ctx, request))
    add_trip(ctx, made, date(2026, 3, 8), "100", "150")  # +48 net of fees
    add_trip(ctx, made, date(2026, 3, 9), "150", "130")  # -22
    add_trip(ctx, made, date(2026, 1, 2), "100", "200")  # long before the week
    add_days(
        ctx,
        made.id,
        [
            (date(2026, 3, 8), "1000", "1048"),
            (date(2026, 3, 9), "1048", "1026"),
            (date(2026, 3, 10), "1026", "1026"),
        ],
    )
    return made


def test_a_weeks_metrics_come_from_its_trades_and_days(
    ctx: Container, users: tuple[int, int], bot: bots.BotInfo
) -> None:
    week = performance(ctx, users[0], "7d", today=TODAY)
    assert (week.total_trades, week.winning_trades, week.losing_trades) == (2, 1, 1)
    assert (week.total_profit, week.capital, week.total_fees) == (
        Decimal(26),
        Decimal(1000),
        Decimal(4),
    )
    assert week.roi_percentage == pytest.approx(2.6)
    assert week.win_rate == 0.5
    assert week.profit_factor == pytest.approx(48 / 22)
    assert week.max_drawdown == pytest.approx(1026 / 1048 - 1)
    assert week.sharpe_ratio is not None
    assert week.sharpe_ratio > 0
    assert (week.period, week.start, week.end) == (Period.WEEK, date(2026, 3, 4), TODAY)
    year = performance(ctx, users[0], Period.YEAR, today=TODAY, bot_id=bot.id)
    assert (year.total_trades, year.profit_factor) == (3, pytest.approx((48 + 98) / 22))


def test_a_period_without_days_or_trades_is_flat(
    ctx: Container, users: tuple[int, int], bot: bots.BotInfo
) -> None:
    day = performance(ctx, users[0], "1d", today=date(2026, 3, 20))
    assert (day.total_trades, day.total_profit, day.roi_percentage, day.max_drawdown) == (
        0,
        Decimal(0),
        0.0,
        0.0,
    )
    assert (day.win_rate, day.profit_factor, day.sharpe_ratio) == (0.0, None, None)
    with pytest.raises(InvalidInputError, match="unknown period '2w'"):
        performance(ctx, users[0], "2w")


def test_by_strategy_only_that_strategys_bots_count(
    ctx: Container, users: tuple[int, int], bot: bots.BotInfo
) -> None:
    with session_scope(ctx.session_factory) as session:
        from aurumbotx.db.models import Bot

        strategy_id = session.get(Bot, bot.id).strategy_id  # type: ignore[union-attr]
    assert performance(ctx, users[0], "7d", today=TODAY, strategy_id=strategy_id).total_trades == 2
    other = performance(ctx, users[0], "7d", today=TODAY, strategy_id=(strategy_id or 0) + 1)
    assert (other.total_trades, other.capital) == (0, Decimal(0))


def test_another_users_bot_is_not_found_and_their_totals_are_empty(
    ctx: Container, users: tuple[int, int], bot: bots.BotInfo
) -> None:
    with pytest.raises(NotFoundError) as other:
        performance(ctx, users[1], "7d", today=TODAY, bot_id=bot.id)
    with pytest.raises(NotFoundError) as missing:
        performance(ctx, users[0], "7d", today=TODAY, bot_id=bot.id + 99)
    assert str(other.value) == f"no bot with id {bot.id}"
    assert str(missing.value) == f"no bot with id {bot.id + 99}"
    theirs = performance(ctx, users[1], "1y", today=TODAY)
    assert (theirs.total_trades, theirs.total_profit, theirs.capital) == (0, 0, 0)
    assert not math.isnan(theirs.roi_percentage)
