"""What students and teachers do with /join and /roster, as steps tests can reuse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from bot.domain.exchange import MAX_INTERESTS, Participant
from bot.i18n import t
from bot.sandbox.driver import Reply, Sandbox, iter_components
from bot.sandbox.state import Member
from bot.store import roster
from bot.store.schema import activity, participants


async def join(
    sb: Sandbox,
    member: Member,
    city: str,
    *,
    language: str = "en",
    band: str = "13-15",
    languages: Sequence[str] = ("en",),
    interests: Sequence[str] = ("chess",),
    intro: str = "Hello!",
    other: str = "",
    **options: Any,
) -> Reply:
    """A student runs /join, picks in the panel's menus, and sends the introduction form."""
    panel = await sb.command(member, "join", city=city, language=language, **options)
    await choose_profile(sb, member, panel, language, band, languages, interests)
    form = await sb.click(member, panel, t("roster.continue", language))
    return await sb.submit(member, form, intro=intro, other_interests=other)


async def choose_profile(
    sb: Sandbox,
    member: Member,
    panel: Reply,
    language: str,
    band: str | None,
    languages: Sequence[str],
    interests: Sequence[str],
) -> None:
    """Pick in the panel's menus (found by their placeholders, as a person reads them)."""
    if band is not None:
        await sb.choose(member, panel, [band], placeholder=t("roster.pick_band", language))
    if languages:
        await sb.choose(
            member, panel, list(languages), placeholder=t("roster.pick_languages", language)
        )
    await sb.choose(
        member,
        panel,
        list(interests),
        placeholder=t("roster.pick_interests", language, limit=MAX_INTERESTS),
    )


async def on_roster(sb: Sandbox, exchange_id: int, member: Member) -> Participant | None:
    """What the roster holds for this member (whatever their status)."""
    async with sb.bot.ctx.db.read() as conn:
        return await roster.find(conn, exchange_id, member.user.id)


async def participant_count(sb: Sandbox) -> int:
    async with sb.bot.ctx.db.read() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(participants))).scalar_one()
        )


async def activity_kinds(sb: Sandbox) -> list[str]:
    """Every activity kind logged so far, oldest first."""
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(select(activity.c.kind).order_by(activity.c.id))
        return [r.kind for r in rows]


async def activity_details(sb: Sandbox, kind: str) -> list[str]:
    """The raw JSON details of every event of a kind (to check what is never logged)."""
    async with sb.bot.ctx.db.read() as conn:
        rows = await conn.execute(select(activity.c.details).where(activity.c.kind == kind))
        return [r.details for r in rows]


def chosen(panel: Reply, placeholder: str) -> list[str]:
    """The values a menu on a message shows as chosen."""
    for component in iter_components(panel.components):
        if component.get("placeholder") == placeholder:
            return [o["value"] for o in component.get("options", []) if o.get("default")]
    raise AssertionError(f"no menu {placeholder!r}")


def form_values(form: Reply) -> dict[str, str]:
    """What the fields of the form the bot opened already hold."""
    assert form.modal is not None, "the bot opened no form"
    found: dict[str, str] = {}
    for row in form.modal["components"]:
        for item in row.get("components") or [row.get("component")]:
            if item:
                found[item["custom_id"]] = item.get("value") or ""
    return found
