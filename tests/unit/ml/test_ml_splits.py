"""Walk-forward splits: expanding, purged by the horizon, refused when the data is short."""

import numpy as np
import pytest

from aurumbotx.domain.errors import DataError, InvalidInputError, ModelError
from aurumbotx.ml.splits import FoldSplit, check_split, make_splits, training_split


@pytest.mark.parametrize(("horizon", "embargo"), [(1, 0), (24, 0), (24, 12)])
def test_no_label_reaches_the_next_part(horizon: int, embargo: int) -> None:
    rows = np.arange(199, 20_000 - horizon)
    splits = make_splits(rows, horizon, folds=5, embargo=embargo)
    assert len(splits) == 5
    for split in splits:
        gap = horizon + embargo
        assert split.gap == gap
        # Row i's label uses closes up to i + H: it must end before the next part starts.
        assert split.fit[-1] + gap < split.validation[0]
        assert split.validation[-1] + gap < split.test[0]
        assert set(split.fit).isdisjoint(split.test)
        assert split.training.max() + horizon < split.test.min()
        # The purge removes exactly the rows whose labels would overlap, no more.
        assert split.validation[-1] + gap + 1 == split.test[0]
        assert split.fit[-1] + gap + 1 == split.validation[0]


def test_test_windows_tile_the_last_half_and_training_expands() -> None:
    rows = np.arange(199, 10_199)
    splits = make_splits(rows, 24, folds=4, test_fraction=0.5, validation_fraction=0.2)
    tests = np.concatenate([s.test for s in splits])
    np.testing.assert_array_equal(tests, rows[-5_000:])
    sizes = [len(s.training) for s in splits]
    assert sizes == sorted(sizes)
    assert all(s.fit[0] == rows[0] for s in splits)
    for s in splits:
        assert len(s.validation) == round(len(rows[rows + 24 < s.test[0]]) * 0.2)


def test_check_split_catches_overlapping_labels() -> None:
    fit, validation = np.arange(0, 100), np.arange(110, 150)
    check_split(FoldSplit(1, fit, validation, np.arange(160, 200), gap=9))
    with pytest.raises(ModelError, match="inside the test part"):
        check_split(FoldSplit(1, fit, validation, np.arange(155, 200), gap=9))
    with pytest.raises(ModelError, match="inside the validation part"):
        check_split(FoldSplit(1, fit, validation, np.arange(200, 220), gap=11))
    with pytest.raises(ModelError, match="empty"):
        check_split(FoldSplit(1, fit, validation[:0], np.arange(160, 200), gap=1))


def test_training_split_purges_before_the_tail() -> None:
    fit, validation = training_split(
        np.arange(0, 1000), before=900, gap=10, validation_fraction=0.1
    )
    assert validation[-1] + 10 < 900
    assert fit[-1] + 10 < validation[0]
    assert len(validation) == 89


def test_short_data_and_bad_settings_are_refused() -> None:
    with pytest.raises(DataError, match="not enough data for 5 folds"):
        make_splits(np.arange(199, 1_000), 24, folds=5)
    with pytest.raises(DataError, match="rows to fit"):
        make_splits(np.arange(0, 1_000), 24, folds=2, test_fraction=0.6)
    with pytest.raises(InvalidInputError):
        make_splits(np.arange(0, 10_000), 24, folds=0)
    with pytest.raises(InvalidInputError):
        make_splits(np.arange(0, 10_000), 24, test_fraction=1.0)
