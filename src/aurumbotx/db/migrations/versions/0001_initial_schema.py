"""Initial schema: the spec's ten tables, with NOTES.md's corrections

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aurumbotx.db.types import BigIntPK, DecimalType, InetType, JSONType, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "ai_model_performance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=50), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("training_date", UTCDateTime(), nullable=False),
        sa.Column("accuracy", DecimalType(precision=18, scale=6), nullable=True),
        sa.Column("precision_score", DecimalType(precision=18, scale=6), nullable=True),
        sa.Column("recall_score", DecimalType(precision=18, scale=6), nullable=True),
        sa.Column("f1_score", DecimalType(precision=18, scale=6), nullable=True),
        sa.Column("feature_importance", JSONType, nullable=True),
        sa.Column("hyperparameters", JSONType, nullable=True),
        sa.Column("training_data_size", sa.Integer(), nullable=True),
        sa.Column("validation_score", DecimalType(precision=18, scale=6), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_model_performance")),
    )
    op.create_table(
        "trading_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("base_asset", sa.String(length=10), nullable=False),
        sa.Column("quote_asset", sa.String(length=10), nullable=False),
        sa.Column("exchange", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=True),
        sa.Column("min_trade_amount", DecimalType(precision=28, scale=12), nullable=True),
        sa.Column("max_trade_amount", DecimalType(precision=28, scale=12), nullable=True),
        sa.Column("price_precision", sa.Integer(), server_default="2", nullable=True),
        sa.Column("quantity_precision", sa.Integer(), server_default="8", nullable=True),
        sa.Column(
            "trading_fees",
            DecimalType(precision=18, scale=6),
            server_default="0.001",
            nullable=True,
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_pairs")),
        sa.UniqueConstraint("symbol", name=op.f("uq_trading_pairs_symbol")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("premium_status", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column("premium_expires", UTCDateTime(), nullable=True),
        sa.Column("api_key_hash", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("last_login", UTCDateTime(), nullable=True),
        sa.Column("login_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column(
            "total_profit", DecimalType(precision=28, scale=12), server_default="0", nullable=True
        ),
        sa.Column("total_trades", sa.Integer(), server_default="0", nullable=True),
        sa.Column(
            "win_rate", DecimalType(precision=18, scale=6), server_default="0", nullable=True
        ),
        sa.Column(
            "max_drawdown", DecimalType(precision=18, scale=6), server_default="0", nullable=True
        ),
        sa.Column("risk_tolerance", sa.String(length=20), server_default="medium", nullable=True),
        sa.Column(
            "preferred_strategy",
            sa.String(length=50),
            server_default="swing_trading",
            nullable=True,
        ),
        sa.Column(
            "notification_preferences", JSONType, server_default=sa.text("'{}'"), nullable=True
        ),
        sa.Column("kyc_status", sa.String(length=20), server_default="pending", nullable=True),
        sa.Column("kyc_documents", JSONType, server_default=sa.text("'[]'"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("exchange", sa.String(length=20), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=False),
        sa.Column("secret_key_encrypted", sa.Text(), nullable=False),
        sa.Column("passphrase_encrypted", sa.Text(), nullable=True),
        sa.Column("is_testnet", sa.Boolean(), server_default=sa.true(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=True),
        sa.Column("permissions", JSONType, server_default=sa.text("'[\"spot\"]'"), nullable=True),
        sa.Column("last_used", UTCDateTime(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint(
            "user_id",
            "exchange",
            "is_testnet",
            name=op.f("uq_api_keys_user_id_exchange_is_testnet"),
        ),
    )
    op.create_table(
        "market_data",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("trading_pair_id", sa.Integer(), nullable=True),
        sa.Column("timestamp", UTCDateTime(), nullable=False),
        sa.Column("open_price", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("high_price", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("low_price", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("close_price", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("volume", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("quote_volume", DecimalType(precision=28, scale=12), nullable=True),
        sa.Column("trades_count", sa.Integer(), nullable=True),
        sa.Column("timeframe", sa.String(length=10), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["trading_pair_id"],
            ["trading_pairs.id"],
            name=op.f("fk_market_data_trading_pair_id_trading_pairs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_data")),
        sa.UniqueConstraint(
            "trading_pair_id",
            "timestamp",
            "timeframe",
            name=op.f("uq_market_data_trading_pair_id_timestamp_timeframe"),
        ),
    )
    with op.batch_alter_table("market_data", schema=None) as batch_op:
        batch_op.create_index(
            "idx_market_data_symbol_time", ["trading_pair_id", "timestamp"], unique=False
        )
        batch_op.create_index(
            "idx_market_data_symbol_timeframe_time",
            ["trading_pair_id", "timeframe", "timestamp"],
            unique=False,
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", JSONType, nullable=True),
        sa.Column("is_read", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column(
            "delivery_method", sa.String(length=20), server_default="dashboard", nullable=True
        ),
        sa.Column("priority", sa.String(length=10), server_default="normal", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("idx_notifications_user_unread", ["user_id", "is_read"], unique=False)

    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("parameters", JSONType, nullable=False),
        sa.Column("performance_metrics", JSONType, server_default=sa.text("'{}'"), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("creator_id", sa.Integer(), nullable=True),
        sa.Column("usage_count", sa.Integer(), server_default="0", nullable=True),
        sa.Column(
            "avg_performance", DecimalType(precision=18, scale=6), server_default="0", nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_strategies_creator_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("name", name=op.f("uq_strategies_name")),
    )
    op.create_table(
        "performance_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("starting_balance", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("ending_balance", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("total_trades", sa.Integer(), server_default="0", nullable=True),
        sa.Column("winning_trades", sa.Integer(), server_default="0", nullable=True),
        sa.Column("losing_trades", sa.Integer(), server_default="0", nullable=True),
        sa.Column(
            "total_profit", DecimalType(precision=28, scale=12), server_default="0", nullable=True
        ),
        sa.Column(
            "total_fees", DecimalType(precision=28, scale=12), server_default="0", nullable=True
        ),
        sa.Column(
            "max_drawdown", DecimalType(precision=18, scale=6), server_default="0", nullable=True
        ),
        sa.Column("sharpe_ratio", DecimalType(precision=18, scale=6), nullable=True),
        sa.Column(
            "roi_percentage", DecimalType(precision=18, scale=6), server_default="0", nullable=True
        ),
        sa.Column(
            "volatility", DecimalType(precision=18, scale=6), server_default="0", nullable=True
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_performance_daily_strategy_id_strategies"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_performance_daily_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_performance_daily")),
        sa.UniqueConstraint(
            "user_id",
            "strategy_id",
            "date",
            name=op.f("uq_performance_daily_user_id_strategy_id_date"),
        ),
    )
    with op.batch_alter_table("performance_daily", schema=None) as batch_op:
        batch_op.create_index("idx_performance_user_date", ["user_id", "date"], unique=False)

    op.create_table(
        "trades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        sa.Column("trading_pair_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.String(length=100), nullable=True),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("order_type", sa.String(length=20), server_default="MARKET", nullable=True),
        sa.Column("amount", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("price", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column(
            "filled_amount", DecimalType(precision=28, scale=12), server_default="0", nullable=True
        ),
        sa.Column(
            "filled_price", DecimalType(precision=28, scale=12), server_default="0", nullable=True
        ),
        sa.Column(
            "profit_loss", DecimalType(precision=28, scale=12), server_default="0", nullable=True
        ),
        sa.Column(
            "profit_loss_percentage",
            DecimalType(precision=18, scale=6),
            server_default="0",
            nullable=True,
        ),
        sa.Column("fees", DecimalType(precision=28, scale=12), server_default="0", nullable=True),
        sa.Column("confidence", DecimalType(precision=18, scale=6), nullable=True),
        sa.Column("signal_data", JSONType, nullable=True),
        sa.Column(
            "executed_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("filled_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="PENDING", nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("exchange_response", JSONType, nullable=True),
        sa.CheckConstraint("side IN ('BUY', 'SELL')", name=op.f("ck_trades_side")),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_trades_strategy_id_strategies")
        ),
        sa.ForeignKeyConstraint(
            ["trading_pair_id"],
            ["trading_pairs.id"],
            name=op.f("fk_trades_trading_pair_id_trading_pairs"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_trades_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
    )
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.create_index(
            "idx_trades_strategy_date", ["strategy_id", "executed_at"], unique=False
        )
        batch_op.create_index(
            "idx_trades_symbol_date", ["trading_pair_id", "executed_at"], unique=False
        )
        batch_op.create_index("idx_trades_user_date", ["user_id", "executed_at"], unique=False)
        batch_op.create_index(
            "idx_trades_user_strategy_date", ["user_id", "strategy_id", "executed_at"], unique=False
        )

    op.create_table(
        "system_logs",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("module", sa.String(length=50), nullable=True),
        sa.Column("function_name", sa.String(length=100), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("trade_id", sa.Integer(), nullable=True),
        sa.Column("additional_data", JSONType, nullable=True),
        sa.Column(
            "timestamp", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("ip_address", InetType, nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_system_logs_trade_id_trades")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_system_logs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system_logs")),
    )
    with op.batch_alter_table("system_logs", schema=None) as batch_op:
        batch_op.create_index("idx_logs_timestamp", ["timestamp"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("system_logs", schema=None) as batch_op:
        batch_op.drop_index("idx_logs_timestamp")

    op.drop_table("system_logs")
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_index("idx_trades_user_strategy_date")
        batch_op.drop_index("idx_trades_user_date")
        batch_op.drop_index("idx_trades_symbol_date")
        batch_op.drop_index("idx_trades_strategy_date")

    op.drop_table("trades")
    with op.batch_alter_table("performance_daily", schema=None) as batch_op:
        batch_op.drop_index("idx_performance_user_date")

    op.drop_table("performance_daily")
    op.drop_table("strategies")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("idx_notifications_user_unread")

    op.drop_table("notifications")
    with op.batch_alter_table("market_data", schema=None) as batch_op:
        batch_op.drop_index("idx_market_data_symbol_timeframe_time")
        batch_op.drop_index("idx_market_data_symbol_time")

    op.drop_table("market_data")
    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_table("trading_pairs")
    op.drop_table("ai_model_performance")
