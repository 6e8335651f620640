"""ccxt exceptions -> our tree, Retry-After parsing, retries of translated calls, the factory."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import ccxt
import pytest
import requests

from aurumbotx.domain.errors import (
    AuthenticationError,
    ExchangeError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidOrderError,
    OrderNotFoundError,
    PermanentExchangeError,
    RateLimitedError,
    TemporaryExchangeError,
)
from aurumbotx.domain.retry import backoff_delay, with_retries
from aurumbotx.execution.ccxt.errors import map_ccxt_error, parse_retry_after, translate_ccxt_errors
from aurumbotx.execution.ccxt.factory import create_ccxt_exchange


@pytest.mark.parametrize(
    ("ccxt_error", "ours"),
    [
        (ccxt.NetworkError, TemporaryExchangeError),
        (ccxt.RequestTimeout, TemporaryExchangeError),
        (ccxt.ExchangeNotAvailable, TemporaryExchangeError),
        (ccxt.OnMaintenance, TemporaryExchangeError),
        (ccxt.OperationFailed, TemporaryExchangeError),
        (ccxt.DDoSProtection, RateLimitedError),
        (ccxt.RateLimitExceeded, RateLimitedError),
        (ccxt.AuthenticationError, AuthenticationError),
        (ccxt.PermissionDenied, AuthenticationError),
        (ccxt.InsufficientFunds, InsufficientFundsError),
        (ccxt.InvalidOrder, InvalidOrderError),
        (ccxt.OrderNotFound, OrderNotFoundError),
        (ccxt.BadSymbol, PermanentExchangeError),
        (ccxt.BadRequest, PermanentExchangeError),
        (ccxt.ExchangeError, PermanentExchangeError),
        (ccxt.NotSupported, PermanentExchangeError),
    ],
)
def test_mapping(ccxt_error: type[Exception], ours: type[ExchangeError]) -> None:
    mapped = map_ccxt_error(ccxt_error("binance says\n  no"))
    assert type(mapped) is ours
    assert isinstance(mapped, ExchangeError)
    assert mapped.retryable is issubclass(ours, TemporaryExchangeError)
    assert str(mapped).endswith("binance says no")  # one line


def test_long_messages_are_cut_to_one_short_line() -> None:
    mapped = map_ccxt_error(ccxt.ExchangeError("<html>" + "x" * 5000 + "</html>"))
    assert len(str(mapped)) < 300
    assert str(mapped).endswith("...")


def test_retry_after_from_the_response_headers() -> None:
    response = requests.Response()
    response.headers["Retry-After"] = "7"
    error = ccxt.RateLimitExceeded("binance 429")
    error.__context__ = requests.HTTPError("429", response=response)
    mapped = map_ccxt_error(error)
    assert isinstance(mapped, RateLimitedError)
    assert mapped.retry_after == 7.0


def test_retry_after_from_explicit_headers_message_or_unknown() -> None:
    explicit = map_ccxt_error(ccxt.DDoSProtection("418"), headers={"retry-after": "120"})
    assert isinstance(explicit, RateLimitedError)
    assert explicit.retry_after == 120.0
    in_text = map_ccxt_error(ccxt.RateLimitExceeded('{"msg": "slow down", "retryAfter": 3}'))
    assert isinstance(in_text, RateLimitedError)
    assert in_text.retry_after == 3.0
    unknown = map_ccxt_error(ccxt.RateLimitExceeded("429"))
    assert isinstance(unknown, RateLimitedError)
    assert unknown.retry_after is None


def test_parse_retry_after_formats() -> None:
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None
    assert 25 <= seconds <= 31


def test_translate_as_context_manager_and_decorator() -> None:
    with pytest.raises(OrderNotFoundError) as caught, translate_ccxt_errors():
        raise ccxt.OrderNotFound("binance order 42 not found")
    assert isinstance(caught.value.__cause__, ccxt.OrderNotFound)

    @translate_ccxt_errors()
    def cancel() -> None:
        raise ccxt.InsufficientFunds("binance -2010 balance")

    with pytest.raises(InsufficientFundsError):
        cancel()
    with translate_ccxt_errors():  # other exceptions are not ours to touch
        pass
    with pytest.raises(KeyError), translate_ccxt_errors():
        raise KeyError("x")


class Flaky:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_with_retries_backs_off_and_honours_retry_after() -> None:
    slept: list[float] = []
    response = requests.Response()
    response.headers["Retry-After"] = "4"
    limited = ccxt.DDoSProtection("binance 429")
    limited.__context__ = requests.HTTPError("429", response=response)
    fn = Flaky(ccxt.NetworkError("reset"), limited, ccxt.RequestTimeout("slow"))
    retried: list[int] = []
    result = with_retries(
        translate_ccxt_errors()(fn),
        attempts=4,
        base_delay=1.0,
        max_delay=10.0,
        sleep=slept.append,
        on_retry=lambda attempt, error, delay: retried.append(attempt),
    )
    assert result == "ok"
    assert fn.calls == 4
    assert retried == [1, 2, 3]
    assert 0.5 <= slept[0] <= 1.0  # first backoff: base 1 s with jitter in [0.5, 1]
    assert slept[1] == 4.0  # the exchange's Retry-After, exactly
    assert 2.0 <= slept[2] <= 4.0  # third attempt: ceiling 4 s


def test_with_retries_gives_up_and_never_retries_permanent_errors() -> None:
    slept: list[float] = []
    always = Flaky(*[ccxt.ExchangeNotAvailable("binance 503")] * 5)
    with pytest.raises(TemporaryExchangeError, match=r"binance 503 \(gave up after 3 attempts\)"):
        with_retries(
            translate_ccxt_errors()(always), attempts=3, base_delay=0.1, sleep=slept.append
        )
    assert always.calls == 3
    assert len(slept) == 2
    permanent = Flaky(ccxt.AuthenticationError("bad key"))
    with pytest.raises(AuthenticationError):
        with_retries(translate_ccxt_errors()(permanent), attempts=5, sleep=slept.append)
    assert permanent.calls == 1
    with pytest.raises(ValueError, match="attempts"):
        with_retries(permanent, attempts=0)


def test_backoff_is_exponential_capped_and_jittered() -> None:
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (20, 30.0)]:
        delays = [backoff_delay(attempt, 1.0, 30.0) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_factory_rebases_every_endpoint_and_refuses_bad_input() -> None:
    exchange = create_ccxt_exchange("binance", base_url="http://127.0.0.1:9/", timeout_seconds=3)
    api = exchange.urls["api"]
    assert api["public"] == "http://127.0.0.1:9/api/v3"
    assert api["private"] == "http://127.0.0.1:9/api/v3"
    assert api["sapi"] == "http://127.0.0.1:9/sapi/v1"
    assert api["fapiPublic"] == "http://127.0.0.1:9/fapi/v1"
    assert exchange.timeout == 3000
    assert exchange.enableRateLimit is True
    assert exchange.options["fetchCurrencies"] is False
    untouched = create_ccxt_exchange("binance")
    assert untouched.urls["api"]["public"] == "https://api.binance.com/api/v3"
    with pytest.raises(InvalidInputError, match="unknown exchange 'nope'"):
        create_ccxt_exchange("nope")
    with pytest.raises(InvalidInputError, match="base URL"):
        create_ccxt_exchange("binance", base_url="127.0.0.1:9")
