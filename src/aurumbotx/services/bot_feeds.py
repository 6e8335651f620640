"""What creating a bot checks before it writes anything: the feed, its candles, the timeframe.

A bot row that cannot run (a replay file missing, unreadable, of another pair or timeframe)
would end halted in the database; these checks refuse it first, with one line. `plan_feed`
settles the timeframe; `check_feed_for_mode` holds the rule that a live bot reads a live feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aurumbotx.domain.errors import ConfigError, InvalidInputError, NotFoundError
from aurumbotx.domain.timeframes import timeframe_to_ms


@dataclass(frozen=True)
class FeedPlan:
    """The timeframe a bot will use and, when it was not given, where it came from."""

    timeframe: str
    inferred_from: str | None = None


def timeframe_from_spacing(spacing_ms: int | None, given: str | None, source: str) -> str:
    """The given timeframe when the candles' spacing matches it, else the spacing's."""
    from aurumbotx.data.validation import ms_to_timeframe

    if spacing_ms is None:
        if given is None:
            raise InvalidInputError(
                f"{source}: fewer than two candles, so no timeframe to infer: give --timeframe"
            )
        timeframe_to_ms(given)
        return given
    found = ms_to_timeframe(spacing_ms)
    if given is None:
        return found
    if timeframe_to_ms(given) != spacing_ms:
        raise InvalidInputError(
            f"{source} holds {found} candles, not {given}: "
            f"use --timeframe {found} or leave --timeframe out"
        )
    return given


def check_replay_file(path: Path, pair: str, timeframe: str | None) -> FeedPlan:
    """Read and validate a replay file as the engine will; its timeframe (inferred if None)."""
    from aurumbotx.data.readers import pair_from_name, read_candle_arrays
    from aurumbotx.data.validation import most_common_spacing, validate_arrays

    source = str(path)
    candles, _ = read_candle_arrays(path)
    chosen = timeframe_from_spacing(most_common_spacing(candles.ts), timeframe, source)
    validate_arrays(candles, source=source, timeframe=chosen)
    named = pair_from_name(path)
    if named is not None and named != pair:
        raise InvalidInputError(f"{source} holds {named} candles, but --pairs says {pair}")
    return FeedPlan(chosen, None if timeframe else source)


def check_store_feed(
    store_root: Path, exchange: str, pairs: list[str], timeframe: str | None
) -> FeedPlan:
    """Every pair stored at the timeframe (inferred when the store holds exactly one)."""
    from aurumbotx.data.store import CandleStore

    store = CandleStore(store_root)
    held: dict[str, set[str]] = {p: set() for p in pairs}
    for entry in store.entries():
        if entry.exchange == exchange and entry.pair in held:
            held[entry.pair].add(entry.timeframe)
    chosen = timeframe
    if chosen is None:
        common = set.intersection(*held.values()) if held else set()
        if len(common) != 1:
            listed = ", ".join(sorted(common)) or "none"
            raise InvalidInputError(
                f"give --timeframe: timeframes the candle store holds for {', '.join(pairs)}: "
                f"{listed}"
            )
        chosen = common.pop()
    timeframe_to_ms(chosen)
    missing = [p for p in pairs if chosen not in held[p]]
    if missing:
        raise NotFoundError(
            f"the candle store at {store.root} has no {chosen} candles of {', '.join(missing)} "
            f"(download with `aurumbotx download-data --pairs {' '.join(missing)} "
            f"--timeframes {chosen}`)"
        )
    return FeedPlan(chosen, None if timeframe else "the candle store")


def plan_feed(
    kind: str,
    target: str | None,
    pairs: list[str],
    timeframe: str | None,
    *,
    store_root: Path,
    exchange: str,
) -> FeedPlan:
    """Check the feed a bot will read and settle its timeframe, before anything is written."""
    from aurumbotx.domain.values import Pair

    if kind == "live":
        if timeframe is None:
            raise InvalidInputError("give --timeframe (e.g. 1m, 1h) for a live feed")
        timeframe_to_ms(timeframe)
        return FeedPlan(timeframe)
    if target is None:
        return check_store_feed(store_root, exchange, pairs, timeframe)
    path = Path(target).expanduser()
    if path.is_file():
        return check_replay_file(path, pairs[0], timeframe)
    if path.exists():
        raise InvalidInputError(f"--feed replay:{target}: not a file")
    try:
        stored = Pair.parse(target).symbol
    except InvalidInputError:
        raise NotFoundError(f"no such replay file: {target}") from None
    if stored != pairs[0]:
        raise InvalidInputError(f"--feed replay:{target} replays {stored}, --pairs says {pairs[0]}")
    return check_store_feed(store_root, exchange, pairs, timeframe)


def parse_feed(feed: str) -> tuple[str, str | None]:
    """'live' -> ('live', None); 'replay:FILE' -> ('replay', FILE); 'replay' -> store pairs."""
    kind, _, target = feed.partition(":")
    if kind not in ("live", "replay") or (kind == "live" and target):
        raise ConfigError(f"unknown feed {feed!r}: use live, replay (store pairs) or replay:FILE")
    return kind, target or None


def local_exchange(base_url: str | None) -> bool:
    """The exchange endpoint is on this machine (the emulator), so no real money is at stake."""
    from ipaddress import ip_address
    from urllib.parse import urlsplit

    host = urlsplit(base_url).hostname if base_url else None
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_feed_for_mode(kind: str, mode: str, exchange_url: str | None) -> None:
    """A live bot trades real money, so it reads live data (a replay only against a local one)."""
    if mode == "live" and kind != "live" and not local_exchange(exchange_url):
        raise InvalidInputError(
            "a live bot trades real money on live data: use --feed live (a replay through live "
            "orders is allowed only against a local exchange: `aurumbotx emulator`)"
        )
