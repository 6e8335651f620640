"""Composition root: the only place that chooses concrete adapters.

SQLite or PostgreSQL (by the database URL), in-process or Redis bus and rate limits (by the
Redis URL). Everything else receives what it needs from here; there are no process-global
singletons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from aurumbotx.config import Settings
from aurumbotx.db.engine import create_db_engine, make_session_factory
from aurumbotx.domain.enums import TradingMode
from aurumbotx.domain.errors import CacheUnavailableError, ConfigError, InvalidInputError
from aurumbotx.domain.markets import MarketRules
from aurumbotx.risk.manager import RiskLimits, RiskManager

if TYPE_CHECKING:
    from aurumbotx.engine.bot import BotSpec
    from aurumbotx.engine.service import BotHandle

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
from aurumbotx.services.bot_feeds import parse_feed


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


def risk_limits(
    settings: Settings, risk_percentage: Decimal | None, overrides: dict[str, Any]
) -> RiskLimits:
    """The bot's limits: settings defaults, then the bot's own values."""
    values: dict[str, Any] = settings.risk.model_dump()
    values.update({k: v for k, v in overrides.items() if k in RiskLimits.__dataclass_fields__})
    if risk_percentage is not None:
        values["risk_percentage"] = risk_percentage
    decimals = {
        "risk_percentage",
        "max_exposure_per_pair_pct",
        "max_total_exposure_pct",
        "daily_loss_limit_pct",
        "max_drawdown_pct",
        "stop_loss_pct",
        "take_profit_pct",
    }
    for key in decimals:
        if values.get(key) is not None:
            values[key] = Decimal(str(values[key]))
    for key, (low, high) in _PERCENT_BOUNDS.items():
        value = values.get(key)
        if value is not None and not low < value <= high:
            raise InvalidInputError(
                f"{key.replace('_', ' ')} must be above {low} and at most {high} (%), got {value}"
            )
    return RiskLimits(**values)


# Percentages a bot's limits may take: (exclusive low, inclusive high). A risk of 0 % or of
# 250 % is a typo, never a choice, and is refused rather than traded on.
_PERCENT_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "risk_percentage": (Decimal(0), Decimal(100)),
    "max_exposure_per_pair_pct": (Decimal(0), Decimal(100)),
    "max_total_exposure_pct": (Decimal(0), Decimal(100)),
    "daily_loss_limit_pct": (Decimal(0), Decimal(100)),
    "max_drawdown_pct": (Decimal(0), Decimal(100)),
    "stop_loss_pct": (Decimal(0), Decimal(100)),
    "take_profit_pct": (Decimal(0), Decimal(10_000)),
}


def make_bot(container: Container, bot_id: int) -> BotHandle:
    """Everything one bot needs, chosen here: exchange, store, feed, risk, strategy."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.bot_store import DbBotStore
    from aurumbotx.db.repositories.bots import BotRepository, spec_of
    from aurumbotx.engine.bot import BotRunner
    from aurumbotx.engine.service import BotHandle
    from aurumbotx.services.models import models_dir
    from aurumbotx.strategies.registry import create_strategy

    settings = container.settings
    with session_scope(container.session_factory) as session:
        row = BotRepository(session).get(bot_id)
        spec = spec_of(row, settings.exchange.quote_asset)
        overrides = dict(row.risk_limits or {})
        risk_percentage = row.risk_percentage
    strategy = create_strategy(spec.strategy, spec.parameters, models_dir=models_dir(settings))
    kind, target = parse_feed(spec.feed)
    bot_store = DbBotStore(
        container.session_factory,
        bot_id,
        exchange_name=settings.exchange.name,
        record_candles=kind == "live",
    )
    exchange = _bot_exchange(container, spec, overrides, bot_store, plain_file=target is not None)
    risk = _bot_risk(container, spec, risk_percentage, overrides, live_feed=kind == "live")
    feed = _bot_feed(container, spec, kind, target)
    runner = BotRunner(
        spec,
        strategy,
        exchange,
        bot_store,
        risk,
        on_record=_prediction_logger(spec.id),
        max_strategy_failures=settings.engine.max_strategy_failures,
        balance_check_seconds=settings.engine.balance_check_seconds,
    )
    return BotHandle(runner=runner, feed=feed, control=bot_store)


def _bot_risk(
    container: Container,
    spec: BotSpec,
    risk_percentage: Decimal,
    overrides: dict[str, Any],
    *,
    live_feed: bool,
) -> RiskManager:
    """The bot's risk manager; live bots count orders per user in the shared limiter."""
    settings = container.settings
    gate = None
    if live_feed:
        limiter, user = container.rate_limiter, spec.user_id

        def gate(ts: int) -> bool:
            return limiter.hit(user, "trade_orders").allowed

    limits = risk_limits(settings, risk_percentage, overrides)
    return RiskManager(limits, settings.exchange.fee_rate, order_gate=gate)


