"""SignalProcessor: thresholds, confidence, the filter chain, the record, vectorised == scalar."""

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.signals import (
    FILTER_ORDER,
    FilterStatus,
    RiskFilter,
    SignalAction,
    SignalProcessor,
    SignalRecord,
    TrendFilter,
    VolatilityFilter,
    VolumeFilter,
)

CLOSE_TIME = datetime(2024, 3, 1, 13, 0, tzinfo=UTC)
BUY, SELL, HOLD = SignalAction.BUY, SignalAction.SELL, SignalAction.HOLD


def make_features(**overrides: float) -> dict[str, float]:
    """Feature values every filter passes for a BUY (an up-trend, normal volume/volatility)."""
    values = {
        "close": 105.0,
        "sma_200": 100.0,
        "ema_20": 104.0,
        "ema_50": 102.0,
        "volume_ratio": 1.2,
        "market_condition_volatility": 0.01,
        "volatility": 0.008,
        "rsi_14": 55.0,
    }
    return values | overrides


def down_trend(**overrides: float) -> dict[str, float]:
    """Values every filter passes for a SELL."""
    return make_features(close=95.0, ema_20=98.0, ema_50=99.0) | overrides


def decide(
    processor: SignalProcessor, prediction: float, features: dict[str, float]
) -> SignalRecord:
    return processor.process(prediction, features, timestamp=CLOSE_TIME)


@pytest.mark.parametrize(
    ("prediction", "action", "confidence"),
    [
        (0.61, BUY, 0.61),
        (0.6, HOLD, 0.5),  # strictly above the threshold
        (0.3, HOLD, 0.5),
        (-0.6, HOLD, 0.5),
        (-0.61, SELL, 0.61),
        (0.99, BUY, 0.95),  # confidence capped
        (-1.0, SELL, 0.95),
        (math.nan, HOLD, 0.5),  # a warm-up row
    ],
)
def test_threshold_and_confidence(
    prediction: float, action: SignalAction, confidence: float
) -> None:
    features = make_features() if prediction >= 0 or math.isnan(prediction) else down_trend()
    record = decide(SignalProcessor(), prediction, features)
    assert record.action is action
    assert record.raw_action is action
    assert record.confidence == pytest.approx(confidence)
    assert record.threshold == 0.6


def test_tuned_threshold_replaces_the_default() -> None:
    processor = SignalProcessor(threshold=0.2)
    assert decide(processor, 0.21, make_features()).action is BUY
    assert decide(processor, -0.21, down_trend()).action is SELL
    assert decide(processor, 0.2, make_features()).action is HOLD
    with pytest.raises(InvalidInputError, match=r"threshold must be in \(0, 1\]"):
        SignalProcessor(threshold=0.0)
    with pytest.raises(InvalidInputError, match="threshold"):
        SignalProcessor(threshold=math.nan)


def test_every_filter_passes_a_clean_signal() -> None:
    record = decide(SignalProcessor(), 0.8, make_features())
    assert record.action is BUY
    assert [d.name for d in record.filters] == list(FILTER_ORDER)
    assert [d.name for d in record.filters] == ["volume", "volatility", "trend", "risk"]
    assert {d.status for d in record.filters} == {FilterStatus.PASSED}
    assert record.held_by is None
    assert record.reason is None


@pytest.mark.parametrize(
    ("action", "features", "held_by", "reason"),
    [
        (BUY, make_features(volume_ratio=0.3), "volume", "volume_ratio 0.3 < min_volume_ratio 0.5"),
        (SELL, down_trend(volume_ratio=0.3), "volume", "volume_ratio 0.3 < min_volume_ratio"),
        (BUY, make_features(volume_ratio=math.nan), "volume", "volume_ratio nan"),
        (
            BUY,
            make_features(market_condition_volatility=0.0001),
            "volatility",
            "market_condition_volatility 0.0001 < min_volatility 0.0005",
        ),
        (SELL, down_trend(market_condition_volatility=0.0001), "volatility", "< min_volatility"),
        (
            BUY,
            make_features(market_condition_volatility=0.08),
            "volatility",
            "market_condition_volatility 0.08 > max_volatility 0.05",
        ),
        (BUY, make_features(close=99.0), "trend", "BUY against a down-trend: close 99 < sma_200"),
        (BUY, make_features(ema_20=101.0), "trend", "ema_20 101 < ema_50 102"),
        (BUY, make_features(sma_200=math.nan), "trend", "close 105 < sma_200 nan"),
        (SELL, make_features(), "trend", "SELL against an up-trend: close 105 > sma_200 100"),
        (SELL, down_trend(ema_20=100.0), "trend", "ema_20 100 > ema_50 99"),
        (
            BUY,
            make_features(volatility=0.05),
            "risk",
            "realised volatility 0.05 > max_realised_volatility 0.03",
        ),
    ],
)
def test_each_filter_holds_with_its_reason(
    action: SignalAction, features: dict[str, float], held_by: str, reason: str
) -> None:
    prediction = 0.8 if action is BUY else -0.8
    record = decide(SignalProcessor(), prediction, features)
    assert record.raw_action is action
    assert record.action is HOLD
    assert record.confidence == 0.5
    assert record.held_by == held_by
    assert reason in (record.reason or "")
    statuses = {d.name: d.status for d in record.filters}
    assert statuses[held_by] is FilterStatus.HELD


