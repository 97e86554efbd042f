"""`/seek`: cities seeking cities. Coordinators list their school, find schools of other servers
and ask to be introduced; names cross only when the other side accepts."""

from __future__ import annotations

import logging
from collections.abc import Collection

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge
from bot.cldr import format_number, format_wall
from bot.domain.directory import (
    INTRODUCTION_DAYS,
    MAX_CITY,
    MAX_CLASS_SIZE,
    MAX_NOTE,
    Listing,
    Match,
    Reason,
    countries,
    local_window,
)
from bot.domain.exchange import MAX_NAME
from bot.errors import UserError
from bot.i18n import language_list, listing, month_name, t, territory_name
from bot.limits import CONTENT, EMBED_DESCRIPTION, EMBED_FIELDS, EMBED_TITLE, FIELD_VALUE
from bot.pseudo import unmarked
from bot.services.directory import (
    ACCEPTED_KIND,
    Accepted,
    Delivery,
    ListingInput,
    Sent,
    steps_values,
)
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.store.directory import StoredListing
from bot.store.sends import Send
from cogs.adapters.spaces import POSTED_LOOKUP
from cogs.common.components import RestartButton, buttons
from cogs.common.interactions import begin, show
from cogs.common.params import ZoneName
from cogs.common.text import NO_PINGS, clip, shown, timestamp

log = logging.getLogger(__name__)

# Matches shown at once: enough to choose from, few enough to read; filters narrow the rest.
SHOWN_MATCHES = 10


def months_label(months: tuple[int, ...], language: str) -> str:
    """ "Sep–Dec, Feb" from months 9, 10, 11, 12, 2 (runs written as ranges)."""
    if len(months) == 12:
        return t("seek.all_year", language)
    runs: list[list[int]] = []
    for month in sorted(months):
        if runs and month == runs[-1][-1] + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    # A run through December continues into January.
    if len(runs) > 1 and runs[0][0] == 1 and runs[-1][-1] == 12:
        runs[0] = runs.pop() + runs[0]
    parts = []
    for run in runs:
        first, last = (month_name(m, language, short=True) for m in (run[0], run[-1]))
        parts.append(first if len(run) == 1 else f"{first}–{last}")
    return listing(parts, language)


def country_name(code: str, language: str) -> str:
    """A country as a reader of `language` names it (CLDR), else its English name."""
    return territory_name(code, language) or countries().get(code, code)


def listing_lines(item: Listing, language: str) -> str:
    """What a listing says, for anyone who may see it (never who posted it)."""
    lines = [
        t("seek.line.zone", language, zone=item.timezone),
        t("seek.line.languages", language, languages=language_list(item.languages, language)),
        t("seek.line.ages", language, ages=", ".join(item.age_bands)),
        t("seek.line.class_size", language, count=item.class_size),
        t("seek.line.months", language, months=months_label(item.months, language)),
    ]
    if item.themes:
        lines.append(t("seek.line.themes", language, themes=", ".join(item.themes)))
    if item.note:
        lines.append(f"> {shown(item.note, 300)}")
    return "\n".join(lines)


def listing_title(item: Listing, language: str) -> str:
    return f"#{item.id} · {shown(item.city, 80)}, {country_name(item.country, language)}"


def reason_text(reason: Reason, match: Match, mine: Listing, language: str) -> str:
    """One reason, in the reader's words; the overlap in both cities' own clocks."""
    params = dict(reason.params)
    if reason.key == "seek.reason.overlap":
        window_mine = local_window(match.overlap, mine.timezone)
        window_theirs = local_window(match.overlap, match.listing.timezone)
        assert window_mine is not None and window_theirs is not None
        return t(
            reason.key,
            language,
            hours=format_number(match.overlap.hours, language),
            mine=shown(mine.city, 40),
            mine_from=format_wall(window_mine[0], language),
            mine_to=format_wall(window_mine[1], language),
            theirs=shown(match.listing.city, 40),
            theirs_from=format_wall(window_theirs[0], language),
            theirs_to=format_wall(window_theirs[1], language),
        )
    if reason.key == "seek.reason.language":
        return t(reason.key, language, languages=language_list(params["languages"], language))  # type: ignore[arg-type]
    if reason.key == "seek.reason.ages":
        return t(reason.key, language, bands=", ".join(params["bands"]))  # type: ignore[arg-type]
    if reason.key == "seek.reason.themes":
        return t(reason.key, language, themes=", ".join(params["themes"]))  # type: ignore[arg-type]
    return t(reason.key, language, **params)


