"""A teacher's confirmations, restart-proof: schedule a previewed series (or drop it), move
one session, end a series (or keep things as they are).

Each button carries its state in its custom_id (`tb:session.<what>:…`); the ids of buttons
posted before this form (`tb:sched:…`, `tb:move:…`, `tb:endseries:…`) still work. The check-in
button is in `checkin`: the adapter posts it, and these buttons use the adapter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from bot.domain.sessions import title_in
from bot.i18n import t
from bot.services.sessions import Preview
from cogs.common.components import RestartButton, buttons
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, shown, timestamp
from cogs.sessions.adapter import session_port
from cogs.sessions.answers import preview_embed, preview_pages
from cogs.sessions.words import with_event_warning

if TYPE_CHECKING:
    from bot.app import Twinbridge


class ConfirmSchedule(RestartButton, key="session.schedule", legacy=r"tb:sched:ok:(?P<draft>\d+)"):
    """The organiser confirms a previewed schedule: the series goes live."""

    draft: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        lang = actor.language
        done = await interaction.client.services.sessions.confirm_schedule(
            actor, self.draft, session_port(interaction)
        )
        upcoming = "\n".join(
            f"• {timestamp(s.start, 'F')} ({timestamp(s.start, 'R')})" for s in done.next_slots
        )
        key = "session.scheduled" if done.event_refused is None else "session.scheduled_no_event"
        title = shown(title_in(done.series.title, lang))
        text = t(key, lang, title=title, id=done.series.id, upcoming=upcoming)
        await show(
            interaction,
            content=with_event_warning(text, done.event_refused, lang),
            embed=None,
            view=None,
            allowed_mentions=NO_PINGS,
        )


class DiscardSchedule(RestartButton, key="session.discard", legacy=r"tb:sched:no:(?P<draft>\d+)"):
    """The organiser drops a previewed schedule: the draft is forgotten."""

    draft: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await interaction.client.services.sessions.discard_draft(actor, self.draft)
        await show(
            interaction, content=t("session.discarded", actor.language), embed=None, view=None
        )


class PreviewPage(RestartButton, key="session.preview_page"):
    """◀ or ▶ under a preview: the same draft's preview at another page of its dates."""

    draft: int
    page: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        preview = await interaction.client.services.sessions.preview_again(actor, self.draft)
        await show(
            interaction,
            embed=preview_embed(preview, actor.language, page=self.page),
            view=preview_view(preview, self.page, actor.language),
            allowed_mentions=NO_PINGS,
        )


def preview_view(preview: Preview, page: int, language: str) -> discord.ui.View:
    """Schedule (or Schedule anyway) and Cancel under a preview, with ◀ ▶ when its dates
    fill more than one page."""
    assert preview.draft_id is not None
    draft = preview.draft_id
    ok = t("session.confirm_anyway" if preview.overlap else "session.confirm", language)
    items: list[discord.ui.Item[Any]] = [
        ConfirmSchedule.make(ok, style=discord.ButtonStyle.primary, draft=draft),
        DiscardSchedule.make(t("session.discard", language), draft=draft),
    ]
    pages = preview_pages(preview)
    if pages > 1:
        for target, label in ((page - 1, "◀"), (page + 1, "▶")):
            items.append(
                PreviewPage.make(
                    label,
                    disabled=not 1 <= target <= pages,
                    draft=draft,
                    page=min(max(target, 1), pages),
                )
            )
    return buttons(*items)


class ConfirmMove(
    RestartButton,
    key="session.move",
    legacy=r"tb:move:ok:(?P<session>\d+):(?P<original>\d+):(?P<to>\d+)",
):
    """A teacher confirms moving one occurrence (its original start) to a new start."""

    session: int
    original: int  # unix seconds, as the occurrence option carries it
    to: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        lang = actor.language
        done = await interaction.client.services.sessions.move_occurrence(
            actor, self.session, str(self.original), self.to, session_port(interaction)
        )
        assert done.occurrence is not None
        text = t(
            "session.moved",
            lang,
            title=shown(title_in(done.series.title, lang)),
            start=timestamp(done.occurrence.starts_at, "F"),
        )
        await show(
            interaction,
            content=with_event_warning(text, done.event_refused, lang),
            embed=None,
            view=None,
            allowed_mentions=NO_PINGS,
        )


class EndSeries(RestartButton, key="session.end", legacy=r"tb:endseries:ok:(?P<session>\d+)"):
    """A teacher confirms cancelling every upcoming occurrence of a series."""

    session: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        end = await interaction.client.services.sessions.cancel_series(
            actor, self.session, session_port(interaction)
        )
        await show(
            interaction,
            content=t(
                "session.series_cancelled",
                actor.language,
                title=shown(title_in(end.series.title, actor.language)),
                count=end.upcoming,
            ),
            view=None,
            allowed_mentions=NO_PINGS,
        )


class KeepAsIs(
    RestartButton,
    key="session.keep",
    legacy=(r"tb:move:no:\d+:\d+:\d+", r"tb:endseries:no:\d+"),
):
    """A teacher changes their mind about a move or the end of a series: nothing changes."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await show(interaction, content=t("session.kept", actor.language), embed=None, view=None)
