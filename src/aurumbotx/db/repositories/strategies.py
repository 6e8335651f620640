"""`strategies` table: usage and performance of each strategy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from aurumbotx.db.models import Strategy as StrategyRow
from aurumbotx.domain.values import float_to_decimal


class StrategyRepository:
    """Reads and writes `strategies` rows inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_or_create(self, name: str, description: str, parameters: dict[str, Any]) -> StrategyRow:
        """The row of strategy `name`, created with its default parameters when missing."""
        row = self.session.scalar(sa.select(StrategyRow).where(StrategyRow.name == name))
        if row is None:
            row = StrategyRow(name=name, description=description, parameters=parameters)
            self.session.add(row)
            self.session.flush()
        return row

    def record_run(
        self,
        name: str,
        description: str,
        default_parameters: dict[str, Any],
        run: dict[str, Any],
        roi_percentage: float | None,
    ) -> StrategyRow:
        """Count one more use and keep the run's metrics; `avg_performance` is the mean ROI %."""
        row = self.get_or_create(name, description, default_parameters)
        uses = (row.usage_count or 0) + 1
        if roi_percentage is not None:
            previous = row.avg_performance or Decimal(0)
            roi = float_to_decimal(roi_percentage)
            row.avg_performance = previous + (roi - previous) / uses
        row.usage_count = uses
        history = dict(row.performance_metrics or {})
        history["last_backtest"] = run
        history["backtests"] = uses
        row.performance_metrics = history
        self.session.flush()
        return row
