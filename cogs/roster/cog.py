"""The `/roster` commands: parse, ask the roster service, show the outcome."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import MISSING

from bot.app import Twinbridge, http_reason
from bot.domain import roster_csv
from bot.domain.exchange import GRADE_BANDS, KNOWN_BANDS, ParticipantStatus, Role
from bot.domain.spreadsheet import csv_bytes
from bot.errors import UserError
from bot.i18n import listing, t
from bot.limits import CONTENT
from bot.services.roster import RosterFilter, RosterService, StatusFilter
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.store.sends import Send
from cogs.common.files import Attachment, left_out_note, pack
from cogs.common.interactions import begin, show
from cogs.common.params import CityName, ExchangeId
from cogs.common.text import NO_PINGS, clip, mention, shown, timestamp
from cogs.roster.consent import end_pair_view, withdrawn_paired_line
from cogs.roster.importing import DiscordDirectory, ImportProgress, import_embed, problems_file
from cogs.roster.pages import marks_page, roster_embed, roster_pager
from cogs.roster.removal import confirmation, removal_text

# The list filter also offers the legacy bands, so teachers can find students to re-band.
BAND_CHOICES = [app_commands.Choice(name=band, value=band) for band in KNOWN_BANDS]
# What a teacher may set: bands from Discord's minimum age up.
NEW_BAND_CHOICES = [app_commands.Choice(name=band, value=band) for band in GRADE_BANDS]
STATUS_CHOICES = [
    app_commands.Choice(name="active and paused", value=StatusFilter.CURRENT.value),
    app_commands.Choice(name="active", value=StatusFilter.ACTIVE.value),
    app_commands.Choice(name="paused", value=StatusFilter.PAUSED.value),
    app_commands.Choice(name="removed", value=StatusFilter.REMOVED.value),
    app_commands.Choice(name="everyone", value=StatusFilter.ALL.value),
]
PEOPLE_CHOICES = [
    app_commands.Choice(name="students", value=Role.STUDENT.value),
    app_commands.Choice(name="teachers", value=Role.TEACHER.value),
    app_commands.Choice(name="coordinators", value=Role.COORDINATOR.value),
]


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

    @property
    def roster(self) -> RosterService:
        return self.bot.services.roster

    @app_commands.command(name="list", description="The roster, 25 people a page")
    @app_commands.describe(
        city="Only this city",
        status="Whose status (default: active and paused)",
        grade_band="Only this age band",
        people="Students (default), teachers or coordinators",
        page="Which page",
    )
    @app_commands.choices(status=STATUS_CHOICES, grade_band=BAND_CHOICES, people=PEOPLE_CHOICES)
    async def list_(
        self,
        interaction: discord.Interaction[Twinbridge],
        city: CityName | None = None,
        status: str = StatusFilter.CURRENT.value,
        grade_band: str | None = None,
        people: str = Role.STUDENT.value,
        page: app_commands.Range[int, 1, 1000] = 1,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        filters = RosterFilter(
            status=StatusFilter(status), grade_band=grade_band, role=Role(people)
        )
        found = await self.roster.roster_page(actor, exchange, filters, page, city=city)
        await show(
            interaction,
            embed=roster_embed(found, actor.language),
            view=roster_pager(found) or MISSING,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="remove", description="Take a student off the roster")
    async def remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        plan = await self.roster.plan_removal(actor, exchange, student.id)
        await show(
            interaction,
            content=removal_text(plan, actor.language, done=False),
            view=confirmation(plan, actor.user_id, actor.language),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="move", description="Move a student to the exchange's other city")
    async def move(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        city: CityName,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found, moved, target = await self.roster.move_student(actor, exchange, student.id, city)
        await show(
            interaction,
            content=t(
                "roster.moved",
                actor.language,
                name=shown(moved.display_name),
                city=shown(target.name),
                exchange=shown(found.name),
            ),
            allowed_mentions=NO_PINGS,
        )

    async def _set_status(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        status: ParticipantStatus,
        exchange: int | None,
    ) -> None:
        actor = await begin(interaction)
        _, saved, previous = await self.roster.set_student_status(
            actor, exchange, student.id, status
        )
        if previous is status:
            key = f"roster.already_{status}"
        elif previous is ParticipantStatus.REMOVED:
            key = "roster.restored"
        else:
            key = f"roster.teacher_{status}"
        await show(
            interaction,
            content=t(key, actor.language, name=shown(saved.display_name)),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="pause", description="Pause a student: left out of new pairing rounds until resumed"
    )
    async def pause(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: ExchangeId | None = None,
    ) -> None:
        await self._set_status(interaction, student, ParticipantStatus.PAUSED, exchange)

    @app_commands.command(name="resume", description="Bring back a paused or removed student")
    async def resume(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        exchange: ExchangeId | None = None,
    ) -> None:
        await self._set_status(interaction, student, ParticipantStatus.ACTIVE, exchange)

    @app_commands.command(
        name="import",
        description="Add students from a CSV file (columns: user, city, grade_band, languages…)",
    )
    @app_commands.describe(
        file="A .csv file with a header row; user = Discord username or user ID",
    )
    async def import_(
        self,
        interaction: discord.Interaction[Twinbridge],
        file: discord.Attachment,
        exchange: ExchangeId | None = None,
    ) -> None:
        # Looking members up takes a search per thousand names: the answer comes later.
        actor = await begin(interaction)
        await self.roster.staff_exchange(actor, exchange)
        if file.size > roster_csv.MAX_BYTES:
            raise UserError("error.csv_too_big", limit=roster_csv.MAX_BYTES // 1000)
        assert interaction.guild is not None
        lang = actor.language
        report = await self.roster.import_roster(
            actor,
            exchange,
            await file.read(),
            DiscordDirectory(interaction.guild, interaction.client.http),
            ImportProgress(interaction, lang),
        )
        embed, complete = import_embed(report, lang)
        # Beyond what the reply can list, every problem row goes in a file to fix and re-import
        # (the CSV read is far below Discord's file limit, but its problems are checked too).
        packed = pack([] if complete else [problems_file(report, lang)])
        await show(
            interaction,
            # None clears the progress line the import showed meanwhile.
            content=left_out_note(packed, lang) or None,
            embed=embed,
            attachments=packed.first() or MISSING,
            allowed_mentions=NO_PINGS,
        )

    # consent and age (issue 23) ------------------------------------------------------------------

    @app_commands.command(
        name="consent", description="Record that a guardian's consent is on file, or withdraw it"
    )
    @app_commands.describe(
        student="The student (of your own city)",
        on_file="True: consent is on file; False: withdrawn or not on file",
    )
    async def consent(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        on_file: bool,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        done = await self.bot.services.consent.record(actor, exchange, student.id, on_file)
        lang = actor.language
        lines = [
            t(
                "consent.recorded" if on_file else "consent.withdrawn",
                lang,
                name=shown(done.student.display_name),
                by=mention(done.record.recorded_by),
                when=timestamp(done.record.recorded_at),
            )
        ]
        if not on_file:
            # Withdrawn: left out of rounds whatever the exchange's rule.
            lines.append(t("consent.not_paired_until", lang))
        if done.pair_space_id is not None:
            lines.append(withdrawn_paired_line(done, lang))
            await show(
                interaction,
                content=clip("\n".join(lines), CONTENT),
                view=end_pair_view(done.exchange.id, student.id, (lang,)),
                allowed_mentions=NO_PINGS,
            )
            return
        await show(interaction, content="\n".join(lines), allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="consent-rule",
        description="Whether students need consent on file before they are paired (default: yes)",
    )
    @app_commands.describe(required="True: pair only students with consent on file")
    async def consent_rule(
        self,
        interaction: discord.Interaction[Twinbridge],
        required: bool,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.consent.set_required(actor, exchange, required)
        missing = sum(c.missing for c in found.coverage)
        key = "consent.rule_on" if required else "consent.rule_off"
        await show(
            interaction,
            content=t(key, actor.language, exchange=shown(found.exchange.name), missing=missing),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(name="band", description="Set a student's age band (from 13 up)")
    @app_commands.describe(student="The student (of your own city)", grade_band="Their age band")
    @app_commands.choices(grade_band=NEW_BAND_CHOICES)
    async def band(
        self,
        interaction: discord.Interaction[Twinbridge],
        student: discord.Member,
        grade_band: str,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        _, saved, previous = await self.bot.services.consent.set_band(
            actor, exchange, student.id, grade_band
        )
        await show(
            interaction,
            content=t(
                "consent.band_set",
                actor.language,
                name=shown(saved.display_name),
                band=saved.grade_band or "—",
                previous=previous or "—",
            ),
            allowed_mentions=NO_PINGS,
        )

    async def on_band_notice(self, send: Send) -> None:
        """Tell the teachers which students have a band under the minimum age (planned at
        start-up by the consent service, once a day at most)."""
        notice = await self.bot.services.consent.band_notice(send)
        if notice is None:
            return
        channel = self.bot.get_channel(notice.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise UndeliverableError(f"channel {notice.channel_id} is gone")
        flagged = [shown(p.display_name, 40) for p in notice.flagged]
        text = "\n\n".join(
            t(
                "consent.bands_notice",
                lang,
                exchange=shown(notice.exchange.name),
                count=len(notice.flagged),
                names=listing(flagged, lang),
            )
            for lang in notice.languages
        )
        try:
            await channel.send(clip(text, CONTENT), nonce=send.nonce, allowed_mentions=NO_PINGS)
        except discord.DiscordServerError as exc:
            raise RetryLaterError(http_reason(exc)) from exc
        except discord.HTTPException as exc:
            raise UndeliverableError(http_reason(exc)) from exc

    @app_commands.command(
        name="export", description="The roster as a CSV file (with consent on file), to re-import"
    )
    async def export(
        self, interaction: discord.Interaction[Twinbridge], exchange: ExchangeId | None = None
    ) -> None:
        actor = await begin(interaction)
        found, text = await self.roster.export_roster(actor, exchange)
        packed = pack([Attachment(f"roster-{found.id}.csv", csv_bytes(text))])
        await show(
            interaction,
            content=left_out_note(packed, actor.language)
            or t("consent.exported", actor.language, exchange=shown(found.name)),
            attachments=packed.first() or MISSING,
            allowed_mentions=NO_PINGS,
        )

    # keep-apart -----------------------------------------------------------------------------------

    @keep_apart.command(name="add", description="Never pair these two students")
    async def keep_apart_add(
        self,
        interaction: discord.Interaction[Twinbridge],
        first: discord.Member,
        second: discord.Member,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        done = await self.roster.keep_apart(actor, exchange, first.id, second.id)
        names = {
            "first": shown(done.first.display_name),
            "second": shown(done.second.display_name),
        }
        key = "roster.kept_apart" if done.changed else "roster.already_apart"
        lines = [t(key, actor.language, **names)]
        if done.together_in is not None:
            lines.append(
                t(
                    "roster.apart_but_together",
                    actor.language,
                    space=f"<#{done.together_in}>",
                    **names,
                )
            )
        await show(interaction, content="\n".join(lines), allowed_mentions=NO_PINGS)

    @keep_apart.command(name="remove", description="Allow these two students to be paired again")
    async def keep_apart_remove(
        self,
        interaction: discord.Interaction[Twinbridge],
        first: discord.Member,
        second: discord.Member,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        done = await self.roster.allow_together(actor, exchange, first.id, second.id)
        key = "roster.apart_lifted" if done.changed else "roster.not_apart"
        await show(
            interaction,
            content=t(
                key,
                actor.language,
                first=shown(done.first.display_name),
                second=shown(done.second.display_name),
            ),
            allowed_mentions=NO_PINGS,
        )

    @keep_apart.command(name="list", description="Every keep-apart mark of the exchange")
    @app_commands.describe(page="Which page")
    async def keep_apart_list(
        self,
        interaction: discord.Interaction[Twinbridge],
        exchange: ExchangeId | None = None,
        page: app_commands.Range[int, 1, 500] = 1,
    ) -> None:
        actor = await begin(interaction)
        found, marks = await self.roster.keep_apart_marks(actor, exchange)
        embed, view = marks_page(found, marks, actor.language, page)
        await show(interaction, embed=embed, view=view or MISSING, allowed_mentions=NO_PINGS)
