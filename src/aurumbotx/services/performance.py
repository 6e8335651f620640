"""A user's trading performance over a period: the spec's PerformanceMetrics.

`performance(ctx, user_id, period="30d", strategy_id=None, bot_id=None) -> PerformanceMetrics`
covers the user's bots (one strategy's, or one bot of theirs: another user's bot is "not
found"). Trade counts, win rate and profit factor come from the closed round trips rebuilt from
the stored fills, exited inside the period; total profit, ROI, Sharpe and max drawdown from the
bots' daily equity (`bot_daily`): their capital plus the day-by-day change of their equity. The
numbers are those of `aurumbotx.metrics` (daily returns annualised over 365 days). Deleted bots
are not counted (their orders stay in `trades`, but without the bot's capital and days).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from aurumbotx.db.engine import session_scope
from aurumbotx.db.models import Bot, BotDaily
from aurumbotx.db.repositories.bots import BotRepository, bot_trades
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.metrics import max_drawdown, period_returns, profit_factor, sharpe_ratio, win_rate

if TYPE_CHECKING:
    from aurumbotx.services.context import ServiceContext

ZERO = Decimal(0)


class Period(enum.StrEnum):
    """The periods of the spec's `GET /api/v1/trading/performance`."""

    DAY = "1d"
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"
    YEAR = "1y"

    @property
    def days(self) -> int:
        """Its length in days (a year is 365)."""
        return 365 if self is Period.YEAR else int(self.value.removesuffix("d"))


@dataclass(frozen=True)
class PerformanceMetrics:
    """The spec's PerformanceMetrics (its names and order first), then the period it covers.

    `total_profit` is in the quote currency, `roi_percentage` in percent, `max_drawdown` and
    `win_rate` are fractions (-0.25 = 25 % below the peak); `sharpe_ratio` is None when
    undefined (fewer than two days, or a flat curve), `profit_factor` None without wins and
    losses and inf without a loss.
    """

    total_trades: int
    winning_trades: int
    total_profit: Decimal
    roi_percentage: float
    sharpe_ratio: float | None
    max_drawdown: float
    win_rate: float
    profit_factor: float | None
    losing_trades: int
    total_fees: Decimal
    capital: Decimal
    period: Period
    start: date
    end: date
    strategy_id: int | None
    bot_id: int | None


def parse_period(text: str) -> Period:
    """'30d' as a Period (InvalidInputError naming the choices)."""
    try:
        return Period(text)
    except ValueError:
        choices = ", ".join(p.value for p in Period)
        raise InvalidInputError(f"unknown period {text!r}: use one of {choices}") from None


def performance(
    ctx: ServiceContext,
    user_id: int,
    period: Period | str = Period.MONTH,
    *,
    strategy_id: int | None = None,
    bot_id: int | None = None,
    today: date | None = None,
) -> PerformanceMetrics:
    """The user's metrics over the `period` ending `today` (UTC), by strategy or bot if given."""
    chosen = period if isinstance(period, Period) else parse_period(period)
    end = today or datetime.now(UTC).date()
    start = end - timedelta(days=chosen.days - 1)
    since_ms = int(datetime.combine(start, datetime.min.time(), UTC).timestamp() * 1000)
    with session_scope(ctx.session_factory) as session:
        if bot_id is not None:
            BotRepository(session).get(bot_id, user_id)  # NotFoundError for another's bot
        query = sa.select(Bot.id, Bot.capital).where(Bot.user_id == user_id)
        if strategy_id is not None:
            query = query.where(Bot.strategy_id == strategy_id)
        if bot_id is not None:
            query = query.where(Bot.id == bot_id)
        bots = session.execute(query.order_by(Bot.id)).all()
        ids = [b.id for b in bots]
        days = session.execute(
            sa.select(BotDaily.date, BotDaily.starting_balance, BotDaily.ending_balance)
            .where(BotDaily.bot_id.in_(ids), BotDaily.date >= start, BotDaily.date <= end)
            .order_by(BotDaily.date)
        ).all()
        pnls: list[Decimal] = []
        fees = ZERO
        for bid in ids:
            for trade in bot_trades(session, bid, user_id).trades:
                if trade.profit_loss is not None and trade.exit_ts and trade.exit_ts >= since_ms:
                    pnls.append(trade.profit_loss)
                    fees += trade.fees
    capital = sum((b.capital for b in bots), ZERO)
    changes = [(d.date, d.ending_balance - d.starting_balance) for d in days]
    curve = _equity_curve(capital, start, changes)
    profit = sum((change for _, change in changes), ZERO)
    return _metrics(curve, profit, pnls, fees, capital, chosen, (start, end), strategy_id, bot_id)


def _equity_curve(
    capital: Decimal, start: date, changes: Sequence[tuple[date, Decimal]]
) -> pd.Series:
    """Capital on the eve of `start`, then each day's summed equity change added on."""
    by_day: dict[date, Decimal] = {}
    for day, change in changes:
        by_day[day] = by_day.get(day, ZERO) + change
    points = [(start - timedelta(days=1), capital)]
    equity = capital
    for day in sorted(by_day):
        equity += by_day[day]
        points.append((day, equity))
    index = pd.DatetimeIndex([pd.Timestamp(d, tz="UTC") for d, _ in points])
    return pd.Series([float(v) for _, v in points], index=index, dtype="float64")


def _metrics(
    curve: pd.Series,
    total_profit: Decimal,
    pnls: list[Decimal],
    fees: Decimal,
    capital: Decimal,
    period: Period,
    span: tuple[date, date],
    strategy_id: int | None,
    bot_id: int | None,
) -> PerformanceMetrics:
    """The metrics of one equity curve and its closed trades' net P/L."""
    values = [float(p) for p in pnls]
    return PerformanceMetrics(
        total_trades=len(values),
        winning_trades=sum(1 for p in values if p > 0),
        total_profit=total_profit,
        roi_percentage=float(total_profit / capital * 100) if capital else 0.0,
        sharpe_ratio=sharpe_ratio(period_returns(curve), 365) if capital else None,
        max_drawdown=max_drawdown(curve) if capital else 0.0,
        win_rate=win_rate(values),
        profit_factor=profit_factor(values),
        losing_trades=sum(1 for p in values if p < 0),
        total_fees=fees,
        capital=capital,
        period=period,
        start=span[0],
        end=span[1],
        strategy_id=strategy_id,
        bot_id=bot_id,
    )
