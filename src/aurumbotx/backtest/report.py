"""One self-contained HTML report of a backtest: charts, metrics and the trade list.

The file embeds plotly.js once (no CDN, it opens offline) and holds, in order: a title with
the strategy, its parameters, the pairs, the timeframe and the range; the metrics table;
candles per pair with every entry and exit at its exact time and price; the equity curve
above its drawdown (underwater) chart; monthly returns (year x month heatmap); the trades.

Long histories stay small: candles are merged into OHLC bars of whole multiples of the
timeframe (at most `MAX_CANDLE_BARS` per pair, fewer when many pairs share
`TOTAL_CANDLE_BARS`) and the equity and drawdown lines keep the
minimum and maximum of each bucket (at most `MAX_LINE_POINTS`), so peaks and troughs survive.
Trade markers are never thinned. Chart times are UTC.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from aurumbotx.backtest.result import BacktestResult, TradeRecord
from aurumbotx.metrics import drawdown_series

MAX_CANDLE_BARS = 5_000  # per pair
TOTAL_CANDLE_BARS = 10_000  # over all pairs, so many pairs do not bloat the file
MIN_CANDLE_BARS = 1_000
MAX_LINE_POINTS = 5_000
TRADE_ROWS_EACH_END = 200
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}
_TEMPLATE = "plotly_white"
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
"""


