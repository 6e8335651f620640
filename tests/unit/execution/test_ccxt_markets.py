"""ccxt market dicts -> MarketRules: Binance filters first, then the unified precisions."""

from decimal import Decimal

from aurumbotx.execution.ccxt.markets import market_rules_from_ccxt


def test_market_rules_from_ccxt_markets() -> None:
    binance_like = {
        "symbol": "ETH/USDT",
        "precision": {"price": 0.01, "amount": 0.0001},
        "limits": {"amount": {"min": 0.0001}, "cost": {"min": 5.0}},
        "info": {
            "filters": [
                {"filterType": "PRICE_FILTER", "tickSize": "0.01000000"},
                {"filterType": "LOT_SIZE", "stepSize": "0.00010000", "minQty": "0.00010000"},
                {"filterType": "NOTIONAL", "minNotional": "5.00000000"},
            ]
        },
    }
    rules = market_rules_from_ccxt(binance_like)
    assert (rules.price_tick, rules.amount_step, rules.min_amount, rules.min_notional) == (
        Decimal("0.01"),
        Decimal("0.0001"),
        Decimal("0.0001"),
        Decimal("5"),
    )
    assert str(rules.min_notional) == "5"
    other = {"symbol": "X/Y", "precision": {"price": 2, "amount": 3}, "limits": {}}
    decimals = market_rules_from_ccxt(other, precision_is_tick=False)
    assert (decimals.price_tick, decimals.amount_step) == (Decimal("0.01"), Decimal("0.001"))
    assert decimals.min_notional is None
    assert decimals.is_known
