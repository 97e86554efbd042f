"""`/privacy export|erase` for coordinators, and the daily pruning of ended exchanges."""

from __future__ import annotations

import shlex

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.text import clean, snowflake
from bot.errors import UserError
from bot.i18n import listing, t
from bot.limits import CONTENT
from bot.services.privacy import RETENTION_KIND
from bot.store.sends import Send
from cogs.adapters.spaces import spaces_for
from cogs.common.components import RestartButton, buttons
from cogs.common.files import Attachment, pack, say_packed
from cogs.common.interactions import begin, show
from cogs.common.text import NO_PINGS, clip, mention, shown

# Discord user ids have had at least 15 digits since 2015.
SHORTEST_ID = 10**14
# What a mistyped id is shown as, cut: a snowflake has at most 20 digits.
ID_SHOWN = 20


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
    found = snowflake(user_id)
    if found is None or found < SHORTEST_ID:
        # Also an id past 64 bits, which no account has and the database cannot hold.
        raise UserError("error.bad_user_id", value=clip(clean(user_id), ID_SHOWN))
    return found


def _summary(counts: dict[str, int], language: str) -> str:
    return "\n".join(
        t("privacy.table_line", language, table=table, count=count)
        for table, count in sorted(counts.items())
    )


class EraseConfirm(RestartButton, key="privacy.erase", legacy=r"tb:pe:(?P<user>\d+)"):
    """The coordinator's confirmation; the id travels in the button, names are looked up."""

    user: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        bot = interaction.client
        guild = interaction.guild
        assert guild is not None
        try:
            member: discord.Member | None = await guild.fetch_member(self.user)
        except discord.HTTPException:
            member = None  # they left the server: their stored names are still erased
        erased = await bot.services.privacy.erase_person(
            actor, self.user, _names(member), await spaces_for(bot, guild)
        )
        lang = actor.language
        lines = [t("privacy.erased", lang, who=mention(self.user), rows=sum(erased.rows.values()))]
        if erased.left_spaces:
            spaces = listing((f"<#{s}>" for s in erased.left_spaces), lang)
            lines.append(t("privacy.erased_spaces", lang, spaces=spaces))
        if erased.ended_spaces:
            spaces = listing((f"<#{s}>" for s in erased.ended_spaces), lang)
            lines.append(t("privacy.erased_pairs_ended", lang, spaces=spaces))
        await show(
            interaction,
            content=clip("\n".join(lines), CONTENT),
            view=None,
            allowed_mentions=NO_PINGS,
        )


class EraseCancel(RestartButton, key="privacy.cancel", legacy=r"tb:pc"):
    """The coordinator changed their mind: nothing is erased."""

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await show(
            interaction,
            content=t("privacy.cancelled", actor.language),
            view=None,
            allowed_mentions=NO_PINGS,
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
        await self.bot.services.privacy.plan_daily_pruning()

    async def run_retention(self, send: Send) -> None:
        """The daily job: anonymise exchanges whose retention period is over."""
        await self.bot.services.privacy.daily_pruning()

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
        who = _who(student, user_id)
        actor = await begin(interaction)
        names = _names(student)
        found = await self.bot.services.privacy.export_person(actor, who, names)
        # A long history may pass Discord's file limit: zipped then, or got on the command line.
        command = f"python -m bot privacy-export --guild {actor.guild_id} --user {who}"
        command += "".join(f" --name {shlex.quote(name)}" for name in names)
        await say_packed(
            interaction,
            pack([Attachment(found.filename, found.data)]),
            t(
                "privacy.export_done",
                actor.language,
                who=mention(who),
                rows=found.rows,
                tables=found.tables,
            ),
            language=actor.language,
            command=f"{command} --output {found.filename}",
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
        who = _who(student, user_id)
        actor = await begin(interaction)
        preview = await self.bot.services.privacy.erase_preview(actor, who, _names(student))
        lang = actor.language
        names = listing(preview.names, lang) or "—"
        text = t(
            "privacy.erase_confirm",
            lang,
            who=f"{mention(who)} ({shown(names)})",
            rows=preview.rows,
            summary=_summary(preview.counts, lang),
        )
        if preview.enrolled:
            text += "\n" + t("privacy.erase_leaves_space", lang)
        await show(
            interaction,
            content=clip(text, CONTENT),
            view=buttons(
                EraseConfirm.make(
                    t("privacy.erase_button", lang),
                    style=discord.ButtonStyle.danger,
                    emoji="🗑️",
                    user=who,
                ),
                EraseCancel.make(t("privacy.cancel_button", lang)),
            ),
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    cog = PrivacyCog(bot)
    bot.ctx.scheduler.handle(RETENTION_KIND, cog.run_retention)
    await bot.add_cog(cog)
