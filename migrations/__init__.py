"""Alembic's migration scripts, shipped inside the package so an installed bot can migrate.

`bot.store.migrate` finds this folder through `importlib.resources`, never through the
source tree; `alembic.ini` points the `alembic` command at it while developing.
"""
