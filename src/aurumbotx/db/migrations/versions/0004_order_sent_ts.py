"""trades.sent_ts: the exchange-clock timestamp (ms) of an order's latest send attempt, stored
before the request leaves; a restart waits until that request can no longer execute
(sent_ts + recvWindow + a clock margin) before it may send the order again

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_ts", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.drop_column("sent_ts")
