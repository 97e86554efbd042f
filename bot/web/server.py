"""The operators' HTTP server in the bot's process (aiohttp): one app, built in `build_app`.

Routes live in `ROUTES`; a new page (a dashboard) is a handler reading `request.app[OPS]` and
one more line there. Served on HTTP_HOST:HTTP_PORT (127.0.0.1 by default: put a reverse proxy
in front before opening it to a network). A port already in use costs only this server: the
bot's Discord work goes on, and the log says so in one line.
"""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import Metrics
from bot.services.health import Health

if TYPE_CHECKING:
    from bot.web.pages import Outside

log = logging.getLogger(__name__)


@dataclass
class Operations:
    """What the routes serve."""

    health: Health
    metrics: Metrics
    # Brings gauges read on demand (database size, pending sends…) up to date before a scrape.
    refresh: Callable[[], Awaitable[None]]


OPS = web.AppKey("ops", Operations)


async def healthz(request: web.Request) -> web.Response:
    """200 when every check passes, else 503; the JSON body says which failed and why."""
    report = await request.app[OPS].health.run()
    return web.Response(
        status=200 if report.ok else 503,
        text=json.dumps(report.as_json(), indent=2),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


async def metrics(request: web.Request) -> web.Response:
    """Prometheus's text format."""
    ops = request.app[OPS]
    await ops.refresh()
    response = web.Response(body=ops.metrics.render(), headers={"Cache-Control": "no-store"})
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


ROUTES = [
    web.get("/healthz", healthz),
    web.get("/metrics", metrics),
]

# Every answer, page or not: nothing loads from elsewhere, nothing runs, nothing is framed;
# no page tells another site where a reader came from, and none is indexed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@web.middleware
async def secure_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Add SECURITY_HEADERS to every answer, errors included."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


def build_app(ops: Operations, outside: Outside | None = None) -> web.Application:
    """The bot's web app: the operators' routes, and with `outside` (bot.web.pages.Outside)
    the dashboard and calendar feeds."""
    app = web.Application(middlewares=[secure_headers])
    app[OPS] = ops
    app.add_routes(ROUTES)
    if outside is not None:
        from bot.web.pages import add_outside

        add_outside(app, outside)
    return app


class WebServer:
    """Runs the app on a host and port until stopped."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.wanted_port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the port it listens on (HTTP_PORT=0 picks one)

    async def start(self) -> bool:
        """Listen; False (and one log line) when the address cannot be used."""
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.wanted_port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            if exc.errno == errno.EADDRINUSE:
                why = "is already in use"
            else:
                why = f"cannot be used ({exc.strerror or exc})"
            log.error(
                "HTTP_PORT %d on HTTP_HOST %s %s: /healthz and /metrics are off; "
                "the bot runs on without them",
                self.wanted_port,
                self.host,
                why,
            )
            return False
        self._runner = runner
        # The port listened on: the one HTTP_PORT=0 picked, too.
        addresses = runner.addresses
        self.port = int(addresses[0][1]) if addresses else self.wanted_port
        log.info("health and metrics at http://%s:%d/healthz and /metrics", self.host, self.port)
        return True

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
