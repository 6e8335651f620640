"""Structured JSON logs, with secrets never rendered.

`configure_logging` routes structlog and the standard library (SQLAlchemy, ccxt, uvicorn, ...)
through the same processors and ONE handler, so a password in a third-party log line is masked
just like one of ours. The stream is the caller's choice: stdout for a service whose output is
its log (the engine), stderr for commands that print for people (see `aurumbotx.cli.state`).
The redaction processor masks:

* values under keys that name a secret (password, secret, api_key, token, jwt, authorization,
  passphrase, private_key, encryption_key, ...), at any depth of dicts and lists;
* `pydantic.SecretStr` values wherever they appear;
* inside any string: JWTs, `Bearer` tokens, passwords in URLs (``scheme://user:***@host``) and
  ``key=value`` pairs whose key names a secret.

The spec's events are `trade_executed`, `ai_prediction_generated` and `system_error`; helpers
below emit them with the spec's fields.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog
from pydantic import SecretStr

REDACTED = "***"

_SECRET_KEY_RE = re.compile(
    r"(pass(word|wd|phrase)?|secret|api[_-]?key|apikey|token|jwt|authorization|auth[_-]?header|"
    r"private[_-]?key|encryption[_-]?key|fernet|cookie|signature|credential)",
    re.IGNORECASE,
)
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD_RE = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)([^@\s]+)(@)", re.IGNORECASE)
_KV_SECRET_RE = re.compile(
    r"(?i)\b([a-z_]*(?:password|passwd|secret|api[_-]?key|apikey|token|signature)[a-z_]*)"
    r"(\s*[=:]\s*)(['\"]?)([^\s'\",&]+)"
)


def redact_text(text: str) -> str:
    """Mask secrets that may hide inside free text."""
    text = _JWT_RE.sub(REDACTED, text)
    text = _BEARER_RE.sub(r"\1" + REDACTED, text)
    text = _URL_PASSWORD_RE.sub(r"\1" + REDACTED + r"\3", text)
    return _KV_SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{REDACTED}", text)


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and bool(_SECRET_KEY_RE.search(key))


def redact_value(value: Any, depth: int = 0) -> Any:
    """Return `value` with every secret masked (recursing into mappings and sequences)."""
    if depth > 8:
        return value
    if isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            k: (
                REDACTED
                if _is_secret_key(k) and v not in (None, "")
                else redact_value(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v, depth + 1) for v in value)
    if isinstance(value, BaseException):
        return redact_text(f"{type(value).__name__}: {value}")
    return value


_RENDERED_LATER = frozenset({"exc_info", "stack_info"})
_SQLALCHEMY_ENGINE_LOGGER = "sqlalchemy.engine.Engine"


def redact_secrets(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets in every field, including the rendered exception."""
    for key in list(event_dict):
        if key in _RENDERED_LATER:
            continue
        value = event_dict[key]
        if _is_secret_key(key) and value not in (None, ""):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = redact_value(value)
    return event_dict


def _redact_rendered(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Runs after format_exc_info: tracebacks quote local source lines and messages.
    for key in ("exception", "stack"):
        if isinstance(event_dict.get(key), str):
            event_dict[key] = redact_text(event_dict[key])
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]


def configure_logging(
    level: str = "INFO", *, json_output: bool = True, stream: TextIO | None = None
) -> None:
    """Send structlog and stdlib logs, redacted, to `stream` (default stdout) as JSON lines."""
    out = stream if stream is not None else sys.stdout
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    final: list[Any] = [
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        _redact_rendered,
        structlog.processors.UnicodeDecoder(),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final, renderer],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("ccxt", "urllib3", "asyncio", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # SQLAlchemy's echo adds its own plain stdout handler to a logger that has none: that
    # would bypass the redaction and the chosen stream. Any handler there stops it; records
    # still reach ours through propagation.
    engine_log = logging.getLogger(_SQLALCHEMY_ENGINE_LOGGER)
    if not engine_log.handlers:
        engine_log.addHandler(logging.NullHandler())
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "aurumbotx") -> Any:
    """A structlog logger bound to `name`."""
    return structlog.get_logger(name)


def log_trade_executed(logger: Any, trade: Mapping[str, Any]) -> None:
    """The spec's `trade_executed` event."""
    logger.info(
        "trade_executed",
        trade_id=trade.get("id"),
        symbol=trade.get("symbol"),
        side=trade.get("side"),
        amount=str(trade.get("amount")),
        price=str(trade.get("price")),
        strategy=trade.get("strategy"),
        confidence=trade.get("confidence"),
        profit_loss=str(trade.get("profit_loss", 0)),
    )


def log_ai_prediction(logger: Any, symbol: str, prediction: Mapping[str, Any]) -> None:
    """The spec's `ai_prediction_generated` event."""
    logger.info(
        "ai_prediction_generated",
        symbol=symbol,
        action=prediction.get("action"),
        confidence=prediction.get("confidence"),
        prediction_value=prediction.get("prediction"),
        features_count=len(prediction.get("features", []) or []),
    )


def log_system_error(
    logger: Any, error: BaseException, context: Mapping[str, Any] | None = None
) -> None:
    """The spec's `system_error` event, with the traceback (redacted)."""
    logger.error(
        "system_error",
        error_type=type(error).__name__,
        error_message=str(error),
        context=dict(context or {}),
        exc_info=error,
    )
