"""SQLAlchemy 2.0 models of the spec's ten tables.

Table and column names are the spec's. Corrections from NOTES.md: prices, amounts and money are
NUMERIC(28, 12) and percentages NUMERIC(18, 6) (the spec's DECIMAL(15, 2) cannot hold 0.00001234
and DECIMAL(5, 2) overflows at 1000 %); `market_data` and `system_logs` have BIGINT keys;
every timestamp is timezone-aware UTC. The schema itself is created by the Alembic migrations in
`aurumbotx/db/migrations`, never by `create_all`; a test checks that the two agree.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from aurumbotx.db.models.base import NOW, Base, created_column
from aurumbotx.db.types import BigIntPK, InetType, JSONType, Percent, Price, UTCDateTime


class User(Base):
    """A person who owns bots, keys, trades and money."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(50), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(sa.String(100), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    premium_status: Mapped[bool | None] = mapped_column(sa.Boolean, server_default=sa.false())
    premium_expires: Mapped[datetime | None] = mapped_column(UTCDateTime())
    api_key_hash: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime | None] = created_column()
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), server_default=NOW, onupdate=NOW
    )
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime())
    login_count: Mapped[int | None] = mapped_column(sa.Integer, server_default="0")
    total_profit: Mapped[Decimal | None] = mapped_column(Price(), server_default="0")
    total_trades: Mapped[int | None] = mapped_column(sa.Integer, server_default="0")
    win_rate: Mapped[Decimal | None] = mapped_column(Percent(), server_default="0")
    max_drawdown: Mapped[Decimal | None] = mapped_column(Percent(), server_default="0")
    risk_tolerance: Mapped[str | None] = mapped_column(sa.String(20), server_default="medium")
    preferred_strategy: Mapped[str | None] = mapped_column(
        sa.String(50), server_default="swing_trading"
    )
    notification_preferences: Mapped[dict[str, Any] | None] = mapped_column(
        JSONType, server_default=sa.text("'{}'")
    )
    kyc_status: Mapped[str | None] = mapped_column(sa.String(20), server_default="pending")
    kyc_documents: Mapped[list[Any] | None] = mapped_column(
        JSONType, server_default=sa.text("'[]'")
    )


class Strategy(Base):
    """A named strategy with its parameters and aggregate performance."""

    __tablename__ = "strategies"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    performance_metrics: Mapped[dict[str, Any] | None] = mapped_column(
        JSONType, server_default=sa.text("'{}'")
    )
    is_active: Mapped[bool | None] = mapped_column(sa.Boolean, server_default=sa.true())
    created_at: Mapped[datetime | None] = created_column()
    updated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), server_default=NOW, onupdate=NOW
    )
    creator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    usage_count: Mapped[int | None] = mapped_column(sa.Integer, server_default="0")
    avg_performance: Mapped[Decimal | None] = mapped_column(Percent(), server_default="0")


class TradingPair(Base):
    """A market on an exchange, with its trading rules."""

    __tablename__ = "trading_pairs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    base_asset: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    quote_asset: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    exchange: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    is_active: Mapped[bool | None] = mapped_column(sa.Boolean, server_default=sa.true())
    min_trade_amount: Mapped[Decimal | None] = mapped_column(Price())
    max_trade_amount: Mapped[Decimal | None] = mapped_column(Price())
    price_precision: Mapped[int | None] = mapped_column(sa.Integer, server_default="2")
    quantity_precision: Mapped[int | None] = mapped_column(sa.Integer, server_default="8")
    trading_fees: Mapped[Decimal | None] = mapped_column(Percent(), server_default="0.001")
    created_at: Mapped[datetime | None] = created_column()


