"""The HTML report: self-contained, with the metrics, every trade marker and the trade list."""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from aurumbotx.backtest.downsample import MAX_LINE_POINTS
from aurumbotx.backtest.report import (
    decimate,
    downsample_candles,
    monthly_returns,
    render_report,
    write_report,
)
from aurumbotx.backtest.report_plotly import packed_plotly_js
from aurumbotx.backtest.result import BacktestResult, TradeRecord
from aurumbotx.metrics import METRIC_KEYS, compute_metrics


def make_candles(start: str, periods: int, freq: str, base: float) -> pd.DataFrame:
    """A candle frame: UTC DatetimeIndex named timestamp, float64 OHLCV, close rising by 0.1."""
    index = pd.date_range(start, periods=periods, freq=freq, tz="UTC", name="timestamp")
    close = base + 0.1 * np.arange(periods)
    return pd.DataFrame(
        {
            "open": close - 0.05,
            "high": close + 0.5,
            "low": close - 0.5,
            "close": close,
            "volume": np.full(periods, 3.0),
        },
        index=index,
    )


def at(hour: int) -> datetime:
    """2024-01-01 00:00 UTC plus `hour` hours."""
    return datetime(2024, 1, 1, tzinfo=UTC) + pd.Timedelta(hours=hour).to_pytimedelta()


def ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def make_trade(
    pair: str, entry: int, price: str, exit_: int | None = None, **kw: Any
) -> TradeRecord:
    """A long trade of 0.1 entered at hour `entry`; closed at hour `exit_` if given."""
    return TradeRecord(
        pair=pair,
        side="long",
        entry_ts=ms(at(entry)),
        entry_price=Decimal(price),
        amount=Decimal("0.1"),
        fees=Decimal("0.02"),
        profit_loss=Decimal(kw.pop("pnl", "0")),
        exit_ts=None if exit_ is None else ms(at(exit_)),
        **kw,
    )


TRADES = [
    make_trade(
        "BTC/USDT",
        3,
        "101.5",
        10,
        exit_price=Decimal("104.25"),
        exit_reason="take_profit",
        pnl="0.255",
    ),
    make_trade(
        "BTC/USDT",
        20,
        "103.75",
        30,
        exit_price=Decimal("102.125"),
        exit_reason="stop_loss",
        pnl="-0.1825",
    ),
    make_trade("ETH/USDT", 44, "55.125", pnl="-0.03"),  # still open at the end
]


def make_result(trades: list[TradeRecord], metrics: dict[str, Any] | None = None) -> BacktestResult:
    """A two-pair 1h result over 48 candles (2024-01-01 00:00 to 2024-01-02 23:00 UTC)."""
    candles = {
        "BTC/USDT": make_candles("2024-01-01", 48, "1h", 100.0),
        "ETH/USDT": make_candles("2024-01-01", 48, "1h", 50.0),
    }
    equity = pd.Series(
        1000.0 + np.sin(np.arange(48) / 5.0) * 5.0, index=candles["BTC/USDT"].index, name="equity"
    )
    closed = [float(t.profit_loss) for t in trades if not t.is_open]
    if metrics is None:
        metrics = compute_metrics(
            equity,
            closed,
            starting_capital=1000.0,
            periods_per_year=8760,
            exposure=0.4,
            open_trades=len(trades) - len(closed),
        )
    return BacktestResult(
        strategy="sma_cross",
        params={"fast": 10, "slow": 50},
        pairs=["BTC/USDT", "ETH/USDT"],
        timeframe="1h",
        starting_capital=Decimal(1000),
        final_equity=Decimal(str(equity.iloc[-1])),
        trades=trades,
        equity=equity,
        metrics=metrics,
        candles=candles,
    )


def plot_data(document: str, div_id: str) -> list[dict[str, Any]]:
    """The traces passed to Plotly.newPlot for the chart `div_id`."""
    match = re.search(
        rf'Plotly\.newPlot\(\s*"{div_id}",\s*(\[.*?\]),\s*\{{"template"', document, re.S
    )
    assert match, f"no chart {div_id}"
    traces: list[dict[str, Any]] = json.loads(match.group(1))
    return traces


