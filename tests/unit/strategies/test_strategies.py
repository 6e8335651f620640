"""Strategy base, registry and the built-in strategies."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aurumbotx.backtest.lookahead import check_lookahead
from aurumbotx.domain.errors import InvalidInputError, NotFoundError, StrategyError
from aurumbotx.strategies.base import Parameter, Strategy, compute_signals, parse_params
from aurumbotx.strategies.registry import StrategyFactory, available, create_strategy
from aurumbotx.strategies.sma_cross import crossings
from aurumbotx.testing.market import load_shared_candles


def test_builtins_are_available() -> None:
    assert {"sma_cross", "scalping", "swing"} <= set(available())
    assert StrategyFactory.create_strategy("swing").name == "swing"


def test_parameters_are_typed_and_checked() -> None:
    strategy = create_strategy("sma_cross", {"fast": "5", "slow": "20"})
    assert strategy.params == {"fast": 5, "slow": 20}
    with pytest.raises(
        InvalidInputError, match=r"unknown parameter\(s\) speed .*valid: fast, slow"
    ):
        create_strategy("sma_cross", {"speed": "5"})
    with pytest.raises(InvalidInputError, match=r"'fast' must be int, got '5\.5'"):
        create_strategy("sma_cross", {"fast": "5.5"})
    with pytest.raises(InvalidInputError, match=r"fast .* must be < slow"):
        create_strategy("sma_cross", {"fast": "50", "slow": "10"})
    with pytest.raises(InvalidInputError, match=">= 1"):
        create_strategy("sma_cross", {"fast": "0"})
    with pytest.raises(InvalidInputError, match="unknown strategy 'nope'"):
        create_strategy("nope")
    assert parse_params(["a=1", "b = x"]) == {"a": "1", "b": "x"}
    with pytest.raises(InvalidInputError, match="key=value"):
        parse_params(["a"])


def test_bool_and_float_parameters() -> None:
    spec = Parameter(True)
    assert spec.convert("flag", "no") is False
    with pytest.raises(InvalidInputError):
        spec.convert("flag", "maybe")
    with pytest.raises(InvalidInputError):
        Parameter(1.0).convert("x", "nan")


def test_crossings_are_strict() -> None:
    fast = np.array([np.nan, 1.0, 2.0, 2.0, 3.0, 1.0, 2.0])
    slow = np.array([np.nan, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    up, down = crossings(fast, slow)
    # equal at 2 and 3: the cross up counts at 4 (above now, not above before)
    assert up.tolist() == [False, False, False, False, True, False, False]
    assert down.tolist() == [False, False, False, False, False, True, False]


def test_user_strategy_from_a_file(tmp_path: Path) -> None:
    source = tmp_path / "mine.py"
    source.write_text(
        "import pandas as pd\n"
        "from aurumbotx.strategies.base import Parameter, Strategy\n"
        "class Mine(Strategy):\n"
        "    name = 'mine'\n"
        "    parameters = {'level': Parameter(100.0)}\n"
        "    def populate(self, candles):\n"
        "        up = candles['close'] > self.params['level']\n"
        "        return pd.DataFrame({'enter_long': up, 'exit_long': ~up}, index=candles.index)\n"
    )
    strategy = create_strategy(str(source), {"level": "5"})
    assert strategy.name == "mine"
    assert create_strategy(f"{source}:Mine").params == {"level": 100.0}
    with pytest.raises(NotFoundError, match="no class 'Other'"):
        create_strategy(f"{source}:Other")
    with pytest.raises(NotFoundError, match="not found"):
        create_strategy(str(tmp_path / "missing.py"))


class Broken(Strategy):
    name = "broken"

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        raise ZeroDivisionError("oops")


class Peeking(Strategy):
    """Cheats: buys before rises it can only know from the next candle."""

    name = "peeking"

    def populate(self, candles: pd.DataFrame) -> pd.DataFrame:
        future = candles["close"].shift(-1)
        up = (future > candles["close"] * 1.002).fillna(False)
        return pd.DataFrame(
            {"enter_long": up, "exit_long": ~up, "next_close": future}, index=candles.index
        )


def test_user_code_errors_become_strategy_errors() -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", rows=300)
    with pytest.raises(StrategyError, match=r"broken.*ZeroDivisionError: oops"):
        compute_signals(Broken(), candles)


def test_lookahead_guard_catches_a_peeking_strategy() -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", rows=2_000)
    report = check_lookahead(Peeking(), candles, max_signals=20)
    assert report.biased
    assert "next_close" in report.columns
    assert "LOOKAHEAD BIAS in peeking" in report.summary()


@pytest.mark.parametrize("name", ["sma_cross", "scalping", "swing"])
def test_builtins_do_not_look_ahead(name: str) -> None:
    candles = load_shared_candles("binance_BTC-USDT_1h", rows=3_000)
    strategy = create_strategy(name)
    signals = compute_signals(strategy, candles)
    assert signals["enter_long"].sum() > 3
    report = check_lookahead(strategy, candles, max_signals=25, extra_candles=10)
    assert not report.biased, report.summary()
    assert report.checked >= 25


def test_user_strategy_from_an_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    import aurumbotx.strategies.registry as registry

    point = EntryPoint(
        name="vendor_cross",
        value="aurumbotx.strategies.sma_cross:SmaCrossStrategy",
        group=registry.ENTRY_POINT_GROUP,
    )
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [point] if group == point.group else []
    )
    assert "vendor_cross" in available()
    strategy = create_strategy("vendor_cross", {"fast": "3", "slow": "9"})
    assert strategy.params == {"fast": 3, "slow": 9}
