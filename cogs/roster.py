"""`/join`, `/profile` and the teachers' `/roster`: who takes part, from where, with what profile.

A student joins in two steps: `/join` names the exchange and city; an ephemeral panel then
offers menus (their language, age band, the languages they speak, interests from the curated
list) and a button opening a form for a short introduction and any other interests. Teachers
and coordinators run the same `/join` and are registered with their city at once.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING, escape_markdown

from bot.app import Twinbridge
from bot.domain import roster_csv
from bot.domain.exchange import (
    GRADE_BANDS,
    INTERESTS,
    LANGUAGES,
    MAX_INTEREST,
    MAX_INTERESTS,
    MAX_INTRO,
    NATIVE_NAMES,
    Exchange,
    Role,
    native_name,
    split_interests,
)
from bot.errors import UserError
from bot.i18n import listing, t
from bot.services import exchanges as exchange_service
from bot.services import roster as service
from bot.services.access import Actor
from cogs.adapters.spaces import spaces_for
from cogs.common.errors import render_error
from cogs.utils import NO_PINGS, actor_of, clip, exchange_autocomplete, interest_label
from cogs.views import ExchangePageButton, GuardedModal, GuardedView, guarded, pager, wire

LANGUAGE_CHOICES = [
    app_commands.Choice(name=NATIVE_NAMES.get(code, code), value=code)
    for code in service.bot_languages()
]
BAND_CHOICES = [app_commands.Choice(name=band, value=band) for band in GRADE_BANDS]
STATUS_CHOICES = [
    app_commands.Choice(name="active and paused", value="current"),
    app_commands.Choice(name="active", value="active"),
    app_commands.Choice(name="paused", value="paused"),
    app_commands.Choice(name="removed", value="removed"),
    app_commands.Choice(name="everyone", value="all"),
]
PEOPLE_CHOICES = [
    app_commands.Choice(name="students", value="student"),
    app_commands.Choice(name="teachers", value="teacher"),
    app_commands.Choice(name="coordinators", value="coordinator"),
]
PROBLEMS_SHOWN = 15


# -- shared rendering ------------------------------------------------------------------------------


def interests_text(interests: Sequence[str], language: str) -> str:
    return listing((interest_label(i, language) for i in interests), language) or "—"


def band_label(band: str | None, language: str) -> str:
    return t("roster.band", language, band=band.replace("-", "–")) if band else "—"


def status_label(status: str, language: str) -> str:
    return t(f"roster.status_{status}", language)


def profile_embed(view: service.ProfileView, language: str) -> discord.Embed:
    """A participant's own profile, as /profile and the end of /join show it."""
    me, exchange = view.participant, view.exchange
    city = exchange.city(me.city_id).name if me.city_id is not None else "—"
    embed = discord.Embed(
        title=clip(t("roster.profile_title", language, name=me.display_name), 256),
        colour=discord.Colour.orange() if me.status == "paused" else discord.Colour.green(),
    )
    if me.role is Role.STUDENT:
        embed.description = clip(me.intro, 4000) if me.intro else t("roster.no_intro", language)
    embed.add_field(name=t("roster.field_exchange", language), value=clip(exchange.name, 1024))
    embed.add_field(name=t("roster.field_city", language), value=clip(city, 1024))
    embed.add_field(
        name=t("roster.field_role", language), value=t(f"roster.role_{me.role}", language)
    )
    if me.role is Role.STUDENT:
        embed.add_field(
            name=t("roster.field_band", language), value=band_label(me.grade_band, language)
        )
        embed.add_field(
            name=t("roster.field_languages", language),
            value=clip(listing(map(native_name, me.languages), language) or "—", 1024),
        )
        embed.add_field(
            name=t("roster.field_interests", language),
            value=clip(interests_text(me.interests, language), 1024),
            inline=False,
        )
    embed.add_field(
        name=t("roster.field_bot_language", language),
        value=NATIVE_NAMES.get(me.language, me.language),
    )
    if me.role is Role.STUDENT:
        embed.add_field(
            name=t("roster.field_status", language),
            value=t(f"roster.status_{me.status}_explained", language),
            inline=False,
        )
        space = f"<#{view.space_id}>" if view.space_id else t("roster.not_paired_yet", language)
        embed.add_field(name=t("roster.field_space", language), value=space)
    return embed


# -- the join / profile panel ----------------------------------------------------------------------


