"""`aurumbotx bot start | list | status | stop` and `aurumbotx engine`."""

from __future__ import annotations

import asyncio
import signal
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from aurumbotx.cli.data_cmd import SpaceSeparatedListCommand
from aurumbotx.cli.state import console, decimal_option, err_console, migrated_container
from aurumbotx.domain.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from aurumbotx.bootstrap import Container
    from aurumbotx.db.models import Bot

bot_app = typer.Typer(help="Trading bots: start, list, inspect and stop.", no_args_is_help=True)


def _user_id(session: Session, username: str | None) -> int:
    from aurumbotx.db.repositories.users import UserRepository

    users = UserRepository(session)
    if username:
        user = users.get_by_username(username)
        if user is None:
            raise NotFoundError(f"no user named {username!r} (see `aurumbotx users list`)")
        return user.id
    everyone = users.list()
    if len(everyone) == 1:
        return everyone[0].id
    if not everyone:
        raise InvalidInputError("no user yet: create one with `aurumbotx users create`")
    raise InvalidInputError("several users exist: say whose bot it is with --user NAME")


def start(
    strategy: str = typer.Option(..., "--strategy", "-s", help="Strategy name or path/to/file.py."),
    pairs: list[str] = typer.Option(..., "--pairs", "-p", help="Pairs: --pairs BTC/USDT ETH/USDT."),
    timeframe: str = typer.Option("1m", "--timeframe", "-t", help="Candle timeframe."),
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
    """Create a bot and run it (in the foreground unless --detach)."""
    from aurumbotx.bootstrap import parse_feed
    from aurumbotx.data.feeds import ReplayFeed  # noqa: F401 - fail early if data deps break
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.bots import BotRepository
    from aurumbotx.db.repositories.strategies import StrategyRepository
    from aurumbotx.domain.enums import TradingMode
    from aurumbotx.domain.timeframes import timeframe_to_ms
    from aurumbotx.domain.values import Pair
    from aurumbotx.strategies.base import parse_params
    from aurumbotx.strategies.registry import create_strategy

    chosen = create_strategy(strategy, dict(parse_params(param)))
    symbols = [Pair.parse(p).symbol for value in pairs for p in value.split(",") if p.strip()]
    if len(set(symbols)) != len(symbols):
        raise InvalidInputError("--pairs lists a pair twice")
    timeframe_to_ms(timeframe)
    kind, target = parse_feed(feed)
    if target is not None and len(symbols) != 1:
        raise InvalidInputError("--feed replay:FILE replays one pair; give exactly one --pairs")
    if mode not in ("paper", "live"):
        raise InvalidInputError(f"--mode must be paper or live, got {mode!r}")
    if mode == "live" and kind != "live":
        raise InvalidInputError("a live bot trades real money on live data: use --feed live")
    if speed != "max":
        decimal_option(speed, "--speed", Decimal("0.001"))
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
    container = migrated_container()
    with session_scope(container.session_factory) as session:
        owner = _user_id(session, user)
        defaults = {k: p.default for k, p in chosen.parameters.items()}
        strategy_row = StrategyRepository(session).get_or_create(
            chosen.name, chosen.description, defaults
        )
        row = BotRepository(session).create(
            user_id=owner,
            name=name or f"{chosen.name} {' '.join(symbols)} {timeframe}",
            strategy=strategy,
            strategy_id=strategy_row.id,
            parameters=dict(chosen.params),
            pairs=symbols,
            timeframe=timeframe,
            capital=decimal_option(capital, "--capital", Decimal("0.00000001")),
            risk_percentage=decimal_option(risk, "--risk", Decimal("0.0001"), Decimal(100)),
            risk_limits=limits,
            mode=TradingMode(mode).value,
            feed=feed,
            speed=speed,
        )
        bot_id = row.id
    console.print(f"bot {bot_id} created: {chosen.describe()} on {', '.join(symbols)} ({mode})")
    if detach:
        console.print("registered: `aurumbotx engine` will run it")
        return
    _run_engine(container, only={bot_id})
    if _print_status(container, bot_id) == "halted":
        raise typer.Exit(1)


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
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.bots import BotRepository
    from aurumbotx.domain.enums import BotStatus

    with session_scope(container.session_factory) as session:
        repo = BotRepository(session)
        for bot_id in tasks:
            row = repo.get(bot_id)
            if BotStatus(row.status) in (BotStatus.RUNNING, BotStatus.RECONCILING):
                repo.set_status(row, BotStatus.STOPPING, "stop requested (signal)")


def list_bots(
    user: str | None = typer.Option(None, "--user", "-u", help="Only this user's."),
) -> None:
    """List bots: id, owner, strategy, pairs, mode, status, progress."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.bots import BotRepository

    container = migrated_container()
    table = Table(
        "id", "user", "name", "strategy", "pairs", "tf", "mode", "status", "last candle (UTC)"
    )
    with session_scope(container.session_factory) as session:
        owner = _user_id(session, user) if user else None
        rows = BotRepository(session).list(owner)
        for row in rows:
            table.add_row(
                str(row.id),
                str(row.user_id),
                row.name,
                row.strategy,
                ", ".join(row.pairs),
                row.timeframe,
                row.mode,
                row.status,
                _when(row.last_candle_ts),
            )
    if not rows:
        console.print("no bots yet: start one with `aurumbotx bot start`")
    else:
        console.print(table)


def _when(ts: int | None) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"


def status(bot_id: int = typer.Argument(..., help="The bot's id.")) -> None:
    """A bot's status, equity, positions, orders and last errors."""
    _print_status(migrated_container(), bot_id)


def _print_status(container: Container, bot_id: int) -> str:
    from aurumbotx.db.repositories.bots import bot_summary

    summary = bot_summary(container.session_factory, bot_id)
    row: Bot = summary["bot"]
    console.print(
        f"bot {row.id} [bold]{row.status}[/]"
        + (f" ({row.status_reason})" if row.status_reason else "")
        + f": {row.strategy} on {', '.join(row.pairs)} {row.timeframe}, {row.mode}, "
        f"capital {row.capital:,.2f}; last candle {_when(row.last_candle_ts)} UTC"
    )
    console.print(
        f"equity {summary['equity']:,.4f}, cash {summary['cash']:,.4f}, "
        f"closed trades {summary['closed_trades']}, realised P/L {summary['realised']:,.4f}, "
        f"fees {summary['fees']:,.4f}"
    )
    if summary["positions"]:
        table = Table("pair", "amount", "entry price", "entry (UTC)")
        for pos in summary["positions"]:
            table.add_row(
                pos["pair"], str(pos["amount"]), str(pos["entry_price"]), _when(pos["entry_ts"])
            )
        console.print(table)
    if summary["open_orders"]:
        table = Table("client order id", "pair", "side", "type", "status", "amount", "price")
        for o in summary["open_orders"]:
            table.add_row(
                o.client_order_id, o.pair, o.side, o.type, o.status, str(o.amount), str(o.price)
            )
        console.print(table)
    for line in summary["errors"]:
        err_console.print(f"[yellow]{line}[/]")
    return str(row.status)


def stop(bot_id: int = typer.Argument(..., help="The bot's id.")) -> None:
    """Ask a bot to stop after its current candle (stops it at once when nothing runs it)."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.bots import BotRepository
    from aurumbotx.domain.enums import BotStatus

    container = migrated_container()
    with session_scope(container.session_factory) as session:
        repo = BotRepository(session)
        row = repo.get(bot_id)
        current = BotStatus(row.status)
        if current in (BotStatus.STOPPED, BotStatus.HALTED):
            console.print(f"bot {bot_id} is already {current}")
            return
        if row.owner is None:
            if current is not BotStatus.STOPPING:
                repo.set_status(row, BotStatus.STOPPING, "stop requested")
            repo.set_status(row, BotStatus.STOPPED, "stopped while no engine ran it")
            console.print(f"bot {bot_id} stopped")
            return
        if current is not BotStatus.STOPPING:
            repo.set_status(row, BotStatus.STOPPING, "stop requested")
    console.print(f"bot {bot_id}: stop requested; its engine stops it after the current candle")


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
    bot_app.command("start", cls=_PairsListCommand)(start)
    bot_app.command("list")(list_bots)
    bot_app.command("status")(status)
    bot_app.command("stop")(stop)
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
