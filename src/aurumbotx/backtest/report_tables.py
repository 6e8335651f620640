"""The tables of a backtest report, as pure functions over its trades and candles (no HTML).

P/L and fees are exact `Decimal` sums; durations are pandas Timedeltas; win rates fractions.
A trade wins with a net P/L > 0 and loses with one < 0 (break-even is neither), as in
`aurumbotx.metrics`. Closed trades are the ones counted, as `total_trades` counts them; a
position still open at the end appears as the exit reason `still_open` and in the open columns
of the per-pair table, its P/L marked to market at the last close.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from aurumbotx.backtest.result import BacktestResult, TradeRecord
from aurumbotx.metrics import market_change, mean_market_change

STILL_OPEN = "still_open"
TOTAL = "TOTAL"
_ZERO = Decimal(0)
_REASON_ORDER = ("signal", "stop_loss", "take_profit")

_SUMMARY_COLUMNS = (
    "trades",
    "wins",
    "losses",
    "win_rate",
    "profit_loss",
    "mean_profit_loss",
    "mean_duration",
)


def trade_frame(trades: Sequence[TradeRecord], end: pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per trade: pair, exit reason, times, P/L, fees, duration (open: until `end`)."""
    entry = pd.to_datetime([t.entry_ts for t in trades], unit="ms", utc=True)
    exit_ = pd.to_datetime(
        [t.exit_ts if t.exit_ts is not None else pd.NaT for t in trades], unit="ms", utc=True
    )
    until = exit_ if end is None else exit_.where(~exit_.isna(), end)
    return pd.DataFrame(
        {
            "pair": pd.Series([t.pair for t in trades], dtype="object"),
            "exit_reason": pd.Series(
                [t.exit_reason or (STILL_OPEN if t.is_open else "n/a") for t in trades],
                dtype="object",
            ),
            "is_open": pd.Series([t.is_open for t in trades], dtype="bool"),
            "entry_time": entry,
            "exit_time": exit_,
            "profit_loss": pd.Series([t.profit_loss for t in trades], dtype="object"),
            "fees": pd.Series([t.fees for t in trades], dtype="object"),
            "duration": pd.Series(until - entry, dtype="timedelta64[ns]"),
        }
    )


def total_fees(trades: Sequence[TradeRecord]) -> Decimal:
    """Every fee paid, open positions' entry fees included (quote currency)."""
    return sum((t.fees for t in trades), _ZERO)


def summarise(frame: pd.DataFrame) -> dict[str, Any]:
    """Count, wins, losses, win rate, total and mean P/L, mean duration of `frame`'s trades."""
    pnl = list(frame["profit_loss"])
    count = len(pnl)
    wins = sum(1 for value in pnl if value > 0)
    losses = sum(1 for value in pnl if value < 0)
    total = sum(pnl, _ZERO)
    return {
        "trades": count,
        "wins": wins,
        "losses": losses,
        "win_rate": wins / count if count else None,
        "profit_loss": total,
        "mean_profit_loss": total / count if count else None,
        "mean_duration": frame["duration"].mean() if count else pd.NaT,
    }


