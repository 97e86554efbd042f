"""`/prompt now|next|add|edit|retire|restore|list|stats`, prompt cards, and counting replies."""

from __future__ import annotations

import logging
import math

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.prompts import (
    AGE_RANGES,
    PAIR_REQUEST_INTERVAL,
    PROMPT_LANGUAGES,
    THEMES,
    Prompt,
)
from bot.i18n import language_list, t
from bot.services import prompts as service
from bot.services.access import Actor
from cogs.adapters.prompts import DiscordPrompts
from cogs.common.params import ActivePrompt, OwnPrompt, RetiredPrompt
from cogs.utils import NO_PINGS, actor_of, clip, exchange_autocomplete, timestamp

log = logging.getLogger(__name__)

PER_PAGE = 10

AGE_CHOICES = [
    app_commands.Choice(name="All ages (10–18)" if r == "10-18" else r.replace("-", "–"), value=r)
    for r in AGE_RANGES
]
THEME_CHOICES = [app_commands.Choice(name=t(f"prompt.theme.{th}", "en"), value=th) for th in THEMES]
SHOW_CHOICES = [
    app_commands.Choice(name="Your exchange's own", value="own"),
    app_commands.Choice(name="Built-in bank", value="builtin"),
    app_commands.Choice(name="Retired", value="retired"),
]
TEXT_HELP = "Up to 300 characters"


def _languages(prompt: Prompt, reader: str) -> str:
    return language_list([lang for lang in PROMPT_LANGUAGES if lang in prompt.texts], reader)