class Trade(Base):
    """An order and its execution."""

    __tablename__ = "trades"
    __table_args__ = (
        sa.CheckConstraint("side IN ('BUY', 'SELL')", name="side"),
        sa.Index("idx_trades_user_date", "user_id", "executed_at"),
        sa.Index("idx_trades_strategy_date", "strategy_id", "executed_at"),
        sa.Index("idx_trades_symbol_date", "trading_pair_id", "executed_at"),
        sa.Index("idx_trades_user_strategy_date", "user_id", "strategy_id", "executed_at"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    strategy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strategies.id"))
    trading_pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trading_pairs.id"))
    order_id: Mapped[str | None] = mapped_column(sa.String(100))
    side: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    order_type: Mapped[str | None] = mapped_column(sa.String(20), server_default="MARKET")
    amount: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    price: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    filled_amount: Mapped[Decimal | None] = mapped_column(Price(), server_default="0")
    filled_price: Mapped[Decimal | None] = mapped_column(Price(), server_default="0")
    profit_loss: Mapped[Decimal | None] = mapped_column(Price(), server_default="0")
    profit_loss_percentage: Mapped[Decimal | None] = mapped_column(Percent(), server_default="0")
    fees: Mapped[Decimal | None] = mapped_column(Price(), server_default="0")
    confidence: Mapped[Decimal | None] = mapped_column(Percent())
    signal_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), server_default=NOW)
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str | None] = mapped_column(sa.String(20), server_default="PENDING")
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    exchange_response: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Engine columns (migration 0002): which bot, the deterministic id sent to the exchange,
    # why the order exists, the candle that produced it and an entry's quote budget.
    bot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bots.id"), index=True)
    client_order_id: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    tag: Mapped[str | None] = mapped_column(sa.String(20))
    candle_ts: Mapped[int | None] = mapped_column(sa.BigInteger)
    quote_amount: Mapped[Decimal | None] = mapped_column(Price())
    pair: Mapped[str | None] = mapped_column(sa.String(20))
    # Migration 0004: the exchange-clock ms `timestamp` of the latest send attempt, stored
    # before the request leaves (the bound on when that request can still execute).
    sent_ts: Mapped[int | None] = mapped_column(sa.BigInteger)


class PerformanceDaily(Base):
    """One user's results with one strategy on one day."""

    __tablename__ = "performance_daily"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "strategy_id", "date"),
        sa.Index("idx_performance_user_date", "user_id", "date"),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    strategy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("strategies.id"))
    date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    starting_balance: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    ending_balance: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    total_trades: Mapped[int | None] = mapped_column(sa.Integer, server_default="0")
    winning_trades: Mapped[int | None] = mapped_column(sa.Integer, server_default="0")
    losing_trades: Mapped[int | None] = mapped_column(sa.Integer, server_default="0")
    total_profit: Mapped[Decimal | None] = mapped_column(Price(), server_default="0")
    total_fees: Mapped[Decimal | None] = mapped_column(Price(), server_default="0")
    max_drawdown: Mapped[Decimal | None] = mapped_column(Percent(), server_default="0")
    sharpe_ratio: Mapped[Decimal | None] = mapped_column(Percent())
    roi_percentage: Mapped[Decimal | None] = mapped_column(Percent(), server_default="0")
    volatility: Mapped[Decimal | None] = mapped_column(Percent(), server_default="0")
    created_at: Mapped[datetime | None] = created_column()


