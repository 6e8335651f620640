"""`aurumbotx bot start | list | status | trades | stop | delete` and `aurumbotx engine`."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from aurumbotx.cli.data_cmd import SpaceSeparatedListCommand
from aurumbotx.cli.state import console, decimal_option, err_console, migrated_container
from aurumbotx.domain.errors import InvalidInputError

if TYPE_CHECKING:
    from aurumbotx.bootstrap import Container
    from aurumbotx.services.bots import BotOverview
    from aurumbotx.services.context import ServiceContext

bot_app = typer.Typer(
    help="Trading bots: start, list, inspect, stop and delete.", no_args_is_help=True
)


def _user_id(ctx: ServiceContext, username: str | None) -> int:
    """The user named on the command line, or the only user when none is named."""
    from aurumbotx.services.users import list_users, user_id_named

    if username:
        return user_id_named(ctx, username)
    everyone = list_users(ctx)
    if len(everyone) == 1:
        return everyone[0].id
    if not everyone:
        raise InvalidInputError("no user yet: create one with `aurumbotx users create`")
    raise InvalidInputError("several users exist: say whose bot it is with --user NAME")


def _acting_user(ctx: ServiceContext, bot_id: int, username: str | None) -> int:
    """The named user, else the bot's owner: the operator at the console acts for them."""
    from aurumbotx.services.bots import bot_owner
    from aurumbotx.services.users import user_id_named

    return user_id_named(ctx, username) if username else bot_owner(ctx, bot_id)


def start(
    strategy: str = typer.Option(..., "--strategy", "-s", help="Strategy name or path/to/file.py."),
    pairs: list[str] = typer.Option(..., "--pairs", "-p", help="Pairs: --pairs BTC/USDT ETH/USDT."),
    timeframe: str | None = typer.Option(
        None,
        "--timeframe",
        "-t",
        help="Candle timeframe (1m, 1h, ...): needed for a live feed; a replay's default is "
        "its candles' own.",
    ),
    capital: str = typer.Option(..., "--capital", help="Capital in the quote asset."),
    risk: str = typer.Option("100", "--risk", help="Risk percentage per position (1 = 1 %)."),
    mode: str = typer.Option("paper", "--mode", help="paper (simulated fills) or live."),
    feed: str = typer.Option(
        "live", "--feed", help="live, replay (store pairs) or replay:FILE (one pair)."
    ),
    speed: str = typer.Option("max", "--speed", help="Replay speed: max or a factor (60 = 60x)."),
    param: list[str] = typer.Option([], "--param", help="Strategy parameter key=value."),
    user: str | None = typer.Option(None, "--user", "-u", help="Owner (default: the only user)."),
    name: str | None = typer.Option(None, "--name", help="A name for the bot."),
    slippage_bps: str = typer.Option("0", "--slippage-bps", help="Paper fills: slippage (bps)."),
    stop_loss_pct: str | None = typer.Option(None, "--stop-loss-pct", help="Default stop, %."),
    take_profit_pct: str | None = typer.Option(None, "--take-profit-pct", help="Target, %."),
    max_drawdown_pct: str | None = typer.Option(None, "--max-drawdown-pct", help="Halt at, %."),
    daily_loss_limit_pct: str | None = typer.Option(
        None, "--daily-loss-limit-pct", help="Halt after this daily loss, %."
    ),
    detach: bool = typer.Option(
        False, "--detach", help="Only register the bot; `aurumbotx engine` runs it."
    ),
) -> None:
    """Create a bot and run it (in the foreground unless --detach).

    Everything is checked before the bot is written: strategy and parameters, pairs, capital,
    mode and exchange key, the feed (a replay file must exist, parse, hold the pair and have
    the timeframe's candle spacing). A refusal writes nothing. Without --timeframe a replay takes
    its candles' timeframe and says so.
    """
    from aurumbotx.cli.state import container as unmigrated
    from aurumbotx.services.bots import BotRequest, create_bot, plan_bot
    from aurumbotx.strategies.base import parse_params

    # Everything is checked before the database is even looked at.
    plan = plan_bot(
        unmigrated(),
        BotRequest(
            strategy=strategy,
            pairs=tuple(pairs),
            timeframe=timeframe,
            capital=decimal_option(capital, "--capital", Decimal("0.00000001")),
            risk_percentage=decimal_option(risk, "--risk", Decimal("0.0001"), Decimal(100)),
            mode=mode,
            feed=feed,
            speed=_speed(speed),
            parameters=dict(parse_params(param)),
            risk_limits=_risk_limits(
                slippage_bps, stop_loss_pct, take_profit_pct, max_drawdown_pct, daily_loss_limit_pct
            ),
            name=name,
        ),
    )
    if plan.timeframe_inferred_from:
        console.print(
            f"timeframe {plan.timeframe} (the candle spacing of {plan.timeframe_inferred_from})"
        )
    container = migrated_container()
    bot = create_bot(container, _user_id(container, user), plan)
    console.print(f"bot {bot.id} created: {plan.described} on {', '.join(plan.pairs)} ({mode})")
    if detach:
        console.print("registered: `aurumbotx engine` will run it")
        return
    _run_engine(container, only={bot.id})
    if _print_status(container, bot.user_id, bot.id) == "halted":
        raise typer.Exit(1)


