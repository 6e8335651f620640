"""Backtest services: run (with the honesty checks), record, and a user's own list and get."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from aurumbotx.backtest.runner import BacktestConfig
from aurumbotx.bootstrap import Container, build_container
from aurumbotx.config import get_settings
from aurumbotx.db import migrate
from aurumbotx.domain.errors import InvalidInputError, NotFoundError
from aurumbotx.ml.artifact import save_artifact
from aurumbotx.ml.registry import set_active
from aurumbotx.services import backtests
from aurumbotx.services.models import models_dir
from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy
from aurumbotx.testing.market import write_shared_csv
from aurumbotx.testing.models import BTC_FILE, btc_model


@pytest.fixture
def btc_file(tmp_path: Path) -> Path:
    return write_shared_csv(BTC_FILE, 1_500, tmp_path / "binance_BTC-USDT_1h.csv")


def request(file: Path, **options: object) -> backtests.BacktestRequest:
    values: dict[str, object] = {"lookahead_sample": 0} | options
    return backtests.BacktestRequest(
        "sma_cross",
        (str(file),),
        BacktestConfig(),
        **values,  # type: ignore[arg-type]
    )


def test_run_reports_stages_and_checks_lookahead(ctx: Container, btc_file: Path) -> None:
    stages: list[str] = []

    @contextmanager
    def stage(text: str) -> Iterator[None]:
        stages.append(text)
        yield

    run = backtests.run_backtest(ctx, request(btc_file, lookahead_sample=3), stage=stage)
    assert run.result.pairs == ["BTC/USDT"]
    assert run.result.metrics["total_trades"] > 0
    assert run.in_sample == ()
    assert stages[0] == "loading candles"
    assert stages[1].startswith("backtesting sma_cross")
    assert stages[2] == "checking a sample of signals for lookahead"
    assert len(run.lookahead_clean) == 1
    assert run.lookahead_clean[0].startswith("BTC/USDT: ")
    assert "BTC/USDT" in run.result.run_info["lookahead"]


def test_run_refuses_an_unknown_strategy(ctx: Container, btc_file: Path) -> None:
    bad = backtests.BacktestRequest("no_such_thing", (str(btc_file),), BacktestConfig())
    with pytest.raises(InvalidInputError, match="unknown strategy"):
        backtests.run_backtest(ctx, bad)


def test_ai_strategy_gets_the_installation_models_and_warns_in_sample(
    ctx: Container, btc_file: Path
) -> None:
    directory = models_dir(ctx.settings)
    artifact = btc_model()
    save_artifact(artifact, directory)
    set_active(directory, "BTC/USDT", "1h", artifact.version)
    strategy = backtests.build_strategy(ctx, "ai_adaptive", {}, model=artifact.version)
    assert isinstance(strategy, AiAdaptiveStrategy)
    assert strategy.directory == directory
    told: list[str] = []
    ai = backtests.BacktestRequest(
        "ai_adaptive", (str(btc_file),), BacktestConfig(), lookahead_sample=0
    )
    run = backtests.run_backtest(ctx, ai, on_in_sample=told.append)
    assert len(told) == 1
    assert told[0].startswith("IN-SAMPLE: BTC/USDT")
    assert run.in_sample == tuple(told)
    assert run.result.warnings[0] == told[0]


def test_record_list_and_get_are_the_owners(
    ctx: Container, users: tuple[int, int], btc_file: Path
) -> None:
    alice, bob = users
    run = backtests.run_backtest(ctx, request(btc_file))
    first = backtests.record_backtest(ctx, alice, run)
    second = backtests.record_backtest(ctx, alice, run)
    assert first.problem is None
    assert first.backtest is not None
    assert second.backtest is not None
    assert first.backtest.id != second.backtest.id
    assert first.backtest.strategy == "sma_cross"
    assert first.backtest.pairs == ("BTC/USDT",)
    assert first.backtest.metrics["total_trades"] == run.result.metrics["total_trades"]
    assert first.backtest.recorded_at is not None
    assert first.backtest.recorded_at <= datetime.now(UTC)

    listed = backtests.list_backtests(ctx, alice)
    assert [b.id for b in listed] == [second.backtest.id, first.backtest.id]
    assert backtests.get_backtest(ctx, alice, first.backtest.id) == first.backtest

    assert backtests.list_backtests(ctx, bob) == []
    with pytest.raises(NotFoundError) as foreign:
        backtests.get_backtest(ctx, bob, first.backtest.id)
    with pytest.raises(NotFoundError) as missing:
        backtests.get_backtest(ctx, bob, 999)
    assert str(foreign.value) == str(missing.value).replace("999", str(first.backtest.id))


def test_record_counts_the_run_in_the_strategy_row(
    ctx: Container, users: tuple[int, int], btc_file: Path
) -> None:
    alice, _ = users
    run = backtests.run_backtest(ctx, request(btc_file))
    backtests.record_backtest(ctx, None, run)  # the operator's: counted, nobody's
    backtests.record_backtest(ctx, alice, run)
    with ctx.engine.connect() as conn:
        usage, metrics = conn.execute(
            sa.text("SELECT usage_count, performance_metrics FROM strategies")
        ).one()
    history = json.loads(metrics) if isinstance(metrics, str) else metrics
    assert usage == 2
    assert history["last_backtest"]["metrics"]["total_trades"] == run.result.metrics["total_trades"]
    with ctx.engine.connect() as conn:
        owners = conn.execute(sa.text("SELECT user_id FROM backtests ORDER BY id")).scalars()
        assert list(owners) == [None, alice]
    assert len(backtests.list_backtests(ctx, alice)) == 1


def test_record_upgrades_the_embedded_database(btc_file: Path) -> None:
    box = build_container(get_settings())
    try:
        run = backtests.run_backtest(box, request(btc_file))
        recorded = backtests.record_backtest(box, None, run)
        assert recorded.problem is None
        assert migrate.current(box.engine) == migrate.head()
    finally:
        box.close()
