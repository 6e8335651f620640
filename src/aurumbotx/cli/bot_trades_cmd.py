"""`aurumbotx bot trades ID [--csv FILE|-]`: a bot's round trips, on screen or as CSV."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.table import Table

from aurumbotx.cli.state import console, migrated_container
from aurumbotx.domain.errors import InvalidInputError

if TYPE_CHECKING:
    from aurumbotx.services.bots import BotTrades, TradeRecord

TRADE_COLUMNS = (
    "pair",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "amount",
    "profit_loss",
    "profit_loss_pct",
    "fees",
    "exit_reason",
)


def trades(
    bot_id: int = typer.Argument(..., help="The bot's id."),
    csv_out: str | None = typer.Option(
        None, "--csv", metavar="FILE|-", help="Also write every trade at full precision as CSV."
    ),
    user: str | None = typer.Option(None, "--user", "-u", help="As this user (default: owner)."),
) -> None:
    """A bot's trades (round trips): entry, exit, amount, P/L, fees, exit reason; totals.

    Oldest first; a position still open shows no exit or P/L. P/L is net of both fees, P/L %
    is of the entry cost. The table rounds; --csv FILE (or - for stdout) keeps every digit.
    """
    from aurumbotx.cli.bot_cmd import _acting_user
    from aurumbotx.services.bots import bot_trades

    container = migrated_container()
    result = bot_trades(container, _acting_user(container, bot_id, user), bot_id)
    if csv_out == "-":
        _write_trades_csv(result.trades, None)
        return
    if csv_out is not None:
        _write_trades_csv(result.trades, Path(csv_out))
    _print_trades(result)
    if csv_out is not None:
        console.print(f"{len(result.trades)} trades written to {csv_out}")


def _write_trades_csv(records: list[TradeRecord], path: Path | None) -> None:
    """Trades as CSV (ISO-8601 UTC times, exact decimals) to `path`, or stdout when None."""
    import csv
    import sys

    def iso(ts: int | None) -> str:
        return _utc(ts).isoformat() if ts is not None else ""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    try:
        handle = path.open("w", newline="", encoding="utf-8") if path else sys.stdout
    except OSError as error:
        raise InvalidInputError(f"--csv: cannot write {path}: {error.strerror}") from None
    try:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRADE_COLUMNS)
        for r in records:
            reason = text(r.exit_reason) if r.exit_ts is not None else "open"
            writer.writerow(
                [
                    r.pair,
                    iso(r.entry_ts),
                    r.entry_price,
                    iso(r.exit_ts),
                    text(r.exit_price),
                    r.amount,
                    text(r.profit_loss),
                    text(r.profit_loss_pct),
                    r.fees,
                    reason,
                ]
            )
    finally:
        if path:
            handle.close()


def _print_trades(result: BotTrades) -> None:
    """The trades table and its totals line."""
    if not result.trades:
        console.print(f"bot {result.bot_id} has no trades yet")
        return
    several = len({r.pair for r in result.trades}) > 1
    # Fits 80 columns: times fold between date and hour, numbers never wrap or lose a digit
    # they show (rounded here; --csv keeps every digit).
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0))
    if several:
        table.add_column("pair", overflow="fold")
    table.add_column("entry (UTC)", overflow="fold", min_width=10)
    table.add_column("price", justify="right", no_wrap=True)
    table.add_column("exit (UTC)", overflow="fold", min_width=10)
    table.add_column("price", justify="right", no_wrap=True)
    for column in ("amount", "P/L", "P/L %", "fees"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for r in result.trades:
        cells = [
            _when(r.entry_ts),
            _rounded(r.entry_price),
            _when(r.exit_ts),
            _rounded(r.exit_price),
            _rounded(r.amount),
            f"{r.profit_loss:+,.4f}" if r.profit_loss is not None else "-",
            f"{r.profit_loss_pct:+.2f}" if r.profit_loss_pct is not None else "-",
            f"{r.fees:,.4f}",
            r.exit_reason or "open",
        ]
        table.add_row(*([r.pair, *cells] if several else cells))
    if not several:
        console.print(f"bot {result.bot_id}, {result.trades[0].pair}:")
    console.print(table)
    results = [r.profit_loss for r in result.trades if r.profit_loss is not None]
    total = sum(results, Decimal(0))
    won = sum(1 for p in results if p > 0)
    lost = sum(1 for p in results if p < 0)
    share = total / result.capital * 100 if result.capital else Decimal(0)
    console.print(
        f"total: {len(results)} closed ({won} won, {lost} lost), "
        f"{len(result.trades) - len(results)} open; P/L {total:+,.4f} "
        f"({share:+.2f} % of capital {result.capital:,.2f}); "
        f"fees {sum((r.fees for r in result.trades), Decimal(0)):,.4f}"
    )


def _rounded(value: Decimal | None) -> str:
    """A price or amount to 8 decimals, without trailing zeros ('-' for None)."""
    if value is None:
        return "-"
    text = f"{value:.8f}".rstrip("0")
    return text.rstrip(".") if text.endswith(".") else text


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts / 1000, tz=UTC)


def _when(ts: int | None) -> str:
    return _utc(ts).strftime("%Y-%m-%d %H:%M") if ts is not None else "-"
