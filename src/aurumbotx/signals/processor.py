"""SignalProcessor: a model's prediction on [-1, 1] to BUY / SELL / HOLD, then the filters.

The spec's rule, with the threshold made a parameter (0.6 by default; a trained model's tuned
threshold when the caller passes it, see `aurumbotx.ml.tuning`):

* BUY when prediction > threshold, SELL when prediction < -threshold, HOLD otherwise (a NaN
  prediction, i.e. a warm-up row, is HOLD);
* confidence = min(|prediction|, 0.95) for BUY and SELL, 0.5 for HOLD;
* then the filters in order (volume, volatility, trend, risk: `aurumbotx.signals.filters`);
  the first one that holds turns the signal into HOLD (confidence 0.5) and stops the chain,
  as the spec's loop does. The later filters are recorded as "skipped".

`process` decides one candle and returns a `SignalRecord` (the live path); `process_many`
decides a whole history at once with numpy (backtests) and gives exactly the same actions and
confidences, row for row, which a test checks. The processor is pure: it never reads a clock
or logs; callers log the record (the spec's ``ai_prediction_generated`` event,
`aurumbotx.observability.logging.log_ai_prediction`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from aurumbotx.domain.errors import InvalidInputError
from aurumbotx.signals.filters import SignalFilter, default_filters
from aurumbotx.signals.record import (
    FilterDecision,
    FilterStatus,
    SignalAction,
    SignalRecord,
    check_utc,
)

DEFAULT_THRESHOLD = 0.6
CONFIDENCE_CAP = 0.95
HOLD_CONFIDENCE = 0.5
BUY, SELL, HOLD = SignalAction.BUY, SignalAction.SELL, SignalAction.HOLD
RESULT_COLUMNS = ("action", "raw_action", "prediction", "confidence", "held_by")


class SignalProcessor:
    """Threshold, confidence and the filter chain (see the module docstring)."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        filters: Sequence[SignalFilter] | None = None,
        *,
        model_version: str | None = None,
        halted: str | None = None,
    ) -> None:
        if not (math.isfinite(threshold) and 0.0 < threshold <= 1.0):
            raise InvalidInputError(f"threshold must be in (0, 1], got {threshold!r}")
        self.threshold = float(threshold)
        self.filters: tuple[SignalFilter, ...] = tuple(
            default_filters() if filters is None else filters
        )
        names = [f.name for f in self.filters]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"each filter may appear once, got {names}")
        self.model_version = model_version
        self.halted = halted
        self.columns: tuple[str, ...] = tuple(
            dict.fromkeys(c for f in self.filters if f.enabled for c in f.columns)
        )

    def pause(self, reason: str) -> None:
        """Tell the risk filter the bot is paused or halted: BUYs are held until `resume`."""
        self.halted = reason

    def resume(self) -> None:
        """Let BUYs through the risk filter again."""
        self.halted = None

    def classify(self, prediction: float) -> tuple[SignalAction, float]:
        """(action, confidence) before the filters."""
        if prediction > self.threshold:
            return BUY, min(prediction, CONFIDENCE_CAP)
        if prediction < -self.threshold:
            return SELL, min(-prediction, CONFIDENCE_CAP)
        return HOLD, HOLD_CONFIDENCE

    def process(
        self,
        prediction: float,
        features: Mapping[str, float],
        *,
        timestamp: datetime,
        members: Mapping[str, float] | None = None,
        pair: str | None = None,
    ) -> SignalRecord:
        """Decide one candle; `timestamp` is its close (UTC), `features` include ``close``."""
        prediction = float(prediction)
        raw, confidence = self.classify(prediction)
        action = raw
        decisions: list[FilterDecision] = []
        for signal_filter in self.filters:
            name = signal_filter.name
            if not signal_filter.enabled:
                decisions.append(FilterDecision(name, FilterStatus.OFF))
            elif action is HOLD:
                decisions.append(FilterDecision(name, FilterStatus.SKIPPED))
            else:
                reason = self._check(signal_filter, action, features, confidence)
                if reason is None:
                    decisions.append(FilterDecision(name, FilterStatus.PASSED))
                else:
                    decisions.append(FilterDecision(name, FilterStatus.HELD, reason))
                    action, confidence = HOLD, HOLD_CONFIDENCE
        return SignalRecord(
            timestamp=check_utc(timestamp),
            action=action,
            confidence=confidence,
            prediction=prediction,
            threshold=self.threshold,
            raw_action=raw,
            filters=decisions,
            features={name: float(value) for name, value in features.items()},
            members={name: float(value) for name, value in (members or {}).items()},
            model_version=self.model_version,
            pair=pair,
        )

    def process_many(
        self, predictions: np.ndarray | pd.Series, features: pd.DataFrame
    ) -> pd.DataFrame:
        """Decide every row at once: columns action, raw_action, prediction, confidence, held_by.

        `features` holds the filters' columns (the features plus ``close``), one row per
        prediction; the result is indexed like it. held_by names the filter that held a row's
        BUY/SELL ("" when none did).
        """
        prediction = np.asarray(predictions, dtype=np.float64)
        if prediction.shape != (len(features),):
            raise InvalidInputError(
                f"{prediction.shape} predictions for {len(features)} feature rows"
            )
        columns = self._columns(features)
        with np.errstate(invalid="ignore"):
            buy, sell = prediction > self.threshold, prediction < -self.threshold
            confidence = np.where(
                buy | sell, np.minimum(np.abs(prediction), CONFIDENCE_CAP), HOLD_CONFIDENCE
            )
        active = buy | sell
        held_by = np.full(len(prediction), "", dtype=object)
        for signal_filter in self.filters:
            if not signal_filter.enabled:
                continue
            held = signal_filter.check_many(
                buy & active, sell & active, columns, confidence, self.halted
            )
            held &= active
            held_by[held] = signal_filter.name
            active &= ~held
        return pd.DataFrame(
            {
                "action": _actions(buy & active, sell & active),
                "raw_action": _actions(buy, sell),
                "prediction": prediction,
                "confidence": np.where(active, confidence, HOLD_CONFIDENCE),
                "held_by": held_by,
            },
            index=features.index,
        )

    def _check(
        self,
        signal_filter: SignalFilter,
        action: SignalAction,
        features: Mapping[str, float],
        confidence: float,
    ) -> str | None:
        try:
            return signal_filter.check(action, features, confidence, self.halted)
        except KeyError as error:
            raise InvalidInputError(
                f"the {signal_filter.name} filter needs {', '.join(signal_filter.columns)}; "
                f"{error} is missing from the features"
            ) from None

    def _columns(self, features: pd.DataFrame) -> dict[str, np.ndarray]:
        missing = [c for c in self.columns if c not in features.columns]
        if missing:
            raise InvalidInputError(
                f"the signal filters need column(s) {', '.join(missing)} in the features"
            )
        return {c: features[c].to_numpy(np.float64) for c in self.columns}


def _actions(buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    return np.where(buy, BUY.value, np.where(sell, SELL.value, HOLD.value)).astype(object)