class ProfilePanel(GuardedView):
    """Menus for a student's profile, and a button that opens the introduction form.

    The choices live here until the form is submitted; nothing is stored before that, so a
    student who gives up leaves no half profile behind.
    """

    def __init__(
        self,
        bot: Twinbridge,
        actor: Actor,
        exchange: Exchange,
        city_id: int,
        *,
        role: Role,
        editing: service.ProfileView | None,
        language: str,
    ) -> None:
        super().__init__(actor.user_id)
        self.bot = bot
        self.actor = actor
        self.exchange = exchange
        self.city_id = city_id
        self.role = role
        self.editing = editing
        self.language = language
        self.grade_band: str | None = None
        self.languages: list[str] = []
        self.interests: list[str] = []
        self.other_interests = ""
        self.intro = ""
        self.notice = ""
        if editing is not None:
            me = editing.participant
            self.grade_band = me.grade_band
            self.languages = list(me.languages)
            curated, typed = split_interests(me.interests)
            self.interests = curated
            self.other_interests = ", ".join(typed)
            self.intro = me.intro
        self._build()

    # Rendering ------------------------------------------------------------------------------

    def embed(self) -> discord.Embed:
        lang = self.language
        city = self.exchange.city(self.city_id).name
        if self.editing is None:
            title = t("roster.join_title", lang, exchange=self.exchange.name, city=city)
            steps = t("roster.join_steps", lang, limit=MAX_INTRO)
        else:
            title = t("roster.edit_title", lang, exchange=self.exchange.name)
            steps = t(
                "roster.edit_steps" if self.role is Role.STUDENT else "roster.edit_steps_staff",
                lang,
                limit=MAX_INTRO,
            )
        return discord.Embed(
            title=clip(title, 256), description=steps, colour=discord.Colour.blurple()
        )

    def _build(self) -> None:
        lang = self.language
        self.clear_items()
        speak: discord.ui.Select[ProfilePanel] = discord.ui.Select(
            placeholder=t("roster.pick_bot_language", lang),
            options=[
                discord.SelectOption(
                    label=NATIVE_NAMES.get(code, code), value=code, default=code == lang
                )
                for code in service.bot_languages()
            ],
            row=0,
        )
        wire(speak, self._on_bot_language)
        self.add_item(speak)
        self.speak = speak
        if self.role is Role.STUDENT:
            self._build_student_menus()
        done: discord.ui.Button[ProfilePanel] = discord.ui.Button(
            label=t("roster.continue" if self.role is Role.STUDENT else "roster.save", lang),
            style=discord.ButtonStyle.primary,
            row=4,
        )
        wire(done, self._on_continue)
        self.add_item(done)
        cancel: discord.ui.Button[ProfilePanel] = discord.ui.Button(
            label=t("roster.cancel", lang), style=discord.ButtonStyle.secondary, row=4
        )
        wire(cancel, self._on_cancel)
        self.add_item(cancel)

    def _build_student_menus(self) -> None:
        lang = self.language
        band: discord.ui.Select[ProfilePanel] = discord.ui.Select(
            placeholder=t("roster.pick_band", lang),
            options=[
                discord.SelectOption(
                    label=band_label(b, lang), value=b, default=b == self.grade_band
                )
                for b in GRADE_BANDS
            ],
            row=1,
        )
        wire(band, self._on_band)
        self.add_item(band)
        self.band = band
        # The exchange's own languages first, then the rest, within Discord's 25 options.
        local = [c for city in self.exchange.cities for c in city.languages]
        codes = list(dict.fromkeys([*local, *self.languages, *sorted(LANGUAGES)]))[:25]
        spoken: discord.ui.Select[ProfilePanel] = discord.ui.Select(
            placeholder=t("roster.pick_languages", lang),
            min_values=1,
            max_values=len(codes),
            options=[
                discord.SelectOption(
                    label=NATIVE_NAMES.get(c, c),
                    description=LANGUAGES.get(c)
                    if NATIVE_NAMES.get(c) != LANGUAGES.get(c)
                    else None,
                    value=c,
                    default=c in self.languages,
                )
                for c in codes
            ],
            row=2,
        )
        wire(spoken, self._on_languages)
        self.add_item(spoken)
        self.spoken = spoken
        liked: discord.ui.Select[ProfilePanel] = discord.ui.Select(
            placeholder=t("roster.pick_interests", lang, limit=MAX_INTERESTS),
            min_values=0,
            max_values=min(MAX_INTERESTS, len(INTERESTS)),
            options=[
                discord.SelectOption(
                    label=interest_label(i, lang), value=i, default=i in self.interests
                )
                for i in INTERESTS
            ],
            row=3,
        )
        wire(liked, self._on_interests)
        self.add_item(liked)
        self.liked = liked

    async def show(self, interaction: discord.Interaction[Twinbridge]) -> None:
        """Redraw the panel in place (its language may have changed)."""
        self._build()
        await interaction.response.edit_message(
            content=self.notice or None, embed=self.embed(), view=self
        )

    # Menus -----------------------------------------------------------------------------------

    async def _on_bot_language(self, interaction: discord.Interaction[Twinbridge]) -> None:
        self.language = self.speak.values[0]
        self.notice = ""
        await self.show(interaction)

    async def _on_band(self, interaction: discord.Interaction[Twinbridge]) -> None:
        self.grade_band = self.band.values[0]
        await interaction.response.defer()

    async def _on_languages(self, interaction: discord.Interaction[Twinbridge]) -> None:
        self.languages = list(self.spoken.values)
        await interaction.response.defer()

    async def _on_interests(self, interaction: discord.Interaction[Twinbridge]) -> None:
        self.interests = list(self.liked.values)
        await interaction.response.defer()

    async def _on_cancel(self, interaction: discord.Interaction[Twinbridge]) -> None:
        self.stop()
        key = "roster.join_cancelled" if self.editing is None else "roster.edit_cancelled"
        await interaction.response.edit_message(
            content=t(key, self.language), embed=None, view=None
        )

    async def _on_continue(self, interaction: discord.Interaction[Twinbridge]) -> None:
        if self.role is not Role.STUDENT:
            await self.finish(interaction)
            return
        missing = None
        if not self.grade_band:
            missing = "error.choose_grade_band"
        elif not self.languages:
            missing = "error.choose_languages"
        if missing is not None:
            self.notice = "⚠️ " + t(missing, self.language)
            await self.show(interaction)
            return
        await interaction.response.send_modal(IntroModal(self))

    # Saving ------------------------------------------------------------------------------------

    def profile_input(self) -> service.ProfileInput:
        return service.ProfileInput(
            grade_band=self.grade_band,
            languages=tuple(self.languages),
            interests=tuple(self.interests),
            other_interests=self.other_interests,
            intro=self.intro,
            language=self.language,
        )

    async def finish(self, interaction: discord.Interaction[Twinbridge]) -> None:
        """Join or save; a refusal is shown on the panel and what was typed is kept."""
        ctx = self.bot.ctx
        # Roles may have changed since the panel opened: check them as they are now.
        self.actor = await actor_of(interaction)
        try:
            if self.editing is None:
                exchange, joined = await service.join_student(
                    ctx.db,
                    ctx.clock,
                    self.actor,
                    self.exchange.id,
                    self.city_id,
                    self.profile_input(),
                )
                saved = service.ProfileView(exchange, joined)
                content = t("roster.joined", self.language, exchange=exchange.name)
            else:
                saved = await service.update_own_profile(
                    ctx.db, ctx.clock, self.actor, self.exchange.id, self.profile_input()
                )
                content = t("roster.saved", self.language)
        except UserError as error:
            self.notice = "⚠️ " + render_error(error, self.language)
            if self.role is Role.STUDENT:
                self.notice += "\n" + t("roster.typed_text_kept", self.language)
            await self.show(interaction)
            return
        self.stop()
        card = ProfileCard(self.bot, self.actor, saved, self.language)
        await interaction.response.edit_message(
            content=content, embed=profile_embed(saved, self.language), view=card
        )