def _speed(speed: str) -> str:
    if speed != "max":
        decimal_option(speed, "--speed", Decimal("0.001"))
    return speed


def _risk_limits(
    slippage_bps: str,
    stop_loss_pct: str | None,
    take_profit_pct: str | None,
    max_drawdown_pct: str | None,
    daily_loss_limit_pct: str | None,
) -> dict[str, Any]:
    """The bot's risk overrides, each checked, as the strings the engine reads back."""
    limits: dict[str, Any] = {
        "slippage_bps": str(decimal_option(slippage_bps, "--slippage-bps", Decimal(0)))
    }
    for key, value in (
        ("stop_loss_pct", stop_loss_pct),
        ("take_profit_pct", take_profit_pct),
        ("max_drawdown_pct", max_drawdown_pct),
        ("daily_loss_limit_pct", daily_loss_limit_pct),
    ):
        if value is not None:
            limits[key] = str(
                decimal_option(value, f"--{key.replace('_', '-')}", Decimal(0), Decimal(100))
            )
    return limits


def _run_engine(
    container: Container, *, only: set[int] | None = None, exit_when_idle: bool = True
) -> None:
    """Run the engine service in this process until its bots stop (Ctrl-C asks them to)."""
    from aurumbotx.bootstrap import make_bot
    from aurumbotx.db.repositories.bots import DbBotDirectory
    from aurumbotx.engine.service import EngineService
    from aurumbotx.observability.logging import get_logger

    bus = container.bus
    service = EngineService(
        DbBotDirectory(container.session_factory, only=only),
        lambda bot_id: make_bot(container, bot_id),
        bus.publish,
        get_logger("aurumbotx.engine"),
        poll_seconds=0.5 if only else 2.0,
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = asyncio.create_task(service.run(exit_when_idle=exit_when_idle))
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if waiter in done:
            err_console.print("stopping: asking the bots to stop after their current candle")
            await asyncio.to_thread(_request_stop_all, container, service.tasks)
            await runner
        else:
            waiter.cancel()
            runner.result()
        await bus.close()

    asyncio.run(main())


def _request_stop_all(container: Container, tasks: dict[int, Any]) -> None:
    from aurumbotx.services.bots import request_stop

    request_stop(container, tasks, "stop requested (signal)")


def list_bots(
    user: str | None = typer.Option(None, "--user", "-u", help="Only this user's."),
) -> None:
    """List bots: id, owner, what it trades, status, equity, P/L (equity - capital), last candle."""
    from rich import box

    from aurumbotx.services import bots
    from aurumbotx.services.users import user_id_named

    container = migrated_container()
    if user:
        rows = bots.list_bots(container, user_id_named(container, user))
    else:
        rows = bots.list_all_bots(container)
    if not rows:
        console.print("no bots yet: start one with `aurumbotx bot start`")
        return
    # At 80 columns the words fold inside their cells; the id (copied into other commands),
    # the status, the money and the time never wrap and never lose a character.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0))
    table.add_column("id", no_wrap=True, justify="right")
    table.add_column("user", overflow="fold", min_width=4, max_width=12)
    table.add_column("bot", overflow="fold", min_width=8)
    table.add_column("status", no_wrap=True)
    table.add_column("equity", no_wrap=True, justify="right")
    table.add_column("P/L", no_wrap=True, justify="right")
    table.add_column("last candle", no_wrap=True)
    for row in rows:
        table.add_row(
            str(row.id),
            row.username,
            _bot_words(row),
            row.status,
            f"{row.equity:,.2f}",
            f"{row.profit_loss:+,.2f}",
            _when(row.last_candle_ts),
        )
    console.print(table)


def _bot_words(row: BotOverview) -> str:
    """Name (when the user chose one), strategy, pairs, timeframe and mode of a bot."""
    what = f"{row.strategy} {' '.join(row.pairs)} {row.timeframe}"
    named = row.name if row.name != what else ""
    return f"{named} ({what} {row.mode})" if named else f"{what} {row.mode}"


def _when(ts: int | None) -> str:
    return datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


def status(
    bot_id: int = typer.Argument(..., help="The bot's id."),
    user: str | None = typer.Option(None, "--user", "-u", help="As this user (default: owner)."),
) -> None:
    """A bot's status, equity, positions, orders and last errors."""
    container = migrated_container()
    _print_status(container, _acting_user(container, bot_id, user), bot_id)


def _print_status(container: Container, user_id: int, bot_id: int) -> str:
    from aurumbotx.services.bots import bot_status

    summary = bot_status(container, user_id, bot_id)
    row = summary.bot
    console.print(
        f"bot {row.id} [bold]{row.status}[/]"
        + (f" ({row.status_reason})" if row.status_reason else "")
        + f": {row.strategy} on {', '.join(row.pairs)} {row.timeframe}, {row.mode}, "
        f"capital {row.capital:,.2f}; last candle {_when(row.last_candle_ts)} UTC"
    )
    console.print(
        f"equity {summary.equity:,.4f}, cash {summary.cash:,.4f}, "
        f"closed trades {summary.closed_trades}, realised P/L {summary.realised:,.4f}, "
        f"fees {summary.fees:,.4f}"
    )
    if summary.positions:
        table = Table("pair", "amount", "entry price", "entry (UTC)")
        for pos in summary.positions:
            table.add_row(pos.pair, str(pos.amount), str(pos.entry_price), _when(pos.entry_ts))
        console.print(table)
    if summary.open_orders:
        table = Table("client order id", "pair", "side", "type", "status", "amount", "price")
        for o in summary.open_orders:
            table.add_row(
                o.client_order_id, o.pair, o.side, o.type, o.status, str(o.amount), str(o.price)
            )
        console.print(table)
    for line in summary.errors:
        err_console.print(f"[yellow]{line}[/]")
    return str(row.status)


def stop(
    bot_id: int = typer.Argument(..., help="The bot's id."),
    user: str | None = typer.Option(None, "--user", "-u", help="As this user (default: owner)."),
) -> None:
    """Ask a bot to stop after its current candle (stops it at once when nothing runs it)."""
    from aurumbotx.services.bots import StopOutcome, stop_bot

    container = migrated_container()
    done = stop_bot(container, _acting_user(container, bot_id, user), bot_id)
    if done.outcome is StopOutcome.ALREADY:
        console.print(f"bot {bot_id} is already {done.status}")
    elif done.outcome is StopOutcome.STOPPED:
        console.print(f"bot {bot_id} stopped")
    else:
        console.print(f"bot {bot_id}: stop requested; its engine stops it after the current candle")


def delete(
    bot_id: int = typer.Argument(..., help="The bot's id."),
    purge: bool = typer.Option(
        False, "--purge", help="Delete its orders and fills too (money history is lost)."
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Delete a live bot that still holds coins or open orders (they stay on the exchange).",
    ),
    user: str | None = typer.Option(None, "--user", "-u", help="As this user (default: owner)."),
) -> None:
    """Delete a created, stopped or halted bot (a running one must be stopped first).

    Its orders and fills stay in `trades` and `order_fills` for your tax and performance
    records: detached from the bot (bot_id cleared) and marked with its id and name in
    signal_data.deleted_bot. --purge deletes them as well. Its paper balance and daily
    figures go; `performance_daily` keeps its days. Export first if you want them by bot:
    `aurumbotx bot trades ID --csv FILE`.
    """
    from aurumbotx.services.bots import delete_bot

    container = migrated_container()
    owner = _acting_user(container, bot_id, user)
    done = delete_bot(container, owner, bot_id, purge=purge, force=force)
    if purge:
        console.print(f"bot {bot_id} ({done.name}) deleted with its {done.orders_deleted} orders")
    elif not done.orders_kept:
        console.print(f"bot {bot_id} ({done.name}) deleted; it had no orders")
    else:
        console.print(
            f"bot {bot_id} ({done.name}) deleted; its {done.orders_kept} orders stay in `trades` "
            "for your records (detached, marked deleted_bot)"
        )


def engine(
    exit_when_idle: bool = typer.Option(
        False, "--exit-when-idle", help="Return once no bot is left to run (replays, tests)."
    ),
) -> None:
    """Run every bot that should be running (the long-running trading engine process)."""
    container = migrated_container()
    console.print("engine started: running every bot that should run (Ctrl-C stops them)")
    _run_engine(container, exit_when_idle=exit_when_idle)


def register(app: typer.Typer) -> None:
    """Attach `bot ...` and `engine`."""
    from aurumbotx.cli.bot_trades_cmd import trades

    bot_app.command("start", cls=_PairsListCommand)(start)
    bot_app.command("list")(list_bots)
    bot_app.command("status")(status)
    bot_app.command("stop")(stop)
    bot_app.command("trades")(trades)
    bot_app.command("delete")(delete)
    app.add_typer(bot_app, name="bot")
    app.command("engine")(engine)


class _PairsListCommand(SpaceSeparatedListCommand):
    """`--pairs A B` as well as repeated --pairs."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        from aurumbotx.cli.data_cmd import expand_list_options

        result: list[str] = super(SpaceSeparatedListCommand, self).parse_args(
            ctx, expand_list_options(args, ("--pairs", "-p"))
        )
        return result