def _bot_exchange(
    container: Container,
    spec: BotSpec,
    overrides: dict[str, Any],
    bot_store: Any,
    *,
    plain_file: bool,
) -> Any:
    """PaperExchange (with the store's market rules, none for a plain file) or the ccxt client."""
    from aurumbotx.data.store import CandleStore
    from aurumbotx.execution.paper import PaperExchange

    exchange_settings = container.settings.exchange
    if spec.mode is TradingMode.PAPER:
        store = CandleStore(container.settings.candle_dir)
        rules: dict[str, MarketRules | None] = (
            {}
            if plain_file
            else {p: store.market_rules(exchange_settings.name, p) for p in spec.pairs}
        )
        return PaperExchange(
            {spec.quote: spec.capital},
            fee_rate=exchange_settings.fee_rate,
            slippage_bps=Decimal(str(overrides.get("slippage_bps", 0))),
            rules=rules,
        )

    def on_retry(attempt: int, error: Exception, delay: float) -> None:
        bot_store.log_error(
            f"exchange error, retry {attempt} in {delay:.1f} s: {error}",
            {"kind": type(error).__name__, "attempt": attempt},
        )

    return make_live_exchange(
        container, spec, overrides.get("api_key_id"), on_retry, on_send=bot_store.mark_sent
    )


def _bot_feed(container: Container, spec: BotSpec, kind: str, target: str | None) -> Any:
    """Replay (a file or the store), websocket stream, or REST polling."""
    from aurumbotx.data.feed_stream import StreamingFeed
    from aurumbotx.data.feeds import PollingFeed, ReplayFeed
    from aurumbotx.data.store import CandleStore, resolve_data
    from aurumbotx.execution.ccxt.ohlcv import CcxtOhlcvSource
    from aurumbotx.execution.ccxt.stream import CcxtOhlcvStream, supports_ohlcv_stream

    exchange = container.settings.exchange
    if kind == "replay":
        store = CandleStore(container.settings.candle_dir)
        if target is not None:
            frames = {spec.pairs[0]: resolve_data(target, store, spec.timeframe, exchange.name)}
        else:
            frames = {p: store.load(p, spec.timeframe, exchange.name) for p in spec.pairs}
        speed = None if spec.speed in (None, "", "max") else float(spec.speed or 1)
        return ReplayFeed(frames, spec.timeframe, speed)
    if exchange.market_data == "websocket" and supports_ohlcv_stream(exchange.name):
        stream = CcxtOhlcvStream(
            exchange.name, base_url=exchange.base_url, timeout_seconds=exchange.timeout_seconds
        )
        return StreamingFeed(stream, spec.pairs, spec.timeframe)
    source = CcxtOhlcvSource.create(
        exchange.name, base_url=exchange.base_url, timeout_seconds=exchange.timeout_seconds
    )
    return PollingFeed(source, spec.pairs, spec.timeframe)


def _prediction_logger(bot_id: int) -> Callable[[Any], None]:
    """The spec's `ai_prediction_generated` event for each live AI signal record."""
    from aurumbotx.observability.logging import get_logger, log_ai_prediction

    logger = get_logger("aurumbotx.ai").bind(bot_id=bot_id)

    def log(record: Any) -> None:
        data = record.to_dict()
        log_ai_prediction(logger, str(data.get("pair")), data)

    return log


def make_live_exchange(
    container: Container,
    spec: BotSpec,
    key_id: object,
    on_retry: Callable[[int, Exception, float], None] | None = None,
    *,
    on_send: Callable[[Any], None] | None = None,
) -> Any:
    """The ccxt client for a live bot, with the user's decrypted exchange key."""
    from aurumbotx.db.engine import session_scope
    from aurumbotx.db.repositories.api_keys import ApiKeyRepository
    from aurumbotx.domain.retry import RetryPolicy
    from aurumbotx.execution.ccxt.client import CcxtExchangeClient
    from aurumbotx.execution.ccxt.shared import CcxtAccount

    exchange = container.settings.exchange
    with session_scope(container.session_factory) as session:
        credentials = ApiKeyRepository(session, container.secret_box).decrypt_for_use(
            spec.user_id,
            exchange.name,
            key_id=int(str(key_id)) if key_id is not None else None,
            testnet=None if key_id is not None else exchange.testnet,
        )
    account = CcxtAccount(
        exchange.name,
        credentials.api_key,
        credentials.secret,
        base_url=exchange.base_url,
        testnet=credentials.is_testnet,
        timeout_seconds=exchange.timeout_seconds,
    )
    return CcxtExchangeClient.connect(
        account,
        fee_rate=exchange.fee_rate,
        retry=RetryPolicy(on_retry=on_retry),
        pairs=spec.pairs,
        on_send=on_send,
    )
