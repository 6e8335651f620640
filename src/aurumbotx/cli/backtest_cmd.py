"""`aurumbotx backtest` and `aurumbotx check-lookahead`."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from aurumbotx.cli.state import console, decimal_option, err_console
from aurumbotx.domain.errors import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

    from aurumbotx.backtest.result import BacktestResult
    from aurumbotx.strategies.base import Strategy

LOOKAHEAD_SAMPLE = 10


def parse_when(text: str | None, option: str, *, end: bool = False) -> datetime | None:
    """A UTC datetime from '2024-01-31' or an ISO time; a bare date as --to means its whole day."""
    if text is None:
        return None
    from aurumbotx.data.store import to_ms

    try:
        ms = to_ms(text.strip())
    except InvalidInputError:
        raise InvalidInputError(
            f"{option}: not a date: {text!r} (expected e.g. 2024-01-31)"
        ) from None
    when = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if end and len(text.strip()) == 10:  # a date alone: up to its last millisecond
        when += timedelta(days=1) - timedelta(milliseconds=1)
    return when


def load_inputs(
    specs: list[str], timeframe: str | None, exchange: str
) -> tuple[dict[str, pd.DataFrame], str, dict[str, Any]]:
    """Candle frames by pair (files or store), their common timeframe, and known market rules."""
    from aurumbotx.cli.state import settings
    from aurumbotx.data.store import CandleStore, resolve_data

    store = CandleStore(settings().candle_dir)
    quote = settings().exchange.quote_asset
    frames: dict[str, pd.DataFrame] = {}
    rules: dict[str, Any] = {}
    found_tf: set[str] = set()
    for spec in specs:
        is_file = Path(spec).expanduser().is_file()
        frame = resolve_data(spec, store, timeframe or (None if is_file else "1h"), exchange)
        pair = str(frame.attrs.get("pair") or pair_from_file_name(Path(spec), quote))
        frame.attrs["pair"] = pair
        if pair in frames:
            raise InvalidInputError(f"{pair} given twice in --data")
        frames[pair] = frame
        found_tf.add(str(frame.attrs.get("timeframe") or timeframe or "1h"))
        if not is_file:
            rules[pair] = store.market_rules(exchange, pair)
    if len(found_tf) > 1:
        raise InvalidInputError(f"--data mixes timeframes ({', '.join(sorted(found_tf))})")
    return frames, found_tf.pop(), rules


_QUOTES = ("USDT", "USDC", "FDUSD", "TUSD", "BUSD", "USD", "EUR", "BTC", "ETH", "BNB")


def pair_from_file_name(path: Path, quote: str) -> str:
    """'binance_BTC-USDT_1h.csv' -> 'BTC/USDT', 'ETHUSDT-1h.zip' -> 'ETH/USDT'; else WORD/quote."""
    tokens = [t.upper() for t in re.split(r"[-_.\s/]+", path.name) if t]
    candidates: list[tuple[int, str]] = []
    for i, token in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if nxt in _QUOTES and token.isalnum() and token != nxt:
            candidates.append((_QUOTES.index(nxt), f"{token}/{nxt}"))
        for q in _QUOTES:
            if token.endswith(q) and len(token) > len(q) and token[: -len(q)].isalnum():
                candidates.append((_QUOTES.index(q), f"{token[: -len(q)]}/{q}"))
    if candidates:
        return min(candidates)[1]
    return f"{tokens[0] if tokens else 'ASSET'}/{quote}"


def _fmt(key: str, value: float | int | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if key in ("max_drawdown", "win_rate", "cagr", "exposure", "buy_and_hold_return"):
        return f"{value * 100:.2f} %"
    if key == "roi_percentage":
        return f"{value:.2f} %"
    if isinstance(value, int):
        return str(value)
    return f"{value:,.4f}"


def summary_table(result: BacktestResult) -> Table:
    """The metrics of a run as a rich table."""
    first, last = result.equity.index[0], result.equity.index[-1]
    title = (
        f"{result.strategy} {result.params} on {', '.join(result.pairs)} {result.timeframe}, "
        f"{first:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M} UTC"
    )
    table = Table("metric", "value", title=title, title_justify="left")
    for key, value in result.metrics.items():
        table.add_row(key, _fmt(key, value))
    return table


def _record(result: BacktestResult, strategy: Strategy) -> str | None:
    """Count the run in the `strategies` table; a reason when it could not be recorded."""
    from aurumbotx.cli.state import container
    from aurumbotx.db import migrate
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.strategies import StrategyRepository

    box = container()
    engine = box.engine
    if migrate.current(engine) != migrate.head():
        if engine.url.get_backend_name() != "sqlite":
            return "not recorded in the database: run `aurumbotx db upgrade` first"
        migrate.upgrade(engine)  # the embedded database is ours to keep current
    run = result.json_run() | {"metrics": result.json_metrics()}
    defaults = {k: p.default for k, p in strategy.parameters.items()}
    with session_scope(box.session_factory) as session:
        StrategyRepository(session).record_run(
            strategy.name,
            strategy.description,
            defaults,
            run,
            _as_float(result.metrics.get("roi_percentage")),
        )
    return None


def _as_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def backtest(
    strategy: str = typer.Option(..., "--strategy", "-s", help="Strategy name or path/to/file.py."),
    data: list[str] = typer.Option(
        ..., "--data", "-d", help="Candle file or pair in the store (repeat for several pairs)."
    ),
    timeframe: str | None = typer.Option(
        None, "--timeframe", "-t", help="Timeframe of store pairs (default 1h; files: detected)."
    ),
    exchange: str = typer.Option("binance", "--exchange", help="Exchange of store pairs."),
    start: str | None = typer.Option(None, "--from", help="First day traded (UTC)."),
    end: str | None = typer.Option(None, "--to", help="Last day traded (UTC, inclusive)."),
    fee: str = typer.Option("0.001", "--fee", help="Fee per side on notional (0.001 = 0.1 %)."),
    slippage_bps: str = typer.Option("0", "--slippage-bps", help="Slippage in basis points."),
    capital: str = typer.Option("10000", "--capital", help="Starting cash in the quote asset."),
    param: list[str] = typer.Option([], "--param", "-p", help="Strategy parameter key=value."),
    model: str | None = typer.Option(
        None, "--model", help="Model version for ai_adaptive (default: the pair's active one)."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write metrics, trades, equity."),
    report: Path | None = typer.Option(
        None, "--report", help="Write a self-contained HTML report."
    ),
    lookahead_sample: int = typer.Option(
        LOOKAHEAD_SAMPLE, "--lookahead-sample", min=0, help="Signals re-checked for lookahead."
    ),
    record: bool = typer.Option(
        True, "--record/--no-record", help="Count the run in the database."
    ),
    risk: str | None = typer.Option(
        None, "--risk", help="Risk % per position (default: settings)."
    ),
    stop_loss_pct: str | None = typer.Option(None, "--stop-loss-pct", help="Default stop, %."),
    take_profit_pct: str | None = typer.Option(
        None, "--take-profit-pct", help="Default target, %."
    ),
    max_drawdown_pct: str | None = typer.Option(None, "--max-drawdown-pct", help="Halt at, %."),
    daily_loss_limit_pct: str | None = typer.Option(
        None, "--daily-loss-limit-pct", help="Halt after this daily loss, %."
    ),
) -> None:
    """Backtest a strategy on history: fees, slippage, next-open fills, no lookahead."""
    from aurumbotx.backtest.lookahead import check_lookahead
    from aurumbotx.backtest.runner import BacktestConfig, check_timeframe, run_backtest
    from aurumbotx.bootstrap import risk_limits
    from aurumbotx.cli.models_cmd import models_dir
    from aurumbotx.cli.state import settings
    from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy
    from aurumbotx.strategies.base import parse_params
    from aurumbotx.strategies.registry import create_strategy

    AiAdaptiveStrategy.models_dir = models_dir()
    params: dict[str, object] = dict(parse_params(param))
    if model is not None:
        params["model"] = model
    chosen = create_strategy(strategy, params)
    overrides = {
        key: str(decimal_option(value, f"--{key.replace('_', '-')}"))
        for key, value in (
            ("stop_loss_pct", stop_loss_pct),
            ("take_profit_pct", take_profit_pct),
            ("max_drawdown_pct", max_drawdown_pct),
            ("daily_loss_limit_pct", daily_loss_limit_pct),
        )
        if value is not None
    }
    limits = risk_limits(
        settings(), decimal_option(risk, "--risk") if risk is not None else None, overrides
    )
    config = BacktestConfig(
        risk=limits,
        capital=decimal_option(capital, "--capital", minimum=Decimal("0.00000001")),
        fee_rate=decimal_option(fee, "--fee"),
        slippage_bps=decimal_option(slippage_bps, "--slippage-bps"),
        start=parse_when(start, "--from"),
        end=parse_when(end, "--to", end=True),
    )
    if config.fee_rate >= 1:
        raise InvalidInputError(f"--fee is a fraction (0.001 = 0.1 %), got {config.fee_rate}")
    if config.start and config.end and config.end <= config.start:
        raise InvalidInputError("--to must be after --from")
    with console.status("loading candles"):
        frames, tf, rules = load_inputs(data, timeframe, exchange)
        check_timeframe(frames, tf)
    config.market_rules = rules
    with console.status(f"backtesting {chosen.describe()}"):
        result = run_backtest(chosen, frames, tf, config)
    if isinstance(chosen, AiAdaptiveStrategy):
        result.warnings[:0] = chosen.in_sample_warnings(frames, config.start, config.end)
    if lookahead_sample:
        with console.status("checking a sample of signals for lookahead"):
            for pair, frame in frames.items():
                check = check_lookahead(
                    chosen, frame, max_signals=lookahead_sample, extra_candles=3
                )
                result.run_info.setdefault("lookahead", {})[pair] = check.summary()
                if check.biased:
                    result.warnings.append(f"{pair}: {check.summary()}")
                else:
                    console.print(f"lookahead check, {pair}: {check.summary()}")
    console.print(summary_table(result))
    closed = len(result.closed_trades)
    console.print(
        f"trades: {closed} closed, {len(result.trades) - closed} open; "
        f"final equity {result.final_equity:,.2f} (from {result.starting_capital:,.2f})"
    )
    for warning in result.warnings:
        style = "bold red" if "LOOKAHEAD" in warning or "IN-SAMPLE" in warning else "yellow"
        err_console.print(f"[{style}]warning:[/] {warning}", highlight=False)
    if json_out is not None:
        result.write_json(json_out)
        console.print(f"JSON written to {json_out}")
    if report is not None:
        from aurumbotx.backtest.report import write_report

        with console.status("writing the report"):
            write_report(result, report)
        console.print(f"report written to {report.resolve()}")
    if record:
        problem = _record(result, chosen)
        if problem:
            err_console.print(f"[yellow]warning:[/] {problem}")


def check_lookahead_cmd(
    strategy: str = typer.Option(..., "--strategy", "-s", help="Strategy name or path/to/file.py."),
    data: str = typer.Option(..., "--data", "-d", help="Candle file or pair in the store."),
    timeframe: str | None = typer.Option(None, "--timeframe", "-t", help="Timeframe (store)."),
    exchange: str = typer.Option("binance", "--exchange", help="Exchange of store pairs."),
    param: list[str] = typer.Option([], "--param", "-p", help="Strategy parameter key=value."),
    max_signals: int | None = typer.Option(
        None, "--max-signals", min=1, help="Check a random sample of this many signals."
    ),
    extra_candles: int = typer.Option(
        20, "--extra-candles", min=0, help="Quiet candles checked too (signals that vanish)."
    ),
) -> None:
    """Re-run a strategy cut just after each signal; report signals or indicators that change."""
    from rich.progress import Progress

    from aurumbotx.backtest.lookahead import check_lookahead
    from aurumbotx.cli.models_cmd import models_dir
    from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy
    from aurumbotx.strategies.base import parse_params
    from aurumbotx.strategies.registry import create_strategy

    AiAdaptiveStrategy.models_dir = models_dir()
    chosen = create_strategy(strategy, dict(parse_params(param)))
    frames, _, _ = load_inputs([data], timeframe, exchange)
    (frame,) = frames.values()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("re-running without the future", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = check_lookahead(
            chosen, frame, max_signals=max_signals, extra_candles=extra_candles, progress=advance
        )
    console.print(
        f"{report.checked} candle(s) checked ({report.signals_total} signal(s) in the data)"
    )
    if not report.biased:
        console.print(f"[green]{report.summary()}[/]")
        return
    table = Table("time (UTC)", "column", "with the future", "without")
    for diff in report.differences[:50]:
        table.add_row(
            str(diff.time), diff.column, repr(diff.with_future), repr(diff.without_future)
        )
    console.print(table)
    err_console.print(f"[bold red]error:[/] {report.summary()}", highlight=False)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach `backtest` and `check-lookahead`."""
    app.command("backtest")(backtest)
    app.command("check-lookahead")(check_lookahead_cmd)