class IntroModal(GuardedModal):
    """The student's own words: a short introduction and interests not in the list."""

    def __init__(self, panel: ProfilePanel) -> None:
        lang = panel.language
        super().__init__(title=clip(t("roster.modal_title", lang), 45))
        self.panel = panel
        # Up to Discord's own maximum, so an over-long text gets an answer, not a silent cut.
        self.intro: discord.ui.TextInput[IntroModal] = discord.ui.TextInput(
            label=clip(t("roster.intro_label", lang, limit=MAX_INTRO), 45),
            style=discord.TextStyle.paragraph,
            placeholder=clip(t("roster.intro_placeholder", lang), 100),
            default=panel.intro or None,
            custom_id="intro",
            max_length=4000,
        )
        self.other: discord.ui.TextInput[IntroModal] = discord.ui.TextInput(
            label=clip(t("roster.other_interests_label", lang), 45),
            placeholder=clip(t("roster.other_interests_placeholder", lang), 100),
            default=panel.other_interests or None,
            custom_id="other_interests",
            required=False,
            max_length=MAX_INTERESTS * (MAX_INTEREST + 2),
        )
        self.add_item(self.intro)
        self.add_item(self.other)

    async def on_submit(self, interaction: discord.Interaction[Twinbridge]) -> None:  # type: ignore[override]
        self.panel.intro = self.intro.value
        self.panel.other_interests = self.other.value
        self.panel.notice = ""
        await self.panel.finish(interaction)


