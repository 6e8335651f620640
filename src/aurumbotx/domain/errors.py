"""The one exception tree of AurumBotX.

Every adapter maps the errors of the library it wraps (SQLAlchemy, ccxt, httpx, pandas, ...)
into these classes in ONE place, so that callers handle our errors only. Each error carries a
one-line, human message: the CLI prints it as is, the API returns it as the `detail`.

    AurumBotXError                      base; `exit_code` for the CLI
    ├── ConfigError                     bad or missing settings
    │   └── MissingSecretError          a secret is missing or a placeholder (production)
    ├── InvalidInputError               bad user input (an email, a parameter, a date range)
    ├── NotFoundError                   a user, bot, model, file or pair that does not exist
    ├── AlreadyExistsError              a unique name or key is taken
    ├── DataError                       market data that cannot be used
    │   ├── CandleValidationError       a candle file breaks a rule (file, row, rule)
    │   └── NoDataError                 nothing in the requested range
    ├── PersistenceError                the database failed
    │   └── DatabaseUnavailableError    it cannot be reached
    ├── CacheUnavailableError           Redis cannot be reached
    ├── ExchangeError                   the exchange (or its emulator) said no, or did not answer
    │   ├── TemporaryExchangeError      retry with backoff: network, timeout, 5xx, maintenance
    │   │   └── RateLimitedError        429/418; `retry_after` seconds when known
    │   └── PermanentExchangeError      never retried
    │       ├── AuthenticationError     wrong or missing credentials, bad signature
    │       ├── InsufficientFundsError
    │       ├── InvalidOrderError       precision, minimum notional, unknown symbol, ...
    │       └── OrderNotFoundError
    ├── StrategyError                   a strategy's own code raised
    ├── ModelError                      a model artifact is missing, stale or incompatible
    └── RiskLimitError                  an operation the risk manager forbids (kill switch, halt)
"""

from __future__ import annotations


class AurumBotXError(Exception):
    """Base class: a one-line message for people, an exit code for the CLI."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(AurumBotXError):
    """The settings are invalid or incomplete."""

    exit_code = 2


class MissingSecretError(ConfigError):
    """A secret is missing or still a placeholder where a real one is required."""


class InvalidInputError(AurumBotXError):
    """Input from a person or a client is invalid."""

    exit_code = 2


class NotFoundError(AurumBotXError):
    """The thing asked for does not exist."""

    exit_code = 3


class AlreadyExistsError(AurumBotXError):
    """A unique name or key is already taken."""

    exit_code = 2


class DataError(AurumBotXError):
    """Market data cannot be used."""

    exit_code = 2


class CandleValidationError(DataError):
    """A candle source breaks a validation rule; names the source, the row and the rule."""

    def __init__(self, source: str, row: int | None, rule: str, detail: str = "") -> None:
        where = f"{source}, row {row}" if row is not None else source
        message = f"{where}: {rule}" + (f" ({detail})" if detail else "")
        super().__init__(message)
        self.source = source
        self.row = row
        self.rule = rule


class NoDataError(DataError):
    """No candles in the requested range."""


class PersistenceError(AurumBotXError):
    """The database failed."""


class DatabaseUnavailableError(PersistenceError):
    """The database cannot be reached."""


class CacheUnavailableError(AurumBotXError):
    """Redis cannot be reached."""


class ExchangeError(AurumBotXError):
    """The exchange refused or failed."""

    retryable: bool = False


class TemporaryExchangeError(ExchangeError):
    """A transient failure: retry with backoff."""

    retryable = True


class RateLimitedError(TemporaryExchangeError):
    """The exchange asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentExchangeError(ExchangeError):
    """A failure that retrying cannot fix."""


class AuthenticationError(PermanentExchangeError):
    """Wrong or missing exchange credentials."""


class InsufficientFundsError(PermanentExchangeError):
    """Not enough balance for the order."""


class InvalidOrderError(PermanentExchangeError):
    """The order breaks the market's rules."""


class OrderNotFoundError(PermanentExchangeError):
    """The exchange does not know the order."""


class StrategyError(AurumBotXError):
    """A strategy's code raised; the bot records it and goes on."""


class ModelError(AurumBotXError):
    """A model artifact is missing, stale or incompatible."""

    exit_code = 2


class RiskLimitError(AurumBotXError):
    """The risk manager forbids the operation."""
