"""One self-contained HTML report of a backtest: charts, metrics, summaries and the trade list.

The file embeds plotly.js once, packed (`report_plotly`: no CDN, it opens offline), and
holds, in order: a title with the strategy, its parameters, the pairs, the timeframe, the
range and the return next to buy and hold; the metrics and highlights; tables by pair, by
exit reason and of trade durations (`report_tables`, `report_sections`); equity with the
buy-and-hold line above the drawdown (underwater) chart; candles per pair with entries and
exits at their exact times and prices; P/L per UTC day and ISO week; monthly returns (year x
month heatmap); the trades. Amounts are rounded for reading (`report_format`); the JSON keeps
them exact.

What is drawn is bounded (`downsample`): candles merged into OHLC bars of whole multiples of
the timeframe, lines reduced to the minimum and maximum of each bucket, markers past
`MAX_MARKED_TRADES` per pair to the best and worst trade of each period. Tables and metrics
use every candle and trade. Chart times are UTC.
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aurumbotx.backtest import report_format as fmt
from aurumbotx.backtest import report_sections as sections
from aurumbotx.backtest import report_tables as tables
from aurumbotx.backtest.downsample import (
    MAX_CANDLE_BARS,
    MAX_LINE_POINTS,
    MAX_MARKED_TRADES,
    MIN_CANDLE_BARS,
    TOTAL_CANDLE_BARS,
    bars_factor,
    candle_spacing,
    decimate,
    downsample_candles,
    span_label,
    thin_trades,
)
from aurumbotx.backtest.report_plotly import figure_html, plotly_scripts
from aurumbotx.backtest.result import BacktestResult, TradeRecord
from aurumbotx.metrics import (
    buy_and_hold_curve,
    drawdown_series,
    market_change,
    mean_market_change,
)

TRADE_ROWS_EACH_END = 200
# Drawn values are float32: seven significant digits are far below a pixel, at half the bytes.
_DRAWN = "float32"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# key -> (label, kind); kinds drive the formatting in `_format_metric`.
_METRIC_FORMATS: dict[str, tuple[str, str]] = {
    "total_trades": ("Closed trades", "int"),
    "winning_trades": ("Winning trades", "int"),
    "total_profit": ("Total profit", "money"),
    "roi_percentage": ("Return on capital", "percent"),
    "sharpe_ratio": ("Sharpe ratio (annualised)", "ratio"),
    "max_drawdown": ("Max drawdown", "fraction"),
    "win_rate": ("Win rate", "fraction"),
    "profit_factor": ("Profit factor", "ratio"),
    "losing_trades": ("Losing trades", "int"),
    "open_trades": ("Open at the end", "int"),
    "sortino_ratio": ("Sortino ratio (annualised)", "ratio"),
    "calmar_ratio": ("Calmar ratio", "ratio"),
    "cagr": ("CAGR", "fraction"),
    "max_drawdown_duration_days": ("Longest drawdown", "days"),
    "expectancy": ("Expectancy per trade", "money"),
    "exposure": ("Exposure", "fraction"),
    "final_equity": ("Final equity", "money"),
    "starting_capital": ("Starting capital", "money"),
    "buy_and_hold_return": ("Buy and hold (market change)", "fraction"),
    "total_fees": ("Fees paid", "money"),
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;
max-width:1400px;padding:0 1rem;color:#1f2933}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.sub{color:#52606d;margin:.2rem 0}.warn{color:#b44d12}
table{border-collapse:collapse;font-size:.85rem}td,th{padding:.25rem .6rem;text-align:right;
border-bottom:1px solid #e4e7eb}th{background:#f5f7fa}td.l,th.l{text-align:left}
code{color:#7b8794;font-size:.8em}.pos{color:#18794e}.neg{color:#c62828}
.gap td{text-align:center;color:#7b8794;font-style:italic}
h3{font-size:.95rem;margin:.8rem 0 .3rem}.row{display:flex;gap:3rem;flex-wrap:wrap}
td.total{font-weight:600}.note{color:#52606d;font-size:.8rem;max-width:60rem}
"""


