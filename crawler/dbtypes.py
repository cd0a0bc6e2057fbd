"""Column types that make records round-trip exactly on SQLite and PostgreSQL alike.

- `UTCDateTime`: aware datetimes only, stored in UTC, read back aware (SQLite has no time zones).
- `ExactDecimal`: PostgreSQL's unconstrained NUMERIC keeps the scale ("19.90" stays "19.90");
  SQLite's NUMERIC affinity would turn it into a float, so there it is stored as text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: storewatch stores aware datetimes only")
        value = value.astimezone(UTC)
        # SQLite keeps the wall-clock text only; all values in UTC keeps them ordered and comparable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return utc_result(value)


def utc_result(value: datetime | str | None) -> datetime | None:
    """A stored time as UTCDateTime reads it; also SQLite's own text of it (bulk reads take the column as
    text and parse it here with fromisoformat: SQLAlchemy's regex-based parser cost a tenth of a
    300,000-snapshot history load)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            # SQLite's text is UTC without a zone: naming it in the text is ~10x cheaper than .replace()
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            value = datetime.fromisoformat(value)  # a text that names its zone
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"expected Decimal, got {type(value).__name__}: money is never a float")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)
