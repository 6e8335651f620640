"""How temporary exchange errors are retried: exponential backoff, or the exchange's Retry-After.

Only `TemporaryExchangeError` (and its `RateLimitedError`) is retried; every other error goes
straight to the caller. The errors must already be ours: an adapter translates its library's
exceptions before they reach the loop (`execution/ccxt/errors.py` for ccxt).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aurumbotx.domain.errors import RateLimitedError, TemporaryExchangeError

T = TypeVar("T")
OnRetry = Callable[[int, TemporaryExchangeError, float], None]


def backoff_delay(attempt: int, base_delay: float, max_delay: float) -> float:
    """Exponential backoff with 'equal jitter' for retry number `attempt` (1-based)."""
    ceiling = min(max_delay, base_delay * (2 ** (attempt - 1)))
    # Half fixed, half random: never zero (a thundering herd), never above the ceiling.
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto


def with_retries(
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    base_delay: float = 1.0,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: OnRetry | None = None,
) -> T:
    """Call `fn`, retrying TemporaryExchangeError up to `attempts` calls in all.

    A RateLimitedError with a known `retry_after` waits exactly that long (the exchange said
    so; waiting less risks a ban); other temporary errors wait `backoff_delay`. The last error
    is re-raised, with the number of attempts in its message.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except TemporaryExchangeError as error:
            if attempt == attempts:
                if attempts > 1:
                    error.message = f"{error.message} (gave up after {attempts} attempts)"
                    error.args = (error.message,)
                raise
            retry_after = error.retry_after if isinstance(error, RateLimitedError) else None
            delay = (
                retry_after
                if retry_after is not None
                else backoff_delay(attempt, base_delay, max_delay)
            )
            if on_retry is not None:
                on_retry(attempt, error, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How temporary exchange errors are retried."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Callable[[float], None] | None = None
    on_retry: OnRetry | None = None

    def call(self, fn: Callable[[], T], on_retry: OnRetry | None = None) -> T:
        """Run `fn` under this policy; `on_retry` runs before the policy's own `on_retry`."""
        hooks = [hook for hook in (on_retry, self.on_retry) if hook is not None]

        def notify(attempt: int, error: TemporaryExchangeError, delay: float) -> None:
            for hook in hooks:
                hook(attempt, error, delay)

        extra: dict[str, Any] = {"sleep": self.sleep} if self.sleep is not None else {}
        return with_retries(
            fn,
            attempts=self.attempts,
            base_delay=self.base_delay,
            max_delay=self.max_delay,
            on_retry=notify if hooks else None,
            **extra,
        )