def write_report(result: BacktestResult, path: Path) -> Path:
    """Write the HTML report of `result` to `path` (atomically) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_report(result), encoding="utf-8")
    tmp.replace(path)
    return path


def render_report(result: BacktestResult) -> str:
    """The report as one HTML document (plotly.js inlined, packed)."""
    quote = _quote_currency(result.pairs)
    title = f"{result.strategy} · {', '.join(result.pairs) or 'no pairs'} · {result.timeframe}"
    closes = tables.window_closes(result)
    end = result.equity.index[-1] if len(result.equity) else None
    daily = tables.period_breakdown(result.trades, "day")
    weekly = tables.period_breakdown(result.trades, "week")
    parts = [
        _header_html(result, title),
        "<div class='row'><div><h2>Metrics</h2>",
        _metrics_table(result.metrics, quote),
        "</div><div><h2>Highlights</h2>",
        sections.highlights_table(tables.highlights(result.trades, result.equity, daily), quote),
        "</div></div>",
        "<h2>By pair</h2>",
        sections.pair_table(tables.pair_summary(result.trades, closes)),
        "<h2>By exit reason</h2>",
        sections.exit_reason_table(tables.exit_reason_summary(result.trades, end)),
        "<h2>Trade durations</h2>",
        sections.duration_table(tables.duration_summary(result.trades)),
        "<h2>Equity, buy and hold, drawdown</h2>",
        figure_html(_equity_figure(result, closes), "equity-chart", packed=True),
        "<h2>Prices, entries and exits</h2>",
        figure_html(_price_figure(result), "price-chart", packed=True),
        "<h2>Daily and weekly P/L</h2>",
        figure_html(sections.period_figure(daily, weekly), "period-pnl", packed=True),
        sections.period_tables(daily, weekly),
        "<h2>Monthly returns</h2>",
        figure_html(_monthly_figure(result), "monthly-returns", packed=True),
        f"<h2>Trades ({len(result.trades)})</h2>",
        _trades_table(result.trades),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n"
        "</head>\n<body>\n" + "\n".join(parts) + "\n" + plotly_scripts() + "\n</body>\n</html>\n"
    )


# -- header and metrics ----------------------------------------------------------------------


def _header_html(result: BacktestResult, title: str) -> str:
    start, end = _time_range(result)
    params = ", ".join(
        f"{k}={v if isinstance(v, str) else json.dumps(v, default=str)}"
        for k, v in result.params.items()
    )
    lines = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='sub'>{html.escape(start)} → {html.escape(end)} UTC</p>",
        f"<p class='sub'>Parameters: {html.escape(params or 'defaults')}</p>",
        f"<p class='sub'>Starting capital {html.escape(fmt.money(result.starting_capital))}, "
        f"fee rate {html.escape(str(result.fee_rate))}, "
        f"slippage {html.escape(str(result.slippage_bps))} bps</p>",
    ]
    lines.append(f"<p class='sub'>{html.escape(_headline(result))}</p>")
    lines += [f"<p class='warn'>⚠ {html.escape(w)}</p>" for w in result.warnings]
    return "\n".join(lines)


def _headline(result: BacktestResult) -> str:
    """The strategy's return next to the market's, and what the fees cost."""
    closes = tables.window_closes(result)
    changes = [market_change(series) for series in closes.values()]
    held = mean_market_change(changes)
    gain = float(result.final_equity / result.starting_capital) - 1.0
    weighting = f", equal weight over {len(closes)} pairs" if len(closes) > 1 else ""
    quote = _quote_currency(result.pairs)
    fees = f"{fmt.money(tables.total_fees(result.trades))} {quote}".rstrip()
    return (
        f"Return {fmt.percent(gain, signed=True)} vs buy and hold "
        f"{fmt.percent(held, signed=True)}{weighting}; fees paid {fees}"
    )


def _time_range(result: BacktestResult) -> tuple[str, str]:
    index: pd.Index = result.equity.index
    if not len(index):
        frames = [f for f in result.candles.values() if len(f)]
        if not frames:
            return ("n/a", "n/a")
        index = pd.DatetimeIndex(frames[0].index).append([f.index for f in frames[1:]])
    stamps = fmt.naive_utc(pd.DatetimeIndex(index))
    return (f"{stamps.min():%Y-%m-%d %H:%M}", f"{stamps.max():%Y-%m-%d %H:%M}")


def _quote_currency(pairs: Sequence[str]) -> str:
    quotes = {p.partition("/")[2].partition(":")[0] for p in pairs}
    return quotes.pop() if len(quotes) == 1 else ""


def _format_metric(value: float | int | None, kind: str, quote: str) -> str:
    """'n/a' for undefined, '∞' for infinite, '%' for fractions and percentages."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if kind == "int" or (kind == "number" and isinstance(value, int)):
        return f"{int(value):,}"
    if kind == "fraction":
        return f"{value * 100:.2f}%"
    if kind == "percent":
        return f"{value:.2f}%"
    if kind == "money":
        return f"{fmt.money(value)} {quote}".rstrip()
    if kind == "days":
        return f"{value:.1f} days"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:.4g}"


