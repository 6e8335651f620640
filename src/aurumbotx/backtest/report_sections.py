"""The report's summary tables as HTML, and the daily/weekly P/L chart.

The numbers come from `aurumbotx.backtest.report_tables`; this module only lays them out,
rounded for reading (`aurumbotx.backtest.report_format`).
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aurumbotx.backtest import report_format as fmt
from aurumbotx.backtest.report_tables import STILL_OPEN, TOTAL

PERIOD_ROWS = {"day": 14, "week": 12}  # rows of the "last N" tables; the chart shows all
_POS, _NEG = "#18794e", "#c62828"


def _pnl(value: object) -> fmt.Cell:
    return (fmt.money(value), fmt.sign_class(value))  # type: ignore[arg-type]


def _count(value: object) -> str:
    return f"{int(value):,}"  # type: ignore[call-overload]


def pair_table(frame: pd.DataFrame) -> str:
    """Per pair and in total: closed trades, wins, P/L, open positions, fees, market change."""
    header = (
        "Pair",
        "Closed trades",
        "Wins",
        "Losses",
        "Win rate",
        "P/L",
        "Open",
        "Open P/L",
        "Fees",
        "Buy and hold",
    )
    rows = [
        [
            (str(r.pair), "l total") if r.pair == TOTAL else str(r.pair),
            _count(r.trades),
            _count(r.wins),
            _count(r.losses),
            fmt.percent(r.win_rate),
            _pnl(r.profit_loss),
            _count(r.open_trades),
            _pnl(r.open_profit_loss),
            fmt.money(r.fees),
            (fmt.percent(r.market_change, signed=True), fmt.sign_class(r.market_change)),
        ]
        for r in frame.itertuples(index=False)
    ]
    note = (
        "<p class='note'>P/L is net of fees, of closed trades; open positions are marked to "
        "market at the last close. Fees include the entry fees of open positions. Buy and hold "
        "is last close / first close - 1 over the window, before fees; the total is the "
        "equal-weight mean over the pairs.</p>"
    )
    return fmt.table_html(header, rows, css="summary") + note


def exit_reason_table(frame: pd.DataFrame) -> str:
    """Per exit reason: trades, wins, losses, win rate, total and mean P/L, mean duration."""
    if frame.empty:
        return "<p>No trades.</p>"
    header = (
        "Exit reason",
        "Trades",
        "Wins",
        "Losses",
        "Win rate",
        "Total P/L",
        "Mean P/L",
        "Mean duration",
    )
    rows = [
        [
            "still open (marked to market)" if r.exit_reason == STILL_OPEN else str(r.exit_reason),
            _count(r.trades),
            _count(r.wins),
            _count(r.losses),
            fmt.percent(r.win_rate),
            _pnl(r.profit_loss),
            _pnl(r.mean_profit_loss),
            fmt.duration(r.mean_duration),
        ]
        for r in frame.itertuples(index=False)
    ]
    return fmt.table_html(header, rows, css="summary")


def duration_table(frame: pd.DataFrame) -> str:
    """Holding time of closed trades: all, winners, losers."""
    header = ("Closed trades", "Count", "Mean", "Shortest", "Longest")
    rows = [
        [
            str(name),
            _count(r.trades),
            fmt.duration(r.mean),
            fmt.duration(r.shortest),
            fmt.duration(r.longest),
        ]
        for name, r in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    return fmt.table_html(header, rows, css="summary")


def period_tables(daily: pd.DataFrame, weekly: pd.DataFrame) -> str:
    """The last days and weeks with an exit, side by side, newest first."""
    parts = []
    for name, frame, label in (("day", daily, "UTC day"), ("week", weekly, "ISO week")):
        last = frame.tail(PERIOD_ROWS[name]).iloc[::-1]
        rows = [
            [str(r.period), _count(r.trades), _count(r.wins), _count(r.losses), _pnl(r.profit_loss)]
            for r in last.itertuples(index=False)
        ]
        title = f"Last {len(last)} of {len(frame):,} {name}s with an exit"
        table = fmt.table_html((label, "Trades", "Wins", "Losses", "P/L"), rows, css="summary")
        parts.append(f"<div><h3>{html.escape(title)}</h3>{table}</div>")
    return "<div class='row'>" + "".join(parts) + "</div>"


def period_figure(daily: pd.DataFrame, weekly: pd.DataFrame) -> go.Figure | None:
    """P/L of closed trades per UTC day (top) and per ISO week (bottom), one bar each."""
    if daily.empty:
        return None
    fig = make_subplots(
        rows=2,
        cols=1,
        subplot_titles=("P/L per UTC day (closed trades)", "P/L per ISO week (closed trades)"),
        vertical_spacing=0.15,
    )
    for row, frame in ((1, daily), (2, weekly)):
        pnl = [float(v) for v in frame["profit_loss"]]
        fig.add_trace(
            go.Bar(
                x=fmt.naive_utc(pd.DatetimeIndex(frame["start"])),
                y=pnl,
                marker={"color": [_POS if v > 0 else _NEG for v in pnl]},
                customdata=list(zip(frame["period"], frame["trades"], strict=True)),
                hovertemplate="%{customdata[0]}: %{y:,.2f} (%{customdata[1]} trades)"
                "<extra></extra>",
                name="day" if row == 1 else "week",
            ),
            row=row,
            col=1,
        )
    fig.update_layout(height=520, showlegend=False, bargap=0.1)
    return fig


def highlights_table(found: dict[str, Any], quote: str) -> str:
    """Best and worst trade and day, day counts, streaks, equity extremes, deepest drawdown."""
    unit = f" {quote}" if quote else ""
    rows: list[list[fmt.Cell]] = []
    for label, key in (("Best trade", "best_trade"), ("Worst trade", "worst_trade")):
        trade = found[key]
        if trade is not None and trade.exit_time is not None:
            text = (
                f"{_signed(trade.profit_loss)}{unit}, {trade.pair}, "
                f"exit {fmt.stamp(trade.exit_time)} ({trade.exit_reason or 'n/a'})"
            )
            rows.append([label, (text, fmt.sign_class(trade.profit_loss))])
    for label, key in (("Best day", "best_day"), ("Worst day", "worst_day")):
        day = found[key]
        if day is not None:
            count = int(day["trades"])
            trades = f"{count} trade" + ("s" if count != 1 else "")
            text = f"{_signed(day['profit_loss'])}{unit} on {day['period']} ({trades})"
            rows.append([label, (text, fmt.sign_class(day["profit_loss"]))])
    days = (found["winning_days"], found["losing_days"], found["even_days"])
    rows.append(["Days with an exit: won / lost / even", " / ".join(f"{n:,}" for n in days)])
    streaks = f"{found['max_consecutive_wins']:,} / {found['max_consecutive_losses']:,}"
    rows.append(["Longest run of wins / losses", streaks])
    for label, key in (("Lowest equity", "min_equity"), ("Highest equity", "max_equity")):
        if found[key] is not None:
            moment, value = found[key]
            rows.append([label, f"{fmt.money(value)}{unit} at {fmt.stamp(moment)}"])
    if found["drawdown_peak"] is not None:
        (peak_at, peak), (low_at, low) = found["drawdown_peak"], found["drawdown_low"]
        depth = fmt.percent(low / peak - 1.0 if peak else None, signed=True)
        text = f"{depth}: {fmt.money(peak)} at {fmt.stamp(peak_at)} to {fmt.money(low)} at "
        rows.append(["Deepest drawdown", text + fmt.stamp(low_at)])
    return fmt.table_html((), rows, css="summary highlights", left=2)


def _signed(value: Decimal) -> str:
    text = fmt.money(value)
    return text if value <= 0 else f"+{text}"
