"""Model registry: pair, timeframe, horizon, artifact path and metrics on ai_model_performance;
at most one active model per pair and timeframe (partial unique index)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aurumbotx.db.types import JSONType

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_ai_model_performance_active_pair_timeframe"


def upgrade() -> None:
    with op.batch_alter_table("ai_model_performance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pair", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("timeframe", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("horizon", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("artifact_path", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("metrics", JSONType, nullable=True))
    op.create_index(
        INDEX,
        "ai_model_performance",
        ["pair", "timeframe"],
        unique=True,
        sqlite_where=sa.text("is_active"),
        postgresql_where=sa.text("is_active"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="ai_model_performance")
    with op.batch_alter_table("ai_model_performance", schema=None) as batch_op:
        batch_op.drop_column("metrics")
        batch_op.drop_column("artifact_path")
        batch_op.drop_column("horizon")
        batch_op.drop_column("timeframe")
        batch_op.drop_column("pair")
