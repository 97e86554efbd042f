"""`/privacy export|erase` for coordinators, and the daily pruning of ended exchanges."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.errors import UserError
from bot.i18n import listing, t
from bot.services import privacy as service
from bot.store.sends import Send
from cogs.adapters.spaces import spaces_for
from cogs.utils import NO_PINGS, actor_of, clip, user_errors

log = logging.getLogger(__name__)

SNOWFLAKE = re.compile(r"\d{15,20}")


def _bot(interaction: discord.Interaction[Any]) -> Twinbridge:
    client = interaction.client
    assert isinstance(client, Twinbridge)
    return client


def _names(user: discord.abc.User | None) -> tuple[str, ...]:
    """Every name Discord shows for someone, to erase wherever it was stored."""
    if user is None:
        return ()
    found = [user.name, user.display_name, user.global_name or ""]
    return tuple(dict.fromkeys(n for n in found if n))


def _who(student: discord.User | discord.Member | None, user_id: str | None) -> int:
    if student is not None:
        return student.id
    if user_id is None:
        raise UserError("error.privacy_who")
    value = user_id.strip()
    if not SNOWFLAKE.fullmatch(value):
        raise UserError("error.bad_user_id", value=clip(value, 20))
    return int(value)


def _summary(counts: dict[str, int], language: str) -> str:
    return "\n".join(
        t("privacy.table_line", language, table=table, count=count)
        for table, count in sorted(counts.items())
    )


class EraseConfirm(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tb:pe:(?P<user>\d+)"):
    """The coordinator's confirmation; the id travels in the button, names are looked up."""

    def __init__(self, user_id: int, label: str = "Erase") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80),
                style=discord.ButtonStyle.danger,
                emoji="🗑️",
                custom_id=f"tb:pe:{user_id}",
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> EraseConfirm:
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async with user_errors(interaction):
            actor = await actor_of(interaction)
            await interaction.response.defer()
            bot = _bot(interaction)
            guild = interaction.guild
            assert guild is not None
            try:
                member: discord.Member | None = await guild.fetch_member(self.user_id)
            except discord.HTTPException:
                member = None  # they left the server: their stored names are still erased
            erased = await service.erase_person(
                bot.ctx.db,
                bot.ctx.clock,
                actor,
                self.user_id,
                _names(member),
                writer=bot.ctx.activity_writer,
                port=await spaces_for(bot, guild),
                scheduler=bot.ctx.scheduler,
            )
            lines = [
                t(
                    "privacy.erased",
                    actor.language,
                    who=f"<@{self.user_id}>",
                    rows=sum(erased.rows.values()),
                )
            ]
            if erased.left_spaces:
                lines.append(
                    t(
                        "privacy.erased_spaces",
                        actor.language,
                        spaces=listing((f"<#{s}>" for s in erased.left_spaces), actor.language),
                    )
                )
            if erased.ended_spaces:
                lines.append(
                    t(
                        "privacy.erased_pairs_ended",
                        actor.language,
                        spaces=listing((f"<#{s}>" for s in erased.ended_spaces), actor.language),
                    )
                )
            await interaction.edit_original_response(
                content=clip("\n".join(lines), 2000), view=None, allowed_mentions=NO_PINGS
            )


class EraseCancel(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tb:pc"):
    def __init__(self, label: str = "Cancel") -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label, 80), style=discord.ButtonStyle.secondary, custom_id="tb:pc"
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> EraseCancel:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actor = await actor_of(interaction)
        await interaction.response.edit_message(
            content=t("privacy.cancelled", actor.language), view=None, allowed_mentions=NO_PINGS
        )


@app_commands.guild_only()
class PrivacyCog(
    commands.GroupCog,
    group_name="privacy",
    group_description="A student's stored data: export it or erase it (coordinators)",
):
    """Export and erasure of one person's data; pruning of ended exchanges."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        await service.plan_daily_pruning(self.bot.ctx.db, self.bot.ctx.clock)
        await self.bot.ctx.scheduler.rearm()

    async def run_retention(self, send: Send) -> None:
        """The daily job: anonymise exchanges whose retention period is over."""
        ctx = self.bot.ctx
        await service.daily_pruning(ctx.db, ctx.clock, ctx.settings.retention_days)

    @app_commands.command(name="export", description="Everything stored about one person, as JSON")
    @app_commands.describe(
        student="The person (a member of this server)",
        user_id="Or their Discord user id, if they have left the server",
    )
    async def export(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.User | None = None,
        user_id: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        who = _who(student, user_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await service.export_person(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            who,
            _names(student),
            writer=self.bot.ctx.activity_writer,
        )
        await interaction.followup.send(
            t(
                "privacy.export_done",
                actor.language,
                who=f"<@{who}>",
                rows=found.rows,
                tables=found.tables,
            ),
            file=discord.File(io.BytesIO(found.data), filename=found.filename),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="erase", description="Erase everything stored about one person (asks to confirm)"
    )
    @app_commands.describe(
        student="The person (a member of this server)",
        user_id="Or their Discord user id, if they have left the server",
    )
    async def erase(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.User | None = None,
        user_id: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        who = _who(student, user_id)
        # Counting a person's rows reads the whole log of the server: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        preview = await service.erase_preview(
            self.bot.ctx.db, actor, who, _names(student), writer=self.bot.ctx.activity_writer
        )
        lang = actor.language
        view = discord.ui.View(timeout=None)
        view.add_item(EraseConfirm(who, t("privacy.erase_button", lang)))
        view.add_item(EraseCancel(t("privacy.cancel_button", lang)))
        names = listing(preview.names, lang) or "—"
        text = t(
            "privacy.erase_confirm",
            lang,
            who=f"<@{who}> ({discord.utils.escape_markdown(names)})",
            rows=preview.rows,
            summary=_summary(preview.counts, lang),
        )
        if preview.enrolled:
            text += "\n" + t("privacy.erase_leaves_space", lang)
        await interaction.edit_original_response(
            content=clip(text, 2000), view=view, allowed_mentions=NO_PINGS
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    cog = PrivacyCog(bot)
    bot.ctx.scheduler.handle(service.RETENTION_KIND, cog.run_retention)
    bot.add_dynamic_items(EraseConfirm, EraseCancel)
    await bot.add_cog(cog)
