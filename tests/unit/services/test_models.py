"""Model services: train (each step), list, show, activate; and where models live."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aurumbotx.bootstrap import Container
from aurumbotx.db.engine import session_scope
from aurumbotx.db.repositories.models import ModelRepository
from aurumbotx.domain.errors import InvalidInputError, NoDataError, NotFoundError
from aurumbotx.ml.artifact import save_artifact
from aurumbotx.ml.registry import read_active
from aurumbotx.services import models
from aurumbotx.testing.market import write_shared_csv
from aurumbotx.testing.models import BTC_FILE, btc_model


def saved(ctx: Container) -> str:
    """The tiny BTC/USDT 1h model saved and recorded (inactive); its version."""
    artifact = btc_model()
    path = save_artifact(artifact, models.models_dir(ctx.settings))
    with session_scope(ctx.session_factory) as session:
        ModelRepository(session).add(artifact, path)
    return artifact.version


def test_models_live_under_the_home(ctx: Container) -> None:
    assert models.models_dir(ctx.settings) == ctx.settings.home / "models"


def test_list_show_activate(ctx: Container) -> None:
    assert models.list_models(ctx) == []
    version = saved(ctx)
    (listed,) = models.list_models(ctx)
    assert (listed.version, listed.pair, listed.timeframe) == (version, "BTC/USDT", "1h")
    assert listed.model_name == "test"
    assert listed.horizon == 12
    assert not listed.is_active
    assert models.list_models(ctx, pair="ETH/USDT") == []
    assert models.list_models(ctx, timeframe="1h") == [listed]

    shown = models.show_model(ctx, version)
    assert shown.meta["version"] == version
    assert not shown.active

    done = models.activate_model(ctx, version)
    assert done == models.Activation(version, "BTC/USDT", "1h", None)
    assert models.show_model(ctx, version).active
    assert models.list_models(ctx)[0].is_active
    assert read_active(models.models_dir(ctx.settings)) == {"BTC/USDT 1h": version}
    again = models.activate_model(ctx, version)
    assert again.previous == version


def test_unknown_versions_are_not_found(ctx: Container) -> None:
    with pytest.raises(NotFoundError):
        models.show_model(ctx, "20000101-000000-abcd")
    with pytest.raises(NotFoundError, match="no model version 20000101-000000-abcd"):
        models.activate_model(ctx, "20000101-000000-abcd")


def test_training_settings_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="--gradient-boosting must be hist or exact"):
        models.training_config("m", 2, "fast", 10, 0.001)
    with pytest.raises(InvalidInputError, match="--name must be 1 to 50 characters"):
        models.training_config(" ", 2, "hist", 10, 0.001)


def test_train_saves_and_records_an_inactive_model(ctx: Container, tmp_path: Path) -> None:
    file = write_shared_csv(BTC_FILE, 4_000, tmp_path / "binance_BTC-USDT_1h.csv")
    request = models.TrainRequest(
        data=str(file), horizon=12, vol_window=100, folds=2, n_estimators=4, name=" svc "
    )
    prepared = models.prepare_training(ctx, request)
    assert (prepared.pair, prepared.timeframe, prepared.name) == ("BTC/USDT", "1h", "svc")
    stages: list[tuple[int, str]] = []
    evaluation = models.evaluate_model(prepared, lambda fold, stage: stages.append((fold, stage)))
    assert [s for s in stages if s[1] == "done"] == [(1, "done"), (2, "done")]
    assert len(evaluation.folds) == 2
    artifact = models.final_model(prepared, evaluation)
    result = models.save_model(ctx, artifact)
    assert result.problem is None
    assert result.path == models.models_dir(ctx.settings) / artifact.version
    (listed,) = models.list_models(ctx)
    assert (listed.version, listed.model_name, listed.is_active) == (artifact.version, "svc", False)


def test_train_refuses_an_empty_window(ctx: Container, tmp_path: Path) -> None:
    file = write_shared_csv(BTC_FILE, 300, tmp_path / "binance_BTC-USDT_1h.csv")
    late = datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(NoDataError, match="no candles between 2030-01-01 and the end"):
        models.prepare_training(ctx, models.TrainRequest(data=str(file), start=late))
    with pytest.raises(InvalidInputError, match="--to must be after --from"):
        models.prepare_training(
            ctx,
            models.TrainRequest(data=str(file), start=late, end=datetime(2029, 1, 1, tzinfo=UTC)),
        )