def trace(traces: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The trace called `name`."""
    return next(t for t in traces if t.get("name") == name)


def decode(array: Any) -> np.ndarray:
    """A plotly array: a JSON list or a base64 typed array."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
    return np.asarray(array)


def test_writes_one_self_contained_file(tmp_path: Path) -> None:
    path = write_report(make_result(TRADES), tmp_path / "reports" / "run.html")
    assert path == tmp_path / "reports" / "run.html"
    document = path.read_text(encoding="utf-8")
    assert document.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc=", document, re.I)  # no CDN, opens offline
    # plotly.js embedded exactly once, packed (gzip + base64), and unpacked whole
    packed = re.findall(r"<script id='plotly-js' type='application/gzip'>([^<]*)<", document)
    assert len(packed) == 1
    assert gzip.decompress(base64.b64decode(packed[0])).decode("utf-8") == get_plotlyjs()
    assert len(packed[0]) < len(get_plotlyjs()) / 2
    # every figure waits for the loader: none runs before plotly.js is unpacked
    assert document.count('<script type="text/x-plotly-figure">') == 4
    assert "Plotly.newPlot" not in re.sub(
        r'<script type="text/x-plotly-figure">.*?</script>', "", document, flags=re.S
    )
    assert [p.name for p in path.parent.iterdir()] == ["run.html"]  # no temp file left


def test_title_names_strategy_params_pairs_timeframe_and_range() -> None:
    document = render_report(make_result(TRADES))
    assert "<title>sma_cross · BTC/USDT, ETH/USDT · 1h</title>" in document
    assert "2024-01-01 00:00 → 2024-01-02 23:00 UTC" in document
    assert "fast=10, slow=50" in document


def test_metrics_table_lists_every_metric() -> None:
    document = render_report(make_result(TRADES))
    for key in METRIC_KEYS:
        assert f"<code>{key}</code>" in document
    # 1 winner of 2 closed trades; profit factor 0.255 / 0.1825 = 1.397...
    assert "Win rate <code>win_rate</code></td><td>50.00%</td>" in document
    assert "<code>profit_factor</code></td><td>1.40</td>" in document
    assert "<code>open_trades</code></td><td>1</td>" in document


def test_metric_formatting_of_percent_none_and_infinity() -> None:
    metrics = {
        "roi_percentage": 12.3456,
        "max_drawdown": -0.25,
        "sharpe_ratio": None,
        "profit_factor": math.inf,
        "total_profit": 1234.5,
        "max_drawdown_duration_days": 3.25,
    }
    document = render_report(make_result(TRADES, metrics))
    assert "<code>roi_percentage</code></td><td>12.35%</td>" in document
    assert "<code>max_drawdown</code></td><td>-25.00%</td>" in document
    assert "<code>sharpe_ratio</code></td><td>n/a</td>" in document
    assert "<code>profit_factor</code></td><td>∞</td>" in document
    assert "<code>total_profit</code></td><td>1,234.50 USDT</td>" in document
    assert "<code>max_drawdown_duration_days</code></td><td>3.2 days</td>" in document


def test_entry_and_exit_markers_at_exact_times_and_prices() -> None:
    traces = plot_data(render_report(make_result(TRADES)), "price-chart")
    btc_entries = trace(traces, "BTC/USDT entries")
    assert btc_entries["x"] == ["2024-01-01T03:00:00", "2024-01-01T20:00:00"]
    assert btc_entries["y"] == [101.5, 103.75]
    btc_exits = trace(traces, "BTC/USDT exits")
    assert btc_exits["x"] == ["2024-01-01T10:00:00", "2024-01-02T06:00:00"]
    assert btc_exits["y"] == [104.25, 102.125]
    assert btc_exits["text"][0].startswith("exit (take_profit)")
    # The open ETH trade has an entry marker and no exit marker.
    eth_entries = trace(traces, "ETH/USDT entries")
    assert eth_entries["x"] == ["2024-01-02T20:00:00"]
    assert eth_entries["y"] == [55.125]
    assert "(still open)" in eth_entries["text"][0]
    assert trace(traces, "ETH/USDT exits")["x"] == []
    # One candlestick per pair, all 48 candles (no downsampling needed).
    candles = [t for t in traces if t["type"] == "candlestick"]
    assert [t["name"] for t in candles] == ["BTC/USDT", "ETH/USDT"]
    assert len(decode(candles[0]["x"])) == 48
    assert decode(candles[1]["close"])[-1] == pytest.approx(50.0 + 0.1 * 47)


def test_trade_list_shows_open_trades() -> None:
    document = render_report(make_result(TRADES))
    assert "<h2>Trades (3)</h2>" in document
    rows = re.findall(r"<tr><td class=''>(\d+)</td>(.*?)</tr>", document)
    assert [number for number, _ in rows] == ["1", "2", "3"]
    # Trade 1: 0.255 / (101.5 * 0.1) = +2.51 %, held 7 hours
    assert "+2.51%" in rows[0][1]
    assert "07:00" in rows[0][1]
    assert "take_profit" in rows[0][1]
    assert "ETH/USDT" in rows[2][1]
    assert rows[2][1].count(">open<") == 3  # exit time, held, exit reason


def test_zero_trades() -> None:
    document = render_report(make_result([]))
    assert "<h2>Trades (0)</h2>" in document
    assert "<p>No trades.</p>" in document
    assert "<code>profit_factor</code></td><td>n/a</td>" in document
    assert "<code>win_rate</code></td><td>0.00%</td>" in document
    traces = plot_data(document, "price-chart")
    assert trace(traces, "BTC/USDT entries")["x"] == []
    assert len([t for t in traces if t["type"] == "candlestick"]) == 2


def test_empty_equity_and_candles_still_render() -> None:
    result = make_result([])
    result.equity = pd.Series([], index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")
    result.candles = {}
    document = render_report(result)
    assert document.count(" (no candles)") == 2  # subplot titles of both pairs
    assert document.count("<p>No data.</p>") == 3  # equity, daily/weekly P/L, monthly returns


def test_many_pairs_share_the_candle_budget() -> None:
    result = make_result([])
    result.pairs = [f"C{i}/USDT" for i in range(25)]
    result.candles = {pair: make_candles("2024-01-01", 3_000, "1h", 10.0) for pair in result.pairs}
    traces = plot_data(render_report(result), "price-chart")
    candles = [t for t in traces if t["type"] == "candlestick"]
    assert len(candles) == 25
    # 10,000 // 25 = 400 < 1,000 (the floor): ceil(3000 / 1000) = 3 candles per bar -> 1000 bars
    assert {len(decode(t["x"])) for t in candles} == {1_000}


def test_long_trade_lists_show_both_ends() -> None:
    trades = [make_trade("BTC/USDT", i % 40, "100", i % 40 + 1, pnl="1") for i in range(450)]
    document = render_report(make_result(trades))
    numbers = [int(n) for n in re.findall(r"<tr><td class=''>(\d+)</td>", document)]
    assert numbers == [*range(1, 201), *range(251, 451)]
    assert "… 50 trades not shown" in document
    # Every marker is kept even when the table is cut.
    assert len(trace(plot_data(document, "price-chart"), "BTC/USDT entries")["x"]) == 450


def test_long_histories_are_downsampled_but_markers_are_exact() -> None:
    frame = make_candles("2024-01-01", 12_000, "1min", 100.0)
    frame.iloc[7_777, frame.columns.get_loc("high")] = 9_999.0  # a spike must survive
    bars = downsample_candles(frame, 5_000)
    # ceil(12000 / 5000) = 3 candles per bar -> 4000 bars of 3 minutes
    assert len(bars) == 4_000
    assert bars.index[1] - bars.index[0] == pd.Timedelta(minutes=3)
    assert bars["high"].max() == 9_999.0
    assert bars["open"].iloc[0] == frame["open"].iloc[0]
    assert bars["close"].iloc[-1] == frame["close"].iloc[-1]

    result = make_result([])
    result.candles = {"BTC/USDT": frame}
    result.pairs = ["BTC/USDT"]
    result.trades = [
        TradeRecord(
            pair="BTC/USDT",
            side="long",
            entry_ts=ms(datetime(2024, 1, 3, 5, 7, tzinfo=UTC)),
            entry_price=Decimal("1234.5678"),
            amount=Decimal(1),
            fees=Decimal(0),
            profit_loss=Decimal(0),
        )
    ]
    document = render_report(result)
    assert "12,000 candles shown as 3m bars" in document
    traces = plot_data(document, "price-chart")
    assert len(decode(trace(traces, "BTC/USDT")["x"])) == 4_000
    entries = trace(traces, "BTC/USDT entries")
    assert (entries["x"], entries["y"]) == (["2024-01-03T05:07:00"], [1234.5678])


def test_decimate_keeps_extremes_in_order() -> None:
    index = pd.date_range("2024-01-01", periods=10_000, freq="1min", tz="UTC")
    series = pd.Series(np.linspace(0.0, 1.0, 10_000), index=index)
    series.iloc[1234] = -5.0
    series.iloc[8765] = 7.0
    shown = decimate(series, 100)
    assert len(shown) <= 100  # 49 buckets x (min, max) + first and last
    assert shown.min() == -5.0
    assert shown.max() == 7.0
    assert shown.index.is_monotonic_increasing
    assert shown.index[0] == index[0]
    assert shown.index[-1] == index[-1]
    assert len(decimate(series.iloc[:50], 100)) == 50


def test_monthly_returns_from_the_starting_capital() -> None:
    index = pd.DatetimeIndex(
        ["2023-12-15", "2023-12-31", "2024-01-15", "2024-01-31", "2024-03-10"], tz="UTC"
    )
    equity = pd.Series([1010.0, 1100.0, 1050.0, 990.0, 1039.5], index=index)
    table = monthly_returns(equity, starting_capital=1000.0)
    # Dec 2023: 1100 / 1000 - 1 = +10 %; Jan 2024: 990 / 1100 - 1 = -10 %;
    # Feb 2024: no data; Mar 2024: 1039.5 / 990 - 1 = +5 %
    assert table.loc[2023, 12] == pytest.approx(0.10)
    assert table.loc[2024, 1] == pytest.approx(-0.10)
    assert math.isnan(table.loc[2024, 2])
    assert table.loc[2024, 3] == pytest.approx(0.05)
    assert list(table.columns) == list(range(1, 13))


def test_monthly_heatmap_has_a_year_column() -> None:
    traces = plot_data(render_report(make_result(TRADES)), "monthly-returns")
    heatmap = traces[0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"][-1] == "Year"
    assert heatmap["y"] == ["2024"]


def test_a_64k_candle_hourly_run_stays_small(tmp_path: Path) -> None:
    frame = make_candles("2017-01-01", 64_000, "1h", 1000.0)
    trades = [
        make_trade("BTC/USDT", 0, "1000", 5, exit_price=Decimal(1001), pnl="0.1")
        for _ in range(2_000)
    ]
    result = make_result(trades)
    result.pairs = ["BTC/USDT"]
    result.candles = {"BTC/USDT": frame}
    result.equity = pd.Series(1000.0 + np.arange(64_000) % 97, index=frame.index)
    path = write_report(result, tmp_path / "big.html")
    # Beyond plotly.js (2 MB packed), the drawn data and the tables stay under a megabyte.
    assert path.stat().st_size - len(packed_plotly_js()) < 1_000_000
    traces = plot_data(path.read_text(encoding="utf-8"), "equity-chart")
    assert all(len(decode(t["y"])) <= MAX_LINE_POINTS for t in traces)


def test_summary_tables_by_pair_exit_reason_and_duration() -> None:
    document = render_report(make_result(TRADES))
    # BTC closes 100 -> 104.7 (+4.70 %), ETH 50 -> 54.7 (+9.40 %): equal weight +7.05 %.
    assert "vs buy and hold +7.05%, equal weight over 2 pairs; fees paid 0.06 USDT" in document
    pairs = document[document.index("<h2>By pair</h2>") : document.index("<h2>By exit reason")]
    rows = re.findall(r"<tr>(.*?)</tr>", pairs)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows[1:]]
    assert cells[0] == [
        "BTC/USDT", "2", "1", "1", "50.00%", "0.0725", "0", "0.00", "0.04", "+4.70%"
    ]  # fmt: skip
    assert cells[1] == [
        "ETH/USDT", "0", "0", "0", "n/a", "0.00", "1", "-0.03", "0.02", "+9.40%"
    ]  # fmt: skip
    assert cells[2][0] == "TOTAL"
    assert cells[2][-1] == "+7.05%"
    reasons = document[document.index("<h2>By exit reason") : document.index("<h2>Trade dur")]
    assert re.findall(r"<tr><td class='l'>([^<]+)</td>", reasons) == [
        "stop_loss",
        "take_profit",
        "still open (marked to market)",
    ]
    # the open ETH trade: 20:00 to the last point at 23:00
    assert "<td class=''>03:00</td></tr></table>" in reasons
    durations = document[document.index("<h2>Trade dur") : document.index("<h2>Equity")]
    assert "<td class='l'>all</td><td class=''>2</td><td class=''>08:30</td>" in durations


def test_equity_chart_has_the_buy_and_hold_line() -> None:
    traces = plot_data(render_report(make_result(TRADES)), "equity-chart")
    held = decode(trace(traces, "buy and hold (equal weight)")["y"])
    assert held[0] == pytest.approx(1000.0)
    assert held[-1] == pytest.approx(1000.0 * (1 + (0.047 + 0.094) / 2), rel=1e-6)
    assert [t["name"] for t in traces] == ["equity", "buy and hold (equal weight)", "drawdown %"]


def test_daily_and_weekly_pnl_chart_and_tables() -> None:
    document = render_report(make_result(TRADES))
    traces = plot_data(document, "period-pnl")
    assert [t["name"] for t in traces] == ["day", "week"]
    assert decode(traces[0]["y"]).tolist() == pytest.approx([0.255, -0.1825])
    assert decode(traces[1]["y"]).tolist() == pytest.approx([0.0725])
    assert "Last 2 of 2 days with an exit" in document
    assert "<td class='l'>2024-W01</td>" in document


def test_markers_are_thinned_past_the_cap_with_a_note() -> None:
    trades = [
        make_trade("BTC/USDT", i % 40, "100", i % 40 + 1, exit_price=Decimal(101), pnl=str(i))
        for i in range(2_500)
    ]
    document = render_report(make_result(trades))
    entries = trace(plot_data(document, "price-chart"), "BTC/USDT entries")
    assert len(entries["x"]) <= 2_000
    exits = trace(plot_data(document, "price-chart"), "BTC/USDT exits")["text"]
    assert "exit (n/a), P/L 2,499.00" in exits  # the best trade
    assert "exit (n/a), P/L 0.00" in exits  # and the worst are kept
    assert "2,000 of 2,500 trades marked" in document
    assert "<h2>Trades (2500)</h2>" in document  # the list and the tables count every trade


def test_highlights_next_to_the_metrics() -> None:
    document = render_report(make_result(TRADES))
    found = document[document.index("<h2>Highlights</h2>") : document.index("<h2>By pair")]
    assert "+0.255 USDT, BTC/USDT, exit 2024-01-01 10:00 (take_profit)" in found
    assert "-0.1825 USDT, BTC/USDT, exit 2024-01-02 06:00 (stop_loss)" in found
    assert "+0.255 USDT on 2024-01-01 (1 trade)" in found
    assert "<td class='l'>1 / 1 / 0</td>" in found
