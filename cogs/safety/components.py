"""The components of a report, all restart-proof (their ids carry what they act on).

The reporter picks a reason (`ReasonSelect`), then may add a few words (`DetailsButton` opens
`DetailsForm`); teachers act from the post in their channel (`ReportAction`). Ids posted
before these classes existed (`tb:rr:…`, `tb:rd:…`, `tb:ra:…`) are still answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import StrEnum

import discord

from bot.app import Twinbridge
from bot.domain.safety import MAX_DETAILS, REASONS, ReportKind, ReportStatus
from bot.i18n import t
from bot.limits import SELECT_OPTION_TEXT, TEXT_INPUT_LABEL, TEXT_INPUT_PLACEHOLDER
from bot.services.safety import ReportDraft, ReportView
from cogs.adapters.spaces import spaces_for
from cogs.common.checks import enforce_cooldown
from cogs.common.components import RestartButton, RestartModal, RestartSelect, buttons
from cogs.common.interactions import begin, language_soon, open_modal, say, show
from cogs.common.text import NO_PINGS, clip
from cogs.safety.adapters import DiscordTeachers
from cogs.safety.embeds import REASON_EMOJI, space_done

# Reports must never be blocked when a child needs them, yet one student must not be able to
# flood the teachers' channel: five in ten minutes covers reporting several messages in a row.
REPORT_RATE = 5
REPORT_WINDOW = timedelta(minutes=10)
# Pausing and reopening post a notice in the space: generous for teachers, but a stuck
# double-click loop cannot flood a pair with notices.
SPACE_RATE = 10
SPACE_WINDOW = timedelta(minutes=10)


def teachers_port(guild: discord.Guild) -> DiscordTeachers:
    """The teachers' channel of a server, posting reports with their buttons."""
    return DiscordTeachers(guild, report_actions)


# -- the reporter -------------------------------------------------------------------------------


class About(StrEnum):
    """What a draft report is about, as its select's custom_id carries it (one letter)."""

    MESSAGE = "m"
    CONCERN = "c"


class ReasonSelect(
    RestartSelect,
    key="report.reason",
    legacy=(
        r"tb:rr:(?P<about>[mc]):(?P<exchange>\d+):(?P<channel>\d+)"
        r":(?P<message>\d+):(?P<subject>\d+)"
    ),
):
    """The reasons a reporter picks from; picking one files the report."""

    about: About
    exchange: int
    channel: int  # 0: none (a concern)
    message: int  # 0: none
    subject: int  # 0: nobody named

    @classmethod
    def offer(cls, draft: ReportDraft, language: str) -> ReasonSelect:
        """The select for a draft, in the reporter's language."""
        options = [
            discord.SelectOption(
                label=clip(t(f"report.reason.{reason}", language), SELECT_OPTION_TEXT),
                value=reason,
                emoji=REASON_EMOJI[reason],
            )
            for reason in REASONS
        ]
        return cls.make(
            options,
            placeholder=t("report.pick", language),
            about=About.MESSAGE if draft.kind is ReportKind.MESSAGE else About.CONCERN,
            exchange=draft.exchange_id,
            channel=draft.channel_id or 0,
            message=draft.message_id or 0,
            subject=draft.subject_id or 0,
        )

    @property
    def draft(self) -> ReportDraft:
        """The report this select files."""
        return ReportDraft(
            kind=ReportKind.MESSAGE if self.about is About.MESSAGE else ReportKind.CONCERN,
            exchange_id=self.exchange,
            channel_id=self.channel or None,
            message_id=self.message or None,
            subject_id=self.subject or None,
        )

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        enforce_cooldown(interaction, "report.file", rate=REPORT_RATE, per=REPORT_WINDOW)
        actor = await begin(interaction, update=True)
        assert interaction.guild is not None
        filed = await interaction.client.services.safety.file_report(
            actor,
            self.draft,
            self.chosen[0] if self.chosen else "",
            teachers_port(interaction.guild),
        )
        key = "report.ack" if filed.posted else "report.ack_unposted"
        await show(
            interaction,
            content=t(key, actor.language, id=filed.view.report.id),
            view=buttons(
                DetailsButton.make(
                    t("report.add_details", actor.language),
                    emoji="✏️",
                    report=filed.view.report.id,
                )
            ),
            allowed_mentions=NO_PINGS,
        )


