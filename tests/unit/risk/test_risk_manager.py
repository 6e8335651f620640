"""RiskManager: sizing, limits and halts, hand-computed."""

import re
from decimal import Decimal

import pytest

from aurumbotx.domain.markets import MarketRules
from aurumbotx.risk.manager import HOUR_MS, EquityMarks, RiskLimits, RiskManager

D = Decimal


def check(risk: RiskManager, **overrides: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "pair": "BTC/USDT",
        "price": D(100),
        "equity": D(1000),
        "cash": D(1000),
        "pair_exposure": D(0),
        "total_exposure": D(0),
        "open_positions": 0,
        "now_ts": 0,
    }
    args.update(overrides)
    return risk.check_entry(**args)  # type: ignore[arg-type]


def test_defaults_are_all_in() -> None:
    decision = check(RiskManager())
    assert decision.approved
    assert decision.quote_amount == D(1000)


def test_sizing_without_stop_or_rules_needs_no_price() -> None:
    assert check(RiskManager(), price=None).quote_amount == D(1000)
    assert check(RiskManager(RiskLimits(risk_percentage=D(25))), price=None).quote_amount == D(250)


def test_a_stop_or_market_rules_without_the_price_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="needs the price"):
        check(RiskManager(), price=None, stop_loss=D(95))
    rules = MarketRules("BTC/USDT", amount_step=D("0.001"), min_notional=D(10))
    with pytest.raises(ValueError, match="needs the price"):
        check(RiskManager(), price=None, rules=rules)


def test_risk_percentage_without_stop_is_a_share_of_equity() -> None:
    decision = check(RiskManager(RiskLimits(risk_percentage=D(25))))
    assert decision.quote_amount == D(250)


def test_sizing_from_stop_distance() -> None:
    # Risk 1 % of 1000 = 10; stop 5 below 100 -> 2 units -> 200 + fee 0.1 % = 200.2
    decision = check(RiskManager(RiskLimits(risk_percentage=D(1)), D("0.001")), stop_loss=D(95))
    assert decision.quote_amount == D("200.2")


def test_capped_by_cash_and_exposure() -> None:
    risk = RiskManager(RiskLimits(max_exposure_per_pair_pct=D(30)), D(0))
    assert check(risk).quote_amount == D(300)
    risk = RiskManager(RiskLimits(max_total_exposure_pct=D(50)), D(0))
    assert check(risk, equity=D(1000), cash=D(600), total_exposure=D(400)).quote_amount == D(100)
    assert check(
        RiskManager(), equity=D(1000), cash=D(150), total_exposure=D(850)
    ).quote_amount == D(150)


def test_no_room_is_a_rejection_with_a_reason() -> None:
    risk = RiskManager(RiskLimits(max_total_exposure_pct=D(50)))
    decision = check(risk, total_exposure=D(500), cash=D(500))
    assert not decision.approved
    assert "no room" in (decision.reason or "")


def test_max_open_positions() -> None:
    decision = check(RiskManager(RiskLimits(max_open_positions=2)), open_positions=2)
    assert not decision.approved
    assert decision.reason == "max open positions reached (2)"


def test_order_rate_limit_per_hour_counts_exits_but_never_refuses_them() -> None:
    risk = RiskManager(RiskLimits(max_orders_per_hour=3))
    assert check(risk, now_ts=0).approved
    risk.record_exit(now_ts=1)  # counted
    assert check(risk, now_ts=2).approved
    refused = check(risk, now_ts=3)
    assert not refused.approved
    assert "3 orders per hour" in (refused.reason or "")
    risk.record_exit(now_ts=4)  # exits are never refused
    assert not check(risk, now_ts=5).approved  # ...but they count
    assert check(risk, now_ts=HOUR_MS + 3).approved  # the first orders left the window


def test_pre_trade_rules() -> None:
    rules = MarketRules("BTC/USDT", amount_step=D("0.01"), min_notional=D(10))
    decision = check(RiskManager(), cash=D("5"), equity=D("5"), rules=rules)
    assert not decision.approved
    assert "notional" in (decision.reason or "")
    rules = MarketRules("BTC/USDT", min_amount=D(1))
    assert "below the pair's minimum" in (
        check(RiskManager(), cash=D(50), equity=D(50), rules=rules).reason or ""
    )


def test_kill_switch_and_resume() -> None:
    risk = RiskManager()
    risk.kill()
    assert check(risk).reason == "kill switch is on"
    risk.resume()
    assert check(risk).approved