@app_commands.guild_only()
class PromptsCog(
    commands.GroupCog,
    group_name="prompt",
    group_description="Discussion prompts that get pairs talking",
):
    """Discussion prompts for paired spaces."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    def _port(self, interaction: discord.Interaction[Twinbridge]) -> DiscordPrompts:
        assert interaction.guild is not None
        return DiscordPrompts(interaction.guild)

    # -- delivery ---------------------------------------------------------------------------------

    @app_commands.command(
        name="now", description="Post the next prompt in every active pair's space"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def now(
        self, interaction: discord.Interaction[Twinbridge], exchange: int | None = None
    ) -> None:
        # Acknowledge before any database work: under load the answer stays within Discord's 3 s.
        await interaction.response.defer(ephemeral=True, thinking=True)
        actor = await actor_of(interaction)
        delivery = await service.post_now(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, self._port(interaction)
        )
        lang = actor.language
        lines = [t("prompt.posted", lang, count=len(delivery.posted))]
        if delivery.unreachable:
            lines.append(t("prompt.posted_unreachable", lang, count=delivery.unreachable))
        if delivery.without_prompt:
            lines.append(t("prompt.posted_without", lang, count=delivery.without_prompt))
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @app_commands.command(name="next", description="Ask for your pair's next prompt (once a day)")
    async def next_prompt(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await actor_of(interaction)
        assert interaction.channel_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        await service.request_for_pair(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            interaction.channel_id,
            self._port(interaction),
        )
        again = self.bot.ctx.clock.now() + PAIR_REQUEST_INTERVAL
        await interaction.followup.send(
            t("prompt.requested", actor.language, relative=timestamp(again, "R")), ephemeral=True
        )

    # -- the exchange's own prompts ---------------------------------------------------------------

    @app_commands.command(
        name="add", description="Add a prompt of your own; one language is enough"
    )
    @app_commands.describe(
        english=f"The prompt in English. {TEXT_HELP}",
        arabic=f"The prompt in Arabic. {TEXT_HELP}",
        spanish=f"The prompt in Spanish. {TEXT_HELP}",
        ages="Who it suits (default: all ages)",
        theme="Its theme (default: Other)",
    )
    @app_commands.choices(ages=AGE_CHOICES, theme=THEME_CHOICES)
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def add(
        self,
        interaction: discord.Interaction[Twinbridge],
        english: app_commands.Range[str, 1, 300] | None = None,
        arabic: app_commands.Range[str, 1, 300] | None = None,
        spanish: app_commands.Range[str, 1, 300] | None = None,
        ages: str = "10-18",
        theme: str = "other",
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        prompt = await service.add_prompt(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            texts={"en": english, "ar": arabic, "es": spanish},
            ages=ages,
            theme=theme,
        )
        await interaction.response.send_message(
            t(
                "prompt.added",
                actor.language,
                key=prompt.key,
                languages=_languages(prompt, actor.language),
                ages=prompt.ages,
            ),
            ephemeral=True,
        )

    @app_commands.command(name="edit", description="Change one of your exchange's own prompts")
    @app_commands.describe(
        prompt="Which of your prompts",
        english='New English text, or "-" to remove it',
        arabic='New Arabic text, or "-" to remove it',
        spanish='New Spanish text, or "-" to remove it',
        ages="Who it suits",
        theme="Its theme",
    )
    @app_commands.choices(ages=AGE_CHOICES, theme=THEME_CHOICES)
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def edit(
        self,
        interaction: discord.Interaction[Twinbridge],
        prompt: OwnPrompt,
        english: app_commands.Range[str, 1, 300] | None = None,
        arabic: app_commands.Range[str, 1, 300] | None = None,
        spanish: app_commands.Range[str, 1, 300] | None = None,
        ages: str | None = None,
        theme: str | None = None,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        changed = await service.edit_prompt(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            prompt,
            texts={"en": english, "ar": arabic, "es": spanish},
            ages=ages,
            theme=theme,
        )
        await interaction.response.send_message(
            t(
                "prompt.edited",
                actor.language,
                key=changed.key,
                languages=_languages(changed, actor.language),
                ages=changed.ages,
            ),
            ephemeral=True,
        )

    @app_commands.command(name="retire", description="Stop posting a prompt in this exchange")
    @app_commands.describe(prompt="A built-in prompt or one of your own")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def retire(
        self,
        interaction: discord.Interaction[Twinbridge],
        prompt: ActivePrompt,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        retired = await service.retire_prompt(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, prompt
        )
        await interaction.response.send_message(
            t("prompt.retired", actor.language, key=retired.key), ephemeral=True
        )

    @app_commands.command(name="restore", description="Put a retired prompt back into rotation")
    @app_commands.describe(prompt="A retired prompt")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def restore(
        self,
        interaction: discord.Interaction[Twinbridge],
        prompt: RetiredPrompt,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        restored = await service.restore_prompt(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, prompt
        )
        await interaction.response.send_message(
            t("prompt.restored", actor.language, key=restored.key), ephemeral=True
        )

    @app_commands.command(
        name="list", description="List your exchange's prompts, built-in or retired"
    )
    @app_commands.describe(show="Which prompts (default: your exchange's own)")
    @app_commands.choices(show=SHOW_CHOICES)
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def list_prompts(
        self,
        interaction: discord.Interaction[Twinbridge],
        show: str = "own",
        page: app_commands.Range[int, 1, 100] = 1,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        which: service.Show = (
            "builtin" if show == "builtin" else "retired" if show == "retired" else "own"
        )
        found_exchange, listed = await service.list_prompts(self.bot.ctx.db, actor, exchange, which)
        await interaction.response.send_message(
            embed=self._list_embed(actor, found_exchange.name, which, listed, page),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    def _list_embed(
        self,
        actor: Actor,
        exchange_name: str,
        which: service.Show,
        listed: list[service.Listed],
        page: int,
    ) -> discord.Embed:
        lang = actor.language
        pages = max(1, math.ceil(len(listed) / PER_PAGE))
        page = min(page, pages)
        lines = []
        for item in listed[(page - 1) * PER_PAGE : page * PER_PAGE]:
            prompt = item.prompt
            line = t(
                "prompt.list_line",
                lang,
                key=prompt.key,
                theme=t(f"prompt.theme.{prompt.theme}", lang),
                ages=prompt.ages,
                languages=_languages(prompt, lang),
            )
            if item.retired and which != "retired":
                line += f" · *{t('prompt.retired_tag', lang)}*"
            # At most ten entries of ~400 characters keep the description under 4096.
            lines.append(f"{clip(line, 180)}\n> {clip(prompt.text_in(lang)[1], 200)}")
        empty = "prompt.list_empty_own" if which == "own" else "prompt.list_empty"
        embed = discord.Embed(
            title=clip(t(f"prompt.list_{which}", lang, exchange=exchange_name), 256),
            description="\n".join(lines) or t(empty, lang),
            colour=discord.Colour.teal(),
        )
        embed.set_footer(text=t("prompt.page", lang, page=page, pages=pages, count=len(listed)))
        return embed

    # -- response rates ---------------------------------------------------------------------------

    @app_commands.command(name="stats", description="How many pairs answered each prompt")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def stats(
        self,
        interaction: discord.Interaction[Twinbridge],
        page: app_commands.Range[int, 1, 100] = 1,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        found = await service.stats(self.bot.ctx.db, actor, exchange)
        await interaction.response.send_message(
            embed=self._stats_embed(actor, found, page), ephemeral=True, allowed_mentions=NO_PINGS
        )

    def _stats_embed(self, actor: Actor, found: service.PromptStats, page: int) -> discord.Embed:
        lang = actor.language
        pages = max(1, math.ceil(len(found.rates) / PER_PAGE))
        page = min(page, pages)
        if found.rates:
            rate = found.answered / found.posts if found.posts else 0.0
            summary = t(
                "prompt.stats_summary",
                lang,
                posts=found.posts,
                answered=found.answered,
                rate=f"{rate:.0%}",
            )
            if not self.bot.intents.message_content and not found.lengths_known:
                summary += "\n" + t("prompt.stats_lengths_unknown", lang)
        else:
            summary = t("prompt.stats_empty", lang)
        embed = discord.Embed(
            title=clip(t("prompt.stats_title", lang, exchange=found.exchange.name), 256),
            description=summary,
            colour=discord.Colour.teal(),
        )
        for rate_row in found.rates[(page - 1) * PER_PAGE : page * PER_PAGE]:
            prompt = found.prompts.get(rate_row.key)
            words = found.sessions.get(rate_row.key)
            text = prompt.text_in(lang)[1] if prompt else t("prompt.gone", lang)
            theme = t(f"prompt.theme.{prompt.theme}", lang) if prompt else "—"
            name = f"{rate_row.key} · {theme}"
            if words is not None:
                # A session's own words: named by the session, shown as the teacher wrote them.
                name = t("prompt.stats_session", lang, title=words.title)
                # No words of their own: the pairs got the session's starter.
                text = words.text or t("session.prompt_default", lang)
            line = t(
                "prompt.stats_line",
                lang,
                posted=rate_row.posted,
                responded=rate_row.responded,
                rate=f"{rate_row.rate:.0%}",
                messages=rate_row.messages,
            )
            if rate_row.average_length is not None:
                line += " · " + t(
                    "prompt.stats_length", lang, length=round(rate_row.average_length)
                )
            # Ten fields of at most 100 + 450 characters stay under the 6000 an embed allows.
            embed.add_field(
                name=clip(name, 100),
                value=clip(f"{clip(text, 150)}\n{line}", 450),
                inline=False,
            )
        if found.rates:
            embed.set_footer(
                text=t("prompt.page", lang, page=page, pages=pages, count=len(found.rates))
            )
        return embed

    # -- replies in paired spaces -----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Count a message in a paired space: who, when, and its length if Discord sent it.

        Without the Message Content intent Discord sends no text, so the length is unknown
        (None). With it, only `len()` of the text leaves this function: never the text.
        """
        if message.guild is None or message.author.bot or message.webhook_id is not None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        length = len(message.content) if self.bot.intents.message_content else None
        await service.record_message(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            self.bot.ctx.activity_writer,
            space_id=message.channel.id,
            user_id=message.author.id,
            length=length,
            role_ids=frozenset(r.id for r in getattr(message.author, "roles", ())),
            is_admin=isinstance(message.author, discord.Member)
            and (
                message.author.guild_permissions.administrator
                or message.author.guild_permissions.manage_guild
            ),
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(PromptsCog(bot))
