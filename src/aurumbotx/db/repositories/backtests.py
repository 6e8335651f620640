"""Recorded backtests (`backtests`), always read through their owner."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aurumbotx.db.models import Backtest


class BacktestRepository:
    """Writes and reads `backtests` rows inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        user_id: int | None,
        strategy_id: int | None,
        run: dict[str, Any],
        metrics: dict[str, Any],
    ) -> Backtest:
        """Record a run (its JSON report's `run` and `metrics`)."""
        row = Backtest(
            user_id=user_id,
            strategy_id=strategy_id,
            strategy=str(run.get("strategy")),
            timeframe=str(run.get("timeframe")),
            run=run,
            metrics=metrics,
        )
        self.session.add(row)
        self.session.flush()
        self.session.refresh(row)  # created_at, filled by the database
        return row

    def of_user(self, user_id: int) -> list[Backtest]:
        """The user's recorded backtests, newest first."""
        query = (
            sa.select(Backtest)
            .where(Backtest.user_id == user_id)
            .order_by(Backtest.created_at.desc(), Backtest.id.desc())
        )
        return list(self.session.scalars(query))

    def get(self, user_id: int, backtest_id: int) -> Backtest | None:
        """The user's backtest with this id; None when missing or someone else's."""
        return self.session.scalar(
            sa.select(Backtest).where(Backtest.id == backtest_id, Backtest.user_id == user_id)
        )