class MarketData(Base):
    """One candle of one pair and timeframe."""

    __tablename__ = "market_data"
    __table_args__ = (
        sa.UniqueConstraint("trading_pair_id", "timestamp", "timeframe"),
        sa.Index("idx_market_data_symbol_time", "trading_pair_id", "timestamp"),
        sa.Index(
            "idx_market_data_symbol_timeframe_time", "trading_pair_id", "timeframe", "timestamp"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    trading_pair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trading_pairs.id"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    open_price: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    high_price: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    low_price: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    close_price: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    volume: Mapped[Decimal] = mapped_column(Price(), nullable=False)
    quote_volume: Mapped[Decimal | None] = mapped_column(Price())
    trades_count: Mapped[int | None] = mapped_column(sa.Integer)
    timeframe: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    created_at: Mapped[datetime | None] = created_column()


class AIModelPerformance(Base):
    """A trained model version and its out-of-sample scores (fractions, 0.53 = 53 %).

    At most one active model per pair and timeframe: a partial unique index (migration 0003).
    """

    __tablename__ = "ai_model_performance"
    __table_args__ = (
        sa.Index(
            "uq_ai_model_performance_active_pair_timeframe",
            "pair",
            "timeframe",
            unique=True,
            sqlite_where=sa.text("is_active"),
            postgresql_where=sa.text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    model_name: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    version: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    training_date: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    accuracy: Mapped[Decimal | None] = mapped_column(Percent())
    precision_score: Mapped[Decimal | None] = mapped_column(Percent())
    recall_score: Mapped[Decimal | None] = mapped_column(Percent())
    f1_score: Mapped[Decimal | None] = mapped_column(Percent())
    feature_importance: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    hyperparameters: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    training_data_size: Mapped[int | None] = mapped_column(sa.Integer)
    validation_score: Mapped[Decimal | None] = mapped_column(Percent())
    is_active: Mapped[bool | None] = mapped_column(sa.Boolean, server_default=sa.false())
    created_at: Mapped[datetime | None] = created_column()
    pair: Mapped[str | None] = mapped_column(sa.String(20))
    timeframe: Mapped[str | None] = mapped_column(sa.String(10))
    horizon: Mapped[int | None] = mapped_column(sa.Integer)
    artifact_path: Mapped[str | None] = mapped_column(sa.Text)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class SystemLog(Base):
    """An error or notable event kept in the database."""

    __tablename__ = "system_logs"
    __table_args__ = (sa.Index("idx_logs_timestamp", "timestamp"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    level: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    module: Mapped[str | None] = mapped_column(sa.String(50))
    function_name: Mapped[str | None] = mapped_column(sa.String(100))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    trade_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trades.id"))
    additional_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime(), server_default=NOW)
    ip_address: Mapped[str | None] = mapped_column(InetType)
    user_agent: Mapped[str | None] = mapped_column(sa.Text)


class Notification(Base):
    """A message to a user (dashboard, Telegram, ...)."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("idx_notifications_user_unread", "user_id", "is_read"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    is_read: Mapped[bool | None] = mapped_column(sa.Boolean, server_default=sa.false())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime | None] = created_column()
    delivery_method: Mapped[str | None] = mapped_column(sa.String(20), server_default="dashboard")
    priority: Mapped[str | None] = mapped_column(sa.String(10), server_default="normal")


class ApiKey(Base):
    """A user's exchange credentials, encrypted at rest."""

    __tablename__ = "api_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "exchange", "is_testnet"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    exchange: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    api_key_encrypted: Mapped[str] = mapped_column(sa.Text, nullable=False)
    secret_key_encrypted: Mapped[str] = mapped_column(sa.Text, nullable=False)
    passphrase_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    is_testnet: Mapped[bool | None] = mapped_column(sa.Boolean, server_default=sa.true())
    is_active: Mapped[bool | None] = mapped_column(sa.Boolean, server_default=sa.true())
    permissions: Mapped[list[str] | None] = mapped_column(
        JSONType, server_default=sa.text("'[\"spot\"]'")
    )
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime | None] = created_column()
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


SPEC_TABLES = (
    "users",
    "strategies",
    "trading_pairs",
    "trades",
    "performance_daily",
    "market_data",
    "ai_model_performance",
    "system_logs",
    "notifications",
    "api_keys",
)

SPEC_INDEXES = {
    "idx_trades_user_date": ("trades", ["user_id", "executed_at"]),
    "idx_trades_strategy_date": ("trades", ["strategy_id", "executed_at"]),
    "idx_trades_symbol_date": ("trades", ["trading_pair_id", "executed_at"]),
    "idx_performance_user_date": ("performance_daily", ["user_id", "date"]),
    "idx_market_data_symbol_time": ("market_data", ["trading_pair_id", "timestamp"]),
    "idx_logs_timestamp": ("system_logs", ["timestamp"]),
    "idx_notifications_user_unread": ("notifications", ["user_id", "is_read"]),
    "idx_trades_user_strategy_date": ("trades", ["user_id", "strategy_id", "executed_at"]),
    "idx_market_data_symbol_timeframe_time": (
        "market_data",
        ["trading_pair_id", "timeframe", "timestamp"],
    ),
}
