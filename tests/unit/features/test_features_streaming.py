"""A candle-by-candle reference reproduces the vectorised seeded features (the live path).

The recursions below are TA-Lib's, written out one candle at a time with their state carried
forward, as the live feature updater will do. They must agree with compute_features to 1e-9
relative (they do to 1e-15 or better, most of them bit for bit): the proof that the vectorised
choice can be streamed. Data: the first 3,000 candles of the real BTC/USDT 1h history.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from aurumbotx.features import compute_features
from aurumbotx.testing.market import load_shared_candles

ROWS = 3000
RTOL = 1e-9


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load_shared_candles("binance_BTC-USDT_1h", rows=ROWS)


@pytest.fixture(scope="module")
def features(candles: pd.DataFrame) -> pd.DataFrame:
    return compute_features(candles)


def stream_ema(values: Iterator[float], period: int) -> Iterator[float]:
    """TA-Lib EMA: NaN for period - 1 values, the mean of the first window, then the recursion."""
    k = 2.0 / (period + 1)
    total, count, previous = 0.0, 0, math.nan
    for value in values:
        if math.isnan(value):
            yield math.nan
            continue
        count += 1
        if count < period:
            total += value
            yield math.nan
        elif count == period:
            previous = (total + value) / period
            yield previous
        else:
            previous = (value - previous) * k + previous
            yield previous


def stream_macd(closes: list[float]) -> Iterator[tuple[float, float]]:
    """TA-Lib MACD 12/26/9: BOTH EMAs are seeded at row 25, the fast one with closes 14..25."""
    slow_k, fast_k, signal_k = 2.0 / 27, 2.0 / 13, 2.0 / 10
    slow = fast = signal = math.nan
    lines: list[float] = []
    for t, close in enumerate(closes):
        if t < 25:
            yield math.nan, math.nan
            continue
        if t == 25:
            slow = _sequential_sum(closes[0:26]) / 26
            fast = _sequential_sum(closes[14:26]) / 12
        else:
            slow = (close - slow) * slow_k + slow
            fast = (close - fast) * fast_k + fast
        lines.append(fast - slow)
        if t < 33:
            yield math.nan, math.nan
            continue
        if t == 33:
            signal = _sequential_sum(lines[0:9]) / 9
        else:
            signal = (lines[-1] - signal) * signal_k + signal
        yield lines[-1], signal


def stream_rsi(closes: list[float], period: int) -> Iterator[float]:
    """TA-Lib RSI: mean gain and loss of the first `period` changes, then Wilder smoothing."""
    gain = loss = 0.0
    for t, close in enumerate(closes):
        if t == 0:
            yield math.nan
            continue
        change = close - closes[t - 1]
        if t <= period:
            if change < 0:
                loss -= change
            else:
                gain += change
            if t < period:
                yield math.nan
                continue
            gain /= period
            loss /= period
        else:
            gain *= period - 1
            loss *= period - 1
            if change < 0:
                loss -= change
            else:
                gain += change
            gain /= period
            loss /= period
        yield 100.0 * (gain / (gain + loss)) if gain + loss != 0.0 else 0.0


def true_range(high: float, low: float, previous_close: float) -> float:
    """TA-Lib TRUE_RANGE: the largest of high - low, |high - prev close|, |low - prev close|."""
    return max(high - low, abs(high - previous_close), abs(low - previous_close))


def stream_atr(rows: list[tuple[float, float, float]], period: int) -> Iterator[float]:
    """TA-Lib ATR: mean of the first `period` true ranges (rows 1..period), then Wilder."""
    atr = 0.0
    for t, (high, low, _close) in enumerate(rows):
        if t == 0:
            yield math.nan
            continue
        tr = true_range(high, low, rows[t - 1][2])
        if t < period:
            atr += tr
            yield math.nan
        elif t == period:
            atr = (atr + tr) / period
            yield atr
        else:
            atr = (atr * (period - 1) + tr) / period
            yield atr


def stream_adx(rows: list[tuple[float, float, float]], period: int) -> Iterator[float]:
    """TA-Lib ADX: DM and TR summed over period - 1 rows, Wilder-smoothed; ADX = mean DX, then
    Wilder-smoothed; a row with zero TR or zero DI sum leaves ADX unchanged."""
    plus_dm = minus_dm = tr_sum = dx_sum = 0.0
    adx = math.nan
    for t, (high, low, _close) in enumerate(rows):
        if t == 0:
            yield math.nan
            continue
        prev_high, prev_low, prev_close = rows[t - 1]
        up, down = high - prev_high, prev_low - low
        tr = true_range(high, low, prev_close)
        if t >= period:
            minus_dm -= minus_dm / period
            plus_dm -= plus_dm / period
        if down > 0 and up < down:
            minus_dm += down
        elif up > 0 and up > down:
            plus_dm += up
        tr_sum = tr_sum + tr if t < period else tr_sum - tr_sum / period + tr
        if t < period:
            yield math.nan
            continue
        dx = math.nan
        if tr_sum != 0.0:
            minus_di, plus_di = 100.0 * (minus_dm / tr_sum), 100.0 * (plus_dm / tr_sum)
            if minus_di + plus_di != 0.0:
                dx = 100.0 * (abs(minus_di - plus_di) / (minus_di + plus_di))
        if t < 2 * period - 1:
            dx_sum += 0.0 if math.isnan(dx) else dx
            yield math.nan
        elif t == 2 * period - 1:
            adx = (dx_sum + (0.0 if math.isnan(dx) else dx)) / period
            yield adx
        else:
            if not math.isnan(dx):
                adx = (adx * (period - 1) + dx) / period
            yield adx


def _sequential_sum(values: list[float]) -> float:
    """Left-to-right float sum, as TA-Lib's seed loops add."""
    total = 0.0
    for value in values:
        total += value
    return total


