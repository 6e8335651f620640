"""Settings: one typed object, read once, each component handed only its own section.

Every value comes from an environment variable with the prefix ``AURUMBOTX_`` and ``__``
between a section and its field (``AURUMBOTX_DATABASE__URL``), or from a ``.env`` file in the
working directory. The README lists every variable; ``aurumbotx config`` prints the effective
values with secrets masked.

Secrets (the JWT secret and the encryption key) never have a default. In production a missing
or placeholder secret refuses start-up with one line. In development they are generated once
and kept under ``AURUMBOTX_HOME/secrets/`` with 0600 permissions, so that a restart can still
decrypt the exchange keys stored before it.
"""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from aurumbotx.domain.enums import Environment, TradingMode
from aurumbotx.domain.errors import ConfigError, MissingSecretError

ENV_PREFIX = "AURUMBOTX_"

# Values that people paste from examples; never accepted as a secret outside development.
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "secret",
        "placeholder",
        "your-secret-key",
        "your_secret_key",
        "jwt_secret_key",
        "xxx",
        "todo",
        "none",
        "null",
        "default",
    }
)
MIN_JWT_SECRET_LENGTH = 32


class DatabaseConfig(BaseModel):
    """Where state lives: a SQLite file by default, PostgreSQL in production."""

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<home>/aurumbotx.db",
    )
    echo: bool = Field(default=False, description="Log every SQL statement")
    pool_size: int = Field(default=5, ge=1, description="Connections per process (PostgreSQL)")
    connect_timeout: int = Field(default=5, ge=1, description="Seconds before giving up")


class RedisConfig(BaseModel):
    """Events, cache and rate limits: in-process when no URL is set."""

    url: str | None = Field(default=None, description="redis://host:port/db; none = in-process")


class SecurityConfig(BaseModel):
    """Secrets for tokens and for encrypting exchange keys at rest."""

    jwt_secret: SecretStr | None = Field(default=None, description="HMAC key for JWTs")
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s), comma separated, newest first (rotation with MultiFernet)",
    )
    jwt_expire_minutes: int = Field(default=60, ge=1)
    refresh_expire_days: int = Field(default=7, ge=1)
    login_attempts_per_15min: int = Field(default=5, ge=1)
    api_calls_per_hour: int = Field(default=1000, ge=1)


class ExchangeConfig(BaseModel):
    """Which exchange live bots talk to, and how."""

    name: str = Field(default="binance", description="ccxt exchange id")
    mode: TradingMode = Field(default=TradingMode.PAPER, description="paper or live")
    testnet: bool = Field(default=True, description="Use the exchange's testnet for live keys")
    base_url: str | None = Field(
        default=None,
        description="Override the REST base URL (e.g. the local emulator); websockets follow",
    )
    timeout_seconds: float = Field(default=10.0, gt=0)
    market_data: Literal["websocket", "polling"] = Field(
        default="websocket",
        description="Live candles: websocket (ccxt.pro) when the exchange has it, else polling",
    )
    fee_rate: Decimal = Field(default=Decimal("0.001"), ge=0, description="Per side, on notional")
    paper_starting_balance: Decimal = Field(default=Decimal("10000"), gt=0)
    quote_asset: str = Field(default="USDT")


class TelegramConfig(BaseModel):
    """Telegram notifications and commands; disabled without a token."""

    bot_token: SecretStr | None = Field(default=None)
    chat_id: str | None = Field(default=None)


class RiskConfig(BaseModel):
    """Default risk limits; a bot may set tighter ones.

    The defaults leave an all-in, long-only reference strategy unchanged (no stop, one position
    per pair at full capital), so that backtests keep their parity with peers.
    """

    risk_percentage: Decimal = Field(default=Decimal("100"), gt=0, le=100)
    max_open_positions: int = Field(default=10, ge=1)
    max_exposure_per_pair_pct: Decimal = Field(default=Decimal("100"), gt=0, le=100)
    max_total_exposure_pct: Decimal = Field(default=Decimal("100"), gt=0, le=100)
    daily_loss_limit_pct: Decimal | None = Field(default=None, gt=0, le=100)
    max_drawdown_pct: Decimal | None = Field(default=None, gt=0, le=100)
    stop_loss_pct: Decimal | None = Field(default=None, gt=0, lt=100)
    take_profit_pct: Decimal | None = Field(default=None, gt=0)
    max_orders_per_hour: int = Field(default=100, ge=1)


class EngineConfig(BaseModel):
    """The trading engine's bots."""

    max_strategy_failures: int = Field(
        default=3, ge=1, description="Candles in a row a strategy may fail before its bot halts"
    )
    balance_check_seconds: float = Field(
        default=300.0,
        ge=0,
        description="Live bots: seconds between checks of the books against the exchange",
    )