def test_max_drawdown_halt() -> None:
    risk = RiskManager(RiskLimits(max_drawdown_pct=D(10)))
    assert risk.on_equity(0, D(1000)) is None
    assert risk.on_equity(1, D(1200)) is None  # new peak
    assert risk.on_equity(2, D("1080.01")) is None  # 9.999 % below the peak
    reason = risk.on_equity(3, D(1080))  # exactly 10 %
    assert reason is not None
    assert "max drawdown 10 %" in reason
    assert not check(risk).approved
    assert risk.on_equity(4, D(1)) is None  # reported once


def test_daily_loss_limit_resets_each_utc_day() -> None:
    day = 86_400_000
    risk = RiskManager(RiskLimits(daily_loss_limit_pct=D(5)))
    assert risk.on_equity(0, D(1000)) is None
    assert risk.on_equity(day - 1, D(951)) is None
    assert risk.on_equity(day, D(920)) is None  # the new day starts at 951 (00:00's equity)
    assert risk.on_equity(day + 4, D("903.46")) is None  # 951 x 0.95 = 903.45
    reason = risk.on_equity(day + 5, D("903.45"))
    assert reason is not None
    assert "daily loss limit 5 %" in reason
    assert "day start 951.00" in reason


def test_a_loss_inside_the_days_first_candle_counts() -> None:
    day = 86_400_000
    risk = RiskManager(RiskLimits(daily_loss_limit_pct=D(5)))
    risk.mark_opening(D(1000))
    assert risk.on_equity(day - 1, D(1000)) is None  # the close before midnight
    reason = risk.on_equity(day + HOUR_MS - 1, D(949))  # the first hourly close of the day
    assert reason is not None
    assert "day start 1000.00" in reason


def test_the_first_day_starts_from_the_opening_mark() -> None:
    risk = RiskManager(RiskLimits(daily_loss_limit_pct=D(5)))
    risk.mark_opening(D(1000))
    risk.mark_opening(D(5))  # only the first mark of a run counts
    assert risk.on_equity(HOUR_MS - 1, D(949)) is not None


def test_equity_marks_survive_a_restart() -> None:
    day = 86_400_000
    limits = RiskLimits(daily_loss_limit_pct=D(5), max_drawdown_pct=D(20))
    restarted = RiskManager(limits)
    restarted.restore_equity(EquityMarks(day=1, day_start=D(1000), peak=D(1100), last=D(980)))
    assert not restarted.needs_opening_mark()
    assert restarted.on_equity(day + 5 * HOUR_MS, D(951)) is None
    reason = restarted.on_equity(day + 6 * HOUR_MS, D(950))  # 1000 x 0.95, same day
    assert reason is not None
    assert "day start 1000.00" in reason
    drawdown = RiskManager(limits)
    drawdown.restore_equity(EquityMarks(day=1, day_start=D(1000), peak=D(1200), last=D(990)))
    reason = drawdown.on_equity(2 * day + 1, D(960))  # 1200 x 0.8; a new day starts at 990
    assert reason is not None
    assert "max drawdown 20 %" in reason


@pytest.mark.parametrize(
    ("price", "pct", "default", "expected"),
    [
        (D(90), None, None, D(90)),
        (None, D(2), D(5), D(98)),
        (None, None, D(5), D(95)),
        (None, None, None, None),
    ],
)
def test_stop_price(
    price: Decimal | None, pct: Decimal | None, default: Decimal | None, expected: Decimal | None
) -> None:
    risk = RiskManager(RiskLimits(stop_loss_pct=default))
    assert risk.stop_price(D(100), price, pct) == expected


def test_stale_market_data_pauses_entries_only() -> None:
    risk = RiskManager()
    risk.paused = True
    assert check(risk).reason == "market data feed is stale: no new entries"
    risk.paused = False
    assert check(risk).approved


@pytest.mark.parametrize(
    ("risk", "overrides", "message"),
    [
        (D(0), {}, "risk percentage must be above 0 and at most 100"),
        (D(150), {}, "risk percentage must be above 0 and at most 100 (%), got 150"),
        (None, {"daily_loss_limit_pct": "0"}, "daily loss limit pct must be above 0"),
        (None, {"stop_loss_pct": "150"}, "stop loss pct must be above 0 and at most 100"),
        (None, {"max_drawdown_pct": "-5"}, "max drawdown pct must be above 0"),
    ],
)
def test_a_bots_limits_refuse_absurd_percentages(
    risk: Decimal | None, overrides: dict[str, object], message: str
) -> None:
    from aurumbotx.bootstrap import risk_limits
    from aurumbotx.config import Settings
    from aurumbotx.domain.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=re.escape(message)):
        risk_limits(Settings(), risk, overrides)
    assert risk_limits(Settings(), D(100), {"stop_loss_pct": "2"}).risk_percentage == D(100)
