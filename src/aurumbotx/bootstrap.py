"""Composition root: the only place that chooses concrete adapters.

SQLite or PostgreSQL (by the database URL), in-process or Redis bus and rate limits (by the
Redis URL). Everything else receives what it needs from here; there are no process-global
singletons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.config import Settings
from aurumbotx.db.engine import create_db_engine, make_session_factory
from aurumbotx.domain.errors import CacheUnavailableError, ConfigError
from aurumbotx.messaging.bus import EventBus, InMemoryEventBus, RedisEventBus
from aurumbotx.security.crypto import SecretBox
from aurumbotx.security.ratelimit import (
    SPEC_LIMITS,
    Limit,
    MemoryRateLimiterBackend,
    RateLimiter,
    RateLimiterBackend,
    RedisRateLimiterBackend,
)


def connect_redis(url: str) -> redis.Redis:
    """A Redis client that has answered PING, or CacheUnavailableError/ConfigError."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    except ValueError as error:
        raise ConfigError(f"AURUMBOTX_REDIS__URL is not a valid Redis URL: {error}") from None
    try:
        client.ping()
    except redis.RedisError as error:
        raise CacheUnavailableError(f"cannot reach Redis: {error}") from None
    return client


@dataclass
class Container:
    """The process's adapters, built lazily from the settings."""

    settings: Settings
    _closers: list[object] = field(default_factory=list, repr=False)

    @cached_property
    def engine(self) -> Engine:
        """The database engine."""
        db = self.settings.database
        engine = create_db_engine(
            self.settings.database_url,
            echo=db.echo,
            pool_size=db.pool_size,
            connect_timeout=db.connect_timeout,
        )
        self._closers.append(engine)
        return engine

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        """Sessions bound to the engine."""
        return make_session_factory(self.engine)

    @cached_property
    def redis(self) -> redis.Redis | None:
        """The Redis client, or None when running on embedded defaults."""
        url = self.settings.redis.url
        if not url:
            return None
        client = connect_redis(url)
        self._closers.append(client)
        return client

    @cached_property
    def bus(self) -> EventBus:
        """Redis pub/sub when configured, else in-process."""
        url = self.settings.redis.url
        return RedisEventBus(url) if url else InMemoryEventBus()

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """The spec's limits, shared through Redis when configured."""
        backend: RateLimiterBackend = (
            RedisRateLimiterBackend(self.redis)
            if self.redis is not None
            else MemoryRateLimiterBackend()
        )
        limits = dict(SPEC_LIMITS)
        sec = self.settings.security
        limits["api_calls"] = Limit(sec.api_calls_per_hour, 3600)
        limits["login_attempts"] = Limit(sec.login_attempts_per_15min, 900)
        limits["trade_orders"] = Limit(self.settings.risk.max_orders_per_hour, 3600)
        return RateLimiter(backend, limits)

    @cached_property
    def secret_box(self) -> SecretBox:
        """Encryption of exchange keys at rest."""
        key = self.settings.security.encryption_key
        if key is None:
            raise ConfigError("no encryption key configured (AURUMBOTX_SECURITY__ENCRYPTION_KEY)")
        return SecretBox(key)

    def close(self) -> None:
        """Dispose of pools and connections."""
        for item in reversed(self._closers):
            if isinstance(item, Engine):
                item.dispose()
            elif isinstance(item, redis.Redis):
                item.close()
        self._closers.clear()


def build_container(settings: Settings) -> Container:
    """The container for `settings` (nothing connects until first used)."""
    return Container(settings)