class DetailsButton(RestartButton, key="report.details", legacy=r"tb:rd:(?P<report>\d+)"):
    """Opens a short form for the reporter's own words."""

    report: int

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        # A form must be the first answer: nothing may read the database slowly before it.
        language = await language_soon(interaction)
        await open_modal(interaction, DetailsForm(report=self.report, language=language))


class DetailsForm(RestartModal, key="report.words"):
    """The reporter's few words (optional, at most MAX_DETAILS characters); received even
    when the bot restarted while they were typing."""

    report: int

    def __init__(self, *, report: int, language: str) -> None:
        super().__init__(title=t("report.details_title", language), report=report)
        self.add_item(
            discord.ui.TextInput(
                label=clip(t("report.details_label", language), TEXT_INPUT_LABEL),
                placeholder=clip(t("report.details_placeholder", language), TEXT_INPUT_PLACEHOLDER),
                style=discord.TextStyle.paragraph,
                custom_id="details",
                min_length=1,
                max_length=MAX_DETAILS,
            )
        )

    async def submit(
        self, interaction: discord.Interaction[Twinbridge], answers: Mapping[str, str]
    ) -> None:
        # Sent from the reporter's answer: it is replaced, so the button goes too.
        actor = await begin(interaction, update=True)
        assert interaction.guild is not None
        await interaction.client.services.safety.add_details(
            actor, self.report, answers.get("details", ""), teachers_port(interaction.guild)
        )
        await show(
            interaction,
            content=t("report.details_saved", actor.language, id=self.report),
            view=None,
            allowed_mentions=NO_PINGS,
        )


# -- the teachers -------------------------------------------------------------------------------


class Action(StrEnum):
    """What a teacher's button under a report does."""

    PAUSE = "pause"
    REOPEN = "reopen"
    RESOLVE = "resolve"


ACTION_STYLES = {
    Action.PAUSE: (discord.ButtonStyle.danger, "⏸️"),
    Action.REOPEN: (discord.ButtonStyle.success, "▶️"),
    Action.RESOLVE: (discord.ButtonStyle.secondary, "✅"),
}


class ReportAction(
    RestartButton,
    key="report.action",
    legacy=r"tb:ra:(?P<report>\d+):(?P<action>pause|reopen|resolve)",
):
    """A teacher's button under a report in the teachers' channel."""

    report: int
    action: Action

    @classmethod
    def button(cls, report_id: int, action: Action, label: str) -> ReportAction:
        """The button for `action` on a report."""
        style, emoji = ACTION_STYLES[action]
        return cls.make(label, style=style, emoji=emoji, report=report_id, action=action)

    async def run(self, interaction: discord.Interaction[Twinbridge]) -> None:
        # The post itself is updated by the service (it shows the new state to every teacher);
        # the teacher who pressed is answered privately.
        actor = await begin(interaction, update=True)
        guild = interaction.guild
        assert guild is not None
        safety = interaction.client.services.safety
        teachers = teachers_port(guild)
        if self.action is Action.RESOLVE:
            await safety.resolve_report(actor, self.report, teachers)
            text = t("report.resolved_done", actor.language, id=self.report)
        else:
            enforce_cooldown(interaction, "space", rate=SPACE_RATE, per=SPACE_WINDOW)
            change = await safety.set_space_paused(
                actor,
                await spaces_for(interaction.client, guild),
                teachers,
                paused=self.action is Action.PAUSE,
                report_id=self.report,
            )
            text = space_done(change, actor.language)
        await say(interaction, text, allowed_mentions=NO_PINGS)


def report_actions(view: ReportView) -> discord.ui.View:
    """Buttons under a report: pause or reopen its space, mark it resolved."""
    lang = view.languages[0]
    report_id = view.report.id
    items = []
    if view.space_status == "active":
        items.append(ReportAction.button(report_id, Action.PAUSE, t("report.button_pause", lang)))
    elif view.space_status == "paused":
        items.append(ReportAction.button(report_id, Action.REOPEN, t("report.button_reopen", lang)))
    if view.report.status is ReportStatus.OPEN:
        items.append(
            ReportAction.button(report_id, Action.RESOLVE, t("report.button_resolve", lang))
        )
    return buttons(*items)
