"""`aurumbotx backtest` and `aurumbotx check-lookahead`."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from aurumbotx.cli.options import DATE_HELP, output_file, parse_date
from aurumbotx.cli.state import console, container, decimal_option, err_console
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.services import backtests as backtest_service
from aurumbotx.services.backtests import LOOKAHEAD_SAMPLE

if TYPE_CHECKING:
    from aurumbotx.backtest.lookahead import LookaheadReport
    from aurumbotx.backtest.result import BacktestResult
    from aurumbotx.backtest.runner import BacktestConfig
CHECK_SAMPLE = 200  # check-lookahead's default: a few seconds on 7 years of 1h candles
# Above these a value is a typo (0.1 meant as 0.1 %?), not a market: refuse it.
MAX_FEE = Decimal("0.05")
MAX_SLIPPAGE_BPS = Decimal(1000)


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
    from aurumbotx.strategies.base import parse_params

    params = dict(parse_params(param))
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
    request = backtest_service.BacktestRequest(
        strategy, tuple(data), config, timeframe, exchange, params, model, lookahead_sample
    )
    run = backtest_service.run_backtest(
        container(), request, stage=console.status, on_in_sample=_in_sample_warning
    )
    result = run.result
    for line in run.lookahead_clean:
        console.print(f"lookahead check, {line}")
    console.print(summary_table(result))
    closed = len(result.closed_trades)
    console.print(
        f"trades: {closed} closed, {len(result.trades) - closed} open; "
        f"final equity {result.final_equity:,.2f} (from {result.starting_capital:,.2f})"
    )
    for warning in result.warnings[len(run.in_sample) :]:
        style = "bold red" if "LOOKAHEAD" in warning else "yellow"
        err_console.print(f"[{style}]warning:[/] {warning}", highlight=False)
    _write_outputs(result, json_out, report)
    if record:
        # The operator's command line acts for no user: the run is counted, owned by nobody.
        recorded = backtest_service.record_backtest(container(), None, run)
        if recorded.problem:
            err_console.print(f"[yellow]warning:[/] {recorded.problem}")


def _in_sample_warning(warning: str) -> None:
    err_console.print(f"[bold red]warning:[/] {warning}", highlight=False)


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
    from aurumbotx.services.data import load_candles
    from aurumbotx.strategies.base import parse_params

    if every and max_signals is not None:
        raise InvalidInputError("give --all or --max-signals, not both")
    sample = None if every else (max_signals or CHECK_SAMPLE)
    box = container()
    chosen = backtest_service.build_strategy(box, strategy, dict(parse_params(param)))
    (frame,) = load_candles(box.settings, [data], timeframe, exchange).frames.values()
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
