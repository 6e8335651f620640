"""The model registry on SQLite and PostgreSQL: one active model per pair and timeframe."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.db import migrate
from aurumbotx.db.engine import (
    create_db_engine,
    make_session_factory,
    session_scope,
    translate_errors,
)
from aurumbotx.db.models import AIModelPerformance
from aurumbotx.db.repositories.models import ModelRepository, activate_model, row_summary
from aurumbotx.domain.errors import AlreadyExistsError, NotFoundError, PersistenceError
from aurumbotx.features import FEATURE_COLUMNS
from aurumbotx.ml.artifact import ARTIFACT_FORMAT, ModelArtifact
from aurumbotx.ml.registry import active_version, read_active


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    eng = create_db_engine(url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: sa.Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def make_meta(version: str, pair: str = "BTC/USDT", timeframe: str = "1h") -> dict[str, Any]:
    return {
        "format": ARTIFACT_FORMAT,
        "version": version,
        "model_name": "ensemble",
        "pair": pair,
        "timeframe": timeframe,
        "trained_at": datetime(2025, 1, 1, 12, tzinfo=UTC).isoformat(),
        "features": list(FEATURE_COLUMNS),
        "target": {"horizon": 24, "vol_window": 168, "scale": 2.0},
        "hyperparameters": {"weights": {"random_forest": 1.0}, "threshold": 0.3},
        "training_data": {"labelled_rows": 1234},
        "validation": {"directional_accuracy": 0.52},
        "walk_forward": {
            "overall": {"directional_accuracy": 0.513, "precision": 0.4, "recall": 0.1, "f1": 0.16},
            "folds": [{"fold": 1}],
        },
        "feature_importance": {"rsi_14": 0.5},
    }


def add(factory: sessionmaker[Session], models_dir: Path, version: str, **kw: str) -> None:
    """A row and the artifact's meta.json (what activation and resolution read)."""
    meta = make_meta(version, **kw)
    directory = models_dir / version
    directory.mkdir(parents=True)
    (directory / "meta.json").write_text(json.dumps(meta))
    artifact = ModelArtifact(meta, None, None)  # type: ignore[arg-type]
    with session_scope(factory) as session:
        ModelRepository(session).add(artifact, directory)


def active_versions(factory: sessionmaker[Session]) -> list[str]:
    with session_scope(factory) as session:
        rows = session.scalars(
            sa.select(AIModelPerformance.version).where(AIModelPerformance.is_active.is_(True))
        )
        return sorted(rows)


A, B, C = "20250101-000000-aaaa", "20250102-000000-bbbb", "20250103-000000-cccc"


def test_row_holds_fractions_metrics_and_the_artifact(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    add(factory, tmp_path, A)
    with session_scope(factory) as session:
        row = ModelRepository(session).get(A)
        assert row is not None
        assert row.accuracy == Decimal("0.513")
        assert row.f1_score == Decimal("0.16")
        assert row.validation_score == Decimal("0.52")
        assert row.training_data_size == 1234
        assert (row.pair, row.timeframe, row.horizon) == ("BTC/USDT", "1h", 24)
        assert row.metrics is not None
        assert row.metrics["folds"] == [{"fold": 1}]
        assert row.feature_importance == {"rsi_14": 0.5}
        assert row.artifact_path == str(tmp_path / A)
        assert row.is_active is False
        assert row_summary(row)["accuracy"] == 0.513


def test_activate_switches_the_one_active_model(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    add(factory, tmp_path, A)
    add(factory, tmp_path, B)
    add(factory, tmp_path, C, pair="ETH/USDT")
    row, previous = activate_model(factory, tmp_path, A)
    assert (row.version, previous) == (A, None)
    row, previous = activate_model(factory, tmp_path, B)
    assert (row.version, previous) == (B, A)
    activate_model(factory, tmp_path, C)
    assert active_versions(factory) == [B, C]
    assert read_active(tmp_path) == {"BTC/USDT 1h": B, "ETH/USDT 1h": C}
    # Activating the active one again changes nothing.
    assert activate_model(factory, tmp_path, B)[1] == B
    assert active_versions(factory) == [B, C]
    with session_scope(factory) as session:
        repo = ModelRepository(session)
        assert [r.version for r in repo.list(pair="BTC/USDT")] == [B, A]
        assert len(repo.list()) == 3
        assert repo.list(timeframe="4h") == []
        active = repo.active("BTC/USDT", "1h")
        assert active is not None
        assert active.version == B


def test_the_database_refuses_two_active_models_of_one_pair(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    add(factory, tmp_path, A)
    add(factory, tmp_path, B)
    activate_model(factory, tmp_path, A)
    second_active = (
        sa.update(AIModelPerformance).where(AIModelPerformance.version == B).values(is_active=True)
    )
    with session_scope(factory) as session, pytest.raises(AlreadyExistsError), translate_errors():
        session.execute(second_active)
    assert active_versions(factory) == [A]


def test_a_failed_activation_changes_neither_the_database_nor_active_json(
    engine: sa.Engine, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    add(factory, tmp_path, A)
    add(factory, tmp_path, B)
    activate_model(factory, tmp_path, A)
    with pytest.raises(NotFoundError):
        activate_model(factory, tmp_path, C)

    class CommitFails(Session):
        def commit(self) -> None:
            raise sa.exc.OperationalError("COMMIT", {}, Exception("disk I/O error"))

    failing = sessionmaker(bind=engine, class_=CommitFails, expire_on_commit=False)
    with pytest.raises(PersistenceError):
        activate_model(failing, tmp_path, B)
    assert active_versions(factory) == [A]
    assert read_active(tmp_path) == {"BTC/USDT 1h": A}


def test_strategies_find_what_was_activated_without_the_database(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    add(factory, tmp_path, A)
    add(factory, tmp_path, B)
    activate_model(factory, tmp_path, B)
    assert active_version(tmp_path, "BTC/USDT", "1h") == B
    with pytest.raises(NotFoundError):
        active_version(tmp_path, "BTC/USDT", "4h")
