"""What a signal decision is made of: its action, each filter's decision and the full record.

A `SignalRecord` answers "why" for one candle: the prediction and each member's, the model
version and threshold, the action before and after the filters, every filter's decision and
the feature values it saw, stamped with the candle's close time (UTC), never the wall clock.
`to_dict()` is JSON-ready (NaN becomes null), the shape of the spec's `ai_prediction_generated`
event plus the extra fields.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from aurumbotx.domain.errors import InvalidInputError


class SignalAction(StrEnum):
    """The spec's three actions."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


class FilterStatus(StrEnum):
    """What one filter did with a signal."""

    PASSED = "passed"  # looked at a BUY/SELL and let it through
    HELD = "held"  # turned it into HOLD (the reason says why)
    SKIPPED = "skipped"  # not consulted: nothing to filter, or an earlier filter held
    OFF = "off"  # disabled in the configuration


@dataclass(frozen=True, slots=True)
class FilterDecision:
    """One filter's decision about one signal."""

    name: str
    status: FilterStatus
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "status": str(self.status), "reason": self.reason}


@dataclass(slots=True)
class SignalRecord:
    """Everything about one signal decision (see the module docstring)."""

    timestamp: datetime
    action: SignalAction
    confidence: float
    prediction: float
    threshold: float
    raw_action: SignalAction
    filters: list[FilterDecision]
    features: dict[str, float]
    members: dict[str, float] = field(default_factory=dict)
    model_version: str | None = None
    pair: str | None = None

    @property
    def held_by(self) -> str | None:
        """The name of the filter that turned a BUY/SELL into HOLD, if one did."""
        for decision in self.filters:
            if decision.status is FilterStatus.HELD:
                return decision.name
        return None

    @property
    def reason(self) -> str | None:
        """The reason of the filter that held the signal, if one did."""
        for decision in self.filters:
            if decision.status is FilterStatus.HELD:
                return decision.reason
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ISO 8601 UTC timestamp, NaN as None."""
        return {
            "timestamp": self.timestamp.isoformat(),
            "pair": self.pair,
            "action": str(self.action),
            "raw_action": str(self.raw_action),
            "confidence": _number(self.confidence),
            "prediction": _number(self.prediction),
            "threshold": self.threshold,
            "model_version": self.model_version,
            "members": {name: _number(value) for name, value in self.members.items()},
            "filters": [decision.to_dict() for decision in self.filters],
            "features": {name: _number(value) for name, value in self.features.items()},
        }

    def to_json(self) -> str:
        """`to_dict()` as a JSON string."""
        return json.dumps(self.to_dict(), allow_nan=False)


def check_utc(timestamp: datetime) -> datetime:
    """`timestamp` when it is timezone-aware with a zero UTC offset; InvalidInputError else."""
    if timestamp.tzinfo is None or timestamp.utcoffset() != timedelta(0):
        raise InvalidInputError(
            "a signal's timestamp must be timezone-aware UTC (the candle's close), "
            f"got {timestamp!r}"
        )
    return timestamp


def _number(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
