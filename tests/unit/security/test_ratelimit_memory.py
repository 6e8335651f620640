from aurumbotx.security.ratelimit import SPEC_LIMITS, Limit, MemoryRateLimiterBackend, RateLimiter


def test_spec_limits() -> None:
    assert SPEC_LIMITS["api_calls"] == Limit(1000, 3600)
    assert SPEC_LIMITS["login_attempts"] == Limit(5, 900)
    assert SPEC_LIMITS["trade_orders"] == Limit(100, 3600)


def test_sliding_window_in_memory() -> None:
    limiter = RateLimiter(MemoryRateLimiterBackend())
    decisions = [limiter.hit(7, "login_attempts", now=1000.0 + i) for i in range(6)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert decisions[4].remaining == 0
    assert decisions[5].retry_after == 900.0 - 5.0
    # Other users and other actions are independent.
    assert limiter.hit(8, "login_attempts", now=1005.0).allowed
    # The first attempt leaves the window after 900 s.
    assert limiter.hit(7, "login_attempts", now=1900.5).allowed
    limiter.reset(7, "login_attempts")
    assert limiter.hit(7, "login_attempts", now=1901.0).remaining == 4
