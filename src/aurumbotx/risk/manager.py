"""The RiskManager: the same object in backtest, paper and live trading.

Entries are sized and checked here; a rejection is a `RiskDecision` with a reason (the engine
turns it into an event), never an exception that stops a bot.

Sizing of an entry whose amount the strategy left open:
* with a stop (the strategy's price, or `stop_loss_pct`): the amount whose loss at the stop is
  `risk_percentage` % of equity;
* without a stop: a quote budget of `risk_percentage` % of equity;
then capped by the room left under `max_exposure_per_pair_pct` and `max_total_exposure_pct`
(of equity) and by the free cash. The defaults (100 %, no stop) give the all-in sizing of the
reference strategy, amount = cash / (price x (1 + fee)), decided at the fill price.

Other checks: `max_open_positions`; the order rate limit (`max_orders_per_hour`, the spec's 100
per hour per user; exits are counted but never refused); the pair's minimum notional and amount
(pre-trade, at the reference price); the kill switch; and halts: when `daily_loss_limit_pct` of
the UTC day's starting equity is lost, or equity falls `max_drawdown_pct` below its peak, the
bot is halted. A halted or killed bot opens nothing new; exits and protective orders still run.

The UTC day starts at 00:00 with the equity marked then: the equity at the last candle close
before midnight (on the first day of a run, the equity before its first candle). So a loss
inside the day's first candle counts, and on 1d candles each day is measured against the
previous day's close.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Final

from aurumbotx.domain.markets import MarketRules

ZERO: Final = Decimal(0)
HUNDRED: Final = Decimal(100)
ONE: Final = Decimal(1)
HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """A bot's limits; the defaults leave an all-in, long-only strategy unchanged."""

    risk_percentage: Decimal = HUNDRED
    max_open_positions: int = 10
    max_exposure_per_pair_pct: Decimal = HUNDRED
    max_total_exposure_pct: Decimal = HUNDRED
    daily_loss_limit_pct: Decimal | None = None
    max_drawdown_pct: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    max_orders_per_hour: int = 100

    @property
    def watches_equity(self) -> bool:
        """True when a limit needs the equity marked at every candle."""
        return self.daily_loss_limit_pct is not None or self.max_drawdown_pct is not None


@dataclass(frozen=True, slots=True)
class EquityMarks:
    """What the equity halts remember across a restart (from the bot's daily rows)."""

    day: int | None = None  # UTC day number (epoch ms // DAY_MS) of `day_start`
    day_start: Decimal | None = None
    peak: Decimal | None = None
    last: Decimal | None = None


@dataclass(slots=True, init=False)
class RiskDecision:
    """Approved (with a size) or rejected (with a reason)."""

    approved: bool
    reason: str | None = None
    quote_amount: Decimal | None = None  # entry budget, fees included
    amount: Decimal | None = None

    def __init__(  # explicit for the compiled engine (see aurumbotx.domain.trading)
        self,
        approved: bool,
        reason: str | None = None,
        quote_amount: Decimal | None = None,
        amount: Decimal | None = None,
    ) -> None:
        self.approved = approved
        self.reason = reason
        self.quote_amount = quote_amount
        self.amount = amount

    @classmethod
    def reject(cls, reason: str) -> RiskDecision:
        """A refusal."""
        return cls(False, reason)


