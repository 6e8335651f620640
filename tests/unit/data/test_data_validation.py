"""Validation rules (with the offending row), repair and its report, gaps, timeframe inference."""

from collections.abc import Callable

import numpy as np
import pytest

from aurumbotx.data.frames import CandleArrays
from aurumbotx.data.validation import (
    Gap,
    find_gaps,
    infer_timeframe,
    ms_to_timeframe,
    validate_arrays,
)
from aurumbotx.domain.errors import CandleValidationError, DataError

HOUR = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def make_arrays(n: int = 10, step: int = HOUR) -> CandleArrays:
    ts = T0 + np.arange(n, dtype=np.int64) * step
    close = 100.0 + np.arange(n, dtype=np.float64)
    open_ = close - 0.5
    columns = {
        "open": open_,
        "high": close + 1.0,
        "low": open_ - 1.0,
        "close": close,
        "volume": np.full(n, 2.0),
    }
    return CandleArrays.from_columns(ts, columns)


def _set(column: str, value: float) -> Callable[[CandleArrays, int], None]:
    def mutate(c: CandleArrays, i: int) -> None:
        getattr(c, column)[i] = value

    return mutate


def _shift_ts(delta: int) -> Callable[[CandleArrays, int], None]:
    def mutate(c: CandleArrays, i: int) -> None:
        c.ts[i] += delta

    return mutate


def _copy_previous_ts(c: CandleArrays, i: int) -> None:
    c.ts[i] = c.ts[i - 1]


RULES = [
    ("missing value", _set("close", float("nan"))),
    ("missing value", _set("volume", float("nan"))),
    ("non-positive price", _set("low", 0.0)),
    ("non-positive price", _set("open", -1.0)),
    ("negative volume", _set("volume", -0.1)),
    ("high below max(open, close)", _set("high", 100.0)),
    ("low above min(open, close)", _set("low", 200.0)),
    ("timestamp off the 1h grid", _shift_ts(60_000)),
    ("duplicate timestamp", _copy_previous_ts),
    ("timestamps not increasing", _shift_ts(-3 * HOUR)),
]


@pytest.mark.parametrize(("rule", "mutate"), RULES)
def test_each_rule_names_source_row_and_rule(
    rule: str, mutate: Callable[[CandleArrays, int], None]
) -> None:
    candles = make_arrays()
    mutate(candles, 6)  # the 7th data row
    with pytest.raises(CandleValidationError) as caught:
        validate_arrays(candles, source="prices.csv", timeframe="1h")
    error = caught.value
    assert error.row == 7
    assert error.rule == rule
    assert str(error).startswith(f"prices.csv, row 7: {rule}")
    assert "\n" not in str(error)


def test_first_offending_row_wins_across_rules() -> None:
    candles = make_arrays()
    candles.high[8] = 0.0  # row 9, checked early in rule order
    candles.ts[3] += 60_000  # row 4, off the grid: earlier in the file
    with pytest.raises(CandleValidationError) as caught:
        validate_arrays(candles, source="x.csv", timeframe="1h")
    assert (caught.value.row, caught.value.rule) == (4, "timestamp off the 1h grid")


def test_valid_candles_pass_untouched_with_inferred_timeframe() -> None:
    candles = make_arrays(50, step=5 * 60_000)
    result, report = validate_arrays(candles, source="ok.csv")
    assert result is candles
    assert report.timeframe == "5m"
    assert report.timeframe_inferred is True
    assert report.lines()[0] == "timeframe inferred from the data: 5m (most common spacing)"
    assert (report.rows_read, report.rows_kept, report.gaps) == (50, 50, [])


def test_repair_drops_sorts_dedupes_and_reports() -> None:
    candles = make_arrays(12)
    candles.high[1] = 50.0  # row 2: high below open/close
    candles.close[4] = float("nan")  # row 5
    candles.ts[7] += 1  # row 8: off grid
    # rows 10 and 11 swapped (unsorted), row 12 repeats row 11's original time (duplicate)
    candles.ts[9], candles.ts[10] = candles.ts[10], candles.ts[9]
    candles.ts[11] = candles.ts[9]
    candles.close[11] = 999.0
    candles.high[11] = 1000.0
    repaired, report = validate_arrays(candles, source="bad.csv", timeframe="1h", repair=True)

    dropped = {d.rule: (d.count, d.examples) for d in report.dropped}
    assert dropped == {
        "high below max(open, close)": (1, (2,)),
        "missing value": (1, (5,)),
        "timestamp off the 1h grid": (1, (8,)),
        "duplicate timestamp": (1, (10,)),
    }
    assert report.sorted_rows is True
    assert report.first_unsorted_row == 11
    assert report.rows_read == 12
    assert report.rows_kept == len(repaired) == 8
    assert bool((np.diff(repaired.ts) > 0).all())
    # The later of the duplicate rows (row 12) is the one kept.
    kept_close = repaired.close[repaired.ts == T0 + 10 * HOUR]
    assert kept_close.tolist() == [999.0]
    lines = report.lines()
    assert "dropped 1 row(s): missing value (rows 5)" in lines
    assert "rows were not in time order: sorted (first out-of-order row: 11)" in lines
    assert lines[-1] == "8 candles kept of 12 rows read"


