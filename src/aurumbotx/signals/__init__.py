"""Signals: the spec's SignalProcessor, its filters and the record of every decision.

    processor = SignalProcessor(threshold=artifact.threshold, model_version=artifact.version)
    record = processor.process(prediction, features, timestamp=close_time, members=members)
    record.action, record.confidence, record.held_by, record.to_dict()   # why, for every trade
    frame = processor.process_many(predictions, model_inputs(candles))   # backtests, vectorised

The rules, defaults and why some filters hold only BUYs: `aurumbotx.signals.filters` and
docs/ml.md ("Signal processor"). Nothing here imports the engine, the database or the CLI.
"""

from aurumbotx.signals.filters import (
    FILTER_ORDER,
    RiskFilter,
    SignalFilter,
    TrendFilter,
    VolatilityFilter,
    VolumeFilter,
    default_filters,
)
from aurumbotx.signals.processor import (
    CONFIDENCE_CAP,
    DEFAULT_THRESHOLD,
    HOLD_CONFIDENCE,
    SignalProcessor,
)
from aurumbotx.signals.record import FilterDecision, FilterStatus, SignalAction, SignalRecord

__all__ = [
    "CONFIDENCE_CAP",
    "DEFAULT_THRESHOLD",
    "FILTER_ORDER",
    "HOLD_CONFIDENCE",
    "FilterDecision",
    "FilterStatus",
    "RiskFilter",
    "SignalAction",
    "SignalFilter",
    "SignalProcessor",
    "SignalRecord",
    "TrendFilter",
    "VolatilityFilter",
    "VolumeFilter",
    "default_filters",
]