class RiskManager:
    """Sizing, pre-trade checks, order rate limit, halts and the kill switch of one bot."""

    def __init__(
        self,
        limits: RiskLimits | None = None,
        fee_rate: Decimal = Decimal("0.001"),
        order_gate: Callable[[int], bool] | None = None,
    ):
        self.limits = limits or RiskLimits()
        self.fee_rate = fee_rate
        self._fee_factor = ONE + fee_rate
        # A shared per-user limiter (Redis when configured) replaces the bot's own count of
        # orders in live trading; backtests and replays keep their simulated clock.
        self.order_gate = order_gate
        self.killed = False
        self.paused = False  # set while the market data feed is stale
        self.halted_reason: str | None = None
        self._orders: deque[int] = deque()
        self._peak: Decimal | None = None
        self._day: int | None = None
        self._day_start: Decimal | None = None
        self._last_equity: Decimal | None = None  # the latest mark: the next day's start

    # ------------------------------------------------------------------ switches
    def kill(self) -> None:
        """Manual kill switch: refuse every new entry until `resume`."""
        self.killed = True

    def resume(self) -> None:
        """Lift the kill switch and a halt."""
        self.killed = False
        self.halted_reason = None

    @property
    def blocks_entries(self) -> bool:
        """True while killed or halted."""
        return self.killed or self.halted_reason is not None

    def restore_order_times(self, timestamps: list[int]) -> None:
        """After a restart: the bot's orders of the last hour count towards the rate limit."""
        self._orders = deque(sorted(timestamps))

    def restore_equity(self, marks: EquityMarks) -> None:
        """After a restart: the day's start, the peak and the last mark, as stored."""
        self._day, self._day_start = marks.day, marks.day_start
        self._peak, self._last_equity = marks.peak, marks.last

    def needs_opening_mark(self) -> bool:
        """True until an equity is known to start the first day from."""
        return self._last_equity is None

    def mark_opening(self, equity: Decimal) -> None:
        """The equity before the first candle of a run (the first day's start)."""
        if self._last_equity is None:
            self._last_equity = equity

    # ------------------------------------------------------------------ checks
    def check_entry(
        self,
        *,
        pair: str,
        price: Decimal | None,
        equity: Decimal,
        cash: Decimal,
        pair_exposure: Decimal,
        total_exposure: Decimal,
        open_positions: int,
        now_ts: int,
        stop_loss: Decimal | None = None,
        rules: MarketRules | None = None,
    ) -> RiskDecision:
        """Size an entry at the reference `price`, or say why it is refused.

        `price` may be None only when neither a stop nor market rules are given: sizing a share
        of equity does not depend on it.
        """
        if price is None and (stop_loss is not None or rules is not None):
            raise ValueError("sizing against a stop or checking market rules needs the price")
        limits = self.limits
        if self.killed:
            return RiskDecision.reject("kill switch is on")
        if self.halted_reason is not None:
            return RiskDecision.reject(f"bot is halted: {self.halted_reason}")
        if self.paused:
            return RiskDecision.reject("market data feed is stale: no new entries")
        if open_positions >= limits.max_open_positions:
            return RiskDecision.reject(f"max open positions reached ({limits.max_open_positions})")
        if not self._rate_ok(now_ts):
            return RiskDecision.reject(
                f"order rate limit: {limits.max_orders_per_hour} orders per hour"
            )
        fee_factor = self._fee_factor
        # 100 % of equity is equity itself (x 100 / 100 could round a 28-digit amount).
        pct = limits.risk_percentage
        risked = equity if pct == HUNDRED else equity * pct / HUNDRED
        if stop_loss is not None and price is not None and stop_loss < price:
            budget = risked / (price - stop_loss) * price * fee_factor
        else:
            budget = risked
        if limits.max_exposure_per_pair_pct < HUNDRED or pair_exposure:
            room = equity * limits.max_exposure_per_pair_pct / HUNDRED - pair_exposure
            budget = min(budget, room * fee_factor)
        if limits.max_total_exposure_pct < HUNDRED or total_exposure:
            room = equity * limits.max_total_exposure_pct / HUNDRED - total_exposure
            budget = min(budget, room * fee_factor)
        if cash < budget:
            budget = cash
        if budget <= ZERO:
            return RiskDecision.reject(f"no room for a new {pair} position (exposure or cash)")
        if rules is not None and price is not None:
            error = self._check_rules(budget / fee_factor, price, rules)
            if error is not None:
                return RiskDecision.reject(error)
        self._orders.append(now_ts)
        return RiskDecision(True, quote_amount=budget)

    def record_exit(self, now_ts: int) -> None:
        """Count an exit towards the order rate; an exit is never refused (no trapped position)."""
        self._rate_ok(now_ts)  # its answer is not a veto here: the call counts the order
        self._orders.append(now_ts)

    def _rate_ok(self, now_ts: int) -> bool:
        if self.order_gate is not None:
            return self.order_gate(now_ts)
        orders = self._orders
        while orders and orders[0] <= now_ts - HOUR_MS:
            orders.popleft()
        return len(orders) < self.limits.max_orders_per_hour

    @staticmethod
    def _check_rules(notional: Decimal, price: Decimal, rules: MarketRules) -> str | None:
        amount = notional / price
        if rules.amount_step:
            amount = (amount / rules.amount_step).to_integral_value(ROUND_DOWN) * rules.amount_step
        if rules.min_amount and amount < rules.min_amount:
            return f"amount {amount} below the pair's minimum {rules.min_amount}"
        if rules.min_notional and amount * price < rules.min_notional:
            return f"notional {amount * price} below the pair's minimum {rules.min_notional}"
        if amount <= 0:
            return "amount rounds to zero"
        return None

    # ------------------------------------------------------------------ halts
    def on_equity(self, now_ts: int, equity: Decimal) -> str | None:
        """Track equity (marked at a candle close); return a halt reason when a limit breaks."""
        limits = self.limits
        if self.halted_reason is not None:
            return None
        if limits.max_drawdown_pct is not None:
            if self._peak is None or equity > self._peak:
                self._peak = equity
            floor = self._peak * (ONE - limits.max_drawdown_pct / HUNDRED)
            if equity <= floor:
                self.halted_reason = (
                    f"max drawdown {limits.max_drawdown_pct} % reached "
                    f"(equity {equity:.2f}, peak {self._peak:.2f})"
                )
                return self.halted_reason
        if limits.daily_loss_limit_pct is not None:
            day = now_ts // DAY_MS
            if day != self._day:
                # The equity at 00:00: marked at the last close before it.
                before = self._last_equity
                self._day, self._day_start = day, before if before is not None else equity
            self._last_equity = equity
            start = self._day_start or equity
            if equity <= start * (ONE - limits.daily_loss_limit_pct / HUNDRED):
                self.halted_reason = (
                    f"daily loss limit {limits.daily_loss_limit_pct} % reached "
                    f"(equity {equity:.2f}, day start {start:.2f})"
                )
                return self.halted_reason
        return None

    def stop_price(
        self, entry: Decimal, price: Decimal | None, pct: Decimal | None
    ) -> Decimal | None:
        """A position's stop: the strategy's price, its percentage, else the default percentage."""
        if price is not None:
            return price
        pct = pct if pct is not None else self.limits.stop_loss_pct
        return entry * (ONE - pct / HUNDRED) if pct is not None else None

    def take_profit_price(
        self, entry: Decimal, price: Decimal | None, pct: Decimal | None
    ) -> Decimal | None:
        """A position's target: the strategy's price, its percentage, else the default one."""
        if price is not None:
            return price
        pct = pct if pct is not None else self.limits.take_profit_pct
        return entry * (ONE + pct / HUNDRED) if pct is not None else None