def test_exits_pass_the_storm_and_halt_rules() -> None:
    wild = down_trend(market_condition_volatility=0.2, volatility=0.2)
    processor = SignalProcessor()
    processor.pause("max drawdown reached")
    assert decide(processor, -0.8, wild).action is SELL
    held = decide(processor, 0.8, make_features())
    assert held.action is HOLD
    assert held.held_by == "risk"
    assert held.reason == "bot paused or halted: max drawdown reached"
    processor.resume()
    assert decide(processor, 0.8, make_features()).action is BUY


def test_confidence_floor_holds_both_sides() -> None:
    processor = SignalProcessor(0.2, [RiskFilter(min_confidence=0.5)])
    low = decide(processor, -0.3, down_trend())
    assert (low.action, low.held_by) == (HOLD, "risk")
    assert low.reason == "confidence 0.300 < min_confidence 0.5"
    assert decide(processor, 0.55, make_features()).action is BUY


def test_the_first_hold_stops_the_chain() -> None:
    # Thin volume AND a down-trend AND wild returns: only the volume filter speaks.
    features = make_features(volume_ratio=0.1, close=90.0, volatility=0.5)
    record = decide(SignalProcessor(), 0.9, features)
    assert record.held_by == "volume"
    assert [d.status for d in record.filters] == [
        FilterStatus.HELD,
        FilterStatus.SKIPPED,
        FilterStatus.SKIPPED,
        FilterStatus.SKIPPED,
    ]
    # Without the volume filter, the next one in order holds it.
    processor = SignalProcessor(filters=[VolumeFilter(enabled=False), TrendFilter(), RiskFilter()])
    record = decide(processor, 0.9, features)
    assert record.held_by == "trend"
    assert [d.status for d in record.filters] == [
        FilterStatus.OFF,
        FilterStatus.HELD,
        FilterStatus.SKIPPED,
    ]


def test_hold_skips_every_filter() -> None:
    record = decide(SignalProcessor(), 0.1, make_features(volume_ratio=0.0))
    assert record.action is HOLD
    assert {d.status for d in record.filters} == {FilterStatus.SKIPPED}
    assert record.held_by is None


def test_record_is_json_and_says_why() -> None:
    processor = SignalProcessor(0.25, model_version="20250102-030405-abcd")
    members = {"random_forest": 0.31, "gradient_boosting": 0.28, "xgboost": math.nan}
    features = make_features(close=99.0)
    record = processor.process(
        0.3, features, timestamp=CLOSE_TIME, members=members, pair="BTC/USDT"
    )
    data = json.loads(record.to_json())
    assert data["timestamp"] == "2024-03-01T13:00:00+00:00"
    assert data["pair"] == "BTC/USDT"
    assert data["model_version"] == "20250102-030405-abcd"
    assert (data["action"], data["raw_action"]) == ("HOLD", "BUY")
    assert data["prediction"] == 0.3
    assert data["threshold"] == 0.25
    assert data["members"] == {"random_forest": 0.31, "gradient_boosting": 0.28, "xgboost": None}
    assert data["features"]["close"] == 99.0
    assert len(data["features"]) == len(features)
    assert data["filters"][2] == {
        "name": "trend",
        "status": "held",
        "reason": "BUY against a down-trend: close 99 < sma_200 100",
    }
    assert data["filters"][3]["status"] == "skipped"


