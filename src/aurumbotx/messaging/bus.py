"""Event bus: publish JSON events on named channels; subscribers receive them as dicts.

`InMemoryEventBus` serves one process (the embedded default). `RedisEventBus` carries the same
events between processes (engine -> API -> dashboard) over Redis pub/sub. Both are async: the
engine and the API run on asyncio. `await bus.subscribe(...)` returns once the subscription is
active, so nothing published after it is missed. Delivery is at most once (pub/sub semantics):
state that must not be lost lives in the database; events only say that it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from aurumbotx.domain.errors import CacheUnavailableError

Message = tuple[str, dict[str, Any]]


def _encode(event: dict[str, Any]) -> str:
    return json.dumps(event, default=str, separators=(",", ":"))


class Subscription(Protocol):
    """An active subscription: iterate for (channel, event); close when done."""

    def __aiter__(self) -> Subscription: ...

    async def __anext__(self) -> Message: ...

    async def get(self, within: float | None = None) -> Message | None:
        """The next message, or None after `within` seconds."""
        ...

    async def close(self) -> None:
        """Stop receiving."""
        ...


class EventBus(Protocol):
    """Publish/subscribe on named channels."""

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Send `event` to every current subscriber of `channel`."""
        ...

    async def subscribe(self, *channels: str) -> Subscription:
        """Subscribe; returns when the subscription is active."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class _QueueSubscription:
    def __init__(self, bus: InMemoryEventBus, channels: tuple[str, ...], size: int) -> None:
        self._bus = bus
        self._channels = channels
        self.queue: asyncio.Queue[Message] = asyncio.Queue(size)

    def __aiter__(self) -> _QueueSubscription:
        return self

    async def __anext__(self) -> Message:
        return await self.queue.get()

    async def get(self, within: float | None = None) -> Message | None:
        try:
            return await asyncio.wait_for(self.queue.get(), within)
        except TimeoutError:
            return None

    async def close(self) -> None:
        self._bus._drop(self)

    @property
    def channels(self) -> tuple[str, ...]:
        return self._channels


class InMemoryEventBus:
    """One process: a queue per subscriber; events are JSON round-tripped as Redis does."""

    def __init__(self, max_queue: int = 10_000) -> None:
        self._subscribers: dict[str, set[_QueueSubscription]] = {}
        self._max_queue = max_queue

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        message = json.loads(_encode(event))
        for sub in list(self._subscribers.get(channel, ())):
            with contextlib.suppress(asyncio.QueueFull):  # a stalled reader loses, not us
                sub.queue.put_nowait((channel, message))

    async def subscribe(self, *channels: str) -> _QueueSubscription:
        sub = _QueueSubscription(self, channels, self._max_queue)
        for channel in channels:
            self._subscribers.setdefault(channel, set()).add(sub)
        return sub

    def _drop(self, sub: _QueueSubscription) -> None:
        for channel in sub.channels:
            self._subscribers.get(channel, set()).discard(sub)

    async def close(self) -> None:
        self._subscribers.clear()


class _RedisSubscription:
    def __init__(self, pubsub: Any, prefix: str) -> None:
        self._pubsub = pubsub
        self._prefix = prefix

    def __aiter__(self) -> _RedisSubscription:
        return self

    async def __anext__(self) -> Message:
        while True:
            message = await self.get(within=1.0)
            if message is not None:
                return message

    async def get(self, within: float | None = None) -> Message | None:
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while True:
            wait = 1.0 if deadline is None else max(0.0, deadline - loop.time())
            try:
                raw = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
            except RedisError as error:
                raise CacheUnavailableError(f"event bus: Redis failed: {error}") from error
            if raw is not None and raw.get("type") == "message":
                channel = str(raw["channel"])[len(self._prefix) :]
                return channel, json.loads(raw["data"])
            if deadline is not None and loop.time() >= deadline:
                return None

    async def close(self) -> None:
        with contextlib.suppress(RedisError):
            await self._pubsub.aclose()


class RedisEventBus:
    """Redis pub/sub, shared by every process using the same Redis."""

    def __init__(self, url: str, prefix: str = "aurumbotx:") -> None:
        self._client = aioredis.from_url(url, decode_responses=True)
        self._prefix = prefix

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        try:
            await self._client.publish(self._prefix + channel, _encode(event))
        except RedisError as error:
            raise CacheUnavailableError(f"event bus: Redis failed: {error}") from error

    async def subscribe(self, *channels: str) -> _RedisSubscription:
        pubsub = self._client.pubsub()
        try:
            await pubsub.subscribe(*(self._prefix + c for c in channels))
            # Wait for the server's confirmations: after this, no publish is missed.
            confirmed = 0
            while confirmed < len(channels):
                raw = await pubsub.get_message(timeout=5.0)
                if raw is None:
                    raise CacheUnavailableError("event bus: Redis did not confirm the subscription")
                if raw.get("type") == "subscribe":
                    confirmed += 1
        except RedisError as error:
            raise CacheUnavailableError(f"event bus: Redis failed: {error}") from error
        return _RedisSubscription(pubsub, self._prefix)

    async def close(self) -> None:
        await self._client.aclose()