def exit_reason_summary(
    trades: Sequence[TradeRecord], end: pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per exit reason: signal, stop_loss, take_profit, others, then still_open."""
    frame = trade_frame(trades, end)
    reasons = list(dict.fromkeys(frame["exit_reason"]))
    order = [r for r in _REASON_ORDER if r in reasons]
    order += sorted(r for r in reasons if r not in _REASON_ORDER and r != STILL_OPEN)
    order += [STILL_OPEN] if STILL_OPEN in reasons else []
    rows = [
        {"exit_reason": reason, **summarise(frame[frame["exit_reason"] == reason])}
        for reason in order
    ]
    return pd.DataFrame(rows, columns=["exit_reason", *_SUMMARY_COLUMNS])


def pair_summary(trades: Sequence[TradeRecord], closes: Mapping[str, pd.Series]) -> pd.DataFrame:
    """One row per pair and a TOTAL row: closed trades, open positions, fees, market change."""
    frame = trade_frame(trades)
    pairs = list(dict.fromkeys([*closes, *frame["pair"]]))
    changes = {p: market_change(closes[p]) if p in closes else None for p in pairs}
    rows = [_pair_row(p, frame[frame["pair"] == p], changes[p]) for p in pairs]
    rows.append(_pair_row(TOTAL, frame, mean_market_change(changes.values())))
    return pd.DataFrame(rows)


def _pair_row(pair: str, frame: pd.DataFrame, change: float | None) -> dict[str, Any]:
    closed, still_open = frame[~frame["is_open"]], frame[frame["is_open"]]
    summary = summarise(closed)
    return {
        "pair": pair,
        "trades": summary["trades"],
        "wins": summary["wins"],
        "losses": summary["losses"],
        "win_rate": summary["win_rate"],
        "profit_loss": summary["profit_loss"],
        "open_trades": len(still_open),
        "open_profit_loss": sum(still_open["profit_loss"], _ZERO),
        "fees": sum(frame["fees"], _ZERO),
        "market_change": change,
    }


def period_breakdown(trades: Sequence[TradeRecord], period: Literal["day", "week"]) -> pd.DataFrame:
    """Closed trades by UTC day or ISO week of their exit: trades, wins, losses, P/L."""
    frame = trade_frame([t for t in trades if not t.is_open])
    columns = ["period", "start", "trades", "wins", "losses", "profit_loss"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    day = pd.DatetimeIndex(frame["exit_time"]).floor("D")
    # ISO weeks start on Monday (weekday 0).
    start = day if period == "day" else day - pd.to_timedelta(day.day_of_week, unit="D")
    frame["start"] = start
    rows = []
    for moment, group in frame.groupby("start", sort=True):
        stamp = pd.Timestamp(moment)
        iso = stamp.isocalendar()
        label = f"{stamp:%Y-%m-%d}" if period == "day" else f"{iso[0]}-W{iso[1]:02d}"
        summary = summarise(group)
        rows.append(
            {
                "period": label,
                "start": stamp,
                "trades": summary["trades"],
                "wins": summary["wins"],
                "losses": summary["losses"],
                "profit_loss": summary["profit_loss"],
            }
        )
    return pd.DataFrame(rows, columns=columns)


def duration_summary(trades: Sequence[TradeRecord]) -> pd.DataFrame:
    """Mean, shortest and longest holding time of closed trades: all, winners, losers."""
    frame = trade_frame([t for t in trades if not t.is_open])
    wins = frame["profit_loss"].map(lambda v: v > 0).astype(bool)
    losses = frame["profit_loss"].map(lambda v: v < 0).astype(bool)
    groups = {"all": frame, "winners": frame[wins], "losers": frame[losses]}
    rows = [
        {
            "trades": len(group),
            "mean": group["duration"].mean() if len(group) else pd.NaT,
            "shortest": group["duration"].min() if len(group) else pd.NaT,
            "longest": group["duration"].max() if len(group) else pd.NaT,
        }
        for group in groups.values()
    ]
    return pd.DataFrame(rows, index=list(groups))


def window_closes(result: BacktestResult) -> dict[str, pd.Series]:
    """Each pair's closes over the trading window (the result keeps only the window)."""
    return {pair: frame["close"] for pair, frame in result.candles.items() if "close" in frame}


def streaks(trades: Sequence[TradeRecord]) -> tuple[int, int]:
    """Longest runs of consecutive winning and losing closed trades, in exit order."""
    closed = sorted((t for t in trades if t.exit_ts is not None), key=lambda t: t.exit_ts or 0)
    longest = {1: 0, -1: 0}
    current, run = 0, 0
    for trade in closed:
        sign = (trade.profit_loss > 0) - (trade.profit_loss < 0)
        run = run + 1 if sign == current else 1
        current = sign
        if sign:  # break-even trades end both runs
            longest[sign] = max(longest[sign], run)
    return longest[1], longest[-1]


def highlights(
    trades: Sequence[TradeRecord], equity: pd.Series, daily: pd.DataFrame
) -> dict[str, Any]:
    """Best and worst trade and day, winning/losing days, streaks, equity extremes, drawdown."""
    closed = [t for t in trades if not t.is_open]
    best = max(closed, key=lambda t: t.profit_loss, default=None)
    worst = min(closed, key=lambda t: t.profit_loss, default=None)
    pnl = daily["profit_loss"]
    wins, losses = streaks(trades)
    found: dict[str, Any] = {
        "best_trade": best,
        "worst_trade": worst,
        "best_day": daily.loc[pnl.astype(float).idxmax()] if len(daily) else None,
        "worst_day": daily.loc[pnl.astype(float).idxmin()] if len(daily) else None,
        "winning_days": int(sum(1 for v in pnl if v > 0)),
        "losing_days": int(sum(1 for v in pnl if v < 0)),
        "even_days": int(sum(1 for v in pnl if v == 0)),
        "max_consecutive_wins": wins,
        "max_consecutive_losses": losses,
    }
    return found | _equity_extremes(equity)


def _equity_extremes(equity: pd.Series) -> dict[str, Any]:
    if not len(equity):
        return {"min_equity": None, "max_equity": None, "drawdown_peak": None, "drawdown_low": None}
    values = equity.astype("float64")
    low = (values / values.cummax()).idxmin()
    return {
        "min_equity": (values.idxmin(), float(values.min())),
        "max_equity": (values.idxmax(), float(values.max())),
        # the deepest drawdown: from the peak before its low to the low
        "drawdown_peak": (values.loc[:low].idxmax(), float(values.loc[:low].max())),
        "drawdown_low": (low, float(values.loc[low])),
    }
