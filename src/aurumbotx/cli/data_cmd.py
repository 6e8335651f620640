"""`aurumbotx download-data` and `aurumbotx data list | import`: the candle store by hand.

pandas, pyarrow and ccxt are imported inside the commands so that `aurumbotx --help` and the
other commands start fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from typer.core import TyperCommand

from aurumbotx.cli.options import DATE_HELP, date_ms
from aurumbotx.cli.state import console, container, settings
from aurumbotx.cli.tables import list_table
from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.services import data as data_service

if TYPE_CHECKING:
    from aurumbotx.data.download import DownloadResult

data_app = typer.Typer(help="Candle store: list and import candle files.", no_args_is_help=True)

LIST_OPTIONS = ("--pairs", "-p", "--timeframes", "-t")


def expand_list_options(args: Sequence[str], names: Sequence[str] = LIST_OPTIONS) -> list[str]:
    """Rewrite `--pairs A B --timeframes 1h 5m` as repeated options click understands."""
    result: list[str] = []
    current: str | None = None
    has_value = False
    for arg in args:
        if arg == "--" or arg.startswith("-"):
            current, has_value = (arg, False) if arg in names else (None, False)
            result.append(arg)
            continue
        if current is not None and has_value:
            result.append(current)
        has_value = True
        result.append(arg)
    return result


class SpaceSeparatedListCommand(TyperCommand):
    """A command whose list options also take several space-separated values after one flag."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Expand the list options, then parse as usual."""
        result: list[str] = super().parse_args(ctx, expand_list_options(args))
        return result


def _split(values: Sequence[str] | None) -> list[str]:
    # Also accept commas: --pairs BTC/USDT,ETH/USDT.
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def _summary_table(exchange: str, results: list[DownloadResult]) -> Table:
    from aurumbotx.data.frames import format_ms

    table = Table(
        "exchange", "pair", "timeframe", "new", "rows", "first (UTC)", "last (UTC)", "gaps"
    )
    for r in results:
        table.add_row(
            exchange,
            r.pair,
            r.timeframe,
            str(r.added),
            str(r.rows),
            format_ms(r.first) if r.first is not None else "",
            format_ms(r.last) if r.last is not None else "",
            f"{r.gaps} ({r.missing} missing)" if r.gaps else "0",
        )
    return table