class LoggingConfig(BaseModel):
    """Structured JSON logs to stdout."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    json_output: bool = Field(default=True, description="JSON lines; false = human console")

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class ApiConfig(BaseModel):
    """The REST/WebSocket server."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    registration_enabled: bool = Field(
        default=True, description="Anyone may create an account at /api/v1/auth/register"
    )


class Settings(BaseSettings):
    """All settings of AurumBotX; see the README for the environment variable of each."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    environment: Environment = Environment.DEVELOPMENT
    home: Path = Field(default=Path("var"), description="State directory (SQLite, secrets, data)")
    data_dir: Path | None = Field(default=None, description="Candle store; default <home>/data")
    debug: bool = Field(default=False, description="Show tracebacks on errors")
    database: DatabaseConfig = DatabaseConfig()
    redis: RedisConfig = RedisConfig()
    security: SecurityConfig = SecurityConfig()
    exchange: ExchangeConfig = ExchangeConfig()
    telegram: TelegramConfig = TelegramConfig()
    risk: RiskConfig = RiskConfig()
    engine: EngineConfig = EngineConfig()
    logging: LoggingConfig = LoggingConfig()
    api: ApiConfig = ApiConfig()

    @property
    def database_url(self) -> str:
        """The configured database URL, or the default SQLite file under `home`."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.home / 'aurumbotx.db').resolve()}"

    @property
    def candle_dir(self) -> Path:
        """Directory of the Parquet candle store."""
        return self.data_dir if self.data_dir is not None else self.home / "data"

    @property
    def is_production(self) -> bool:
        """True in production, where secrets must be real."""
        return self.environment is Environment.PRODUCTION


def is_placeholder(value: str | None) -> bool:
    """True for a missing secret or one copied from an example."""
    return value is None or value.strip().lower() in PLACEHOLDER_SECRETS


def _env_name(field: str) -> str:
    return f"{ENV_PREFIX}SECURITY__{field.upper()}"


def _validate_fernet_keys(raw: str) -> None:
    for i, key in enumerate(k.strip() for k in raw.split(",")):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigError(
                f"{_env_name('encryption_key')} key #{i + 1} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `aurumbotx secrets generate`)"
            ) from None


def _secret_file(home: Path, name: str) -> Path:
    return home / "secrets" / name


def _load_or_create_secret(home: Path, name: str, make: str) -> str:
    """Read a development secret from its 0600 file, creating it once when absent."""
    path = _secret_file(home, name)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    # O_EXCL: two processes starting at once must not both write a different secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(make + "\n")
    return make


def _required_secret(value: str | None, field: str) -> str:
    if is_placeholder(value) or value is None:
        raise MissingSecretError(
            f"{_env_name(field)} is missing or a placeholder; production refuses to "
            "start without a real secret (make one with `aurumbotx secrets generate`)"
        )
    return value


def resolve_secrets(settings: Settings) -> Settings:
    """Return settings whose secrets are real, or raise MissingSecretError in production."""
    sec = settings.security
    jwt_raw = sec.jwt_secret.get_secret_value() if sec.jwt_secret else None
    enc_raw = sec.encryption_key.get_secret_value() if sec.encryption_key else None
    if settings.is_production:
        jwt = _required_secret(jwt_raw, "jwt_secret")
        enc = _required_secret(enc_raw, "encryption_key")
        if len(jwt) < MIN_JWT_SECRET_LENGTH:
            raise MissingSecretError(
                f"{_env_name('jwt_secret')} is shorter than {MIN_JWT_SECRET_LENGTH} characters; "
                "production refuses a weak secret"
            )
    else:
        jwt = (
            _load_or_create_secret(settings.home, "jwt_secret", secrets.token_urlsafe(48))
            if jwt_raw is None or is_placeholder(jwt_raw)
            else jwt_raw
        )
        enc = (
            _load_or_create_secret(settings.home, "encryption_key", Fernet.generate_key().decode())
            if enc_raw is None or is_placeholder(enc_raw)
            else enc_raw
        )
    _validate_fernet_keys(enc)
    security = sec.model_copy(
        update={"jwt_secret": SecretStr(jwt), "encryption_key": SecretStr(enc)}
    )
    return settings.model_copy(update={"security": security})


def _format_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = "__".join(str(part) for part in first["loc"]).upper()
    message = f"invalid setting {ENV_PREFIX}{loc}: {first['msg']}"
    if not any(word in loc for word in ("SECRET", "KEY", "TOKEN", "PASSWORD")):
        message += f" (got {first.get('input')!r})"
    return message


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment (and .env), mapping errors to ConfigError."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings with secrets resolved; read once."""
    return resolve_secrets(load_settings())