def write_report(result: BacktestResult, path: Path) -> Path:
    """Write the HTML report of `result` to `path` (atomically) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_report(result), encoding="utf-8")
    tmp.replace(path)
    return path


def render_report(result: BacktestResult) -> str:
    """The report as one HTML document (plotly.js inlined)."""
    quote = _quote_currency(result.pairs)
    title = f"{result.strategy} · {', '.join(result.pairs) or 'no pairs'} · {result.timeframe}"
    sections = [
        _header_html(result, title),
        "<h2>Metrics</h2>",
        _metrics_table(result.metrics, quote),
        "<h2>Prices, entries and exits</h2>",
        _figure_html(_price_figure(result), "price-chart"),
        "<h2>Equity and drawdown</h2>",
        _figure_html(_equity_figure(result), "equity-chart"),
        "<h2>Monthly returns</h2>",
        _figure_html(_monthly_figure(result), "monthly-returns"),
        f"<h2>Trades ({len(result.trades)})</h2>",
        _trades_table(result.trades),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n"
        f"<script type='text/javascript'>{get_plotlyjs()}</script>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
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
        f"<p class='sub'>Starting capital {html.escape(str(result.starting_capital))}, "
        f"fee rate {html.escape(str(result.fee_rate))}, "
        f"slippage {html.escape(str(result.slippage_bps))} bps</p>",
    ]
    lines += [f"<p class='warn'>⚠ {html.escape(w)}</p>" for w in result.warnings]
    return "\n".join(lines)


def _time_range(result: BacktestResult) -> tuple[str, str]:
    index: pd.Index = result.equity.index
    if not len(index):
        frames = [f for f in result.candles.values() if len(f)]
        if not frames:
            return ("n/a", "n/a")
        index = pd.DatetimeIndex(frames[0].index).append([f.index for f in frames[1:]])
    stamps = _naive_utc(pd.DatetimeIndex(index))
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
        return f"{_money(float(value))} {quote}".rstrip()
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


def _figure_html(figure: go.Figure | None, div_id: str) -> str:
    if figure is None:
        return "<p>No data.</p>"
    figure.update_layout(template=_TEMPLATE, margin={"l": 60, "r": 20, "t": 40, "b": 40})
    # plotly.js is in <head> once; each figure brings only its data and layout.
    return str(
        figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOT_CONFIG)
    )


def _price_figure(result: BacktestResult) -> go.Figure | None:
    trade_pairs = [t.pair for t in result.trades]
    pairs = list(dict.fromkeys([*result.pairs, *result.candles, *trade_pairs]))
    if not pairs:
        return None
    budget = max(MIN_CANDLE_BARS, min(MAX_CANDLE_BARS, TOTAL_CANDLE_BARS // len(pairs)))
    titles = [_pair_title(pair, result.candles.get(pair), budget) for pair in pairs]
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
                    x=_naive_utc(pd.DatetimeIndex(bars.index)),
                    open=bars["open"].to_numpy(dtype="float64"),
                    high=bars["high"].to_numpy(dtype="float64"),
                    low=bars["low"].to_numpy(dtype="float64"),
                    close=bars["close"].to_numpy(dtype="float64"),
                    name=pair,
                    showlegend=False,
                ),
                row=row,
                col=1,
            )
        trades = [t for t in result.trades if t.pair == pair]
        for trace in _marker_traces(pair, trades):
            fig.add_trace(trace, row=row, col=1)
    fig.update_xaxes(rangeslider_visible=False)
    fig.update_layout(height=120 + 330 * len(pairs), hovermode="closest")
    return fig


def _pair_title(pair: str, frame: pd.DataFrame | None, max_bars: int) -> str:
    if frame is None or not len(frame):
        return f"{pair} (no candles)"
    factor = _bars_factor(len(frame), max_bars)
    if factor == 1:
        return f"{pair}: {len(frame):,} candles"
    span = _span_label(_candle_spacing(frame) * factor)
    return f"{pair}: {len(frame):,} candles shown as {span} bars"


def _marker_traces(pair: str, trades: Sequence[TradeRecord]) -> list[go.Scatter]:
    """Entry and exit markers at their exact times and prices (plain lists: readable JSON)."""
    closed = [t for t in trades if t.exit_time is not None and t.exit_price is not None]
    entries = go.Scatter(
        x=[_iso(t.entry_time) for t in trades],
        y=[float(t.entry_price) for t in trades],
        mode="markers",
        name=f"{pair} entries",
        marker={"symbol": "triangle-up", "size": 10, "color": "#1565c0"},
        text=[
            f"entry {t.side}, amount {t.amount}" + (" (still open)" if t.is_open else "")
            for t in trades
        ],
        hovertemplate="%{text}<br>%{x}<br>price %{y}<extra></extra>",
    )
    exits = go.Scatter(
        x=[_iso(t.exit_time) for t in closed if t.exit_time is not None],
        y=[float(t.exit_price) for t in closed if t.exit_price is not None],
        mode="markers",
        name=f"{pair} exits",
        marker={
            "symbol": "triangle-down",
            "size": 10,
            "color": ["#18794e" if t.profit_loss > 0 else "#c62828" for t in closed],
        },
        text=[
            f"exit ({t.exit_reason or 'n/a'}), P/L {_money(float(t.profit_loss))}" for t in closed
        ],
        hovertemplate="%{text}<br>%{x}<br>price %{y}<extra></extra>",
    )
    return [entries, exits]


def _equity_figure(result: BacktestResult) -> go.Figure | None:
    equity = result.equity.astype("float64")
    if not len(equity):
        return None
    equity = equity.set_axis(_naive_utc(pd.DatetimeIndex(equity.index)))
    shown = decimate(equity, MAX_LINE_POINTS)
    underwater = decimate(drawdown_series(equity) * 100.0, MAX_LINE_POINTS)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.05
    )
    fig.add_trace(
        go.Scatter(x=shown.index, y=shown.to_numpy(), name="equity", line={"color": "#1565c0"}),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=underwater.index,
            y=underwater.to_numpy(),
            name="drawdown %",
            fill="tozeroy",
            line={"color": "#c62828"},
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text="equity", row=1, col=1)
    fig.update_yaxes(title_text="drawdown %", row=2, col=1)
    fig.update_layout(height=560, showlegend=False, hovermode="x")
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
        held = "open" if t.exit_time is None else _held(t.entry_time, t.exit_time)
        cells = (
            str(number),
            t.pair,
            t.side,
            _stamp(t.entry_time),
            _decimal(t.entry_price),
            "open" if t.exit_time is None else _stamp(t.exit_time),
            "" if t.exit_price is None else _decimal(t.exit_price),
            _decimal(t.amount),
            _money(float(t.fees)),
            _money(float(t.profit_loss)),
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


# -- downsampling and small formatting helpers ---------------------------------------------


def downsample_candles(frame: pd.DataFrame, max_bars: int = MAX_CANDLE_BARS) -> pd.DataFrame:
    """OHLC bars of whole multiples of the candle spacing, at most about `max_bars` of them."""
    factor = _bars_factor(len(frame), max_bars)
    if factor == 1:
        return frame
    rule = _candle_spacing(frame) * factor
    bars = frame.resample(rule, origin="start").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last"}
    )
    return bars.dropna(subset=["close"])


def decimate(series: pd.Series, max_points: int) -> pd.Series:
    """At most about `max_points` points keeping each bucket's minimum and maximum, in order."""
    n = len(series)
    if n <= max_points:
        return series
    buckets = max(max_points // 2, 1)
    bucket_of = np.arange(n) * buckets // n
    positional = pd.Series(series.to_numpy(dtype="float64"))
    grouped = positional.groupby(bucket_of)
    keep = np.unique(
        np.concatenate([grouped.idxmin().to_numpy(), grouped.idxmax().to_numpy(), [0, n - 1]])
    )
    return series.iloc[keep]


def _bars_factor(n_candles: int, max_bars: int) -> int:
    return max(1, math.ceil(n_candles / max_bars))


def _candle_spacing(frame: pd.DataFrame) -> pd.Timedelta:
    if len(frame) < 2:
        return pd.Timedelta(minutes=1)
    # The median step ignores gaps in the data (exchange outages).
    return pd.Timedelta(pd.DatetimeIndex(frame.index).to_series().diff().median())


def _span_label(span: pd.Timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _naive_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    # plotly.js ignores UTC offsets in date strings; naive UTC times plot as labelled.
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index


def _to_utc(value: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC") if stamp.tzinfo is not None else stamp.tz_localize("UTC")


def _iso(value: datetime | None) -> str:
    return "" if value is None else _to_utc(value).tz_localize(None).isoformat()


def _stamp(value: datetime) -> str:
    return f"{_to_utc(value):%Y-%m-%d %H:%M}"


def _held(entry: datetime, exit_: datetime) -> str:
    minutes = int((_to_utc(exit_) - _to_utc(entry)).total_seconds() // 60)
    days, rest = divmod(minutes, 1_440)
    hours, mins = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours:02d}:{mins:02d}"


def _decimal(value: Decimal) -> str:
    return f"{value:f}"


def _money(value: float) -> str:
    # Two decimals read well for USDT amounts; small amounts (BTC-quoted) keep 4 digits.
    if value == 0 or abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.4g}"