def assert_streamed(streamed: list[float], vectorised: pd.Series, scale: np.ndarray) -> None:
    """Same NaN rows; elsewhere |streamed - vectorised| <= RTOL * scale."""
    got = np.asarray(streamed)
    want = vectorised.to_numpy()
    assert np.array_equal(np.isnan(got), np.isnan(want))
    defined = ~np.isnan(want)
    assert np.all(np.abs(got - want)[defined] <= RTOL * scale[defined])


def test_ema_streams(candles: pd.DataFrame, features: pd.DataFrame) -> None:
    closes = candles["close"].to_numpy()
    for period in (20, 50, 200):
        streamed = list(stream_ema(iter(closes.tolist()), period))
        assert_streamed(streamed, features[f"ema_{period}"], closes)


def test_macd_streams(candles: pd.DataFrame, features: pd.DataFrame) -> None:
    closes = candles["close"].to_numpy()
    lines, signals = zip(*stream_macd(closes.tolist()), strict=True)
    # MACD crosses zero: compare in price units, relative to the close.
    assert_streamed(list(lines), features["macd"], closes)
    assert_streamed(list(signals), features["macd_signal"], closes)
    hist = np.asarray(lines) - np.asarray(signals)
    assert_streamed(hist.tolist(), features["macd_hist"], closes)


def test_rsi_streams(candles: pd.DataFrame, features: pd.DataFrame) -> None:
    closes = candles["close"].to_numpy().tolist()
    for period in (14, 28):
        streamed = list(stream_rsi(closes, period))
        assert_streamed(streamed, features[f"rsi_{period}"], np.full(len(closes), 100.0))


def test_atr_and_adx_stream(candles: pd.DataFrame, features: pd.DataFrame) -> None:
    rows = list(candles[["high", "low", "close"]].itertuples(index=False, name=None))
    atr = list(stream_atr(rows, 14))
    assert_streamed(atr, features["atr"], features["atr"].abs().to_numpy())
    ratio = np.asarray(atr) / candles["close"].to_numpy()
    assert_streamed(ratio.tolist(), features["market_condition_volatility"], np.abs(ratio))
    strength = np.asarray(list(stream_adx(rows, 14))) / 100.0
    assert_streamed(strength.tolist(), features["market_condition_strength"], np.ones(len(rows)))


def test_windowed_features_match_exact_window_arithmetic(
    candles: pd.DataFrame, features: pd.DataFrame
) -> None:
    """A live updater that recomputes each window from scratch lands within 1e-9 of TA-Lib's
    running totals (they carry a rounding residue only)."""
    close, high, low = (candles[name].to_numpy() for name in ("close", "high", "low"))
    volume = candles["volume"].to_numpy()

    def windows(values: np.ndarray, size: int) -> np.ndarray:
        return np.lib.stride_tricks.sliding_window_view(values, size)

    def check(name: str, expected: np.ndarray, rtol: float = RTOL) -> None:
        got = features[name].to_numpy()[-len(expected) :]
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=0, err_msg=name)

    returns = (close[1:] - close[:-1]) / close[:-1]
    np.testing.assert_array_equal(features["returns"].to_numpy()[1:], returns)
    check("log_returns", np.log(close[1:] / close[:-1]))
    check("price_momentum", (close[10:] - close[:-10]) / close[:-10], rtol=0)
    for size in (20, 50, 200):
        check(f"sma_{size}", windows(close, size).mean(axis=1))
    std = windows(close, 20).std(axis=1)
    middle = windows(close, 20).mean(axis=1)
    check("bb_middle", middle)
    check("bb_upper", middle + 2 * std)
    check("bb_lower", middle - 2 * std)
    check("bb_width", 4 * std / middle)
    check("volatility", windows(returns, 20).std(axis=1))
    check("support", windows(low, 20).min(axis=1), rtol=0)
    check("resistance", windows(high, 20).max(axis=1), rtol=0)
    volume_ma = windows(volume, 20).mean(axis=1)
    check("volume_ma", volume_ma)
    check("volume_ratio", volume[19:] / volume_ma)
    signed = np.sign(close[1:] - close[:-1]) * volume[1:]
    flow = windows(signed, 20).sum(axis=1) / windows(volume[1:], 20).sum(axis=1)
    np.testing.assert_allclose(features["obv"].to_numpy()[20:], flow, rtol=0, atol=RTOL)