def match_embed(mine: StoredListing, matches: list[Match], language: str) -> discord.Embed:
    """The best matches for one's own listing, each with its reasons."""
    embed = discord.Embed(
        title=t("seek.find.title", language, city=shown(mine.listing.city, 80)),
        description=t(
            "seek.find.description",
            language,
            count=len(matches),
            shown=min(len(matches), SHOWN_MATCHES),
        ),
        colour=discord.Colour.teal(),
    )
    for match in matches[: min(SHOWN_MATCHES, EMBED_FIELDS)]:
        reasons = "\n".join(
            "• " + reason_text(r, match, mine.listing, language) for r in match.reasons
        )
        body = listing_lines(match.listing, language) + "\n" + reasons
        embed.add_field(
            name=clip(
                t(
                    "seek.find.match",
                    language,
                    title=listing_title(match.listing, language),
                    score=match.score,
                ),
                EMBED_TITLE,
            ),
            value=clip(body, FIELD_VALUE),
            inline=False,
        )
    embed.set_footer(text=t("seek.find.footer", language))
    return embed


def own_embed(stored: StoredListing, language: str, headline: str) -> discord.Embed:
    """A server's own listing, as its coordinators see it (with its state and expiry)."""
    item = stored.listing
    if stored.status == "paused":
        state = t("seek.state.paused", language)
    elif stored.status == "removed":
        state = t("seek.state.removed", language)
    else:
        state = t("seek.state.active", language, date=timestamp(item.expires_at, "D"))
    if stored.direct_messages:
        state += "\n" + t("seek.own.direct", language)
    embed = discord.Embed(
        title=clip(headline, EMBED_TITLE),
        description=clip(listing_lines(item, language) + "\n\n" + state, EMBED_DESCRIPTION),
        colour=discord.Colour.teal(),
    )
    embed.set_footer(text=t("seek.own.footer", language, id=item.id, channel=stored.channel_id))
    return embed


def sent_line(sent: Sent, language: str) -> str:
    city = shown(sent.to.city, 60) if sent.to is not None else "—"
    return t(
        f"seek.sent.{sent.shown}",
        language,
        city=city,
        listing=sent.introduction.to_listing_id,
        date=timestamp(sent.introduction.created_at, "d"),
    )


def steps_text(accepted: Accepted, language: str) -> str:
    """From match to exchange: what both coordinators do next, with `/exchange create`
    filled in for the two schools."""
    values = steps_values(accepted.asking.listing, accepted.receiving.listing)
    command = "/exchange create " + " ".join(f"{k}:{v}" for k, v in values.items())
    return t("seek.steps", language, command=clip(command, 900))


async def person_label(bot: Twinbridge, guild_id: int, user_id: int, language: str) -> str:
    """ "Ms Rivera (@ms_rivera)": a coordinator's Discord name, once both sides accepted."""
    guild = bot.get_guild(guild_id)
    member: discord.Member | None = None
    if guild is not None:
        member = guild.get_member(user_id)
        if member is None:
            try:
                member = await guild.fetch_member(user_id)
            except discord.HTTPException:
                member = None
    if member is None:
        return t("seek.person_gone", language)
    return f"{shown(member.display_name, 60)} (@{member.name})"


