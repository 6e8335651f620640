"""SQLAlchemy 2.0 models: the spec's ten tables (`spec`), the engine's (`trading`), `auth`.

The schema itself is created by the Alembic migrations in `aurumbotx/db/migrations`, never by
`create_all`; a test checks that migrations and models agree.
"""

from aurumbotx.db.models.auth import RefreshToken
from aurumbotx.db.models.base import NAMING_CONVENTION, NOW, Base
from aurumbotx.db.models.spec import (
    SPEC_INDEXES,
    SPEC_TABLES,
    AIModelPerformance,
    ApiKey,
    MarketData,
    Notification,
    PerformanceDaily,
    Strategy,
    SystemLog,
    Trade,
    TradingPair,
    User,
)
from aurumbotx.db.models.trading import (
    BOT_STATUSES,
    Backtest,
    Bot,
    BotDaily,
    OrderFill,
    PaperBalance,
)

__all__ = [
    "BOT_STATUSES",
    "NAMING_CONVENTION",
    "NOW",
    "SPEC_INDEXES",
    "SPEC_TABLES",
    "AIModelPerformance",
    "ApiKey",
    "Backtest",
    "Base",
    "Bot",
    "BotDaily",
    "MarketData",
    "Notification",
    "OrderFill",
    "PaperBalance",
    "PerformanceDaily",
    "RefreshToken",
    "Strategy",
    "SystemLog",
    "Trade",
    "TradingPair",
    "User",
]
