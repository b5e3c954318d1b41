"""The one declarative Base, its naming convention and the column types every model uses."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Integer, MetaData, String, TypeDecorator
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from keystone_api.ids import new_id

# Constraint names are deterministic so that Alembic can drop and alter them on every
# dialect (MariaDB requires names for foreign keys; SQLite batch mode needs them too).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID_LENGTH = 36  # a UUIDv7 string


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (DATETIME(6) on MySQL) and always hands back aware UTC datetimes.

    MySQL and SQLite have no time zone in their DATETIME; we normalise on the way in so
    that a value written with any offset compares correctly, and attach UTC on the way out.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Keystone stores aware UTC times only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class JSONType(TypeDecorator[Any]):
    """JSON everywhere; LONGTEXT-backed JSON on MariaDB, TEXT on SQLite."""

    impl = JSON
    cache_ok = True


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType(),
        list[Any]: JSONType(),
    }


def id_column(**kwargs: Any) -> Mapped[str]:
    return mapped_column(String(ID_LENGTH), primary_key=True, default=new_id, **kwargs)


def fk(target: str, **kwargs: Any) -> Mapped[Any]:
    """A foreign key to another table's id."""
    return mapped_column(String(ID_LENGTH), ForeignKey(target), **kwargs)


class Timestamps:
    """created_at / updated_at, set by Python so SQLite and MySQL agree to the microsecond."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Archivable:
    """Rows that others reference are archived, never deleted (their history must stay)."""

    archived_at: Mapped[datetime | None] = mapped_column(default=None)


class Revocable:
    """Credentials that stop working when revoked (minted tokens, enrollment secrets): when
    and by whom, kept for the listing."""

    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(100), default=None)

    def revoke(self, by: str) -> None:
        """Idempotent: a second revocation keeps the first one's time and author."""
        if self.revoked_at is None:
            self.revoked_at = utcnow()
            self.revoked_by = by[:100]


class Versioned:
    """A counter bumped on every ORM update: replicas to the cloud are upserted by it so a
    replayed or reordered delivery never regresses a newer copy; it also gives optimistic
    locking to rows that several actors update (tasks, batches, orders)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


def enum_column_type(enum_cls: type[StrEnum], name: str) -> Enum:
    """A status column: VARCHAR with a CHECK of the allowed values on every dialect, so
    MariaDB and SQLite refuse a value the state machine does not know."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
