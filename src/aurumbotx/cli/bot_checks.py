"""The feed checks of `bot start`, now in `aurumbotx.services.bot_feeds` (kept importable)."""

from __future__ import annotations

from aurumbotx.services.bot_feeds import (
    FeedPlan,
    check_replay_file,
    check_store_feed,
    plan_feed,
    timeframe_from_spacing,
)

__all__ = [
    "FeedPlan",
    "check_replay_file",
    "check_store_feed",
    "plan_feed",
    "timeframe_from_spacing",
]