def _metrics_table(metrics: dict[str, float | int | None], quote: str) -> str:
    rows = []
    for key, value in metrics.items():
        label, kind = _METRIC_FORMATS.get(key, (key.replace("_", " ").capitalize(), "number"))
        rows.append(
            f"<tr><td class='l'>{html.escape(label)} <code>{html.escape(key)}</code></td>"
            f"<td>{html.escape(_format_metric(value, kind, quote))}</td></tr>"
        )
    if not rows:
        return "<p>No metrics.</p>"
    return "<table class='metrics'>" + "".join(rows) + "</table>"


# -- charts ----------------------------------------------------------------------------------


def _price_figure(result: BacktestResult) -> go.Figure | None:
    trade_pairs = [t.pair for t in result.trades]
    pairs = list(dict.fromkeys([*result.pairs, *result.candles, *trade_pairs]))
    if not pairs:
        return None
    budget = max(MIN_CANDLE_BARS, min(MAX_CANDLE_BARS, TOTAL_CANDLE_BARS // len(pairs)))
    counts = Counter(trade_pairs)
    titles = [
        _pair_title(pair, result.candles.get(pair), budget) + _marked_note(counts[pair])
        for pair in pairs
    ]
    fig = make_subplots(
        rows=len(pairs),
        cols=1,
        shared_xaxes=True,
        subplot_titles=titles,
        # plotly rejects a spacing above 1 / (rows - 1); many pairs need a smaller one.
        vertical_spacing=min(0.06, 0.5 / len(pairs)),
    )
    for row, pair in enumerate(pairs, start=1):
        frame = result.candles.get(pair)
        if frame is not None and len(frame):
            bars = downsample_candles(frame, budget)
            fig.add_trace(
                go.Candlestick(
                    x=_epoch_ms(bars.index),
                    open=bars["open"].to_numpy(dtype=_DRAWN),
                    high=bars["high"].to_numpy(dtype=_DRAWN),
                    low=bars["low"].to_numpy(dtype=_DRAWN),
                    close=bars["close"].to_numpy(dtype=_DRAWN),
                    name=pair,
                    showlegend=False,
                ),
                row=row,
                col=1,
            )
        trades = thin_trades([t for t in result.trades if t.pair == pair], MAX_MARKED_TRADES)
        for trace in _marker_traces(pair, trades):
            fig.add_trace(trace, row=row, col=1)
    # x values are epoch milliseconds (half the bytes of date strings): say they are dates.
    fig.update_xaxes(rangeslider_visible=False, type="date")
    fig.update_yaxes(hoverformat=",.6~r")
    fig.update_layout(height=120 + 330 * len(pairs), hovermode="closest")
    return fig


def _pair_title(pair: str, frame: pd.DataFrame | None, max_bars: int) -> str:
    if frame is None or not len(frame):
        return f"{pair} (no candles)"
    factor = bars_factor(len(frame), max_bars)
    if factor == 1:
        return f"{pair}: {len(frame):,} candles"
    span = span_label(candle_spacing(frame) * factor)
    return f"{pair}: {len(frame):,} candles shown as {span} bars"


def _marked_note(trades: int) -> str:
    if trades <= MAX_MARKED_TRADES:
        return ""
    return f"; {MAX_MARKED_TRADES:,} of {trades:,} trades marked (best and worst per period)"


def _epoch_ms(index: pd.Index) -> np.ndarray:
    """Times as float epoch milliseconds, which plotly draws on a date axis as UTC."""
    return pd.DatetimeIndex(index).as_unit("ms").asi8.astype("float64")


def _marker_traces(pair: str, trades: Sequence[TradeRecord]) -> list[go.Scatter]:
    """Entry and exit markers at their exact times and prices (plain lists: readable JSON)."""
    closed = [t for t in trades if t.exit_time is not None and t.exit_price is not None]
    entries = go.Scatter(
        x=[fmt.iso(t.entry_time) for t in trades],
        y=[float(t.entry_price) for t in trades],
        mode="markers",
        name=f"{pair} entries",
        marker={"symbol": "triangle-up", "size": 10, "color": "#1565c0"},
        text=[
            f"entry {t.side}, amount {fmt.price(t.amount)}" + (" (still open)" if t.is_open else "")
            for t in trades
        ],
        hovertemplate="%{text}<br>%{x}<br>price %{y}<extra></extra>",
    )
    exits = go.Scatter(
        x=[fmt.iso(t.exit_time) for t in closed if t.exit_time is not None],
        y=[float(t.exit_price) for t in closed if t.exit_price is not None],
        mode="markers",
        name=f"{pair} exits",
        marker={
            "symbol": "triangle-down",
            "size": 10,
            "color": ["#18794e" if t.profit_loss > 0 else "#c62828" for t in closed],
        },
        text=[f"exit ({t.exit_reason or 'n/a'}), P/L {fmt.money(t.profit_loss)}" for t in closed],
        hovertemplate="%{text}<br>%{x}<br>price %{y}<extra></extra>",
    )
    return [entries, exits]


def _equity_figure(result: BacktestResult, closes: dict[str, pd.Series]) -> go.Figure | None:
    equity = result.equity.astype("float64")
    if not len(equity):
        return None
    held = buy_and_hold_curve(closes, float(result.starting_capital))
    underwater = drawdown_series(equity) * 100.0
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.05
    )
    weighting = " (equal weight)" if len(closes) > 1 else ""
    lines = (
        (equity, "equity", {"color": "#1565c0"}, 1),
        (held, f"buy and hold{weighting}", {"color": "#7b8794", "dash": "dot"}, 1),
        (underwater, "drawdown %", {"color": "#c62828"}, 2),
    )
    for series, name, line, row in lines:
        if not len(series):
            continue
        shown = decimate(series, MAX_LINE_POINTS)
        fig.add_trace(
            go.Scatter(
                x=_epoch_ms(shown.index),
                y=shown.to_numpy(dtype=_DRAWN),
                name=name,
                hovertemplate="%{y:,.2f}",
                line=line,
                fill="tozeroy" if row == 2 else None,
                showlegend=row == 1,
            ),
            row=row,
            col=1,
        )
    fig.update_xaxes(type="date")
    fig.update_yaxes(title_text="equity", row=1, col=1)
    fig.update_yaxes(title_text="drawdown %", row=2, col=1)
    # Over years buy and hold can dwarf the equity: a log scale shows both.
    scales = [
        {"label": label, "method": "relayout", "args": [{"yaxis.type": kind}]}
        for label, kind in (("linear", "linear"), ("log scale", "log"))
    ]
    fig.update_layout(
        height=560,
        hovermode="x",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "buttons": scales,
                "x": 0.5,
                "xanchor": "center",
                "y": 1.02,
                "yanchor": "bottom",
            }
        ],
    )
    return fig


