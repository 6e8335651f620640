import io
import json
import logging

import pytest
from pydantic import SecretStr

from aurumbotx.observability.logging import (
    configure_logging,
    get_logger,
    log_ai_prediction,
    log_system_error,
    log_trade_executed,
    redact_text,
)

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxLCJ0eXBlIjoiYWNjZXNzIn0."
    "Qm9yTkE5dGhpc2lzYXNpZ25hdHVyZQ"
)
SECRETS = ["hunter2-password", "AKIA-binance-key-123", "binance-secret-xyz", JWT, "pg-pass-42"]


@pytest.fixture
def stream() -> io.StringIO:
    out = io.StringIO()
    configure_logging("DEBUG", json_output=True, stream=out)
    return out


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_secrets_are_never_rendered(stream: io.StringIO) -> None:
    log = get_logger("aurumbotx.test")
    log.info(
        "login",
        username="alice",
        password="hunter2-password",
        api_key="AKIA-binance-key-123",
        exchange_account={"secret_key": "binance-secret-xyz", "exchange": "binance"},
        headers=[{"Authorization": f"Bearer {JWT}"}],
        token=SecretStr("AKIA-binance-key-123"),
        note=f"connected with postgresql://bot:pg-pass-42@db:5432/prod and jwt {JWT}",
        query="apiKey=AKIA-binance-key-123&signature=deadbeef",
    )
    try:
        raise RuntimeError("failed with password=hunter2-password")
    except RuntimeError as error:
        log_system_error(log, error, {"api_secret": "binance-secret-xyz"})
    logging.getLogger("ccxt.base").warning(
        "request headers X-MBX-APIKEY api_key=AKIA-binance-key-123"
    )
    text = stream.getvalue()
    for secret in SECRETS:
        assert secret not in text, secret
    records = _lines(stream)
    assert records[0]["username"] == "alice"
    assert records[0]["password"] == "***"
    assert records[0]["exchange_account"] == {"secret_key": "***", "exchange": "binance"}
    assert "postgresql://bot:***@db:5432/prod" in str(records[0]["note"])
    assert records[1]["event"] == "system_error"
    assert "Traceback" in str(records[1]["exception"])
    assert "RuntimeError: failed with password=***" in str(records[1]["exception"])
    assert records[2]["logger"] == "ccxt.base"


def test_redact_text_keeps_harmless_text() -> None:
    assert redact_text("BTC/USDT filled 0.5 at 64000") == "BTC/USDT filled 0.5 at 64000"
    assert redact_text("password: abc") == "password: ***"


def test_spec_events_are_json_with_their_fields(stream: io.StringIO) -> None:
    log = get_logger("aurumbotx.trading")
    log_trade_executed(
        log,
        {
            "id": 12,
            "symbol": "BTC/USDT",
            "side": "BUY",
            "amount": "0.5",
            "price": "64000.10",
            "strategy": "sma_cross",
            "confidence": 0.8,
        },
    )
    log_ai_prediction(log, "ETH/USDT", {"action": "HOLD", "confidence": 0.5, "prediction": 0.1})
    trade, prediction = _lines(stream)
    assert trade["event"] == "trade_executed"
    assert trade["level"] == "info"
    assert trade["price"] == "64000.10"
    assert trade["profit_loss"] == "0"
    assert {"timestamp", "logger"} <= trade.keys()
    assert str(trade["timestamp"]).endswith("Z")
    assert prediction["event"] == "ai_prediction_generated"
    assert prediction["prediction_value"] == 0.1
    assert prediction["features_count"] == 0


def test_level_comes_from_settings() -> None:
    out = io.StringIO()
    configure_logging("WARNING", stream=out)
    get_logger().info("quiet")
    get_logger().warning("loud")
    assert [r["event"] for r in _lines(out)] == ["loud"]
