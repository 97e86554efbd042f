"""The only place with SQL: SQLAlchemy Core tables, the async engine and repositories."""

from bot.store.engine import Database, create_database

__all__ = ["Database", "create_database"]
