"""Sliding-window rate limits, in Redis when configured and in memory otherwise.

The spec's limits: 1000 API calls per hour, 5 login attempts per 15 minutes and 100 trade orders
per hour, per user. The Redis backend keeps them across restarts and replicas (one sorted set
per key, updated atomically by a Lua script); the memory backend gives the same answers inside
one process.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

from aurumbotx.domain.errors import AurumBotXError, CacheUnavailableError


@dataclass(frozen=True)
class Limit:
    """At most `limit` events per `window` seconds."""

    limit: int
    window: float


SPEC_LIMITS: dict[str, Limit] = {
    "api_calls": Limit(1000, 3600),
    "login_attempts": Limit(5, 900),
    "trade_orders": Limit(100, 3600),
}


@dataclass(frozen=True)
class RateDecision:
    """Whether an event is allowed; when not, how long until it would be."""

    allowed: bool
    remaining: int
    retry_after: float


class RateLimiterBackend(Protocol):
    """Counts events per key in a sliding window."""

    def hit(self, key: str, limit: Limit, now: float) -> RateDecision:
        """Record an event if allowed, and say whether it was."""
        ...

    def reset(self, key: str) -> None:
        """Forget every event of `key`."""
        ...


class MemoryRateLimiterBackend:
    """In-process sliding windows (lost on restart, not shared between processes)."""

    def __init__(self) -> None:
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: Limit, now: float) -> RateDecision:
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - limit.window:
                events.popleft()
            if len(events) >= limit.limit:
                return RateDecision(False, 0, max(0.0, events[0] + limit.window - now))
            events.append(now)
            return RateDecision(True, limit.limit - len(events), 0.0)

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


_LUA_HIT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, 0, tostring(oldest[2] + window - now)}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return {1, limit - count - 1, '0'}
"""


class RedisRateLimiterBackend:
    """Sliding windows in Redis: shared by every process, kept across restarts."""

    def __init__(self, client: redis.Redis, prefix: str = "aurumbotx:rl:") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_LUA_HIT)

    def hit(self, key: str, limit: Limit, now: float) -> RateDecision:
        try:
            allowed, remaining, retry = self._script(
                keys=[self._prefix + key],
                args=[now, limit.window, limit.limit, f"{now}:{uuid.uuid4().hex}"],
            )
        except redis.RedisError as error:
            raise CacheUnavailableError(f"rate limiter: Redis failed: {error}") from error
        return RateDecision(bool(int(allowed)), int(remaining), max(0.0, float(retry)))

    def reset(self, key: str) -> None:
        try:
            self._client.delete(self._prefix + key)
        except redis.RedisError as error:
            raise CacheUnavailableError(f"rate limiter: Redis failed: {error}") from error


class RateLimiter:
    """Named limits (the spec's by default) over a backend."""

    def __init__(
        self,
        backend: RateLimiterBackend,
        limits: dict[str, Limit] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self.limits = dict(SPEC_LIMITS if limits is None else limits)
        self._now = clock

    def hit(self, subject: str | int, action: str, now: float | None = None) -> RateDecision:
        """Record `action` by `subject` if its limit allows it."""
        limit = self.limits[action]
        return self.backend.hit(f"{action}:{subject}", limit, self._now() if now is None else now)

    def is_allowed(self, subject: str | int, action: str) -> bool:
        """The spec's interface: record and answer in one call."""
        return self.hit(subject, action).allowed

    def reset(self, subject: str | int, action: str) -> None:
        """Clear the window of `action` for `subject` (e.g. after a successful login)."""
        self.backend.reset(f"{action}:{subject}")


class RateLimitExceededError(AurumBotXError):
    """A client went over one of our own limits; `retry_after` seconds until it may again."""

    exit_code = 2

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def enforce(limiter: RateLimiter, subject: str | int, action: str) -> None:
    """Record `action` by `subject`, or raise RateLimitExceededError when over its limit."""
    decision = limiter.hit(subject, action)
    if not decision.allowed:
        raise RateLimitExceededError(
            f"too many {action.replace('_', ' ')}; try again later", decision.retry_after
        )
