"""The dashboard's pages and the calendar feeds, served beside /healthz and /metrics.

Every page is rendered on the server (Jinja2, autoescaped): tables work without JavaScript
(sorting and filtering are links and a GET form), charts are inline SVG, the stylesheet is
the only other file. A page's URL holds the link's token and nothing else that names anyone:
filters are a city, "missed two in a row" and a rate, never a name. Every token that opens
nothing gets the same answer after the same pause (`Guard`), whatever was wrong with it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from bot.cldr import dated, format_moment, format_percent, format_short_day
from bot.domain.chess_league import points_text
from bot.domain.reporting import (
    Attendance,
    Period,
    StudentLine,
    attendance_csv,
    exchange_csv,
    rate_text,
)
from bot.domain.sessions import title_in
from bot.domain.spreadsheet import csv_bytes
from bot.domain.workbook import XLSX_TYPE, attendance_workbook, exchange_workbook
from bot.errors import UserError
from bot.i18n import available_languages, language_name, lookup, shown_name, t
from bot.services.dashboard import Access, DashboardService
from bot.services.feeds import FeedService
from bot.web.charts import attendance_svg
from bot.web.guard import Guard, client_address

log = logging.getLogger(__name__)

HTML = "text/html"
NO_STORE = {"Cache-Control": "no-store"}
SORTS = ("name", "city", "expected", "attended", "missed", "rate", "minutes", "run")


@dataclass
class Outside:
    """What the pages and feeds are served from."""

    dashboard: DashboardService
    feeds: FeedService
    guard: Guard


OUTSIDE = web.AppKey("outside", Outside)


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    # Every value a page prints passes here: an erased person's name reads in the page's
    # language (the texts themselves come through `_`, which does that for their values).
    if isinstance(value, str):
        return shown_name(value, context.get("lang"))
    return value


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.globals.update(rate_text=rate_text, points_text=points_text)
    return env


ENVIRONMENT = _environment()


def direction(language: str) -> str:
    """ "rtl" or "ltr": each catalogue says which way its language is written."""
    return "rtl" if lookup("dashboard.dir", language) == "rtl" else "ltr"


def _language(request: web.Request, default: str) -> str:
    wanted = request.query.get("lang", "")
    return wanted if wanted in available_languages() else default


def _kept(request: web.Request) -> dict[str, str]:
    """The query parameters a page passes on to its links (period, language, table view)."""
    keep = ("from", "to", "lang", "sort", "order", "city", "flagged", "below")
    return {k: request.query[k] for k in keep if request.query.get(k)}


def _render(name: str, status: int = 200, **context: Any) -> web.Response:
    body = ENVIRONMENT.get_template(name).render(**context)
    return web.Response(
        text=body, status=status, content_type=HTML, charset="utf-8", headers=NO_STORE
    )


def _refused(language: str = "en", status: int = 404, retry: float | None = None) -> web.Response:
    """The one answer for every token that opens nothing, in every case alike."""
    response = _render(
        "refused.html",
        status=status,
        lang=language,
        dir=direction(language),
        _=lambda key, **p: t(key, language, **p),
        static="/static/dashboard.css",
    )
    if retry is not None:
        response.headers["Retry-After"] = str(int(retry))
    return response


Handler = Callable[[web.Request, Access, "Page"], Awaitable[web.StreamResponse]]


@dataclass
class Page:
    """What every page of one request shares."""

    request: web.Request
    access: Access
    language: str
    name: str

    def _(self, key: str, **params: Any) -> str:
        # Days and moments in a page's texts are written the reader's way (CLDR).
        return t(key, self.language, **dated(params, self.language))

    def day(self, value: date | datetime) -> str:
        """A day (a moment's day in UTC) as the reader writes it, in few characters."""
        if isinstance(value, datetime):
            value = value.astimezone(UTC).date()
        return format_short_day(value, self.language, year=True)

    def percent(self, rate: float | None) -> str:
        """A rate as the reader writes a percentage ("67%", "67 %", "%67")."""
        return format_percent(rate, self.language)

    def href(self, path: str = "", **changes: str | None) -> str:
        """A link to another page (relative to the link's folder), keeping the view."""
        query = _kept(self.request)
        for key, value in changes.items():
            if value is None:
                query.pop(key, None)
            else:
                query[key] = value
        return path + ("?" + urlencode(query) if query else "")

    def context(self, **more: Any) -> dict[str, Any]:
        scope = self.access.scope
        nav = [
            ("./", "overview"),
            ("sessions", "sessions"),
            ("attendance", "attendance"),
            ("prompts", "prompts"),
            ("chess", "chess"),
        ]
        return {
            "lang": self.language,
            "dir": direction(self.language),
            "_": self._,
            "day": self.day,
            "session_title": lambda title: title_in(title, self.language),
            "rate_text": self.percent,
            "href": self.href,
            "page": self.name,
            "nav": nav,
            "exchange": scope.exchange,
            "city": scope.city,
            "expires": self.access.expires_at,
            "static": "../../static/dashboard.css",
            "languages": [(c, language_name(c, c)) for c in available_languages()],
            "query": _kept(self.request),
            **more,
        }


def _opened(
    page_name: str, handler: Handler
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler behind the link's token: refused alike for every bad token, slowly."""

    async def opened(request: web.Request) -> web.StreamResponse:
        outside = request.app[OUTSIDE]
        address = client_address(request)
        wait = outside.guard.turned_away(address)
        if wait is not None:
            return _refused(status=429, retry=wait)
        access = await outside.dashboard.open(request.match_info["token"], page_name)
        if access is None:
            await outside.guard.refused(address)
            return _refused()
        page = Page(request, access, _language(request, access.language), page_name)
        return await handler(request, access, page)

    return opened


def _period(page: Page) -> tuple[Period | None, str | None]:
    try:
        found = page.request.app[OUTSIDE].dashboard.period(
            page.request.query.get("from"), page.request.query.get("to")
        )
    except UserError as error:
        return None, t(error.key, page.language, **dated(error.params, page.language))
    return found, None


def _bad_period(page: Page, error: str) -> web.Response:
    return _render("base.html", status=400, error=error, **page.context())


# -- pages -------------------------------------------------------------------------------------


async def overview(request: web.Request, access: Access, page: Page) -> web.StreamResponse:
    period, error = _period(page)
    if period is None:
        return _bad_period(page, error or "")
    found = await request.app[OUTSIDE].dashboard.overview(access, period)
    figures = found.figures
    chart = attendance_svg(
        figures.attendance,
        page._("dashboard.chart_title"),
        page._("dashboard.chart_desc", start=period.start, end=period.end),
        page.language,
    )
    return _render(
        "overview.html",
        **page.context(
            period=period,
            figures=figures,
            attendance=found.attendance,
            chart=chart,
            now=figures.now,
        ),
    )


def _local(when: datetime, zone: str, language: str) -> str:
    return format_moment(when, zone, language, offset=False, short=True)


async def sessions(request: web.Request, access: Access, page: Page) -> web.StreamResponse:
    dashboard = request.app[OUTSIDE].dashboard
    try:
        found = await dashboard.calendar(access, request.query.get("from"), request.query.get("to"))
    except UserError as error:
        return _bad_period(page, t(error.key, page.language, **dated(error.params, page.language)))
    cities = access.exchange.cities
    rows = [
        {
            "title": title_in(slot.title, page.language),
            "status": slot.status,
            "times": [_local(slot.starts_at, c.timezone, page.language) for c in cities],
            "minutes": slot.minutes,
        }
        for slot in found.slots
    ]
    return _render("sessions.html", **page.context(period=found.period, cities=cities, rows=rows))


def _sort_key(name: str) -> Callable[[StudentLine], Any]:
    keys: Mapping[str, Callable[[StudentLine], Any]] = {
        "name": lambda s: s.student.name.casefold(),
        "city": lambda s: s.student.city_id or 0,
        "expected": lambda s: s.tally.expected,
        "attended": lambda s: s.tally.attended,
        "missed": lambda s: s.tally.missed,
        "rate": lambda s: s.tally.rate if s.tally.rate is not None else -1.0,
        "minutes": lambda s: s.minutes,
        "run": lambda s: s.longest_missed_run,
    }
    return keys[name]


def student_rows(report: Attendance, query: Mapping[str, str]) -> list[StudentLine]:
    """The attendance table's students, filtered and sorted as the query says."""
    found = list(report.students)
    city = query.get("city", "")
    if city.isdigit():
        found = [s for s in found if s.student.city_id == int(city)]
    if query.get("flagged") == "1":
        found = [s for s in found if s.flagged]
    below = query.get("below", "")
    if below.isdigit():
        limit = int(below) / 100
        found = [s for s in found if s.tally.rate is not None and s.tally.rate < limit]
    sort = query.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    found.sort(key=lambda s: s.student.name.casefold())
    found.sort(key=_sort_key(sort), reverse=query.get("order") == "desc")
    return found


async def attendance(request: web.Request, access: Access, page: Page) -> web.StreamResponse:
    period, error = _period(page)
    if period is None:
        return _bad_period(page, error or "")
    report = await request.app[OUTSIDE].dashboard.attendance(access, period)
    names = {c.city.id: c.city.name for c in report.cities}
    sort = request.query.get("sort", "name")
    return _render(
        "attendance.html",
        **page.context(
            period=period,
            report=report,
            students=student_rows(report, request.query),
            names=names,
            sort=sort if sort in SORTS else "name",
            order="desc" if request.query.get("order") == "desc" else "asc",
            sorts=SORTS,
        ),
    )


def _download(data: bytes, kind: str, name: str) -> web.Response:
    return web.Response(
        body=data,
        headers={
            **NO_STORE,
            "Content-Type": kind,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


def _stem(kind: str, access: Access, period: Period) -> str:
    # Names only the exchange's number and the dates: never a person.
    return f"{kind}-{access.exchange.id}-{period.start}-{period.end}"


async def attendance_file(
    request: web.Request, access: Access, page: Page, *, xlsx: bool
) -> web.StreamResponse:
    period, error = _period(page)
    if period is None:
        return _bad_period(page, error or "")
    report = await request.app[OUTSIDE].dashboard.attendance(access, period)
    stem = _stem("attendance", access, period)
    if xlsx:
        return _download(attendance_workbook(report, page.language), XLSX_TYPE, f"{stem}.xlsx")
    return _download(
        csv_bytes(attendance_csv(report, page.language)), "text/csv; charset=utf-8", f"{stem}.csv"
    )


async def figures_file(
    request: web.Request, access: Access, page: Page, *, xlsx: bool
) -> web.StreamResponse:
    period, error = _period(page)
    if period is None:
        return _bad_period(page, error or "")
    found = await request.app[OUTSIDE].dashboard.overview(access, period)
    stem = _stem("exchange", access, period)
    if xlsx:
        return _download(exchange_workbook(found.figures, page.language), XLSX_TYPE, f"{stem}.xlsx")
    return _download(
        csv_bytes(exchange_csv(found.figures)), "text/csv; charset=utf-8", f"{stem}.csv"
    )


async def prompts(request: web.Request, access: Access, page: Page) -> web.StreamResponse:
    stats = await request.app[OUTSIDE].dashboard.prompt_rates(access)
    rows = []
    for rate in stats.rates:
        prompt = stats.prompts.get(rate.key)
        session = stats.sessions.get(rate.key)
        if prompt is not None:
            text = prompt.text_in(page.language)[1]
        elif session is not None:
            text = session.text or title_in(session.title, page.language)
        else:
            text = rate.key
        rows.append({"key": rate.key, "text": text, "rate": rate})
    return _render("prompts.html", **page.context(stats=stats, rows=rows))


async def chess(request: web.Request, access: Access, page: Page) -> web.StreamResponse:
    standings = await request.app[OUTSIDE].dashboard.standings(access)
    return _render("chess.html", **page.context(standings=standings))


# -- the rest ----------------------------------------------------------------------------------


async def feed(request: web.Request) -> web.StreamResponse:
    """A calendar feed; a token that opens nothing is answered like a dashboard's."""
    outside = request.app[OUTSIDE]
    address = client_address(request)
    wait = outside.guard.turned_away(address)
    if wait is not None:
        return web.Response(status=429, text="", headers={"Retry-After": str(int(wait))})
    data = await outside.feeds.calendar(request.match_info["token"])
    if data is None:
        await outside.guard.refused(address)
        return web.Response(status=404, text="", headers=NO_STORE)
    return web.Response(
        body=data,
        headers={
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": 'inline; filename="sessions.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )


async def stylesheet(_request: web.Request) -> web.Response:
    css = resources.files("bot.web").joinpath("static", "dashboard.css").read_bytes()
    return web.Response(
        body=css,
        headers={"Content-Type": "text/css; charset=utf-8", "Cache-Control": "max-age=3600"},
    )


async def robots(_request: web.Request) -> web.Response:
    return web.Response(text="User-agent: *\nDisallow: /\n", content_type="text/plain")


async def to_folder(request: web.Request) -> web.StreamResponse:
    """`/d/<token>` → `/d/<token>/`, so the pages' relative links resolve."""
    raise web.HTTPFound(
        request.path + "/" + (f"?{request.query_string}" if request.query_string else "")
    )


def add_outside(app: web.Application, outside: Outside) -> None:
    """Add the dashboard's pages and the feeds to the bot's web app."""
    app[OUTSIDE] = outside

    def file(kind: str, xlsx: bool) -> Handler:
        async def handler(request: web.Request, access: Access, page: Page) -> web.StreamResponse:
            if kind == "attendance":
                return await attendance_file(request, access, page, xlsx=xlsx)
            return await figures_file(request, access, page, xlsx=xlsx)

        return handler

    app.add_routes(
        [
            web.get("/robots.txt", robots),
            web.get("/static/dashboard.css", stylesheet),
            web.get("/d/{token}", to_folder),
            web.get("/d/{token}/", _opened("overview", overview)),
            web.get("/d/{token}/sessions", _opened("sessions", sessions)),
            web.get("/d/{token}/attendance", _opened("attendance", attendance)),
            web.get("/d/{token}/attendance.csv", _opened("csv", file("attendance", False))),
            web.get("/d/{token}/attendance.xlsx", _opened("xlsx", file("attendance", True))),
            web.get("/d/{token}/figures.csv", _opened("figures", file("figures", False))),
            web.get("/d/{token}/figures.xlsx", _opened("figures", file("figures", True))),
            web.get("/d/{token}/prompts", _opened("prompts", prompts)),
            web.get("/d/{token}/chess", _opened("chess", chess)),
            web.get("/feeds/{token}.ics", feed),
        ]
    )
