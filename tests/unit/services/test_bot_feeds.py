"""`bot start`'s feed checks: the timeframe taken from the candles' spacing, or refused."""

from pathlib import Path

import pytest

from aurumbotx.domain.errors import DataError, InvalidInputError, NotFoundError
from aurumbotx.services.bot_feeds import check_replay_file, plan_feed, timeframe_from_spacing
from aurumbotx.testing.market import write_shared_csv

MINUTE = 60_000


@pytest.mark.parametrize(
    ("spacing", "expected"),
    [
        (MINUTE, "1m"),
        (5 * MINUTE, "5m"),
        (60 * MINUTE, "1h"),
        (240 * MINUTE, "4h"),
        (1440 * MINUTE, "1d"),
    ],
)
def test_the_spacing_names_the_timeframe_when_none_is_given(spacing: int, expected: str) -> None:
    assert timeframe_from_spacing(spacing, None, "f.csv") == expected


def test_a_given_timeframe_that_matches_the_spacing_is_kept_as_written() -> None:
    assert timeframe_from_spacing(60 * MINUTE, "60m", "f.csv") == "60m"
    assert timeframe_from_spacing(5 * MINUTE, "5m", "f.csv") == "5m"


@pytest.mark.parametrize(
    ("spacing", "given"), [(60 * MINUTE, "1m"), (MINUTE, "1h"), (5 * MINUTE, "15m")]
)
def test_a_timeframe_other_than_the_spacing_is_refused(spacing: int, given: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        timeframe_from_spacing(spacing, given, "f.csv")
    found = {MINUTE: "1m", 5 * MINUTE: "5m", 60 * MINUTE: "1h"}[spacing]
    assert str(caught.value) == (
        f"f.csv holds {found} candles, not {given}: "
        f"use --timeframe {found} or leave --timeframe out"
    )


def test_one_candle_needs_a_given_timeframe() -> None:
    assert timeframe_from_spacing(None, "1h", "f.csv") == "1h"
    with pytest.raises(InvalidInputError, match="fewer than two candles"):
        timeframe_from_spacing(None, None, "f.csv")
    with pytest.raises(InvalidInputError, match="not a timeframe"):
        timeframe_from_spacing(None, "1x", "f.csv")


def test_a_spacing_of_no_whole_minute_is_refused() -> None:
    with pytest.raises(DataError, match="not a whole number of minutes"):
        timeframe_from_spacing(90_000, None, "f.csv")


def test_a_real_file_gives_its_timeframe_and_says_it_was_inferred(tmp_path: Path) -> None:
    path = write_shared_csv("binance_BTC-USDT_5m", 50, tmp_path / "binance_BTC-USDT_5m.csv")
    inferred = check_replay_file(path, "BTC/USDT", None)
    assert (inferred.timeframe, inferred.inferred_from) == ("5m", str(path))
    given = check_replay_file(path, "BTC/USDT", "5m")
    assert (given.timeframe, given.inferred_from) == ("5m", None)
    with pytest.raises(
        InvalidInputError, match="holds BTC/USDT candles, but --pairs says ETH/USDT"
    ):
        check_replay_file(path, "ETH/USDT", None)


def test_a_live_feed_needs_a_timeframe_and_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="give --timeframe"):
        plan_feed("live", None, ["BTC/USDT"], None, store_root=tmp_path, exchange="binance")
    assert (
        plan_feed(
            "live", None, ["BTC/USDT"], "1m", store_root=tmp_path, exchange="binance"
        ).timeframe
        == "1m"
    )
    with pytest.raises(NotFoundError, match="no such replay file"):
        plan_feed(
            "replay", str(tmp_path / "x.csv"), ["BTC/USDT"], None, store_root=tmp_path, exchange="b"
        )
    with pytest.raises(NotFoundError, match="no 1h candles of BTC/USDT"):
        plan_feed("replay", None, ["BTC/USDT"], "1h", store_root=tmp_path, exchange="binance")


def test_a_store_replay_takes_the_one_timeframe_every_pair_has(tmp_path: Path) -> None:
    from aurumbotx.data.store import CandleStore
    from aurumbotx.services.bot_feeds import check_store_feed
    from aurumbotx.testing.market import load_shared_candles

    store = CandleStore(tmp_path)
    store.save("BTC/USDT", "1h", load_shared_candles("binance_BTC-USDT_1h", rows=30))
    store.save("ETH/USDT", "1h", load_shared_candles("binance_ETH-USDT_1h", rows=30))
    plan = check_store_feed(tmp_path, "binance", ["BTC/USDT", "ETH/USDT"], None)
    assert (plan.timeframe, plan.inferred_from) == ("1h", "the candle store")
    store.save("BTC/USDT", "5m", load_shared_candles("binance_BTC-USDT_5m", rows=30))
    assert check_store_feed(tmp_path, "binance", ["BTC/USDT", "ETH/USDT"], None).timeframe == "1h"
    with pytest.raises(InvalidInputError, match=r"store holds for BTC/USDT: 1h, 5m$"):
        check_store_feed(tmp_path, "binance", ["BTC/USDT"], None)
    with pytest.raises(NotFoundError, match="no 5m candles of ETH/USDT"):
        check_store_feed(tmp_path, "binance", ["BTC/USDT", "ETH/USDT"], "5m")
