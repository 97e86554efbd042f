"""What the bot counts for operators, served as Prometheus text at `/metrics` (bot/web/).

One `Metrics` object per bot, with its own registry: a test process runs many bots, and each
one's figures start at zero. Labels are names of commands, outcomes, send kinds, rate-limit
scopes and shard numbers only: never an id, a name or anything else about a person.

Several processes (SHARD_COUNT): each counts its own. Counters count what this process did,
and the scheduled-sends gauges count the sends this process does (its shards' servers, and
work of no server while it leads), so the deployment's figure is the sum (`max` for the
overdue seconds) over processes. Figures of the whole deployment (the database's size, the
newest backup's age) come only from the process that leads (`twinbridge_lead` 1): summed
over processes they would count the same database once per process.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric

# Interaction outcomes: done, refused with something the person can fix, the database was
# busy, or an unexpected failure.
OK, REFUSED, BUSY, ERROR = "ok", "refused", "busy", "error"

# Discord allows 3 s for the first answer; the buckets resolve well below and around that.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)

# When the bot received the interaction being handled (monotonic seconds), set where the
# gateway payload is parsed, inherited by every task the interaction starts.
_received: ContextVar[float | None] = ContextVar("received", default=None)


@contextmanager
def received_now() -> Iterator[None]:
    """Within the block (and the tasks it starts), the interaction arrived now."""
    token = _received.set(time.monotonic())
    try:
        yield
    finally:
        _received.reset(token)


def since_received() -> float | None:
    """Seconds since the interaction being handled arrived (None outside one)."""
    start = _received.get()
    return None if start is None else time.monotonic() - start


class _WhileLeading:
    """The metrics of another registry, exported only while `leading()` says so."""

    def __init__(self, source: CollectorRegistry, metrics: Metrics) -> None:
        self.source = source
        self.metrics = metrics

    def describe(self) -> Iterable[Metric]:
        return list(self.source.collect())

    def collect(self) -> Iterable[Metric]:
        return self.source.collect() if self.metrics.leading else []


class Metrics:
    """The bot's counters, histograms and gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # Whether this process does the work of no server (one process, or the lead of
        # several): only then does it export the deployment's figures (`deployment`).
        self.leading = True
        self.deployment = CollectorRegistry(auto_describe=True)
        self.interactions = Counter(
            "twinbridge_interactions",
            "Interactions handled, by command (or component) and outcome",
            ["command", "outcome"],
            registry=r,
        )
        self.ack_latency = Histogram(
            "twinbridge_ack_latency_seconds",
            "From receiving an interaction to Discord accepting its first answer",
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.sends_pending = Gauge(
            "twinbridge_scheduled_sends_pending",
            "Scheduled sends waiting to be done by this process (its shards' servers, and "
            "work of no server while it leads)",
            registry=r,
        )
        self.sends_overdue = Gauge(
            "twinbridge_scheduled_sends_overdue_seconds",
            "How long the most overdue pending send of this process has been due (0 when none is)",
            registry=r,
        )
        self.sends_failed = Counter(
            "twinbridge_scheduled_sends_failed",
            "Scheduled sends recorded as failed, by kind",
            ["kind"],
            registry=r,
        )
        self.sends_retried = Counter(
            "twinbridge_scheduled_sends_retried",
            "Scheduled sends that failed for a passing reason and will be tried again, by kind",
            ["kind"],
            registry=r,
        )
        self.rate_limited = Counter(
            "twinbridge_discord_429",
            "Answers 429 (rate limited) from Discord, by scope",
            ["scope"],
            registry=r,
        )
        self.reconnects = Counter(
            "twinbridge_gateway_reconnects",
            "Times the gateway connection was made again after the first",
            registry=r,
        )
        self.gateway_connected = Gauge(
            "twinbridge_gateway_connected",
            "1 while the gateway connection is up (sharded: every shard this process holds)",
            registry=r,
        )
        self.shard_connected = Gauge(
            "twinbridge_shard_connected",
            "1 while this process's gateway connection of the shard is up (sharded only)",
            ["shard"],
            registry=r,
        )
        self.lead = Gauge(
            "twinbridge_lead",
            "1 while this process does the work of no server and exports the deployment's "
            "figures (always 1 without SHARD_COUNT)",
            registry=r,
        )
        d = self.deployment
        self.database_bytes = Gauge(
            "twinbridge_database_bytes",
            "Size of the database file and its write-ahead log (PostgreSQL: of the database); "
            "from the leading process only",
            registry=d,
        )
        self.backup_age = Gauge(
            "twinbridge_last_backup_age_seconds",
            "Age of the newest backup in BACKUP_DIR (NaN when there is none or backups are "
            "off); from the leading process only",
            registry=d,
        )
        r.register(_WhileLeading(d, self))
        self.backup_failures = Counter(
            "twinbridge_backup_failures",
            "Backups that failed",
            registry=r,
        )

    def interaction(self, command: str | None, outcome: str) -> None:
        """Count one interaction's outcome."""
        self.interactions.labels(command=command or "-", outcome=outcome).inc()

    def acknowledged(self) -> None:
        """The interaction being handled got its first answer now."""
        elapsed = since_received()
        if elapsed is not None:
            self.ack_latency.observe(elapsed)

    def render(self) -> bytes:
        """Everything, in Prometheus's text format."""
        return generate_latest(self.registry)
