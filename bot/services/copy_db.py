"""`twinbridge copy-db SOURCE TARGET`: move a deployment into an empty PostgreSQL database.

The target is migrated to the newest schema, every table is copied in foreign-key order in
batches (one transaction: a failure leaves the target empty again), id sequences are moved
past the copied ids, and the copy is checked: the same rows in every table, and every figure
of every exchange's `/report` (attendance and the exchange report, both cities and each) the
same on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.config import check_database_url
from bot.domain.days import FIRST_DAY
from bot.domain.reporting import Period
from bot.services.reporting import ReportingService, Scope
from bot.store import copying
from bot.store import exchanges as exchange_store
from bot.store.engine import Database, create_database, wait_until_reachable
from bot.store.migrate import current_revision, head_revision, upgrade

BATCH = 1000
# Reports are compared from the first day /report knows to two years ahead (planned sessions).
AHEAD = timedelta(days=731)


class CopyError(Exception):
    """Why nothing was copied (one line for the operator)."""


@dataclass(frozen=True, slots=True)
class Copied:
    rows: dict[str, int]
    exchanges: int
    sequences: int


async def figures(db: Database, at: datetime) -> tuple[int, list[object]]:
    """Every /report figure of every exchange (how many exchanges, the figures): attendance
    and the exchange report, for both cities and for each."""
    clock = ManualClock(at)  # the reports stamp "now": the same instant on both sides
    reports = ReportingService(db, clock)
    period = Period(FIRST_DAY, (at + AHEAD).date())
    async with db.read() as conn:
        every = await exchange_store.exchanges_in(conn, None, with_ended=True)
    found: list[object] = []
    for exchange in sorted(every, key=lambda e: e.id):
        for city in (None, *exchange.cities):
            scope = Scope(exchange, city)
            found.append(await reports.compute_attendance(scope, period))
            found.append(await reports.compute_exchange(scope, period))
    return len(every), found


async def copy_database(source_url: str, target_url: str, batch: int = BATCH) -> Copied:
    """Copy SOURCE into the empty TARGET, then check the copy (CopyError says why not)."""
    for name, url in (("SOURCE", source_url), ("TARGET", target_url)):
        try:
            check_database_url(url)
        except ValueError as exc:
            raise CopyError(f"{name} is not a database Twinbridge uses: {exc}") from None
    if source_url.strip() == target_url.strip():
        raise CopyError("SOURCE and TARGET are the same database")
    source, target = create_database(source_url), create_database(target_url)
    try:
        return await _copy(source, target, batch)
    finally:
        await source.dispose()
        await target.dispose()


async def _copy(source: Database, target: Database, batch: int) -> Copied:
    if source.path is not None and not source.path.exists():
        raise CopyError(f"SOURCE: no database at {source.path}")
    await wait_until_reachable(target)
    if await current_revision(source) != head_revision():
        raise CopyError("SOURCE is not at the newest schema: run `twinbridge migrate` on it first")
    async with target.read() as conn:
        present = await copying.table_names(conn)
    if present:
        shown = ", ".join(sorted(present)[:5])
        raise CopyError(f"TARGET is not empty (it has {len(present)} tables: {shown}…)")
    await upgrade(target)
    async with target.read() as conn:
        if any((await copying.row_counts(conn)).values()):
            raise CopyError("TARGET has rows after migrating: not an empty database")
    # One transaction on the target: a failure half-way leaves it as it was (migrated, empty).
    async with source.read() as src, target.transaction() as dst:
        for table in copying.tables_in_order():
            async for rows in copying.batches(src, table, batch):
                await copying.insert_rows(dst, table, rows)
        sequences = await copying.reset_sequences(dst)
    async with source.read() as conn:
        before = await copying.row_counts(conn)
    async with target.read() as conn:
        after = await copying.row_counts(conn)
    if before != after:
        wrong = [f"{t} {before[t]}→{after.get(t)}" for t in before if before[t] != after.get(t)]
        raise CopyError(f"row counts differ after the copy: {', '.join(wrong)}")
    at = datetime.now(UTC)
    exchanges, theirs = await figures(source, at)
    _, ours = await figures(target, at)
    if theirs != ours:
        raise CopyError("the /report figures differ after the copy")
    return Copied(rows=after, exchanges=exchanges, sequences=len(sequences))