async def deliver(bot: Twinbridge, delivery: Delivery) -> None:
    """Post a request to be introduced in the receiving server's channel, with its answers.
    If it cannot be posted, it is forgotten and the asker told to try later (UserError)."""
    service = bot.services.directory
    receiving = delivery.receiving
    language = await service.language_of(receiving)
    channel = bot.get_channel(receiving.channel_id)
    request = delivery.introduction
    embed = discord.Embed(
        title=t("seek.request.title", language, title=listing_title(delivery.asking, language)),
        description=clip(
            t(
                "seek.request.description",
                language,
                city=shown(receiving.listing.city, 60),
                listing=receiving.listing.id,
                days=INTRODUCTION_DAYS,
            )
            + "\n\n"
            + listing_lines(delivery.asking, language)
            + (
                "\n\n" + t("seek.request.note", language, note=shown(request.note, 500))
                if request.note
                else ""
            ),
            EMBED_DESCRIPTION,
        ),
        colour=discord.Colour.gold(),
    )
    embed.set_footer(text=t("seek.request.footer", language, listing=delivery.asking.id))
    view = buttons(
        AcceptIntroduction.make(
            t("seek.request.accept", language),
            style=discord.ButtonStyle.success,
            request=request.id,
        ),
        DeclineIntroduction.make(t("seek.request.decline", language), request=request.id),
    )
    try:
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise UserError("seek.error.undeliverable")
        message = await channel.send(embed=embed, view=view, allowed_mentions=NO_PINGS)
    except (discord.HTTPException, UserError):
        # Nothing half-done: a request nobody can see is not kept as sent.
        await service.withdraw(request.id)
        raise UserError("seek.error.undeliverable") from None
    await service.posted(request.id, message.channel.id, message.id)
    if receiving.direct_messages:
        # Only a pointer to the request: answering happens in the server, where the
        # coordinator role is checked.
        notice = t(
            "seek.request.direct",
            language,
            city=shown(delivery.asking.city, 60),
            listing=receiving.listing.id,
            link=message.jump_url,
        )
        try:
            dm = await bot.create_dm(discord.Object(id=receiving.author_id))
            await dm.send(notice, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            # Direct messages closed, or no server shared any more: the channel has it.
            log.info("introduction %d: no direct message possible", request.id)


def typed_listing(
    *,
    city: str | None,
    zone: str | None,
    country: str | None,
    languages: str | None,
    ages: str | None,
    class_size: int | None,
    themes: str | None,
    months: str | None,
    note: str | None,
    direct_messages: bool | None,
) -> ListingInput:
    """The listing /seek post and /seek edit read from their shared options (None: not given)."""
    return ListingInput(
        city=city,
        zone=zone,
        country=country,
        languages=languages,
        age_bands=ages,
        class_size=class_size,
        themes=themes,
        months=months,
        note=note,
        direct_messages=direct_messages,
    )


@app_commands.guild_only()
class SeekCog(
    commands.GroupCog,
    group_name="seek",
    group_description="Find partner schools in other servers (coordinators)",
):
    """The directory of cities seeking cities."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(name="post", description="List your school so others can find it")
    @app_commands.describe(
        city="Your city",
        zone="Your city's time zone",
        languages="Languages your students use, e.g. en, es",
        ages="Your students' age bands, e.g. 13-15, 16-18",
        class_size="About how many students would take part",
        country="Country (default: from the time zone), e.g. US or Ghana",
        themes="Themes you like, e.g. chess, sport, environment",
        months="Months you can run, e.g. sep-dec, feb-may (default: all year)",
        note="A few words on your school and what you seek (no contact details)",
        channel="Where requests to be introduced arrive (default: here)",
        direct_messages="Also tell me by direct message when a school asks (default: no)",
    )
    async def post(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: app_commands.Range[str, 1, MAX_CITY],
        zone: ZoneName,
        languages: app_commands.Range[str, 1, MAX_NAME],
        ages: app_commands.Range[str, 1, 60],
        class_size: app_commands.Range[int, 1, MAX_CLASS_SIZE],
        country: app_commands.Range[str, 1, 60] | None = None,
        themes: app_commands.Range[str, 1, 300] | None = None,
        months: app_commands.Range[str, 1, 60] | None = None,
        note: app_commands.Range[str, 1, MAX_NOTE] | None = None,
        channel: discord.TextChannel | None = None,
        direct_messages: bool = False,
    ) -> None:
        actor = await begin(interaction)
        target = channel.id if channel is not None else interaction.channel_id
        assert target is not None
        stored = await self.bot.services.directory.post(
            actor,
            target,
            typed_listing(
                city=city,
                zone=zone,
                country=country,
                languages=languages,
                ages=ages,
                class_size=class_size,
                themes=themes,
                months=months,
                note=note,
                direct_messages=direct_messages,
            ),
        )
        lang = actor.language
        await show(
            interaction,
            embed=own_embed(
                stored, lang, t("seek.posted", lang, title=listing_title(stored.listing, lang))
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="edit", description="Change your listing (this also renews it)")
    @app_commands.describe(
        listing="Your listing's number (if your server has several)",
        city="Your city",
        zone="Your city's time zone",
        country="Country, e.g. US or Ghana",
        languages="Languages your students use, e.g. en, es",
        ages="Your students' age bands, e.g. 13-15, 16-18",
        class_size="About how many students would take part",
        themes="Themes you like, e.g. chess, sport, environment",
        months="Months you can run, e.g. sep-dec, feb-may",
        note="A few words on your school and what you seek (no contact details)",
        direct_messages="Also tell me by direct message when a school asks",
    )
    async def edit(
        self,
        interaction: discord.Interaction[Twinbridge],
        listing: app_commands.Range[int, 1] | None = None,
        city: app_commands.Range[str, 1, MAX_CITY] | None = None,
        zone: ZoneName | None = None,
        country: app_commands.Range[str, 1, 60] | None = None,
        languages: app_commands.Range[str, 1, MAX_NAME] | None = None,
        ages: app_commands.Range[str, 1, 60] | None = None,
        class_size: app_commands.Range[int, 1, MAX_CLASS_SIZE] | None = None,
        themes: app_commands.Range[str, 1, 300] | None = None,
        months: app_commands.Range[str, 1, 60] | None = None,
        note: app_commands.Range[str, 1, MAX_NOTE] | None = None,
        direct_messages: bool | None = None,
    ) -> None:
        actor = await begin(interaction)
        stored = await self.bot.services.directory.edit(
            actor,
            listing,
            typed_listing(
                city=city,
                zone=zone,
                country=country,
                languages=languages,
                ages=ages,
                class_size=class_size,
                themes=themes,
                months=months,
                note=note,
                direct_messages=direct_messages,
            ),
        )
        lang = actor.language
        await show(
            interaction,
            embed=own_embed(
                stored, lang, t("seek.edited", lang, title=listing_title(stored.listing, lang))
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="pause", description="Hide your listing for a while, or show it again"
    )
    @app_commands.describe(
        listing="Your listing's number (if your server has several)",
        paused="True hides it; False shows it again (renewed)",
    )
    async def pause(
        self,
        interaction: discord.Interaction[Twinbridge],
        listing: app_commands.Range[int, 1] | None = None,
        paused: bool = True,
    ) -> None:
        actor = await begin(interaction)
        stored = await self.bot.services.directory.set_paused(actor, listing, paused)
        lang = actor.language
        key = "seek.paused" if paused else "seek.resumed"
        await show(
            interaction,
            embed=own_embed(stored, lang, t(key, lang, title=listing_title(stored.listing, lang))),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="remove", description="Take your listing out of the directory")
    @app_commands.describe(listing="Your listing's number (if your server has several)")
    async def remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        listing: app_commands.Range[int, 1] | None = None,
    ) -> None:
        actor = await begin(interaction)
        stored = await self.bot.services.directory.remove(actor, listing)
        await show(
            interaction,
            content=t(
                "seek.removed", actor.language, title=listing_title(stored.listing, actor.language)
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="mine", description="Your server's listings and introduction requests"
    )
    async def mine(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction)
        listings, sent = await self.bot.services.directory.mine(actor)
        lang = actor.language
        if not listings and not sent:
            await show(interaction, content=t("seek.mine.empty", lang))
            return
        embeds = [own_embed(s, lang, listing_title(s.listing, lang)) for s in listings[:9]]
        if sent:
            lines = "\n".join(sent_line(s, lang) for s in sent)
            embeds.append(
                discord.Embed(
                    title=t("seek.mine.sent", lang),
                    description=clip(
                        lines + "\n\n" + t("seek.mine.privacy", lang, days=INTRODUCTION_DAYS),
                        EMBED_DESCRIPTION,
                    ),
                )
            )
        await show(interaction, embeds=embeds, allowed_mentions=NO_PINGS)

    @app_commands.command(name="find", description="Schools in other servers, best match first")
    @app_commands.describe(
        listing="Your listing to match (if your server has several)",
        country="Only this country, e.g. GH or Ghana",
        language="Only schools using this language, e.g. fr",
        ages="Only this age band, e.g. 13-15",
    )
    async def find(
        self,
        interaction: discord.Interaction[Twinbridge],
        listing: app_commands.Range[int, 1] | None = None,
        country: app_commands.Range[str, 1, 60] | None = None,
        language: app_commands.Range[str, 1, 40] | None = None,
        ages: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        actor = await begin(interaction)
        service = self.bot.services.directory
        filters = service.filters(country, language, ages)
        mine, matches = await service.find(actor, listing, filters)
        lang = actor.language
        if not matches:
            await show(interaction, content=t("seek.find.none", lang))
            return
        await show(interaction, embed=match_embed(mine, matches, lang), allowed_mentions=NO_PINGS)

    @app_commands.command(name="introduce", description="Ask to be introduced to a listed school")
    @app_commands.describe(
        listing="The school's listing number, from /seek find",
        note="A short note to its coordinator (no contact details)",
        mine="Your listing to introduce (if your server has several)",
    )
    async def introduce(
        self,
        interaction: discord.Interaction[Twinbridge],
        listing: app_commands.Range[int, 1],
        note: app_commands.Range[str, 1, MAX_NOTE] | None = None,
        mine: app_commands.Range[int, 1] | None = None,
    ) -> None:
        actor = await begin(interaction)
        service = self.bot.services.directory
        delivery = await service.introduce(actor, listing, mine, note)
        if delivery is not None:
            await deliver(self.bot, delivery)
        await show(
            interaction,
            content=t("seek.asked", actor.language, listing=listing, days=INTRODUCTION_DAYS),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="block", description="Hide a server from your directory, both ways")
    @app_commands.describe(
        listing="A listing of the server to block",
        unblock="True shows that server again",
    )
    async def block(
        self,
        interaction: discord.Interaction[Twinbridge],
        listing: app_commands.Range[int, 1],
        unblock: bool = False,
    ) -> None:
        actor = await begin(interaction)
        other = await self.bot.services.directory.block(actor, listing, not unblock)
        key = "seek.unblocked" if unblock else "seek.blocked"
        await show(
            interaction,
            content=t(key, actor.language, title=listing_title(other.listing, actor.language)),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="report", description="Report a listing's abuse to the bot's operator"
    )
    @app_commands.describe(listing="The listing's number", reason="What is wrong with it")
    async def report(
        self,
        interaction: discord.Interaction[Twinbridge],
        listing: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        actor = await begin(interaction)
        service = self.bot.services.directory
        other, report_id = await service.report(actor, listing, reason)
        _, channel_id = service.operator()
        channel = self.bot.get_channel(channel_id) if channel_id is not None else None
        if isinstance(channel, discord.TextChannel | discord.Thread):
            embed = discord.Embed(
                title=t("seek.operator.title", "en", report=report_id),
                description=clip(
                    t(
                        "seek.operator.description",
                        "en",
                        title=listing_title(other.listing, "en"),
                        server=other.listing.guild_id,
                        reporter_server=actor.guild_id,
                        reporter=actor.user_id,
                        reason=shown(reason, 500),
                    ),
                    EMBED_DESCRIPTION,
                ),
                colour=discord.Colour.red(),
            )
            await channel.send(embed=embed, allowed_mentions=NO_PINGS)
        else:
            log.warning("directory report %d: the operator's channel is unreachable", report_id)
        await show(
            interaction,
            content=t("seek.reported", actor.language, listing=listing),
            allowed_mentions=NO_PINGS,
        )

    # -- the servers the bot is in ---------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Removed from a server (not an outage: that is `on_guild_unavailable`).
        hidden = await self.bot.services.directory.server_left(guild.id)
        if hidden:
            log.info("left guild %d: %d directory listing(s) hidden", guild.id, hidden)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        shown = await self.bot.services.directory.server_joined(guild.id)
        if shown:
            log.info("back in guild %d: %d directory listing(s) shown again", guild.id, shown)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # Servers left or rejoined while the bot was down; idempotent on every new session.
        # Servers Discord has not sent yet (an outage) are listed, unavailable: kept.
        hidden, shown = await self.bot.services.directory.settle_servers(
            {g.id for g in self.bot.guilds}, self._served_here
        )
        if hidden or shown:
            log.info("directory: %d listing(s) hidden, %d shown again at start", hidden, shown)

    def _served_here(self, guild_id: int) -> bool:
        """Whether this process's gateway shards carry `guild_id` (every server, unsharded):
        another process's servers are not this one's to judge."""
        count = self.bot.shard_count or 1
        ids: Collection[int] | None = getattr(self.bot, "shard_ids", None)
        if ids is None:
            ids = [self.bot.shard_id] if self.bot.shard_id is not None else range(count)
        return (guild_id >> 22) % count in ids

    async def on_accepted(self, send: Send) -> None:
        """Tell the asker's server who accepted its introduction, with the next steps. Its
        message carries the send's nonce, and a try after an uncertain one looks first."""
        found = await self.bot.services.directory.accepted_notice(send)
        if found is None:
            return
        accepted, language = found
        guild = self.bot.get_guild(send.guild_id)
        if guild is None or guild.unavailable:
            raise RetryLaterError(f"guild {send.guild_id} is not available")
        answerer = await person_label(
            self.bot,
            accepted.receiving.listing.guild_id,
            accepted.introduction.answered_by or 0,
            language,
        )
        text = clip(
            t(
                "seek.accepted.there",
                language,
                title=listing_title(accepted.receiving.listing, language),
                person=answerer,
            )
            + "\n\n"
            + steps_text(accepted, language),
            CONTENT,
        )
        channel = guild.get_channel_or_thread(accepted.asking.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise UndeliverableError(f"channel {accepted.asking.channel_id} is gone")
        if send.uncertain:
            # An earlier try may have posted before its answer was lost.
            async for message in channel.history(limit=POSTED_LOOKUP):
                # Discord keeps the text without the pseudo-locale's marks (bot.pseudo).
                if message.author.id == guild.me.id and message.content == unmarked(text):
                    return
        await channel.send(text, nonce=send.nonce, allowed_mentions=NO_PINGS)


class AcceptIntroduction(RestartButton, key="seek.accept"):
    """A coordinator of the receiving server accepts: both names cross, with next steps."""

    request: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        bot = interaction.client
        service = bot.services.directory
        accepted = await service.answer(actor, self.request, accept=True)
        assert accepted is not None
        lang = actor.language
        asker = await person_label(
            bot, accepted.asking.listing.guild_id, accepted.introduction.from_user_id, lang
        )
        await show(
            interaction,
            content=clip(
                t(
                    "seek.accepted.here",
                    lang,
                    title=listing_title(accepted.asking.listing, lang),
                    person=asker,
                )
                + "\n\n"
                + steps_text(accepted, lang),
                CONTENT,
            ),
            view=None,
            allowed_mentions=NO_PINGS,
        )
        # The asker's side learns who accepted in its own channel: a send the service planned
        # and tried at once (`SeekCog.on_accepted`), retried if Discord fails at this moment.


class DeclineIntroduction(RestartButton, key="seek.decline"):
    """A coordinator of the receiving server declines: the asker is told nothing."""

    request: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        actor = await begin(interaction, update=True)
        await interaction.client.services.directory.answer(actor, self.request, accept=False)
        await show(
            interaction,
            content=t("seek.declined", actor.language),
            embed=None,
            view=None,
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: Twinbridge) -> None:
    """Extension entry point: the cog and the asker's notice of an accepted introduction."""
    cog = SeekCog(bot)
    await bot.add_cog(cog)
    bot.ctx.scheduler.handle(ACCEPTED_KIND, cog.on_accepted)
