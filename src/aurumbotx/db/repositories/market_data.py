"""`trading_pairs` and `market_data` access: pair registration and bulk candle loads.

Bulk loads skip candles that are already stored (ON CONFLICT DO NOTHING on the unique
pair/timestamp/timeframe key), so loading the same file twice inserts nothing the second time.
PostgreSQL gets the candles through COPY into a temporary table followed by one
``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` (COPY itself cannot skip conflicts); SQLite
through an executemany of ``INSERT ... ON CONFLICT DO NOTHING``. Prices become exact decimals
through their shortest repr (4261.48, never 4261.4799999999995).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aurumbotx.data.frames import CandleArrays, make_frame
from aurumbotx.db.models import MarketData, TradingPair
from aurumbotx.domain.candles import Candle
from aurumbotx.domain.errors import InvalidInputError, NoDataError, NotFoundError
from aurumbotx.domain.markets import MarketRules
from aurumbotx.domain.timeframes import timeframe_to_ms
from aurumbotx.domain.values import Pair, float_to_decimal

_PRICE_COLUMNS = ("open_price", "high_price", "low_price", "close_price", "volume")
_FRAME_COLUMNS = ("open", "high", "low", "close", "volume")
_CHUNK = 10_000


def _decimal_places(step: Decimal | None) -> int | None:
    if step is None:
        return None
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else None


def _utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC)


class MarketDataRepository:
    """Reads and writes trading pairs and candles inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- trading pairs -------------------------------------------------------------------

    def register_pair(
        self, symbol: str, exchange: str, rules: MarketRules | None = None
    ) -> TradingPair:
        """Insert the pair, or update its exchange and rules when it exists; returns the row.

        Safe when several bots register the same pair at once: the insert does nothing when
        another transaction got there first.
        """
        pair = Pair.parse(symbol)
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(
            insert(TradingPair)
            .values(
                symbol=pair.symbol, base_asset=pair.base, quote_asset=pair.quote, exchange=exchange
            )
            .on_conflict_do_nothing(index_elements=["symbol"])
        )
        row = self.get_pair(pair.symbol)
        if row is None:  # pragma: no cover - the insert above guarantees it
            raise NotFoundError(f"trading pair {pair.symbol} could not be registered")
        row.exchange = exchange
        if rules is not None and rules.is_known:
            row.min_trade_amount = rules.min_amount
            price_places = _decimal_places(rules.price_tick)
            amount_places = _decimal_places(rules.amount_step)
            if price_places is not None:
                row.price_precision = price_places
            if amount_places is not None:
                row.quantity_precision = amount_places
        self.session.flush()
        return row

    def get_pair(self, symbol: str) -> TradingPair | None:
        """The pair with this symbol ('BTC/USDT'), if registered."""
        return self.session.scalar(
            sa.select(TradingPair).where(TradingPair.symbol == Pair.parse(symbol).symbol)
        )

    def _pair_id(self, symbol: str) -> int:
        row = self.get_pair(symbol)
        if row is None:
            raise NotFoundError(f"trading pair {Pair.parse(symbol).symbol} is not registered")
        return row.id

    # -- candles -------------------------------------------------------------------------

    def bulk_load(self, symbol: str, timeframe: str, frame: pd.DataFrame) -> int:
        """Insert the frame's candles that are not stored yet; returns how many were new."""
        timeframe_to_ms(timeframe)
        pair_id = self._pair_id(symbol)
        candles = CandleArrays.from_frame(frame)
        if len(candles) == 0:
            return 0
        values = np.column_stack(list(candles.columns().values()))
        if not bool(np.isfinite(values).all()):
            raise InvalidInputError("refusing to store candles with NaN or infinite values")
        if self.session.get_bind().dialect.name == "postgresql":
            return self._copy_load(pair_id, timeframe, candles)
        return self._executemany_load(pair_id, timeframe, candles)

    def _rows(self, candles: CandleArrays) -> Iterator[tuple[Any, ...]]:
        # Vectorised datetime conversion; per-row work is only the Decimal text.
        times = pd.DatetimeIndex(candles.ts.astype("datetime64[ms]")).tz_localize(UTC)
        columns = [candles.columns()[c].tolist() for c in _FRAME_COLUMNS]
        for i, ts in enumerate(times.to_pydatetime()):
            yield (ts, *(repr(col[i]) for col in columns))

    def _copy_load(self, pair_id: int, timeframe: str, candles: CandleArrays) -> int:
        connection = self.session.connection()
        raw = connection.connection.driver_connection
        assert raw is not None  # noqa: S101 - a live psycopg connection inside a transaction
        with raw.cursor() as cur:
            # COPY cannot skip conflicting rows: copy into a per-transaction temp table, then
            # insert from it with ON CONFLICT DO NOTHING.
            cur.execute(
                "CREATE TEMP TABLE IF NOT EXISTS abx_market_data_load ("
                "ts timestamptz, o numeric, h numeric, l numeric, c numeric, v numeric"
                ") ON COMMIT DROP"
            )
            cur.execute("TRUNCATE abx_market_data_load")
            with cur.copy("COPY abx_market_data_load (ts, o, h, l, c, v) FROM STDIN") as copy:
                for row in self._rows(candles):
                    copy.write_row(row)
            cur.execute(
                "INSERT INTO market_data (trading_pair_id, timeframe, timestamp, open_price, "
                "high_price, low_price, close_price, volume) "
                "SELECT %s, %s, ts, o, h, l, c, v FROM abx_market_data_load "
                "ON CONFLICT (trading_pair_id, timestamp, timeframe) DO NOTHING",
                (pair_id, timeframe),
            )
            return int(cur.rowcount)

    def _executemany_load(self, pair_id: int, timeframe: str, candles: CandleArrays) -> int:
        # Run on the Connection (Core, not the ORM session): sqlite3 sums executemany rowcounts.
        statement = sqlite.insert(MarketData).on_conflict_do_nothing(
            index_elements=["trading_pair_id", "timestamp", "timeframe"]
        )
        inserted = 0
        batch: list[dict[str, Any]] = []
        for ts, *prices in self._rows(candles):
            row = dict(zip(_PRICE_COLUMNS, prices, strict=True))
            batch.append(
                {"trading_pair_id": pair_id, "timeframe": timeframe, "timestamp": ts, **row}
            )
            if len(batch) == _CHUNK:
                inserted += self._execute_batch(statement, batch)
                batch = []
        if batch:
            inserted += self._execute_batch(statement, batch)
        return inserted

    def _execute_batch(self, statement: Any, batch: list[dict[str, Any]]) -> int:
        result = self.session.connection().execute(statement, batch)
        return max(0, int(result.rowcount))

    def upsert_candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """Insert one live candle, or overwrite the stored one with the same open time."""
        timeframe_to_ms(timeframe)
        values = {
            "trading_pair_id": self._pair_id(symbol),
            "timeframe": timeframe,
            "timestamp": _utc(candle.ts),
            "open_price": float_to_decimal(candle.open),
            "high_price": float_to_decimal(candle.high),
            "low_price": float_to_decimal(candle.low),
            "close_price": float_to_decimal(candle.close),
            "volume": float_to_decimal(candle.volume),
        }
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(MarketData).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["trading_pair_id", "timestamp", "timeframe"],
            set_={name: statement.excluded[name] for name in _PRICE_COLUMNS},
        )
        self.session.execute(statement)

    def count(self, symbol: str, timeframe: str) -> int:
        """How many candles of the pair and timeframe are stored."""
        return int(
            self.session.scalar(
                sa.select(sa.func.count())
                .select_from(MarketData)
                .where(
                    MarketData.trading_pair_id == self._pair_id(symbol),
                    MarketData.timeframe == timeframe,
                )
            )
            or 0
        )

    def load_frame(
        self,
        symbol: str,
        timeframe: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """The stored candles with start <= timestamp < end as a candle frame."""
        for bound in (start, end):
            if bound is not None and bound.tzinfo is None:
                raise InvalidInputError("naive datetime refused: use timezone-aware UTC")
        query = (
            sa.select(
                MarketData.timestamp,
                *(getattr(MarketData, name) for name in _PRICE_COLUMNS),
            )
            .where(
                MarketData.trading_pair_id == self._pair_id(symbol),
                MarketData.timeframe == timeframe,
            )
            .order_by(MarketData.timestamp)
        )
        if start is not None:
            query = query.where(MarketData.timestamp >= start)
        if end is not None:
            query = query.where(MarketData.timestamp < end)
        rows = self.session.execute(query).all()
        if not rows:
            raise NoDataError(f"no {Pair.parse(symbol).symbol} {timeframe} candles in the database")
        # round(): whole milliseconds survive the float seconds of datetime.timestamp().
        ts = np.fromiter(
            (round(row[0].timestamp() * 1000) for row in rows), dtype=np.int64, count=len(rows)
        )
        values = np.array([[float(v) for v in row[1:]] for row in rows], dtype=np.float64)
        columns = {name: values[:, i] for i, name in enumerate(_FRAME_COLUMNS)}
        return make_frame(
            ts, columns, pair=Pair.parse(symbol).symbol, timeframe=timeframe, source="database"
        )