def monthly_returns(equity: pd.Series, starting_capital: float) -> pd.DataFrame:
    """Returns per calendar month (fractions), years as rows and months 1-12 as columns."""
    values = equity.astype("float64")
    month_end = values.resample("ME").last().dropna()
    if month_end.empty:
        return pd.DataFrame(columns=range(1, 13), dtype="float64")
    # The first month is measured from the starting capital, as the ROI is.
    previous = month_end.shift(1).fillna(starting_capital)
    returns = month_end / previous - 1.0
    index = pd.DatetimeIndex(returns.index)
    table = pd.DataFrame({"year": index.year, "month": index.month, "ret": returns.to_numpy()})
    return table.pivot(index="year", columns="month", values="ret").reindex(columns=range(1, 13))


def _monthly_figure(result: BacktestResult) -> go.Figure | None:
    if not len(result.equity):
        return None
    table = monthly_returns(result.equity, float(result.starting_capital))
    yearly = (1.0 + table).prod(axis=1, min_count=1) - 1.0
    z = np.column_stack([table.to_numpy(), yearly.to_numpy()]) * 100.0
    text = [["" if np.isnan(v) else f"{v:+.1f}%" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[*_MONTHS, "Year"],
            y=[str(year) for year in table.index],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0,
            hovertemplate="%{y} %{x}: %{text}<extra></extra>",
            colorbar={"title": {"text": "%"}},
        )
    )
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(height=140 + 40 * len(table.index))
    return fig


