"""Walk-forward splits with an expanding training window, a validation tail and purging.

Over the labelled rows (positions in the candle frame, ascending):

* the last `test_fraction` of them is cut into `folds` contiguous test windows of equal size;
* fold k trains on every labelled row i before its test window whose label ends before the
  window starts: i + H + embargo < a, where a is the window's first row and H the horizon
  (the label of row i uses closes up to i + H). That is the purge: at least H candles between
  the last training label and the test window, so that no training label overlaps it;
* the last `validation_fraction` of those training rows is the validation tail (tuning of
  weights and threshold); the members are fitted on the rows before it, purged the same way
  (i + H + embargo < first validation row).

`check_split` asserts these gaps for every split made here; a split that breaks them raises
ModelError, never a silent leak.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from aurumbotx.domain.errors import DataError, InvalidInputError, ModelError

MIN_FIT_ROWS = 500
MIN_VALIDATION_ROWS = 100
MIN_TEST_ROWS = 100


@dataclass(frozen=True)
class FoldSplit:
    """Row positions of one fold: members fitted on `fit`, tuned on `validation`, scored on
    `test`; `gap` = H + embargo candles separate each part's labels from the next part."""

    number: int
    fit: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    gap: int

    @property
    def training(self) -> np.ndarray:
        """Fit rows and validation rows: the fold's whole training window."""
        return np.concatenate([self.fit, self.validation])


def training_split(
    rows: np.ndarray, before: int, gap: int, validation_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """(fit rows, validation rows) among `rows` whose label ends before row `before`."""
    train = rows[rows + gap < before]
    n_validation = round(len(train) * validation_fraction)
    validation = train[len(train) - n_validation :] if n_validation else train[:0]
    first = int(validation[0]) if len(validation) else before
    fit = train[train + gap < first]
    return fit, validation


def make_splits(
    rows: np.ndarray,
    horizon: int,
    folds: int = 5,
    test_fraction: float = 0.5,
    validation_fraction: float = 0.2,
    embargo: int = 0,
) -> list[FoldSplit]:
    """The walk-forward splits of the labelled row positions `rows` (see the module docstring)."""
    if folds < 1:
        raise InvalidInputError(f"folds must be >= 1, got {folds}")
    if not 0.0 < test_fraction < 1.0 or not 0.0 < validation_fraction < 1.0:
        raise InvalidInputError("test_fraction and validation_fraction must be in (0, 1)")
    if embargo < 0:
        raise InvalidInputError(f"embargo must be >= 0, got {embargo}")
    rows = np.asarray(rows, dtype=np.int64)
    gap = horizon + embargo
    n_test = int(len(rows) * test_fraction)
    per_fold = n_test // folds
    if per_fold < MIN_TEST_ROWS:
        raise DataError(
            f"not enough data for {folds} folds: {len(rows)} labelled rows give "
            f"{per_fold} test rows per fold, need at least {MIN_TEST_ROWS}"
        )
    test_rows = rows[len(rows) - per_fold * folds :]
    splits = []
    for k in range(folds):
        test = test_rows[k * per_fold : (k + 1) * per_fold]
        fit, validation = training_split(rows, int(test[0]), gap, validation_fraction)
        split = FoldSplit(k + 1, fit, validation, test, gap)
        _check_sizes(split, len(rows), folds)
        check_split(split)
        splits.append(split)
    return splits


def _check_sizes(split: FoldSplit, labelled: int, folds: int) -> None:
    if len(split.fit) < MIN_FIT_ROWS or len(split.validation) < MIN_VALIDATION_ROWS:
        raise DataError(
            f"not enough data for {folds} folds: fold {split.number} has {len(split.fit)} "
            f"rows to fit and {len(split.validation)} to validate (of {labelled} labelled rows), "
            f"need at least {MIN_FIT_ROWS} and {MIN_VALIDATION_ROWS}"
        )


def check_split(split: FoldSplit) -> None:
    """Raise ModelError unless fit < validation < test, each label `gap` before the next part."""
    parts = [("fit", split.fit), ("validation", split.validation), ("test", split.test)]
    for name, part in parts:
        if len(part) == 0:
            raise ModelError(f"fold {split.number}: empty {name} part")
        if np.any(np.diff(part) <= 0):
            raise ModelError(f"fold {split.number}: {name} rows are not increasing")
    for (name, part), (next_name, following) in itertools.pairwise(parts):
        last_label_end = int(part[-1]) + split.gap
        if last_label_end >= int(following[0]):
            raise ModelError(
                f"fold {split.number}: the label of {name} row {int(part[-1])} reaches row "
                f"{last_label_end}, inside the {next_name} part starting at {int(following[0])}"
            )
