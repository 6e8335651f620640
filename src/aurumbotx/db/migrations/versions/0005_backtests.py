"""backtests: recorded backtests with their owner (user_id), strategy, run and metrics

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aurumbotx.db.types import JSONType, UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backtests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("strategy_id", sa.Integer(), nullable=True),
        sa.Column("strategy", sa.String(length=100), nullable=False),
        sa.Column("timeframe", sa.String(length=10), nullable=False),
        sa.Column("run", JSONType, nullable=False),
        sa.Column("metrics", JSONType, nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=True
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_backtests_user_id_users")),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_backtests_strategy_id_strategies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtests")),
    )
    op.create_index("idx_backtests_user_created", "backtests", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("idx_backtests_user_created", table_name="backtests")
    op.drop_table("backtests")
