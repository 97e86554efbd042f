"""Which database failures a person is told are "busy, try again" (cogs.common.errors)."""

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from cogs.common.errors import _database_busy


class _LockNotAvailableError(Exception):
    """Stands for asyncpg's LockNotAvailableError, which SQLAlchemy wraps as a DBAPIError."""


def test_sqlite_locked_is_busy() -> None:
    assert _database_busy(OperationalError("BEGIN", {}, Exception("database is locked")))


def test_postgresql_lock_timeout_is_busy_though_not_an_operational_error() -> None:
    cause = DBAPIError(
        "UPDATE", {}, _LockNotAvailableError("canceling statement due to lock timeout")
    )
    assert not isinstance(cause, OperationalError)
    assert _database_busy(cause)


def test_a_broken_rule_is_not_busy() -> None:
    assert not _database_busy(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
