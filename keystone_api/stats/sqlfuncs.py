"""The two SQL expressions statistics need that MariaDB and SQLite spell differently.

Everything else in the statistics queries is portable SQL. These two compile per dialect
(SQLAlchemy's @compiles), so a query reads the same on MariaDB (tests, production) and on
SQLite (the dev stack):

- time_bucket(col, "hour" | "day", offset_minutes): the local hour or day a UTC timestamp
  falls in, as text ('YYYY-MM-DD HH:00:00' or 'YYYY-MM-DD'), for GROUP BY;
- seconds_between(a, b): b - a in seconds, for latencies.

Datetimes are stored as naive UTC (keystone_api.db.base.UTCDateTime) on both dialects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String, func, literal, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

FORMATS: dict[str, tuple[str, str]] = {
    # unit: (MariaDB DATE_FORMAT, SQLite strftime)
    "hour": ("%Y-%m-%d %H:00:00", "%Y-%m-%d %H:00:00"),
    "day": ("%Y-%m-%d", "%Y-%m-%d"),
}
MAX_OFFSET_MINUTES = 14 * 60


class time_bucket(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it is
    type = String()
    # unit and offset change the SQL text but are not clauses: keep statements holding this
    # construct out of SQLAlchemy's compiled-statement cache, or they would share a string.
    inherit_cache = False
    name = "time_bucket"

    def __init__(self, column: Any, unit: str, offset_minutes: int = 0) -> None:
        if unit not in FORMATS:
            raise ValueError(f"unit must be one of {sorted(FORMATS)}")
        # Rendered into the SQL text (never user text): an int within a real zone's range.
        offset = int(offset_minutes)
        if abs(offset) > MAX_OFFSET_MINUTES:
            raise ValueError("offset_minutes out of range")
        self.unit = unit
        self.offset_minutes = offset
        super().__init__(column)


class seconds_between(FunctionElement[float]):  # noqa: N801
    type = Float()
    inherit_cache = True
    name = "seconds_between"


def _args(element: FunctionElement[Any]) -> list[Any]:
    return list(element.clauses)


@compiles(time_bucket, "mysql")
def _bucket_mysql(element: time_bucket, compiler: Any, **kw: Any) -> str:
    (column,) = _args(element)
    if element.offset_minutes:
        column = func.date_add(column, text(f"INTERVAL {element.offset_minutes} MINUTE"))
    # The format travels as a bound parameter: its '%' never meets the driver's paramstyle.
    return str(compiler.process(func.date_format(column, literal(FORMATS[element.unit][0])), **kw))


@compiles(time_bucket, "sqlite")
def _bucket_sqlite(element: time_bucket, compiler: Any, **kw: Any) -> str:
    (column,) = _args(element)
    modifier = f"{element.offset_minutes:+d} minutes"
    expr = func.strftime(literal(FORMATS[element.unit][1]), column, literal(modifier))
    return str(compiler.process(expr, **kw))


@compiles(seconds_between, "mysql")
def _seconds_mysql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element)
    micro = func.timestampdiff(text("MICROSECOND"), start, end)
    return str(compiler.process(micro / literal(1_000_000.0), **kw))


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element)
    days = func.julianday(end) - func.julianday(start)
    return str(compiler.process(days * literal(86_400.0), **kw))
