"""Rate limits and the event bus on a real Redis (and the in-process equivalents)."""

import asyncio

import pytest
import redis

from aurumbotx.messaging.bus import InMemoryEventBus, RedisEventBus
from aurumbotx.security.ratelimit import Limit, RateLimiter, RedisRateLimiterBackend

pytestmark = pytest.mark.redis


def test_redis_sliding_window_is_shared_between_limiters(redis_client: redis.Redis) -> None:
    a = RateLimiter(RedisRateLimiterBackend(redis_client), {"trade_orders": Limit(3, 60)})
    b = RateLimiter(RedisRateLimiterBackend(redis_client), {"trade_orders": Limit(3, 60)})
    assert a.hit(1, "trade_orders", now=100.0).allowed
    assert b.hit(1, "trade_orders", now=101.0).allowed
    third = a.hit(1, "trade_orders", now=102.0)
    assert third.allowed
    assert third.remaining == 0
    refused = b.hit(1, "trade_orders", now=103.0)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(57.0)
    assert a.hit(2, "trade_orders", now=103.0).allowed  # another user
    assert a.hit(1, "trade_orders", now=160.5).allowed  # the first left the window
    assert 0 < redis_client.pttl("aurumbotx:rl:trade_orders:1") <= 60_000


def test_redis_limits_survive_a_new_client(redis_url: str, redis_client: redis.Redis) -> None:
    limit = {"login_attempts": Limit(2, 900)}
    first = RateLimiter(RedisRateLimiterBackend(redis.Redis.from_url(redis_url)), limit)
    first.hit("bob", "login_attempts", now=10.0)
    first.hit("bob", "login_attempts", now=11.0)
    restarted = RateLimiter(RedisRateLimiterBackend(redis.Redis.from_url(redis_url)), limit)
    assert not restarted.hit("bob", "login_attempts", now=12.0).allowed


async def _exchange(bus: InMemoryEventBus | RedisEventBus) -> list[tuple[str, dict[str, object]]]:
    sub = await bus.subscribe("bots", "trades")
    await bus.publish("bots", {"bot_id": 1, "status": "running"})
    await bus.publish("other", {"ignored": True})
    await bus.publish("trades", {"price": "64000.5", "amount": "0.1"})
    received = []
    for _ in range(2):
        message = await sub.get(within=5)
        assert message is not None
        received.append(message)
    assert await sub.get(within=0.2) is None
    await sub.close()
    await bus.close()
    return received


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_event_bus(kind: str, request: pytest.FixtureRequest) -> None:
    if kind == "redis":
        bus: InMemoryEventBus | RedisEventBus = RedisEventBus(
            request.getfixturevalue("redis_url"), prefix="abx-test:"
        )
    else:
        bus = InMemoryEventBus()
    received = await asyncio.wait_for(_exchange(bus), 15)
    assert received == [
        ("bots", {"bot_id": 1, "status": "running"}),
        ("trades", {"price": "64000.5", "amount": "0.1"}),
    ]
