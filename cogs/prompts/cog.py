"""The `/prompt` commands, and counting replies in paired spaces."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.domain.prompts import MAX_PROMPT_TEXT
from bot.i18n import t
from bot.services.prompts import Show
from bot.services.scheduler import RetryLaterError
from bot.store.sends import Send
from cogs.adapters.prompts import DiscordPrompts
from cogs.common import interactions
from cogs.common.interactions import begin, show
from cogs.common.params import ActivePrompt, ExchangeId, OwnPrompt, RetiredPrompt
from cogs.common.text import NO_PINGS, timestamp
from cogs.prompts.pages import list_embed, stats_embed
from cogs.prompts.words import AGE_CHOICES, SHOW_CHOICES, TEXT_HELP, THEME_CHOICES, languages_of

# What a teacher may type for one language of a prompt.
PromptText = app_commands.Range[str, 1, MAX_PROMPT_TEXT]


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
    async def now(
        self, interaction: discord.Interaction[Twinbridge], exchange: ExchangeId | None = None
    ) -> None:
        actor = await begin(interaction)
        done = await self.bot.services.prompts.post_now(actor, exchange)
        lang = actor.language
        lines = [t("prompt.posted", lang, count=done.posts.done)]
        if done.posts.later:
            lines.append(t("prompt.posted_later", lang, count=done.posts.later))
        if done.posts.failed:
            lines.append(t("prompt.posted_unreachable", lang, count=done.posts.failed))
        if done.without_prompt:
            lines.append(t("prompt.posted_without", lang, count=done.without_prompt))
        if done.on_break:
            lines.append(t("prompt.posted_on_break", lang, count=done.on_break))
        await show(interaction, content="\n".join(lines))

    async def on_now_post(self, send: Send) -> None:
        """One pair's post of a teacher's /prompt now (a scheduled send)."""
        guild = self.bot.get_guild(send.guild_id)
        if guild is None or guild.unavailable:
            raise RetryLaterError(f"server {send.guild_id} is unavailable")
        # Failures are raised for the scheduler: a 5xx is tried again, a 403/404 recorded.
        await self.bot.services.prompts.deliver_planned(send, DiscordPrompts(guild, scheduled=True))

    @app_commands.command(name="next", description="Ask for your pair's next prompt (once a day)")
    async def next_prompt(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction)
        assert interaction.channel_id is not None
        requested = await self.bot.services.prompts.request_for_pair(
            actor, interaction.channel_id, self._port(interaction)
        )
        await show(
            interaction,
            content=t("prompt.requested", actor.language, relative=timestamp(requested.again, "R")),
        )

    # -- the exchange's own prompts ---------------------------------------------------------------

    @app_commands.command(
        name="add", description="Add a prompt of your own; one language is enough"
    )
    @app_commands.describe(
        english=f"The prompt in English. {TEXT_HELP}",
        arabic=f"The prompt in Arabic. {TEXT_HELP}",
        spanish=f"The prompt in Spanish. {TEXT_HELP}",
        french=f"The prompt in French. {TEXT_HELP}",
        turkish=f"The prompt in Turkish. {TEXT_HELP}",
        ages="Who it suits (default: all ages)",
        theme="Its theme (default: Other)",
    )
    @app_commands.choices(ages=AGE_CHOICES, theme=THEME_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction[Twinbridge],
        english: PromptText | None = None,
        arabic: PromptText | None = None,
        spanish: PromptText | None = None,
        french: PromptText | None = None,
        turkish: PromptText | None = None,
        ages: str = "10-18",
        theme: str = "other",
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        prompt = await self.bot.services.prompts.add(
            actor,
            exchange,
            texts={"en": english, "ar": arabic, "es": spanish, "fr": french, "tr": turkish},
            ages=ages,
            theme=theme,
        )
        await show(
            interaction,
            content=t(
                "prompt.added",
                actor.language,
                key=prompt.key,
                languages=languages_of(prompt, actor.language),
                ages=prompt.ages,
            ),
        )

    @app_commands.command(name="edit", description="Change one of your exchange's own prompts")
    @app_commands.describe(
        prompt="Which of your prompts",
        english='New English text, or "-" to remove it',
        arabic='New Arabic text, or "-" to remove it',
        spanish='New Spanish text, or "-" to remove it',
        french='New French text, or "-" to remove it',
        turkish='New Turkish text, or "-" to remove it',
        ages="Who it suits",
        theme="Its theme",
    )
    @app_commands.choices(ages=AGE_CHOICES, theme=THEME_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction[Twinbridge],
        prompt: OwnPrompt,
        english: PromptText | None = None,
        arabic: PromptText | None = None,
        spanish: PromptText | None = None,
        french: PromptText | None = None,
        turkish: PromptText | None = None,
        ages: str | None = None,
        theme: str | None = None,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        changed = await self.bot.services.prompts.edit(
            actor,
            exchange,
            prompt,
            texts={"en": english, "ar": arabic, "es": spanish, "fr": french, "tr": turkish},
            ages=ages,
            theme=theme,
        )
        await show(
            interaction,
            content=t(
                "prompt.edited",
                actor.language,
                key=changed.key,
                languages=languages_of(changed, actor.language),
                ages=changed.ages,
            ),
        )

    @app_commands.command(name="retire", description="Stop posting a prompt in this exchange")
    @app_commands.describe(prompt="A built-in prompt or one of your own")
    async def retire(
        self,
        interaction: discord.Interaction[Twinbridge],
        prompt: ActivePrompt,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        retired = await self.bot.services.prompts.retire(actor, exchange, prompt)
        await show(interaction, content=t("prompt.retired", actor.language, key=retired.key))

    @app_commands.command(name="restore", description="Put a retired prompt back into rotation")
    @app_commands.describe(prompt="A retired prompt")
    async def restore(
        self,
        interaction: discord.Interaction[Twinbridge],
        prompt: RetiredPrompt,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        restored = await self.bot.services.prompts.restore(actor, exchange, prompt)
        await show(interaction, content=t("prompt.restored", actor.language, key=restored.key))

    @app_commands.command(
        name="list", description="List your exchange's prompts, built-in or retired"
    )
    @app_commands.describe(show="Which prompts (default: your exchange's own)")
    @app_commands.choices(show=SHOW_CHOICES)
    async def list_prompts(
        self,
        interaction: discord.Interaction[Twinbridge],
        show: str = "own",
        page: app_commands.Range[int, 1, 100] = 1,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        which: Show = "builtin" if show == "builtin" else "retired" if show == "retired" else "own"
        found, listed = await self.bot.services.prompts.listing(actor, exchange, which)
        # The option named `show` hides the helper of that name here.
        await interactions.show(
            interaction,
            embed=list_embed(actor.language, found.name, which, listed, page),
            allowed_mentions=NO_PINGS,
        )

    # -- response rates ---------------------------------------------------------------------------

    @app_commands.command(name="stats", description="How many pairs answered each prompt")
    async def stats(
        self,
        interaction: discord.Interaction[Twinbridge],
        page: app_commands.Range[int, 1, 100] = 1,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.prompts.stats(actor, exchange)
        embed = stats_embed(
            actor.language, found, page, lengths_sent=self.bot.intents.message_content
        )
        await show(interaction, embed=embed, allowed_mentions=NO_PINGS)

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
        await self.bot.services.prompts.record_message(
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
