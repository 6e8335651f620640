"""`aurumbotx backtest` and `aurumbotx check-lookahead`."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from aurumbotx.cli.options import DATE_HELP, output_file, parse_date
from aurumbotx.cli.state import console, decimal_option, err_console
from aurumbotx.domain.errors import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

    from aurumbotx.backtest.lookahead import LookaheadReport
    from aurumbotx.backtest.result import BacktestResult
    from aurumbotx.backtest.runner import BacktestConfig
    from aurumbotx.strategies.base import Strategy

LOOKAHEAD_SAMPLE = 10
CHECK_SAMPLE = 200  # check-lookahead's default: a few seconds on 7 years of 1h candles
# Above these a value is a typo (0.1 meant as 0.1 %?), not a market: refuse it.
MAX_FEE = Decimal("0.05")
MAX_SLIPPAGE_BPS = Decimal(1000)


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
    start: str | None = typer.Option(None, "--from", help=f"First day traded: {DATE_HELP}."),
    end: str | None = typer.Option(None, "--to", help=f"Last day traded, inclusive: {DATE_HELP}."),
    fee: str = typer.Option(
        "0.001",
        "--fee",
        help="Fee per side on notional, a fraction from 0 to 0.05 (0.001 = 0.1 %).",
    ),
    slippage_bps: str = typer.Option(
        "0", "--slippage-bps", help="Slippage in basis points, 0 to 1000 (5 = 0.05 %)."
    ),
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
    from aurumbotx.backtest.runner import check_timeframe, run_backtest
    from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy

    chosen = _strategy(strategy, param, model)
    config = _config(
        start,
        end,
        fee=fee,
        slippage_bps=slippage_bps,
        capital=capital,
        risk=risk,
        stop_loss_pct=stop_loss_pct,
        take_profit_pct=take_profit_pct,
        max_drawdown_pct=max_drawdown_pct,
        daily_loss_limit_pct=daily_loss_limit_pct,
    )
    # Folders are made now: a missing one must not lose a finished run.
    json_out, report = output_file(json_out, "--json"), output_file(report, "--report")
    with console.status("loading candles"):
        frames, tf, rules = load_inputs(data, timeframe, exchange)
        check_timeframe(frames, tf)
    config.market_rules = rules
    in_sample: list[str] = []
    if isinstance(chosen, AiAdaptiveStrategy):
        # Before the results, so that nobody reads flattered numbers first.
        in_sample = chosen.in_sample_warnings(frames, config.start, config.end)
        for warning in in_sample:
            err_console.print(f"[bold red]warning:[/] {warning}", highlight=False)
    with console.status(f"backtesting {chosen.describe()}"):
        result = run_backtest(chosen, frames, tf, config)
    result.warnings[:0] = in_sample
    if lookahead_sample:
        _sample_lookahead(chosen, frames, result, lookahead_sample)
    console.print(summary_table(result))
    closed = len(result.closed_trades)
    console.print(
        f"trades: {closed} closed, {len(result.trades) - closed} open; "
        f"final equity {result.final_equity:,.2f} (from {result.starting_capital:,.2f})"
    )
    for warning in result.warnings[len(in_sample) :]:
        style = "bold red" if "LOOKAHEAD" in warning else "yellow"
        err_console.print(f"[{style}]warning:[/] {warning}", highlight=False)
    _write_outputs(result, json_out, report)
    if record:
        problem = _record(result, chosen)
        if problem:
            err_console.print(f"[yellow]warning:[/] {problem}")


def _strategy(name: str, param: list[str], model: str | None) -> Strategy:
    """The strategy of the command line, its parameters checked."""
    from aurumbotx.cli.models_cmd import models_dir
    from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy
    from aurumbotx.strategies.base import parse_params
    from aurumbotx.strategies.registry import create_strategy

    AiAdaptiveStrategy.models_dir = models_dir()
    params: dict[str, object] = dict(parse_params(param))
    if model is not None:
        params["model"] = model
    return create_strategy(name, params)


def _config(start: str | None, end: str | None, **options: str | None) -> BacktestConfig:
    """The run's settings from the command line, each option checked."""
    from aurumbotx.backtest.runner import BacktestConfig
    from aurumbotx.bootstrap import risk_limits
    from aurumbotx.cli.state import settings

    overrides = {
        key: str(decimal_option(value, f"--{key.replace('_', '-')}"))
        for key in ("stop_loss_pct", "take_profit_pct", "max_drawdown_pct", "daily_loss_limit_pct")
        if (value := options[key]) is not None
    }
    risk = options["risk"]
    limits = risk_limits(
        settings(), decimal_option(risk, "--risk") if risk is not None else None, overrides
    )
    config = BacktestConfig(
        risk=limits,
        capital=decimal_option(str(options["capital"]), "--capital", minimum=Decimal("1e-8")),
        fee_rate=decimal_option(
            str(options["fee"]), "--fee", maximum=MAX_FEE, unit=" (a fraction: 0.001 = 0.1 %)"
        ),
        slippage_bps=decimal_option(
            str(options["slippage_bps"]),
            "--slippage-bps",
            maximum=MAX_SLIPPAGE_BPS,
            unit=" basis points (100 = 1 %)",
        ),
        start=parse_date(start, "--from"),
        end=parse_date(end, "--to", end_of_day=True),
    )
    if config.start and config.end and config.end <= config.start:
        raise InvalidInputError("--to must be after --from")
    return config