def test_timestamps_must_be_utc() -> None:
    processor = SignalProcessor()
    with pytest.raises(InvalidInputError, match="timezone-aware UTC"):
        processor.process(0.8, make_features(), timestamp=datetime(2024, 1, 1))  # noqa: DTZ001
    paris = timezone(timedelta(hours=2))
    with pytest.raises(InvalidInputError, match="timezone-aware UTC"):
        processor.process(0.8, make_features(), timestamp=datetime(2024, 1, 1, tzinfo=paris))


def test_missing_feature_is_a_clear_error() -> None:
    features = make_features()
    del features["sma_200"]
    with pytest.raises(InvalidInputError, match="trend filter needs close, sma_200"):
        decide(SignalProcessor(), 0.8, features)
    with pytest.raises(InvalidInputError, match=r"need column\(s\) sma_200"):
        SignalProcessor().process_many(np.array([0.8]), pd.DataFrame([features]))


def test_filter_parameters_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="min_volume_ratio"):
        VolumeFilter(min_volume_ratio=-1)
    with pytest.raises(InvalidInputError, match="max_volatility"):
        VolatilityFilter(min_volatility=0.1, max_volatility=0.05)
    with pytest.raises(InvalidInputError, match="each filter may appear once"):
        SignalProcessor(filters=[TrendFilter(), TrendFilter()])


def make_random_rows(n: int, seed: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Predictions and features straddling every limit, with exact ties and NaNs mixed in."""
    rng = np.random.default_rng(seed)
    prediction = rng.uniform(-1.0, 1.0, n)
    prediction[rng.random(n) < 0.05] = 0.6
    prediction[rng.random(n) < 0.05] = np.nan
    sma = rng.uniform(90, 110, n)
    ema_50 = rng.uniform(95, 105, n)
    frame = pd.DataFrame(
        {
            "close": np.where(rng.random(n) < 0.1, sma, rng.uniform(90, 110, n)),
            "sma_200": sma,
            "ema_20": np.where(rng.random(n) < 0.1, ema_50, rng.uniform(95, 105, n)),
            "ema_50": ema_50,
            "volume_ratio": np.where(rng.random(n) < 0.1, 0.5, rng.uniform(0.0, 2.0, n)),
            "market_condition_volatility": rng.choice(
                [0.0, 0.0004, 0.0005, 0.01, 0.05, 0.06, np.nan], n
            ),
            "volatility": rng.choice([0.001, 0.03, 0.031, 0.2, np.nan], n),
        },
        index=pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC"),
    )
    for column in ("volume_ratio", "sma_200", "ema_20"):
        frame.loc[rng.random(n) < 0.03, column] = np.nan
    return prediction, frame


@pytest.mark.parametrize(
    "make_processor",
    [
        lambda: SignalProcessor(),
        lambda: SignalProcessor(0.3),
        lambda: SignalProcessor(0.3, halted="daily loss limit"),
        lambda: SignalProcessor(0.2, [TrendFilter(), RiskFilter(min_confidence=0.45)]),
        lambda: SignalProcessor(0.2, [VolumeFilter(0.9, enabled=False), VolatilityFilter()]),
        lambda: SignalProcessor(0.2, []),
    ],
)
def test_process_many_equals_process_row_by_row(
    make_processor: Callable[[], SignalProcessor],
) -> None:
    processor = make_processor()
    prediction, frame = make_random_rows(3_000, seed=7)
    many = processor.process_many(prediction, frame)
    assert list(many.columns) == ["action", "raw_action", "prediction", "confidence", "held_by"]
    assert many.index.equals(frame.index)
    rows = frame.to_dict("records")
    for i, (value, features) in enumerate(zip(prediction, rows, strict=True)):
        record = processor.process(value, features, timestamp=CLOSE_TIME)
        assert many["action"].iat[i] == record.action.value, (i, value, features)
        assert many["raw_action"].iat[i] == record.raw_action.value
        assert many["confidence"].iat[i] == record.confidence
        assert many["held_by"].iat[i] == (record.held_by or "")
    # The mix exercised every outcome, so the comparison above meant something.
    assert set(many["action"]) <= {"BUY", "SELL", "HOLD"}
    assert (many["action"] == "HOLD").any()
    if processor.filters:
        assert (many["held_by"] != "").any()
    else:
        assert (many["action"] == many["raw_action"]).all()