def download_data(
    exchange: str | None = typer.Option(
        None, "--exchange", "-e", help="ccxt exchange id (default: AURUMBOTX_EXCHANGE__NAME)."
    ),
    pairs: list[str] | None = typer.Option(
        None, "--pairs", "-p", help="Pairs, space or comma separated: --pairs BTC/USDT ETH/USDT."
    ),
    timeframes: list[str] | None = typer.Option(
        None, "--timeframes", "-t", help="Timeframes, space separated (default: 1h)."
    ),
    since: str | None = typer.Option(
        None, "--since", help=f"First candle, needed for a new series: {DATE_HELP}."
    ),
    until: str | None = typer.Option(
        None, "--until", help=f"Stop before this time (a date: its start): {DATE_HELP}."
    ),
    retries: int = typer.Option(5, "--retries", min=1, help="Attempts per request."),
) -> None:
    """Download candles into the store; only what is missing, resumable after an interruption."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from aurumbotx.data.download import DownloadProgress
    from aurumbotx.execution.ccxt.ohlcv import CcxtOhlcvSource

    symbols, frames = _split(pairs), _split(timeframes) or ["1h"]
    if not symbols:
        raise InvalidInputError("give at least one pair: --pairs BTC/USDT [ETH/USDT ...]")
    start, stop = date_ms(since, "--since"), date_ms(until, "--until")
    if start is not None and stop is not None and stop <= start:
        raise InvalidInputError(f"--until {until} is not after --since {since}")
    config = settings().exchange
    name = (exchange or config.name).strip().lower()
    client = CcxtOhlcvSource.create(
        name, base_url=config.base_url, timeout_seconds=config.timeout_seconds
    )
    request = data_service.DownloadRequest(
        name, tuple(symbols), tuple(frames), start, stop, retries
    )

    def on_retry(attempt: int, error: Exception, delay: float) -> None:
        console.print(f"retry {attempt} in {delay:.1f} s: {error}", highlight=False, soft_wrap=True)

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as bar:
        tasks: dict[tuple[str, str], Any] = {}

        def on_progress(p: DownloadProgress) -> None:
            key = (p.pair, p.timeframe)
            if key not in tasks:
                tasks[key] = bar.add_task(f"{p.pair} {p.timeframe}", total=p.expected)
            # The exchange may have fewer candles than the date range holds (gaps, listing).
            total = p.fetched if p.done else max(p.expected, p.fetched)
            bar.update(tasks[key], completed=p.fetched, total=total)

        outcome = data_service.download_history(
            container(), client, request, on_progress=on_progress, on_retry=on_retry
        )
    console.print(_summary_table(name, list(outcome.results)))
    console.print(
        f"store: {outcome.store_root} ({outcome.market_rules} market rules of {name} saved)",
        highlight=False,
        soft_wrap=True,
    )


@data_app.command("list")
def list_data() -> None:
    """List the stored candle series: exchange, pair, timeframe, range, rows, gaps."""
    from aurumbotx.data.frames import format_ms

    listing = data_service.list_data(container())
    if not listing.series:
        console.print(
            f"no candles in {listing.root} yet: fetch some with `aurumbotx download-data` "
            "or `aurumbotx data import`",
            highlight=False,
            soft_wrap=True,
        )
        return
    table = list_table(
        "exchange",
        "pair",
        "timeframe",
        "first (UTC)",
        "last (UTC)",
        "rows",
        "gaps",
        ids=("exchange", "pair", "timeframe", "rows"),
    )
    for e in listing.series:
        gaps = f"{e.gaps} ({e.missing} missing)" if e.gaps else "0"
        table.add_row(
            e.exchange,
            e.pair,
            e.timeframe,
            format_ms(e.first),
            format_ms(e.last),
            str(e.rows),
            gaps,
        )
    console.print(table)


@data_app.command("import")
def import_data(
    file: Path | None = typer.Argument(
        None, help="CSV (.csv/.csv.gz), Binance kline archive (.csv/.zip) or Parquet file."
    ),
    pair: str | None = typer.Option(None, "--pair", help="The file's pair, e.g. BTC/USDT."),
    timeframe: str | None = typer.Option(
        None, "--timeframe", help="The file's timeframe, e.g. 1h (default: inferred)."
    ),
    exchange: str = typer.Option("binance", "--exchange", help="Exchange the candles come from."),
    repair: bool = typer.Option(
        False, "--repair", help="Drop invalid and duplicate rows and sort, instead of refusing."
    ),
    db: bool = typer.Option(False, "--db", help="Also load the candles into market_data."),
) -> None:
    """Import a candle file into the store (validated; --repair fixes what can be fixed)."""
    if file is None:
        raise InvalidInputError("give the file to import: aurumbotx data import FILE --pair X/Y")
    request = data_service.ImportRequest(
        file, pair, timeframe, exchange, repair=repair, to_database=db
    )
    result = data_service.import_candles(container(), request)
    for line in result.report:
        console.print(line, highlight=False, soft_wrap=True)
    console.print(
        f"imported {result.candles} {result.pair} {result.timeframe} candles into "
        f"{result.path}: {result.added} new, {result.rows} stored",
        highlight=False,
        soft_wrap=True,
    )
    if result.database_added is not None:
        console.print(
            f"database: {result.database_added} new candles in market_data "
            f"({result.candles - result.database_added} already there)",
            highlight=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Attach `download-data` and the `data` group to the root app."""
    app.command("download-data", cls=SpaceSeparatedListCommand)(download_data)
    app.add_typer(data_app, name="data")