def _sample_lookahead(
    chosen: Strategy, frames: dict[str, pd.DataFrame], result: BacktestResult, sample: int
) -> None:
    """Re-check a spread sample of signals per pair; a bias becomes a loud warning."""
    from aurumbotx.backtest.lookahead import check_lookahead

    with console.status("checking a sample of signals for lookahead"):
        for pair, frame in frames.items():
            check = check_lookahead(chosen, frame, max_signals=sample, extra_candles=3)
            result.run_info.setdefault("lookahead", {})[pair] = check.summary()
            if check.biased:
                result.warnings.append(f"{pair}: {check.summary()}")
            else:
                console.print(f"lookahead check, {pair}: {check.summary()}")


def _write_outputs(result: BacktestResult, json_out: Path | None, report: Path | None) -> None:
    if json_out is not None:
        result.write_json(json_out)
        console.print(f"JSON written to {json_out}")
    if report is not None:
        from aurumbotx.backtest.report import write_report

        with console.status("writing the report"):
            write_report(result, report)
        console.print(f"report written to {report.resolve()}")


def check_lookahead_cmd(
    strategy: str = typer.Option(..., "--strategy", "-s", help="Strategy name or path/to/file.py."),
    data: str = typer.Option(..., "--data", "-d", help="Candle file or pair in the store."),
    timeframe: str | None = typer.Option(None, "--timeframe", "-t", help="Timeframe (store)."),
    exchange: str = typer.Option("binance", "--exchange", help="Exchange of store pairs."),
    param: list[str] = typer.Option([], "--param", "-p", help="Strategy parameter key=value."),
    max_signals: int | None = typer.Option(
        None,
        "--max-signals",
        min=1,
        help=f"Signals in the sample (default {CHECK_SAMPLE}): first, last and spread between.",
    ),
    every: bool = typer.Option(False, "--all", help="Check every signal (minutes on years)."),
    extra_candles: int = typer.Option(
        20, "--extra-candles", min=0, help="Quiet candles checked too (signals that vanish)."
    ),
) -> None:
    """Re-run a strategy cut just after a sample of signals (--all: each); report changes."""
    from rich.progress import Progress

    from aurumbotx.backtest.lookahead import check_lookahead
    from aurumbotx.cli.models_cmd import models_dir
    from aurumbotx.strategies.ai_adaptive import AiAdaptiveStrategy
    from aurumbotx.strategies.base import parse_params
    from aurumbotx.strategies.registry import create_strategy

    if every and max_signals is not None:
        raise InvalidInputError("give --all or --max-signals, not both")
    sample = None if every else (max_signals or CHECK_SAMPLE)
    AiAdaptiveStrategy.models_dir = models_dir()
    chosen = create_strategy(strategy, dict(parse_params(param)))
    frames, _, _ = load_inputs([data], timeframe, exchange)
    (frame,) = frames.values()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("re-running without the future", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = check_lookahead(
            chosen, frame, max_signals=sample, extra_candles=extra_candles, progress=advance
        )
    console.print(_checked_line(report, sample), highlight=False)
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


def _checked_line(report: LookaheadReport, sample: int | None) -> str:
    """How many of how many signals were re-computed, and how they were chosen."""
    if sample is None or report.signals_checked < sample:
        how = "every one"
        if report.signals_checked < report.signals_total:
            how += "; a signal on the last candle has no future to cut"
    else:
        how = "a sample spread over the data; --all checks every one"
    quiet = report.checked - report.signals_checked
    return (
        f"checked {report.signals_checked:,} of {report.signals_total:,} signal(s) ({how}) "
        f"and {quiet:,} quiet candle(s)"
    )


def register(app: typer.Typer) -> None:
    """Attach `backtest` and `check-lookahead`."""
    app.command("backtest")(backtest)
    app.command("check-lookahead")(check_lookahead_cmd)