# -- trades ----------------------------------------------------------------------------------

_TRADE_HEADER = (
    "#",
    "Pair",
    "Side",
    "Entry (UTC)",
    "Entry price",
    "Exit (UTC)",
    "Exit price",
    "Amount",
    "Fees",
    "P/L",
    "P/L %",
    "Held",
    "Exit reason",
)


def _trades_table(trades: Sequence[TradeRecord]) -> str:
    if not trades:
        return "<p>No trades.</p>"
    numbered = list(enumerate(trades, start=1))
    if len(numbered) > 2 * TRADE_ROWS_EACH_END:
        head, tail = numbered[:TRADE_ROWS_EACH_END], numbered[-TRADE_ROWS_EACH_END:]
        hidden = len(numbered) - 2 * TRADE_ROWS_EACH_END
        gap = (
            f"<tr class='gap'><td colspan='{len(_TRADE_HEADER)}'>… {hidden:,} trades not shown "
            "(all of them are in the JSON result) …</td></tr>"
        )
        body = [*_trade_rows(head), gap, *_trade_rows(tail)]
    else:
        body = _trade_rows(numbered)
    header = "".join(
        f"<th class='{'l' if name in {'Pair', 'Side', 'Exit reason'} else ''}'>{name}</th>"
        for name in _TRADE_HEADER
    )
    return f"<table class='trades'><tr>{header}</tr>" + "".join(body) + "</table>"


def _trade_rows(numbered: Iterable[tuple[int, TradeRecord]]) -> list[str]:
    rows = []
    for number, t in numbered:
        notional = t.entry_price * t.amount
        pnl_pct = f"{float(t.profit_loss / notional) * 100:+.2f}%" if notional > 0 else "n/a"
        held = (
            "open"
            if t.exit_ts is None
            else fmt.duration(pd.Timedelta(t.exit_ts - t.entry_ts, "ms"))
        )
        cells = (
            str(number),
            t.pair,
            t.side,
            fmt.stamp(t.entry_time),
            fmt.price(t.entry_price),
            "open" if t.exit_time is None else fmt.stamp(t.exit_time),
            "" if t.exit_price is None else fmt.price(t.exit_price),
            fmt.price(t.amount),
            fmt.money(t.fees),
            fmt.money(t.profit_loss),
            pnl_pct,
            held,
            t.exit_reason or ("open" if t.is_open else ""),
        )
        sign = "pos" if t.profit_loss > 0 else "neg" if t.profit_loss < 0 else ""
        tds = "".join(
            f"<td class='{'l' if i in {1, 2, 12} else sign if i in {9, 10} else ''}'>"
            f"{html.escape(c)}</td>"
            for i, c in enumerate(cells)
        )
        rows.append(f"<tr>{tds}</tr>")
    return rows
