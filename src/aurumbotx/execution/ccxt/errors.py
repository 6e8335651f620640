"""The ONE place where ccxt's exceptions become ours (the retry loop is `domain/retry.py`).

ccxt error (and subclasses)                                   AurumBotX error
-----------------------------------------------------------   ------------------------------
RateLimitExceeded, DDoSProtection (HTTP 429 / 418)            RateLimitedError (retry_after)
InvalidNonce (Binance -1021, timestamp outside recvWindow)    TemporaryExchangeError (clock)
NetworkError, RequestTimeout, ExchangeNotAvailable,
OnMaintenance, and the rest of ccxt's recoverable
OperationFailed branch (BadResponse, CancelPending, ...)      TemporaryExchangeError
AuthenticationError, PermissionDenied, AccountSuspended       AuthenticationError
InsufficientFunds                                             InsufficientFundsError
OrderNotFound                                                 OrderNotFoundError
InvalidOrder                                                  InvalidOrderError
BadRequest whose message is a filter failure (Binance -1013)  InvalidOrderError
BadSymbol, BadRequest, ArgumentsRequired                      PermanentExchangeError
anything else                                                 PermanentExchangeError

Every result is an `ExchangeError`, so callers catch one class. A bad symbol is a permanent
exchange error here; callers that take a pair from a person check it against the loaded
markets first and raise `InvalidInputError` themselves. Only `TemporaryExchangeError` is retried.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import ccxt

from aurumbotx.domain.errors import (
    AuthenticationError,
    ExchangeError,
    InsufficientFundsError,
    InvalidOrderError,
    OrderNotFoundError,
    PermanentExchangeError,
    RateLimitedError,
    TemporaryExchangeError,
)

MAX_MESSAGE_LENGTH = 240
_RETRY_AFTER_IN_TEXT = re.compile(r"retry[-_ ]?after[\"']?\s*[:=]?\s*[\"']?(\d+(?:\.\d+)?)", re.I)

# Binance's -1013 "Filter failure: NOTIONAL" (MIN_NOTIONAL, PERCENT_PRICE, ...) is a BadRequest
# in ccxt's tables, yet it is an order the market refuses, exactly like LOT_SIZE (InvalidOrder).
_FILTER_FAILURE = "filter failure"

# Order matters: the first matching class wins, so subclasses come before their parents
# (RateLimitExceeded and DDoSProtection are NetworkErrors; OrderNotFound is an InvalidOrder;
# BadSymbol is a BadRequest).
_RATE_LIMITED = (ccxt.RateLimitExceeded, ccxt.DDoSProtection)
# OperationFailed is ccxt's "recoverable" branch; Binance's -1001 "Internal error; ... try
# again" (an HTTP 5xx) arrives as one, and must be retried like a network error.
_TEMPORARY = (ccxt.NetworkError, ccxt.OperationFailed)
_MAPPING: tuple[tuple[tuple[type[BaseException], ...], type[ExchangeError], str], ...] = (
    ((ccxt.AuthenticationError,), AuthenticationError, "the exchange refused the credentials"),
    ((ccxt.InsufficientFunds,), InsufficientFundsError, "insufficient funds"),
    ((ccxt.OrderNotFound,), OrderNotFoundError, "order not found"),
    ((ccxt.InvalidOrder,), InvalidOrderError, "invalid order"),
    ((ccxt.BadSymbol,), PermanentExchangeError, "unknown market"),
    ((ccxt.BadRequest, ccxt.ArgumentsRequired), PermanentExchangeError, "bad request"),
)


def _one_line(text: str) -> str:
    # ccxt messages embed whole response bodies (HTML pages, JSON); the CLI shows one line.
    flat = " ".join(text.split())
    if len(flat) > MAX_MESSAGE_LENGTH:
        flat = flat[: MAX_MESSAGE_LENGTH - 3] + "..."
    return flat


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header value (delta-seconds or an HTTP date), else None."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds)


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if str(key).lower() == name.lower():
            return str(value)
    return None


def _response_headers(exc: BaseException) -> Mapping[str, Any] | None:
    # ccxt raises inside `except requests.HTTPError`, so the HTTP response (and its headers)
    # is reachable through the exception's cause/context chain.
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        headers = getattr(response, "headers", None)
        if headers is not None:
            return headers
        current = current.__cause__ or current.__context__
    return None


def retry_after_of(exc: BaseException, headers: Mapping[str, Any] | None = None) -> float | None:
    """The Retry-After of a rate-limit error: from `headers`, the response, or the message."""
    for source in (headers, _response_headers(exc)):
        seconds = parse_retry_after(_header(source, "Retry-After"))
        if seconds is not None:
            return seconds
    match = _RETRY_AFTER_IN_TEXT.search(str(exc))
    return float(match.group(1)) if match else None


def map_ccxt_error(exc: BaseException, headers: Mapping[str, Any] | None = None) -> ExchangeError:
    """Our ExchangeError for a ccxt exception (`headers`: the HTTP response's, when known)."""
    detail = _one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, _RATE_LIMITED):
        return RateLimitedError(
            f"rate limited by the exchange: {detail}", retry_after=retry_after_of(exc, headers)
        )
    if isinstance(exc, ccxt.InvalidNonce):
        # Binance -1021: our clock is off; the client resynchronises it before retrying.
        return TemporaryExchangeError(f"clock out of sync with the exchange: {detail}")
    if isinstance(exc, _TEMPORARY):
        what = "timed out" if isinstance(exc, ccxt.RequestTimeout) else "unavailable"
        return TemporaryExchangeError(f"exchange {what}: {detail}")
    if isinstance(exc, ccxt.BadRequest) and _FILTER_FAILURE in detail.lower():
        return InvalidOrderError(f"invalid order: {detail}")
    for classes, ours, label in _MAPPING:
        if isinstance(exc, classes):
            return ours(f"{label}: {detail}")
    return PermanentExchangeError(f"exchange error: {detail}")


@contextlib.contextmanager
def translate_ccxt_errors(headers: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Re-raise ccxt exceptions from the block as ours; usable as a decorator too."""
    try:
        yield
    except ccxt.BaseError as exc:
        raise map_ccxt_error(exc, headers) from exc
