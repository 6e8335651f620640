"""Engine tables: bots, order fills, paper balances, bot days; trades engine columns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aurumbotx.db.types import DecimalType, JSONType, UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "bots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("strategy", sa.String(length=500), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        sa.Column("parameters", JSONType, nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=True),
        sa.Column("pairs", JSONType, nullable=False),
        sa.Column("timeframe", sa.String(length=10), nullable=False),
        sa.Column("capital", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("risk_percentage", DecimalType(precision=18, scale=6), nullable=False),
        sa.Column("risk_limits", JSONType, nullable=True),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("feed", sa.String(length=500), server_default="live", nullable=False),
        sa.Column("speed", sa.String(length=20), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="created", nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("last_candle_ts", sa.BigInteger(), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("mode IN ('paper', 'live')", name=op.f("ck_bots_mode")),
        sa.CheckConstraint(
            "status IN ('created', 'reconciling', 'running', 'stopping', 'stopped', 'halted')",
            name=op.f("ck_bots_status"),
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_bots_api_key_id_api_keys")
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_bots_strategy_id_strategies")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_bots_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bots")),
    )
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.create_index("idx_bots_user_status", ["user_id", "status"], unique=False)

    op.create_table(
        "bot_daily",
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("starting_balance", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("ending_balance", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("peak_balance", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column(
            "max_drawdown", DecimalType(precision=18, scale=6), server_default="0", nullable=False
        ),
        sa.Column("total_trades", sa.Integer(), server_default="0", nullable=False),
        sa.Column("winning_trades", sa.Integer(), server_default="0", nullable=False),
        sa.Column("losing_trades", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "total_profit", DecimalType(precision=28, scale=12), server_default="0", nullable=False
        ),
        sa.Column(
            "total_fees", DecimalType(precision=28, scale=12), server_default="0", nullable=False
        ),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_bot_daily_bot_id_bots")),
        sa.PrimaryKeyConstraint("bot_id", "date", name=op.f("pk_bot_daily")),
    )
    op.create_table(
        "paper_balances",
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(length=20), nullable=False),
        sa.Column("amount", DecimalType(precision=28, scale=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"], ["bots.id"], name=op.f("fk_paper_balances_bot_id_bots")
        ),
        sa.PrimaryKeyConstraint("bot_id", "asset", name=op.f("pk_paper_balances")),
    )
    op.create_table(
        "order_fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trade_id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=True),
        sa.Column("exchange_trade_id", sa.String(length=64), nullable=False),
        sa.Column("amount", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("price", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("fee", DecimalType(precision=28, scale=12), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.ForeignKeyConstraint(["bot_id"], ["bots.id"], name=op.f("fk_order_fills_bot_id_bots")),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name=op.f("fk_order_fills_trade_id_trades")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_fills")),
        sa.UniqueConstraint(
            "trade_id", "exchange_trade_id", name=op.f("uq_order_fills_trade_id_exchange_trade_id")
        ),
    )
    with op.batch_alter_table("order_fills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_fills_bot_id"), ["bot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_fills_trade_id"), ["trade_id"], unique=False)

    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bot_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_order_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("tag", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("candle_ts", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("quote_amount", DecimalType(precision=28, scale=12), nullable=True)
        )
        batch_op.add_column(sa.Column("pair", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_trades_bot_id"), ["bot_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_trades_client_order_id"), ["client_order_id"]
        )
        batch_op.create_foreign_key(batch_op.f("fk_trades_bot_id_bots"), "bots", ["bot_id"], ["id"])


def downgrade() -> None:

    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_trades_bot_id_bots"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_trades_client_order_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_trades_bot_id"))
        batch_op.drop_column("pair")
        batch_op.drop_column("quote_amount")
        batch_op.drop_column("candle_ts")
        batch_op.drop_column("tag")
        batch_op.drop_column("client_order_id")
        batch_op.drop_column("bot_id")

    with op.batch_alter_table("order_fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_fills_trade_id"))
        batch_op.drop_index(batch_op.f("ix_order_fills_bot_id"))

    op.drop_table("order_fills")
    op.drop_table("paper_balances")
    op.drop_table("bot_daily")
    with op.batch_alter_table("bots", schema=None) as batch_op:
        batch_op.drop_index("idx_bots_user_status")

    op.drop_table("bots")