def test_repair_examples_are_capped_and_counted() -> None:
    candles = make_arrays(20)
    candles.volume[2:17] = -1.0
    _, report = validate_arrays(candles, source="v.csv", timeframe="1h", repair=True)
    (dropped,) = report.dropped
    assert (dropped.count, dropped.examples) == (15, (3, 4, 5, 6, 7))
    assert "dropped 15 row(s): negative volume (rows 3, 4, 5, 6, 7, ...)" in report.lines()


def test_gaps_are_reported_never_filled() -> None:
    candles = make_arrays(10)
    keep = np.ones(10, dtype=bool)
    keep[[3, 4, 5, 8]] = False
    holey = candles.take(keep)
    result, report = validate_arrays(holey, source="g.csv", timeframe="1h")
    assert len(result) == 6
    assert report.gaps == [
        Gap(T0 + 2 * HOUR, T0 + 6 * HOUR, 3),
        Gap(T0 + 7 * HOUR, T0 + 9 * HOUR, 1),
    ]
    assert report.missing_candles == 4
    assert str(report.gaps[0]) == "2024-01-01 02:00 -> 2024-01-01 06:00 (3 missing)"


def test_find_gaps_directly() -> None:
    ts = np.array([0, 60_000, 240_000, 300_000], dtype=np.int64)
    assert find_gaps(ts, 60_000) == [Gap(60_000, 240_000, 2)]
    assert find_gaps(ts[:1], 60_000) == []


def test_coarser_data_under_a_finer_timeframe_is_refused() -> None:
    with pytest.raises(CandleValidationError, match="timeframe 5m given, but the candles are 1h"):
        validate_arrays(make_arrays(10), source="h.csv", timeframe="5m")


def test_weekly_candles_open_on_mondays() -> None:
    monday = 1_704_067_200_000  # 2024-01-01 was a Monday
    week = 7 * 86_400_000
    ts = monday + np.arange(5, dtype=np.int64) * week
    base = make_arrays(5)
    weekly = CandleArrays(ts, base.open, base.high, base.low, base.close, base.volume)
    _, report = validate_arrays(weekly, source="w.csv")
    assert report.timeframe == "1w"
    thursday = CandleArrays(ts - 4 * 86_400_000, *list(base.columns().values()))
    with pytest.raises(CandleValidationError, match="off the 1w grid"):
        validate_arrays(thursday, source="w.csv", timeframe="1w")


def test_inference_needs_two_candles_and_empty_input_is_refused() -> None:
    with pytest.raises(DataError, match=r"one\.csv: cannot infer the timeframe"):
        validate_arrays(make_arrays(1), source="one.csv")
    with pytest.raises(DataError, match=r"none\.csv: no candles"):
        validate_arrays(CandleArrays.empty(), source="none.csv")
    candles = make_arrays(3)
    candles.close[:] = np.nan
    with pytest.raises(DataError, match="no valid candles left"):
        validate_arrays(candles, source="nan.csv", timeframe="1h", repair=True)


def test_timeframe_helpers() -> None:
    assert ms_to_timeframe(60_000) == "1m"
    assert ms_to_timeframe(4 * HOUR) == "4h"
    assert ms_to_timeframe(86_400_000) == "1d"
    assert ms_to_timeframe(7 * 86_400_000) == "1w"
    with pytest.raises(DataError):
        ms_to_timeframe(1500)
    # Most common spacing, not the smallest: one stray 1-minute step does not make it 1m.
    ts = np.array([0, HOUR, 2 * HOUR, 2 * HOUR + 60_000, 3 * HOUR, 4 * HOUR], dtype=np.int64)
    assert infer_timeframe(ts) == "1h"


def test_validating_a_million_rows() -> None:
    # Speed is a benchmark's business (bench/), not a unit test's: this checks the result.
    n = 1_000_000
    candles = make_arrays(n, step=60_000)
    _, report = validate_arrays(candles, source="big", timeframe="1m")
    assert report.rows_kept == n
