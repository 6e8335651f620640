"""Validation of candles on every load: strict by default, `repair` on request; gap detection.

Rules (each violation names the source, the 1-based data row and the rule):

* ``duplicate timestamp`` / ``timestamps not increasing``: open times strictly increase;
* ``timestamp off the <tf> grid``: open times are multiples of the timeframe (weekly candles
  open on Mondays, as on Binance);
* ``missing value``: no NaN in open, high, low, close, volume;
* ``non-positive price``: open, high, low and close are > 0; ``negative volume``: volume >= 0;
* ``high below max(open, close)`` and ``low above min(open, close)``.

Strict mode raises `CandleValidationError` for the first offending row of the file. Repair mode
drops rows that break a value or grid rule, sorts by open time, keeps the LAST of duplicate
open times (the most recently written) and returns a `ValidationReport` saying what it did.
Missing candles (gaps) are reported, never filled: a gap is an exchange outage, and inventing
prices for it would put trades into a backtest that could never have happened.

Everything is vectorised numpy: a million rows validate in a few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aurumbotx.data.frames import CandleArrays, Int64Array, format_ms, grid_offset_ms
from aurumbotx.domain.errors import CandleValidationError, DataError
from aurumbotx.domain.timeframes import timeframe_to_ms

RULE_DUPLICATE = "duplicate timestamp"
RULE_UNSORTED = "timestamps not increasing"
RULE_OFF_GRID = "timestamp off the {timeframe} grid"
RULE_NAN = "missing value"
RULE_NON_POSITIVE = "non-positive price"
RULE_NEGATIVE_VOLUME = "negative volume"
RULE_HIGH = "high below max(open, close)"
RULE_LOW = "low above min(open, close)"
RULE_TIMEFRAME = "timeframe mismatch"

MAX_EXAMPLES = 5
# Inferring the timeframe needs the most common spacing; a strided sample of the differences
# gives the same mode at a fraction of the cost of np.unique over a million values.
_MODE_SAMPLE = 100_000

_UNITS = (("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000))

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Gap:
    """Missing candles between two present ones (epoch ms open times)."""

    last_before: int
    first_after: int
    missing: int

    def __str__(self) -> str:
        return (
            f"{format_ms(self.last_before)} -> {format_ms(self.first_after)} "
            f"({self.missing} missing)"
        )


@dataclass(frozen=True, slots=True)
class DroppedRows:
    """Rows that repair removed for one rule: how many, and the first few row numbers."""

    rule: str
    count: int
    examples: tuple[int, ...]


@dataclass(slots=True)
class ValidationReport:
    """What validation found (and what repair changed) in one candle source."""

    source: str
    timeframe: str
    timeframe_inferred: bool = False
    rows_read: int = 0
    rows_kept: int = 0
    sorted_rows: bool = False
    first_unsorted_row: int | None = None
    dropped: list[DroppedRows] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        """Rows removed by repair."""
        return sum(d.count for d in self.dropped)

    @property
    def missing_candles(self) -> int:
        """Candles missing inside the range, over all gaps."""
        return sum(g.missing for g in self.gaps)

    @property
    def changed(self) -> bool:
        """True when repair dropped or reordered anything."""
        return self.sorted_rows or bool(self.dropped)

    def lines(self, max_gaps: int = 5) -> list[str]:
        """A human summary, one finding per line."""
        out: list[str] = []
        if self.timeframe_inferred:
            out.append(f"timeframe inferred from the data: {self.timeframe} (most common spacing)")
        if self.sorted_rows:
            out.append(
                "rows were not in time order: sorted "
                f"(first out-of-order row: {self.first_unsorted_row})"
            )
        for d in self.dropped:
            rows = ", ".join(str(r) for r in d.examples)
            more = ", ..." if d.count > len(d.examples) else ""
            out.append(f"dropped {d.count} row(s): {d.rule} (rows {rows}{more})")
        if self.gaps:
            out.append(
                f"{len(self.gaps)} gap(s), {self.missing_candles} missing candle(s), not filled:"
            )
            out += [f"  {gap}" for gap in self.gaps[:max_gaps]]
            if len(self.gaps) > max_gaps:
                out.append(f"  ... and {len(self.gaps) - max_gaps} more")
        out.append(f"{self.rows_kept} candles kept of {self.rows_read} rows read")
        return out


def ms_to_timeframe(step_ms: int) -> str:
    """The timeframe notation of a candle length in ms ('1h'), or DataError."""
    for unit, size in _UNITS:
        if step_ms > 0 and step_ms % size == 0:
            return f"{step_ms // size}{unit}"
    raise DataError(f"candles {step_ms} ms apart: not a whole number of minutes")


def most_common_spacing(ts_ms: Int64Array) -> int | None:
    """The most common positive difference between consecutive sorted open times (ms)."""
    if ts_ms.shape[0] < 2:
        return None
    diffs = np.diff(ts_ms)
    if not bool((diffs > 0).all()):
        diffs = np.diff(np.sort(ts_ms))
    stride = max(1, diffs.shape[0] // _MODE_SAMPLE)
    sample = diffs[::stride]
    sample = sample[sample > 0]
    if sample.shape[0] == 0:
        return None
    values, counts = np.unique(sample, return_counts=True)
    return int(values[int(np.argmax(counts))])


def infer_timeframe(ts_ms: Int64Array) -> str:
    """The timeframe of candles from their most common spacing, or DataError."""
    step = most_common_spacing(ts_ms)
    if step is None:
        raise DataError("cannot infer the timeframe from fewer than two distinct candles")
    return ms_to_timeframe(step)


def find_gaps(ts_ms: Int64Array, step_ms: int) -> list[Gap]:
    """Gaps in sorted, unique, on-grid open times: (last before, first after, missing)."""
    if ts_ms.shape[0] < 2:
        return []
    diffs = np.diff(ts_ms)
    where = np.flatnonzero(diffs > step_ms)
    return [
        Gap(int(ts_ms[i]), int(ts_ms[i + 1]), int(diffs[i] // step_ms) - 1) for i in where.tolist()
    ]


def _rule_masks(c: CandleArrays, step_ms: int, timeframe: str) -> list[tuple[str, BoolArray]]:
    # The value rules, in reporting order. NaN compares False, so the price rules never
    # double-count a missing value.
    o, h, lo, cl, v = c.open, c.high, c.low, c.close, c.volume
    nan = np.isnan(o) | np.isnan(h) | np.isnan(lo) | np.isnan(cl) | np.isnan(v)
    return [
        (RULE_NAN, nan),
        (RULE_NON_POSITIVE, (o <= 0) | (h <= 0) | (lo <= 0) | (cl <= 0)),
        (RULE_NEGATIVE_VOLUME, v < 0),
        (RULE_HIGH, h < np.maximum(o, cl)),
        (RULE_LOW, lo > np.minimum(o, cl)),
        (
            RULE_OFF_GRID.format(timeframe=timeframe),
            (c.ts - grid_offset_ms(step_ms)) % step_ms != 0,
        ),
    ]


def _detail(rule: str, c: CandleArrays, i: int) -> str:
    ts = int(c.ts[i])
    if rule in (RULE_HIGH, RULE_LOW, RULE_NAN, RULE_NON_POSITIVE, RULE_NEGATIVE_VOLUME):
        values = ", ".join(f"{k}={float(a[i])!r}" for k, a in c.columns().items())
        return f"{format_ms(ts)}: {values}"
    return f"open time {ts} ({format_ms(ts)})"


def _first_order_problem(ts: Int64Array) -> tuple[int, str] | None:
    diffs = np.diff(ts)
    bad = diffs <= 0
    if not bool(bad.any()):
        return None
    i = int(np.argmax(bad))
    return i + 1, RULE_DUPLICATE if diffs[i] == 0 else RULE_UNSORTED


def _check_spacing(c: CandleArrays, step_ms: int, timeframe: str, source: str) -> None:
    # A coarser file under a finer --timeframe passes the grid test but would report every
    # candle as a gap; say what is wrong instead.
    actual = most_common_spacing(c.ts)
    if actual is not None and actual > step_ms and len(c) >= 3:
        raise CandleValidationError(
            source,
            None,
            RULE_TIMEFRAME,
            f"timeframe {timeframe} given, but the candles are {ms_to_timeframe(actual)} apart",
        )


def _strict(c: CandleArrays, step_ms: int, timeframe: str, source: str) -> None:
    problems: list[tuple[int, int, str]] = []  # (position, rule order, rule)
    for order, (rule, mask) in enumerate(_rule_masks(c, step_ms, timeframe)):
        if bool(mask.any()):
            problems.append((int(np.argmax(mask)), order, rule))
    ordering = _first_order_problem(c.ts)
    if ordering is not None:
        problems.append((ordering[0], -1, ordering[1]))
    if not problems:
        return
    position, _, rule = min(problems)
    detail = _detail(rule, c, position)
    if rule in (RULE_DUPLICATE, RULE_UNSORTED):
        detail += f" after {int(c.ts[position - 1])} at row {position}"
    raise CandleValidationError(source, position + 1, rule, detail)


def _repair(
    c: CandleArrays, step_ms: int, timeframe: str, report: ValidationReport
) -> CandleArrays:
    rows = np.arange(1, len(c) + 1, dtype=np.int64)
    dropped = np.zeros(len(c), dtype=np.bool_)
    for rule, mask in _rule_masks(c, step_ms, timeframe):
        new = mask & ~dropped
        count = int(new.sum())
        if count:
            examples = tuple(int(r) for r in rows[new][:MAX_EXAMPLES])
            report.dropped.append(DroppedRows(rule, count, examples))
            dropped |= new
    kept = c.take(~dropped) if bool(dropped.any()) else c
    rows = rows[~dropped]
    ordering = _first_order_problem(kept.ts)
    if ordering is not None and ordering[1] == RULE_UNSORTED:
        report.sorted_rows = True
        report.first_unsorted_row = int(rows[ordering[0]])
    if ordering is not None:
        order = np.argsort(kept.ts, kind="stable")
        kept, rows = kept.take(order), rows[order]
        # Keep the last of equal open times: stable sort keeps file order among equals.
        dup = np.zeros(len(kept), dtype=np.bool_)
        dup[:-1] = kept.ts[:-1] == kept.ts[1:]
        if bool(dup.any()):
            examples = tuple(sorted(int(r) for r in rows[dup]))[:MAX_EXAMPLES]
            report.dropped.append(DroppedRows(RULE_DUPLICATE, int(dup.sum()), examples))
            kept = kept.take(~dup)
    return kept


def validate_arrays(
    candles: CandleArrays,
    *,
    source: str,
    timeframe: str | None = None,
    repair: bool = False,
) -> tuple[CandleArrays, ValidationReport]:
    """Check (or repair) candles; returns the usable candles and a report with the gaps."""
    if len(candles) == 0:
        raise DataError(f"{source}: no candles")
    inferred = timeframe is None
    if timeframe is None:
        try:
            timeframe = infer_timeframe(candles.ts)
        except DataError as error:
            raise DataError(f"{source}: {error}; give the timeframe explicitly") from None
    step_ms = timeframe_to_ms(timeframe)
    report = ValidationReport(
        source=source, timeframe=timeframe, timeframe_inferred=inferred, rows_read=len(candles)
    )
    if not inferred:
        _check_spacing(candles, step_ms, timeframe, source)
    if repair:
        candles = _repair(candles, step_ms, timeframe, report)
        if len(candles) == 0:
            raise DataError(f"{source}: no valid candles left after repair")
    else:
        _strict(candles, step_ms, timeframe, source)
    report.rows_kept = len(candles)
    report.gaps = find_gaps(candles.ts, step_ms)
    return candles, report