class ProfileCard(GuardedView):
    """A profile with what its owner can do next: edit it, pause or come back."""

    def __init__(
        self, bot: Twinbridge, actor: Actor, view: service.ProfileView, language: str
    ) -> None:
        super().__init__(actor.user_id)
        self.bot = bot
        self.actor = actor
        self.profile = view
        self.language = language
        edit: discord.ui.Button[ProfileCard] = discord.ui.Button(
            label=t("roster.edit", language), style=discord.ButtonStyle.primary
        )
        wire(edit, self._on_edit)
        self.add_item(edit)
        me = view.participant
        if me.role is Role.STUDENT:
            paused = me.status == "paused"
            toggle: discord.ui.Button[ProfileCard] = discord.ui.Button(
                label=t("roster.resume" if paused else "roster.pause", language),
                style=discord.ButtonStyle.success if paused else discord.ButtonStyle.secondary,
            )
            wire(toggle, self._on_toggle)
            self.add_item(toggle)

    async def _on_edit(self, interaction: discord.Interaction[Twinbridge]) -> None:
        me = self.profile.participant
        panel = ProfilePanel(
            self.bot,
            self.actor,
            self.profile.exchange,
            me.city_id or self.profile.exchange.cities[0].id,
            role=me.role,
            editing=self.profile,
            language=me.language,
        )
        self.stop()
        await interaction.response.edit_message(content=None, embed=panel.embed(), view=panel)

    async def _on_toggle(self, interaction: discord.Interaction[Twinbridge]) -> None:
        ctx = self.bot.ctx
        self.actor = await actor_of(interaction)
        pause = self.profile.participant.status != "paused"
        saved = await service.set_own_pause(
            ctx.db, ctx.clock, self.actor, self.profile.exchange.id, pause
        )
        self.stop()
        card = ProfileCard(self.bot, self.actor, saved, self.language)
        content = t("roster.paused_now" if pause else "roster.resumed_now", self.language)
        await interaction.response.edit_message(
            content=content, embed=profile_embed(saved, self.language), view=card
        )


# -- the teachers' roster --------------------------------------------------------------------------


def _person_line(number: int, entry: service.RosterEntry, exchange: Exchange, lang: str) -> str:
    p = entry.participant
    city = exchange.city(p.city_id).name if p.city_id is not None else "—"
    parts = [f"`{number:>3}` **{escape_markdown(clip(p.display_name, 40))}**", city]
    if p.role is Role.STUDENT:
        parts += [
            band_label(p.grade_band, lang),
            clip(listing(map(native_name, p.languages), lang), 40) or "—",
        ]
    if p.status != "active":
        parts.append(("⏸️ " if p.status == "paused" else "🚫 ") + status_label(p.status, lang))
    if entry.space_id is not None:
        parts.append(f"<#{entry.space_id}>")
    return clip(" · ".join(parts), 160)


def roster_embed(page: service.RosterPage, language: str) -> discord.Embed:
    """One page of the roster: head counts per city, then up to 25 people."""
    exchange, filters = page.exchange, page.filters
    lang = language
    counts = []
    for city in exchange.cities:
        active = page.counts.get((city.id, "active"), 0)
        paused = page.counts.get((city.id, "paused"), 0)
        counts.append(t("roster.city_counts", lang, city=city.name, active=active, paused=paused))
    shown = [t(f"roster.people_{filters.role}", lang)]
    if filters.city_id is not None:
        shown.append(exchange.city(filters.city_id).name)
    if filters.grade_band is not None:
        shown.append(band_label(filters.grade_band, lang))
    shown.append(t(f"roster.filter_{filters.status}", lang))
    first = (page.page - 1) * service.PAGE_SIZE
    lines = [
        _person_line(first + i, entry, exchange, lang) for i, entry in enumerate(page.entries, 1)
    ]
    body = "\n".join(counts) + "\n" + " · ".join(shown) + "\n\n"
    body += "\n".join(lines) if lines else t("roster.nobody", lang)
    embed = discord.Embed(
        title=clip(t("roster.list_title", lang, exchange=exchange.name), 256),
        description=clip(body, 4096),
        colour=discord.Colour.blurple(),
    )
    embed.set_footer(
        text=t("roster.list_footer", lang, page=page.page, pages=page.pages, total=page.total)
    )
    return embed


_ROLE_CODES = {Role.STUDENT: "s", Role.TEACHER: "t", Role.COORDINATOR: "c"}
_STATUS_CODES = {"current": "c", "active": "a", "paused": "p", "removed": "r", "all": "e"}


class RosterPageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"roster:list:(?P<ex>\d+):(?P<city>\d+):(?P<status>[capre]):(?P<band>\d|-)"
    r":(?P<role>[stc]):(?P<page>\d+)",
):
    """◀ or ▶ under /roster list; the filters ride in the custom_id, so it survives restarts."""

    def __init__(
        self,
        exchange_id: int,
        filters: service.RosterFilter,
        page: int,
        label: str,
        *,
        disabled: bool = False,
    ) -> None:
        band = GRADE_BANDS.index(filters.grade_band) if filters.grade_band else "-"
        custom_id = (
            f"roster:list:{exchange_id}:{filters.city_id or 0}:{_STATUS_CODES[filters.status]}"
            f":{band}:{_ROLE_CODES[filters.role]}:{page}"
        )
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=custom_id,
                disabled=disabled,
            )
        )
        self.exchange_id = exchange_id
        self.filters = filters
        self.page = page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
    ) -> RosterPageButton:
        status = {v: k for k, v in _STATUS_CODES.items()}[match["status"]]
        role = {v: k for k, v in _ROLE_CODES.items()}[match["role"]]
        filters = service.RosterFilter(
            city_id=int(match["city"]) or None,
            status=status,
            grade_band=None if match["band"] == "-" else GRADE_BANDS[int(match["band"])],
            role=role,
        )
        return cls(int(match["ex"]), filters, int(match["page"]), getattr(item, "label", "") or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def turn() -> None:
            bot: Twinbridge = interaction.client
            actor = await actor_of(interaction)
            found = await service.roster_page(
                bot.ctx.db, actor, self.exchange_id, self.filters, self.page
            )
            await interaction.response.edit_message(
                embed=roster_embed(found, actor.language),
                view=roster_pager(found),
                allowed_mentions=NO_PINGS,
            )

        await guarded(interaction, turn)


def roster_pager(page: service.RosterPage) -> discord.ui.View | None:
    """◀ ▶ buttons when the roster has more than one page."""
    return pager(
        page.page,
        page.pages,
        lambda target, label, disabled: RosterPageButton(
            page.exchange.id, page.filters, target, label, disabled=disabled
        ),
    )


class RemoveConfirm(GuardedView):
    """Removing a student is confirmed: they lose their paired space at once."""

    def __init__(self, bot: Twinbridge, actor: Actor, plan: service.Removal, language: str) -> None:
        super().__init__(actor.user_id)
        self.bot = bot
        self.actor = actor
        self.plan = plan
        self.language = language
        yes: discord.ui.Button[RemoveConfirm] = discord.ui.Button(
            label=t("roster.remove_yes", language), style=discord.ButtonStyle.danger
        )
        wire(yes, self._on_yes)
        self.add_item(yes)
        no: discord.ui.Button[RemoveConfirm] = discord.ui.Button(
            label=t("roster.cancel", language), style=discord.ButtonStyle.secondary
        )
        wire(no, self._on_no)
        self.add_item(no)

    async def _on_yes(self, interaction: discord.Interaction[Twinbridge]) -> None:
        self.stop()
        # Taking someone out of a channel or thread is a few requests: acknowledge first.
        await interaction.response.defer()
        assert interaction.guild is not None
        port = await spaces_for(self.bot, interaction.guild)
        done = await service.remove_student(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            self.actor,
            self.plan.exchange.id,
            self.plan.student.user_id,
            port,
            self.bot.ctx.scheduler,
        )
        await interaction.edit_original_response(
            content=removal_text(done, self.language, done=True),
            view=None,
            allowed_mentions=NO_PINGS,
        )

    async def _on_no(self, interaction: discord.Interaction[Twinbridge]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=t("roster.remove_cancelled", self.language), view=None
        )


def removal_text(plan: service.Removal, lang: str, *, done: bool) -> str:
    """What removing a student does (before) or did (after), in plain words."""
    name = escape_markdown(plan.student.display_name)
    lines = [
        t(
            "roster.removed" if done else "roster.remove_question",
            lang,
            name=name,
            exchange=escape_markdown(plan.exchange.name),
        )
    ]
    if plan.space_id is not None:
        others = listing((escape_markdown(p.display_name) for p in plan.staying), lang) or "—"
        if plan.pair_ends:
            key = "roster.removal_ends_pair_done" if done else "roster.removal_ends_pair"
        else:
            key = "roster.removal_keeps_pair_done" if done else "roster.removal_keeps_pair"
        lines.append(t(key, lang, name=name, space=f"<#{plan.space_id}>", others=others))
    return "\n".join(lines)


class DiscordDirectory:
    """The roster's `MemberDirectory`, asking Discord's gateway (no privileged intent needed)."""

    def __init__(self, guild: discord.Guild) -> None:
        self.guild = guild

    @staticmethod
    def _found(member: discord.Member) -> service.FoundMember:
        return service.FoundMember(
            user_id=member.id,
            username=member.name,
            display_name=member.display_name,
            role_ids=frozenset(r.id for r in member.roles),
            bot=member.bot,
        )

    async def by_ids(self, user_ids: Sequence[int]) -> dict[int, service.FoundMember]:
        found: dict[int, service.FoundMember] = {}
        for start in range(0, len(user_ids), 100):
            chunk = list(user_ids[start : start + 100])
            members = await self.guild.query_members(user_ids=chunk, limit=100, cache=False)
            found |= {m.id: self._found(m) for m in members}
        return found

    async def by_name(self, name: str) -> list[service.FoundMember]:
        wanted = name.casefold()
        members = await self.guild.query_members(query=name, limit=100, cache=False)
        return [
            self._found(m)
            for m in members
            if wanted
            in {m.name.casefold(), (m.global_name or "").casefold(), (m.nick or "").casefold()}
        ]


def problem_text(problem: roster_csv.CsvProblem, lang: str) -> str:
    return t(
        "roster.import_problem",
        lang,
        line=problem.line,
        reason=render_error(UserError(problem.key, **problem.params), lang),
    )


def import_embed(report: service.ImportReport, lang: str) -> tuple[discord.Embed, bool]:
    """What an import did: how many joined per city, and the rows that did not.

    Returns the embed and whether every problem fits in it (if not, a file carries them all).
    """
    exchange = report.exchange
    per_city = report.per_city()
    restored = sum(1 for i in report.imported if i.restored)
    lines = [
        t("roster.import_done", lang, count=len(report.imported), rows=report.rows),
        " · ".join(f"{c.name}: {per_city.get(c.id, 0)}" for c in exchange.cities),
    ]
    if restored:
        lines.append(t("roster.import_restored", lang, count=restored))
    if report.ignored_columns:
        columns = clip(listing(report.ignored_columns, lang), 200)
        lines.append(t("roster.import_ignored", lang, columns=columns))
    shown = 0
    if report.problems:
        lines += ["", "**" + t("roster.import_problems", lang, count=len(report.problems)) + "**"]
        # The description holds 4096 characters: list rows while they fit, then count the rest.
        room = 3600 - sum(len(x) + 1 for x in lines)
        for problem in report.problems[:PROBLEMS_SHOWN]:
            line = escape_markdown(clip(problem_text(problem, lang), 300))
            if len(line) + 1 > room:
                break
            lines.append(line)
            room -= len(line) + 1
            shown += 1
        if shown < len(report.problems):
            lines.append(t("roster.import_more", lang, count=len(report.problems) - shown))
    embed = discord.Embed(
        title=clip(t("roster.import_title", lang, exchange=exchange.name), 256),
        description="\n".join(lines),
        colour=discord.Colour.orange() if report.problems else discord.Colour.green(),
    )
    if report.imported:
        names = listing((escape_markdown(i.name) for i in report.imported), lang)
        embed.add_field(name=t("roster.import_who", lang), value=clip(names, 1024), inline=False)
    return embed, shown == len(report.problems)


def problems_file(report: service.ImportReport, lang: str) -> discord.File:
    """Every row that was not imported, as a CSV a teacher can fix and import again."""
    out = io.StringIO()
    out.write("line,reason\n")
    for p in report.problems:
        reason = render_error(UserError(p.key, **p.params), lang).replace('"', '""')
        out.write(f'{p.line},"{reason}"\n')
    return discord.File(io.BytesIO(out.getvalue().encode("utf-8-sig")), "import-problems.csv")


# -- autocomplete ----------------------------------------------------------------------------------


async def city_autocomplete(
    interaction: discord.Interaction[Twinbridge], current: str
) -> list[app_commands.Choice[str]]:
    """The cities of the exchange chosen in the same command (or of every exchange)."""
    if interaction.guild_id is None:
        return []
    every = await exchange_service.exchanges(interaction.client.ctx.db, interaction.guild_id)
    chosen = getattr(interaction.namespace, "exchange", None)
    if isinstance(chosen, int):
        every = [e for e in every if e.id == chosen] or every
    needle = current.casefold().strip()
    several = len(every) > 1
    choices = []
    for exchange in every:
        for city in exchange.cities:
            if needle in city.name.casefold():
                name = f"{city.name} ({exchange.name})" if several else city.name
                choices.append(
                    app_commands.Choice(name=clip(name, 100), value=clip(city.name, 100))
                )
    return choices[:25]


# -- the cogs --------------------------------------------------------------------------------------


class JoinCog(commands.Cog):
    """`/join` and `/profile`: students and teachers of either city say who they are."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(name="join", description="Join a sister-city exchange from your city")
    @app_commands.guild_only()
    @app_commands.describe(
        city="Your city",
        language="The language Twinbridge should speak to you",
        exchange="The exchange (when the server has several)",
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    @app_commands.autocomplete(city=city_autocomplete)
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def join(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: app_commands.Range[str, 1, 100],
        language: str | None = None,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        ctx = self.bot.ctx
        start = await service.start_join(ctx.db, actor, exchange, city, language)
        lang = start.language
        if start.role is not Role.STUDENT:
            joined = await service.join_staff(ctx.db, ctx.clock, actor, start)
            view = service.ProfileView(start.exchange, joined)
            await interaction.response.send_message(
                t(
                    f"roster.joined_{start.role}",
                    lang,
                    exchange=start.exchange.name,
                    city=start.city.name,
                ),
                embed=profile_embed(view, lang),
                ephemeral=True,
                allowed_mentions=NO_PINGS,
            )
            return
        panel = ProfilePanel(
            self.bot,
            actor,
            start.exchange,
            start.city.id,
            role=Role.STUDENT,
            editing=None,
            language=lang,
        )
        await interaction.response.send_message(
            embed=panel.embed(), view=panel, ephemeral=True, allowed_mentions=NO_PINGS
        )

    @app_commands.command(name="profile", description="See or change your exchange profile")
    @app_commands.guild_only()
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def profile(
        self, interaction: discord.Interaction[Twinbridge], exchange: int | None = None
    ) -> None:
        actor = await actor_of(interaction)
        found = await service.own_profile(self.bot.ctx.db, actor, exchange)
        lang = found.participant.language
        await interaction.response.send_message(
            embed=profile_embed(found, lang),
            view=ProfileCard(self.bot, actor, found, lang),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


@app_commands.guild_only()
class RosterCog(
    commands.GroupCog, group_name="roster", group_description="Teachers: the exchange's roster"
):
    """Who is in the exchange: lists, imports, moves, pauses, removals and keep-apart marks."""

    keep_apart = app_commands.Group(
        name="keep-apart", description="Students who must never be paired (teachers only)"
    )

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(name="list", description="The roster, 25 people a page")
    @app_commands.describe(
        city="Only this city",
        status="Whose status (default: active and paused)",
        grade_band="Only this age band",
        people="Students (default), teachers or coordinators",
        page="Which page",
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    @app_commands.autocomplete(city=city_autocomplete)
    @app_commands.choices(status=STATUS_CHOICES, grade_band=BAND_CHOICES, people=PEOPLE_CHOICES)
    async def list_(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: str | None = None,
        status: str = "current",
        grade_band: str | None = None,
        people: str = "student",
        page: app_commands.Range[int, 1, 1000] = 1,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        db = self.bot.ctx.db
        city_id = None
        if city is not None:
            found = await service.staff_exchange(db, actor, exchange)
            city_id = service.find_city(found, city).id
        filters = service.RosterFilter(
            city_id=city_id, status=status, grade_band=grade_band, role=Role(people)
        )
        result = await service.roster_page(db, actor, exchange, filters, page)
        pager = roster_pager(result)
        await interaction.response.send_message(
            embed=roster_embed(result, actor.language),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
            view=pager or MISSING,
        )

    @app_commands.command(name="remove", description="Take a student off the roster")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        plan = await service.plan_removal(self.bot.ctx.db, actor, exchange, student.id)
        await interaction.response.send_message(
            removal_text(plan, actor.language, done=False),
            view=RemoveConfirm(self.bot, actor, plan, actor.language),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="move", description="Move a student to the exchange's other city")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    @app_commands.autocomplete(city=city_autocomplete)
    async def move(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        city: app_commands.Range[str, 1, 100],
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        found, moved, target = await service.move_student(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, student.id, city
        )
        await interaction.response.send_message(
            t(
                "roster.moved",
                actor.language,
                name=escape_markdown(moved.display_name),
                city=target.name,
                exchange=found.name,
            ),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def _set_status(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        status: str,
        exchange: int | None,
    ) -> None:
        actor = await actor_of(interaction)
        _, saved, previous = await service.set_student_status(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, student.id, status
        )
        if previous == status:
            key = f"roster.already_{status}"
        elif previous == "removed":
            key = "roster.restored"
        else:
            key = f"roster.teacher_{status}"
        await interaction.response.send_message(
            t(key, actor.language, name=escape_markdown(saved.display_name)),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="pause", description="Pause a student: left out of new pairing rounds until resumed"
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def pause(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: int | None = None,
    ) -> None:
        await self._set_status(interaction, student, "paused", exchange)

    @app_commands.command(name="resume", description="Bring back a paused or removed student")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def resume(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: int | None = None,
    ) -> None:
        await self._set_status(interaction, student, "active", exchange)

    @app_commands.command(
        name="import",
        description="Add students from a CSV file (columns: user, city, grade_band, languages…)",
    )
    @app_commands.describe(
        file="A .csv file with a header row; user = Discord username or user ID",
    )
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def import_(
        self,
        interaction: discord.Interaction[Twinbridge],
        file: discord.Attachment,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        await service.staff_exchange(self.bot.ctx.db, actor, exchange)
        if file.size > roster_csv.MAX_BYTES:
            raise UserError("error.csv_too_big", limit=roster_csv.MAX_BYTES // 1000)
        # Looking members up takes a gateway request per name: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        assert interaction.guild is not None
        data = await file.read()
        report = await service.import_roster(
            self.bot.ctx.db,
            self.bot.ctx.clock,
            actor,
            exchange,
            data,
            DiscordDirectory(interaction.guild),
        )
        lang = actor.language
        embed, complete = import_embed(report, lang)
        # Beyond what the reply can list, every problem row goes in a file to fix and re-import.
        await interaction.followup.send(
            embed=embed,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
            file=MISSING if complete else problems_file(report, lang),
        )

    # keep-apart -----------------------------------------------------------------------------------

    @keep_apart.command(name="add", description="Never pair these two students")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def keep_apart_add(
        self,
        interaction: discord.Interaction[Twinbridge],
        first: discord.Member,
        second: discord.Member,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        done = await service.keep_apart(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, first.id, second.id
        )
        names = {
            "first": escape_markdown(done.first.display_name),
            "second": escape_markdown(done.second.display_name),
        }
        lines = [
            t(
                "roster.kept_apart" if done.changed else "roster.already_apart",
                actor.language,
                **names,
            )
        ]
        if done.together_in is not None:
            lines.append(
                t(
                    "roster.apart_but_together",
                    actor.language,
                    space=f"<#{done.together_in}>",
                    **names,
                )
            )
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @keep_apart.command(name="remove", description="Allow these two students to be paired again")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def keep_apart_remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        first: discord.Member,
        second: discord.Member,
        exchange: int | None = None,
    ) -> None:
        actor = await actor_of(interaction)
        done = await service.allow_together(
            self.bot.ctx.db, self.bot.ctx.clock, actor, exchange, first.id, second.id
        )
        key = "roster.apart_lifted" if done.changed else "roster.not_apart"
        await interaction.response.send_message(
            t(
                key,
                actor.language,
                first=escape_markdown(done.first.display_name),
                second=escape_markdown(done.second.display_name),
            ),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @keep_apart.command(name="list", description="Every keep-apart mark of the exchange")
    @app_commands.describe(page="Which page")
    @app_commands.autocomplete(exchange=exchange_autocomplete)
    async def keep_apart_list(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: int | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        actor = await actor_of(interaction)
        found, marks = await service.keep_apart_marks(self.bot.ctx.db, actor, exchange)
        embed, view = marks_page(found, marks, actor.language, page)
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_PINGS, view=view or MISSING
        )


# Each line is at most ~150 characters (two names clipped to 60): twenty stay well inside an
# embed description's 4096.
MARKS_PER_PAGE = 20


def marks_page(
    exchange: Exchange, marks: Sequence[service.KeepApartMark], lang: str, page: int
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of keep-apart marks, and ◀ ▶ when there are more."""
    pages = max(1, -(-len(marks) // MARKS_PER_PAGE))
    page = min(max(page, 1), pages)
    lines = [
        f"• **{escape_markdown(clip(m.first.display_name, 60))}** ↔ "
        f"**{escape_markdown(clip(m.second.display_name, 60))}** · "
        f"<t:{int(m.marked_at.timestamp())}:d>"
        for m in marks[(page - 1) * MARKS_PER_PAGE : page * MARKS_PER_PAGE]
    ]
    embed = discord.Embed(
        title=clip(t("roster.marks_title", lang, exchange=exchange.name), 256),
        description="\n".join(lines) if lines else t("roster.no_marks", lang),
        colour=discord.Colour.dark_red(),
    )
    footer = t("roster.marks_footer", lang, count=len(marks))
    if pages > 1:
        footer += " · " + t("roster.marks_page", lang, page=page, pages=pages)
    embed.set_footer(text=footer)
    view = pager(
        page,
        pages,
        lambda target, label, disabled: MarksPageButton(
            exchange.id, target, label, disabled=disabled
        ),
    )
    return embed, view


class MarksPageButton(ExchangePageButton, prefix="roster:apart"):
    """◀ or ▶ under /roster keep-apart list; the page is rebuilt on each press."""

    async def show(self, interaction: discord.Interaction[Any]) -> None:
        bot: Twinbridge = interaction.client
        actor = await actor_of(interaction)
        found, marks = await service.keep_apart_marks(bot.ctx.db, actor, self.exchange_id)
        embed, view = marks_page(found, marks, actor.language, self.page)
        await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_PINGS)


async def setup(bot: Twinbridge) -> None:
    """Extension entry point."""
    await bot.add_cog(JoinCog(bot))
    await bot.add_cog(RosterCog(bot))
    bot.add_dynamic_items(RosterPageButton, MarksPageButton)
