"""`ai_model_performance`: one row per trained model version; one active per pair/timeframe.

Scores are fractions (0.53 = 53 %), never percentages: ``accuracy`` is the pooled
out-of-sample directional accuracy of the walk-forward evaluation; ``precision_score``,
``recall_score`` and ``f1_score`` the mean of its BUY and SELL values; ``validation_score`` the
directional accuracy of the final model on its validation tail. ``metrics`` holds every
walk-forward number (per fold and overall).

`activate_model` switches the active version of a pair/timeframe in one transaction (the
previous one is deactivated first, so the partial unique index is never violated) and updates
the models directory's active.json in the same operation: written before the commit, put back
as it was if the commit fails.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.db.engine import session_scope
from aurumbotx.db.models import AIModelPerformance
from aurumbotx.domain.errors import ModelError, NotFoundError
from aurumbotx.ml.artifact import ModelArtifact
from aurumbotx.ml.registry import read_active, set_active, write_active


class ModelRepository:
    """Reads and writes `ai_model_performance` rows inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, artifact: ModelArtifact, artifact_path: Path) -> AIModelPerformance:
        """The row of a saved artifact (inactive)."""
        meta = artifact.meta
        overall = meta.get("walk_forward", {}).get("overall", {})
        row = AIModelPerformance(
            model_name=str(meta["model_name"])[:50],
            version=artifact.version,
            training_date=datetime.fromisoformat(meta["trained_at"]),
            accuracy=_fraction(overall.get("directional_accuracy")),
            precision_score=_fraction(overall.get("precision")),
            recall_score=_fraction(overall.get("recall")),
            f1_score=_fraction(overall.get("f1")),
            feature_importance=meta.get("feature_importance"),
            hyperparameters=meta.get("hyperparameters"),
            training_data_size=int(meta["training_data"]["labelled_rows"]),
            validation_score=_fraction(meta.get("validation", {}).get("directional_accuracy")),
            is_active=False,
            pair=artifact.pair,
            timeframe=artifact.timeframe,
            horizon=int(meta["target"]["horizon"]),
            artifact_path=str(artifact_path),
            metrics=meta.get("walk_forward"),
        )
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, version: str) -> AIModelPerformance | None:
        """The row of a version, or None."""
        query = sa.select(AIModelPerformance).where(AIModelPerformance.version == version)
        return self.session.scalars(query.order_by(AIModelPerformance.id.desc())).first()

    def list(
        self, pair: str | None = None, timeframe: str | None = None
    ) -> list[AIModelPerformance]:
        """Rows, newest first, optionally of one pair and/or timeframe."""
        query = sa.select(AIModelPerformance)
        if pair is not None:
            query = query.where(AIModelPerformance.pair == pair)
        if timeframe is not None:
            query = query.where(AIModelPerformance.timeframe == timeframe)
        order = (AIModelPerformance.training_date.desc(), AIModelPerformance.id.desc())
        return list(self.session.scalars(query.order_by(*order)))

    def active(self, pair: str, timeframe: str) -> AIModelPerformance | None:
        """The active row of a pair and timeframe, or None."""
        query = sa.select(AIModelPerformance).where(
            AIModelPerformance.pair == pair,
            AIModelPerformance.timeframe == timeframe,
            AIModelPerformance.is_active.is_(True),
        )
        return self.session.scalars(query).first()

    def activate(self, version: str) -> tuple[AIModelPerformance, str | None]:
        """Make `version` the active row of its pair/timeframe; (row, previous version)."""
        row = self.get(version)
        if row is None:
            raise NotFoundError(f"no model version {version} in the database")
        if row.pair is None or row.timeframe is None:
            raise ModelError(f"model {version} has no pair/timeframe recorded")
        previous = self.active(row.pair, row.timeframe)
        if previous is not None and previous.id != row.id:
            previous.is_active = False
            self.session.flush()  # before the new one: the partial unique index checks each
        row.is_active = True
        self.session.flush()
        return row, previous.version if previous is not None else None


def activate_model(
    session_factory: sessionmaker[Session], models_dir: Path, version: str
) -> tuple[AIModelPerformance, str | None]:
    """Activate `version` in the database and in active.json together; (row, previous)."""
    saved = read_active(models_dir)
    written = False
    try:
        with session_scope(session_factory) as session:
            row, previous = ModelRepository(session).activate(version)
            set_active(models_dir, str(row.pair), str(row.timeframe), version)
            written = True
    except BaseException:
        if written:
            write_active(models_dir, saved)
        raise
    return row, previous


def row_summary(row: AIModelPerformance) -> dict[str, Any]:
    """The columns people look at, JSON-ready."""
    return {
        "version": row.version,
        "model_name": row.model_name,
        "pair": row.pair,
        "timeframe": row.timeframe,
        "horizon": row.horizon,
        "training_date": row.training_date.isoformat() if row.training_date else None,
        "accuracy": _float(row.accuracy),
        "precision_score": _float(row.precision_score),
        "recall_score": _float(row.recall_score),
        "f1_score": _float(row.f1_score),
        "validation_score": _float(row.validation_score),
        "training_data_size": row.training_data_size,
        "is_active": bool(row.is_active),
        "artifact_path": row.artifact_path,
    }


def _fraction(value: Any) -> float | None:
    return round(float(value), 6) if isinstance(value, int | float) else None


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None
