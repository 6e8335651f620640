"""Tables of the trading engine, beside the spec's ten (migration 0002).

* `bots`: one row per bot: who, what, where, how much, its lifecycle status and progress.
* `order_fills`: each execution of an order (`trades` row), deduplicated by the exchange's
  trade id: the portfolio is rebuilt from them after a restart.
* `paper_balances`: the simulated account of a paper bot, per asset.
* `bot_daily`: a bot's equity at the start and end of each UTC day and its day's trades;
  `performance_daily` (spec) is their sum per user, strategy and day.
* `backtests`: recorded backtests, each with its owner (migration 0005).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from aurumbotx.db.models.base import NOW, Base, created_column
from aurumbotx.db.types import JSONType, Percent, Price, UTCDateTime

BOT_STATUSES = ("created", "reconciling", "running", "stopping", "stopped", "halted")


class Bot(Base):
    """A user's strategy running on pairs with capital, in paper or live mode."""

    __tablename__ = "bots"
    __table_args__ = (
        sa.CheckConstraint("mode IN ('paper', 'live')", name="mode"),
        sa.CheckConstraint(
            "status IN ('created', 'reconciling', 'running', 'stopping', 'stopped', 'halted')",
            name="status",
        ),
        sa.Index("idx_bots_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    strategy: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    strategy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strategies.id"))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    model_version: Mapped[str | None] = mapped_column(sa.String(40))
    pairs: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    timeframe: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    capital: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    risk_percentage: Mapped[Decimal] = mapped_column(Percent(), nullable=False)
    risk_limits: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    mode: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    feed: Mapped[str] = mapped_column(sa.String(500), nullable=False, server_default="live")
    speed: Mapped[str | None] = mapped_column(sa.String(20))
    api_key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_keys.id"))
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, server_default="created")
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    last_candle_ts: Mapped[int | None] = mapped_column(sa.BigInteger)
    owner: Mapped[str | None] = mapped_column(sa.String(100))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime | None] = created_column()
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), server_default=NOW, onupdate=NOW
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OrderFill(Base):
    """One execution of an order; (trade_id, exchange_trade_id) is unique: no fill twice."""

    __tablename__ = "order_fills"
    __table_args__ = (sa.UniqueConstraint("trade_id", "exchange_trade_id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), nullable=False, index=True)
    bot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bots.id"), index=True)
    exchange_trade_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    price: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    fee: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    ts: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    created_at: Mapped[datetime | None] = created_column()


class PaperBalance(Base):
    """A paper bot's simulated balance of one asset (total: free + reserved)."""

    __tablename__ = "paper_balances"

    bot_id: Mapped[int] = mapped_column(sa.ForeignKey("bots.id"), primary_key=True)
    asset: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Price(), nullable=False)


class BotDaily(Base):
    """A bot's day: equity at its first and last candle, its closed trades and fees."""

    __tablename__ = "bot_daily"

    bot_id: Mapped[int] = mapped_column(sa.ForeignKey("bots.id"), primary_key=True)
    date: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    starting_balance: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    ending_balance: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    peak_balance: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    max_drawdown: Mapped[Decimal] = mapped_column(Percent(), nullable=False, server_default="0")
    total_trades: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    winning_trades: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    losing_trades: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default="0")
    total_profit: Mapped[Decimal] = mapped_column(Price(), nullable=False, server_default="0")
    total_fees: Mapped[Decimal] = mapped_column(Price(), nullable=False, server_default="0")


class Backtest(Base):
    """A recorded backtest: who ran what, on which candles, with which figures (migration 0005).

    `user_id` is the owner (another user never sees it); None for a run recorded by the
    operator's CLI without a user. `run` and `metrics` are the JSON report's two parts.
    """

    __tablename__ = "backtests"
    __table_args__ = (sa.Index("idx_backtests_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    strategy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strategies.id"))
    strategy: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    timeframe: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    run: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime | None] = created_column()
