"""Sessions in words, in the reader's language: rules, local times, warnings and durations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.cldr import (
    format_day,
    format_local_span,
    format_short_day,
    format_time_of_day,
    format_wall,
)
from bot.domain import sessions as rules
from bot.domain.breaks import OnBreak
from bot.domain.holidays import Holiday
from bot.i18n import from_library, listing, t, weekday_name
from bot.services.session_port import EventRefusedError
from cogs.common.text import permission_names, shown, timestamp


def rule_text(
    shape: rules.RuleShape, language: str, local_time: time | None = None, zone: str = ""
) -> str:
    """A rule in words: "The first Tuesday of each month at 3:00 PM (America/Chicago), 6 times"
    (the time on the zone's wall clock, written the reader's way)."""
    day = weekday_name(shape.weekday, language) if shape.weekday else ""
    if shape.kind == "once":
        text = t("session.rule_once", language)
    elif shape.kind == "weekly" and shape.interval == 1:
        text = t("session.rule_weekly", language, weekday=day)
    elif shape.kind == "weekly":
        text = t("session.rule_weeks", language, count=shape.interval, weekday=day)
    elif shape.kind == "monthly_nth" and shape.nth < -1:
        # "The second Friday from the end", never shortened to "the last Friday".
        nth = t(f"session.nth_{-shape.nth}", language)
        text = t("session.rule_monthly_nth_from_end", language, nth=nth, weekday=day)
    elif shape.kind == "monthly_nth":
        nth = t(f"session.nth_{shape.nth if shape.nth > 0 else 'last'}", language)
        text = t("session.rule_monthly_nth", language, nth=nth, weekday=day)
    elif shape.kind == "monthly_day":
        text = t("session.rule_monthly_day", language, day=shape.monthday)
    else:
        text = t("session.rule_custom", language, rule=shape.raw)
    if local_time is not None:
        at = format_wall(local_time, language)
        text += " " + t("session.rule_at", language, time=at, zone=zone)
    if shape.kind == "once":
        return text
    sep = t("session.sep", language)
    if shape.count is not None:
        return text + sep + t("session.rule_count", language, count=shape.count)
    if shape.until is not None:
        return text + sep + t("session.rule_until", language, date=timestamp(shape.until, "D"))
    return text + sep + t("session.rule_forever", language)


def repeat_choice_name(code: str, start: date | None, language: str) -> str:
    """How a repeat choice reads for the start date typed: "The first Tuesday of each month"
    (without the end, which the count or end date options give)."""
    if start is None:
        return t(f"session.repeat_{code.replace(':', '_')}", language)
    name = rule_text(rules.describe(rules.parse_repeat(code, start)), language)
    return name if code == "once" else name.rsplit(t("session.sep", language), 1)[0]


def local_line(slot: rules.Slot, zone: str, language: str) -> str:
    """ "Tue, Oct 6, 2026 3:00 PM–4:00 PM", "mar. 6 oct. 2026 15:00–16:00": a city's own clock,
    which a Discord timestamp (the reader's clock) cannot show, written the reader's way
    (CLDR). Its real clock: an hour the clocks skip is never shown, and one they repeat
    carries its offset from UTC."""
    start = slot.start.astimezone(ZoneInfo(zone))
    end = slot.end.astimezone(ZoneInfo(zone))
    day = format_short_day(start.date(), language, year=True, weekday=True)
    begins = format_time_of_day(start, zone, language)
    ends = format_time_of_day(end, zone, language)
    if rules.is_ambiguous(start) or rules.is_ambiguous(end):
        return f"{day} {begins} ({rules.utc_offset(start)})–{ends} ({rules.utc_offset(end)})"
    return f"{day} {begins}–{ends}"


def city_times(
    start: datetime, end: datetime, cities: Sequence[tuple[str, str]], language: str
) -> str:
    """ "🕒 Najaf: Tue, Oct 6, 2026 11:00 PM – Wed, Oct 7 12:00 AM (Arabian Standard Time)", a
    line for each city (name, zone) on its own clock, written for a reader of `language`.

    Under each language's block of a post: Discord's timestamps show only the reader's own
    clock, these lines show the partners' too, in the reader's words (CLDR).
    """
    return "\n".join(
        t(
            "session.city_time",
            language,
            city=shown(name),
            when=format_local_span(start, end, zone, language),
        )
        for name, zone in cities
    )


def school_hours(language: str) -> dict[str, str]:
    """The school day the warnings measure against ("opens", "closes"), the reader's way."""
    return {
        "opens": format_wall(rules.DAY_START, language),
        "closes": format_wall(rules.DAY_END, language),
    }


def warning_line(warning: rules.Warning, language: str) -> str:
    """One warning of a preview (a weekend, a clock change, a time outside school hours), its
    days and times on the city's clock, written the reader's way."""
    params: dict[str, object] = {
        "city": warning.city,
        "count": warning.count,
        "total": warning.total,
        **school_hours(language),
        "before": format_wall(warning.before, language) if warning.before else "",
        "after": format_wall(warning.after, language) if warning.after else warning.offset,
    }
    example = warning.example
    if example is not None and warning.kind == "hours" and warning.until is not None:
        day = format_short_day(example.date(), language, year=True, weekday=True)
        params["example"] = (
            f"{day} {format_wall(example, language)}–{format_wall(warning.until, language)}"
        )
    elif example is not None:
        params["example"] = format_day(example.date(), language, weekday=warning.kind == "weekend")
    return "⚠️ " + t(f"session.warn_{warning.kind}", language, **params)


def duration_text(minutes: int, language: str) -> str:
    """ "24 h", "1 h 30 min", "2 days"."""
    if minutes % 1440 == 0 and minutes > 1440:
        return t("session.days", language, count=minutes // 1440)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return t("session.hours_minutes", language, hours=hours, minutes=rest)
    if hours:
        return t("session.hours", language, count=hours)
    return t("session.minutes", language, count=rest)


def with_event_warning(text: str, refused: EventRefusedError | None, language: str) -> str:
    """A teacher's confirmation, plus why the Discord event is missing when it is."""
    if refused is None:
        return text
    kind = "event_update_refused" if refused.updating else "event_refused"
    params: dict[str, object] = {}
    if refused.why == "channel":
        params = {
            "channel": f"<#{refused.channel_id}>",
            "permissions": permission_names(refused.missing, language),
            "count": len(refused.missing),
        }
    return text + "\n\n" + t(f"session.{kind}_{refused.why}", language, **params)


def blocks(languages: tuple[str, ...], render: Callable[[str], str]) -> str:
    """The same post in each reader's language, one block per language."""
    return "\n\n".join(render(language) for language in languages)


def holiday_line(holiday: Holiday, language: str) -> str:
    """ "🎉 Najaf: Wed, Mar 10, 2027 is Eid al-Fitr (an estimated date)", the city's own date."""
    key = "session.holiday_estimated" if holiday.estimated else "session.holiday"
    day = format_short_day(holiday.day, language, year=True, weekday=True)
    name = from_library(holiday.name)  # the holidays library's own translation
    return "🎉 " + t(key, language, city=holiday.city, name=name, date=day)


def unchecked_line(cities: tuple[str, ...], language: str) -> str:
    """Which cities' public holidays were not checked, and how to have them checked."""
    return "ℹ️ " + t("session.holidays_unchecked", language, cities=listing(cities, language))


def break_line(found: OnBreak, zone: str, language: str) -> str:
    """ "🏖️ Najaf is on a school break on Tue 2027-03-23 (…): skip that date with …"."""
    brk = found.school_break
    return "🏖️ " + t(
        "session.on_break",
        language,
        city=found.city,
        date=local_line(found.slot, zone, language),
        first=format_short_day(brk.first, language, year=True),
        last=format_short_day(brk.last, language, year=True),
    )
