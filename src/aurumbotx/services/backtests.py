"""Backtest use cases: run one (with its honesty checks), record it, list and get a user's.

A recorded run is a `backtests` row with its owner's id, and is also counted in its strategy's
`strategies` row (usage, mean ROI, last run). `list_backtests` and `get_backtest` return only
the acting user's runs; another user's run is "not found", exactly like a missing one. A run
recorded without a user (the operator's CLI) belongs to nobody.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aurumbotx.domain.errors import NotFoundError

if TYPE_CHECKING:
    import pandas as pd

    from aurumbotx.backtest.result import BacktestResult
    from aurumbotx.backtest.runner import BacktestConfig
    from aurumbotx.db.models import Backtest
    from aurumbotx.services.context import ServiceContext
    from aurumbotx.strategies.base import Strategy

LOOKAHEAD_SAMPLE = 10

#: Shows a long step to the user: called with a description, used as a context manager.
Stage = Callable[[str], AbstractContextManager[object]]


def _quiet(description: str) -> AbstractContextManager[object]:
    return nullcontext()


@dataclass(frozen=True)
class BacktestRequest:
    """A strategy, the candles it trades (files or store pairs) and the run's settings."""

    strategy: str
    data: tuple[str, ...]
    config: BacktestConfig
    timeframe: str | None = None
    exchange: str = "binance"
    params: Mapping[str, object] = field(default_factory=dict)
    model: str | None = None
    lookahead_sample: int = LOOKAHEAD_SAMPLE


@dataclass(frozen=True)
class BacktestRun:
    """A finished run: the result, the strategy run, and what the lookahead check found.

    `in_sample` warnings (already at the head of `result.warnings`) and `lookahead_clean` (one
    "pair: summary" per pair without a bias) are kept apart for callers that show them apart.
    """

    result: BacktestResult
    strategy: Strategy
    in_sample: tuple[str, ...] = ()
    lookahead_clean: tuple[str, ...] = ()


@dataclass(frozen=True)
class BacktestSummary:
    """A recorded backtest as its owner sees it."""

    id: int
    recorded_at: datetime | None
    strategy: str
    params: Mapping[str, Any]
    pairs: tuple[str, ...]
    timeframe: str
    start: datetime | None
    end: datetime | None
    metrics: Mapping[str, Any]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recorded:
    """The recorded run, or why it could not be recorded."""

    backtest: BacktestSummary | None
    problem: str | None = None


def run_backtest(
    ctx: ServiceContext,
    request: BacktestRequest,
    *,
    stage: Stage = _quiet,
    on_in_sample: Callable[[str], None] | None = None,
) -> BacktestRun:
    """Load the candles, run the strategy, flag in-sample AI models and lookahead bias."""
    from aurumbotx.backtest.runner import check_timeframe
    from aurumbotx.backtest.runner import run_backtest as run
    from aurumbotx.services.data import load_candles
    from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy

    chosen = build_strategy(ctx, request.strategy, request.params, request.model)
    with stage("loading candles"):
        loaded = load_candles(ctx.settings, request.data, request.timeframe, request.exchange)
        check_timeframe(dict(loaded.frames), loaded.timeframe)
    config = replace(request.config, market_rules=dict(loaded.market_rules))
    frames = dict(loaded.frames)
    in_sample: list[str] = []
    if isinstance(chosen, AiAdaptiveStrategy):
        # Told before the run, so that nobody reads flattered numbers first.
        in_sample = chosen.in_sample_warnings(frames, config.start, config.end)
        if on_in_sample is not None:
            for warning in in_sample:
                on_in_sample(warning)
    with stage(f"backtesting {chosen.describe()}"):
        result = run(chosen, frames, loaded.timeframe, config)
    result.warnings[:0] = in_sample
    clean: list[str] = []
    if request.lookahead_sample:
        with stage("checking a sample of signals for lookahead"):
            clean = _sample_lookahead(chosen, frames, result, request.lookahead_sample)
    return BacktestRun(result, chosen, tuple(in_sample), tuple(clean))


def build_strategy(
    ctx: ServiceContext, name: str, params: Mapping[str, object], model: str | None = None
) -> Strategy:
    """The named strategy with its parameters checked; AI ones find the installation's models."""
    from aurumbotx.services.models import models_dir
    from aurumbotx.strategies.registry import create_strategy

    values = dict(params)
    if model is not None:
        values["model"] = model
    return create_strategy(name, values, models_dir=models_dir(ctx.settings))


def _sample_lookahead(
    chosen: Strategy, frames: dict[str, pd.DataFrame], result: BacktestResult, sample: int
) -> list[str]:
    """Re-check a spread sample of signals per pair; a bias becomes a warning of the result."""
    from aurumbotx.backtest.lookahead import check_lookahead

    clean = []
    for pair, frame in frames.items():
        check = check_lookahead(chosen, frame, max_signals=sample, extra_candles=3)
        result.run_info.setdefault("lookahead", {})[pair] = check.summary()
        if check.biased:
            result.warnings.append(f"{pair}: {check.summary()}")
        else:
            clean.append(f"{pair}: {check.summary()}")
    return clean


def record_backtest(ctx: ServiceContext, user_id: int | None, run: BacktestRun) -> Recorded:
    """Record the run as `user_id`'s (None: nobody's) and count it in its strategy's row."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.backtests import BacktestRepository
    from aurumbotx.db.repositories.strategies import StrategyRepository
    from aurumbotx.services.context import schema_ready

    if not schema_ready(ctx, strict=False):
        return Recorded(None, "not recorded in the database: run `aurumbotx db upgrade` first")
    result, strategy = run.result, run.strategy
    run_json, metrics = result.json_run(), result.json_metrics()
    defaults = {k: p.default for k, p in strategy.parameters.items()}
    with session_scope(ctx.session_factory) as session:
        row = StrategyRepository(session).record_run(
            strategy.name,
            strategy.description,
            defaults,
            run_json | {"metrics": metrics},
            _as_float(result.metrics.get("roi_percentage")),
        )
        recorded = BacktestRepository(session).add(user_id, row.id, run_json, metrics)
        return Recorded(_summary(recorded))


def list_backtests(ctx: ServiceContext, user_id: int) -> list[BacktestSummary]:
    """The user's recorded backtests, newest first."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.backtests import BacktestRepository

    with session_scope(ctx.session_factory) as session:
        return [_summary(row) for row in BacktestRepository(session).of_user(user_id)]


def get_backtest(ctx: ServiceContext, user_id: int, backtest_id: int) -> BacktestSummary:
    """One of the user's recorded backtests; NotFoundError for a missing or foreign one."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.backtests import BacktestRepository

    with session_scope(ctx.session_factory) as session:
        row = BacktestRepository(session).get(user_id, backtest_id)
        if row is None:
            raise NotFoundError(f"no backtest with id {backtest_id}")
        return _summary(row)


def _summary(row: Backtest) -> BacktestSummary:
    run = row.run
    return BacktestSummary(
        id=row.id,
        recorded_at=row.created_at,
        strategy=row.strategy,
        params=dict(run.get("params") or {}),
        pairs=tuple(run.get("pairs") or ()),
        timeframe=row.timeframe,
        start=_time(run.get("start")),
        end=_time(run.get("end")),
        metrics=dict(row.metrics),
        warnings=tuple(run.get("warnings") or ()),
    )


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _as_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None
