"""`/survey create|item|send|close|results`, and the Start posts in pair
spaces: parse, call `services.surveys`, render."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import Twinbridge, http_reason
from bot.domain.surveys import ITEM_LENGTH, TITLE_LENGTH, ItemKind, SurveyKind
from bot.i18n import t
from bot.limits import CHOICE_NAME, CONTENT
from bot.services.access import Actor
from bot.services.scheduler import RetryLaterError, UndeliverableError
from bot.store.sends import Send
from cogs.common.channels import find_space
from cogs.common.files import Attachment, pack, say_packed
from cogs.common.interactions import begin, client_of, say, show
from cogs.common.params import ActorIdParam, CityName, ExchangeId
from cogs.common.text import NO_PINGS, clip, only_users, shown
from cogs.survey.answering import start_view
from cogs.survey.results import (
    answers_csv,
    result_embeds,
    results_chart,
    results_csv,
    results_workbook,
)

KIND_CHOICES = [
    app_commands.Choice(name="pre: before the exchange", value=SurveyKind.PRE.value),
    app_commands.Choice(
        name="post: after it, beside the last pre survey", value=SurveyKind.POST.value
    ),
    app_commands.Choice(name="single: on its own", value=SurveyKind.SINGLE.value),
]
ITEM_CHOICES = [
    app_commands.Choice(name="scale: 5-point agree scale", value=ItemKind.SCALE.value),
    app_commands.Choice(name="choice: 2 to 10 options", value=ItemKind.CHOICE.value),
    app_commands.Choice(name="text: a short answer", value=ItemKind.TEXT.value),
]
FILE_CHOICES = [
    app_commands.Choice(name="CSV (one sheet)", value="csv"),
    app_commands.Choice(name="Excel workbook (.xlsx)", value="xlsx"),
]


class SurveyParam(ActorIdParam):
    """A survey of the exchanges the person is staff of, offered by title, passed as its id."""

    async def offer_to(
        self, interaction: discord.Interaction[Any], actor: Actor, typed: str
    ) -> list[app_commands.Choice[int]]:
        found = await client_of(interaction).services.surveys.choices(actor, typed)
        lang = actor.language
        return [
            app_commands.Choice(
                name=clip(
                    f"#{s.id} {s.title} ({t(f'survey.kind.{s.kind.value}', lang)}, "
                    f"{t(f'survey.status.{s.status.value}', lang)})",
                    CHOICE_NAME,
                ),
                value=s.id,
            )
            for s in found
        ]


SurveyId = app_commands.Transform[int, SurveyParam]


@app_commands.guild_only()
class SurveyCog(
    commands.GroupCog,
    group_name="survey",
    group_description="Teachers: surveys for funders and research",
):
    """Teachers create, send, close and read surveys; students answer privately."""

    def __init__(self, bot: Twinbridge) -> None:
        self.bot = bot

    @app_commands.command(
        name="create", description="Create a survey (the pre/post template or your own items)"
    )
    @app_commands.describe(
        title="What students see, e.g. Before the exchange",
        kind="pre (before), post (after: compared with the last pre survey) or single",
        template="True: the built-in statements about the partner city; False: add your own",
        named="True: teachers see names beside text answers (default: anonymous)",
        exchange="The exchange, if the server has several",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    async def create(
        self,
        interaction: discord.Interaction[Twinbridge],
        title: app_commands.Range[str, 1, TITLE_LENGTH],
        kind: str,
        template: bool = True,
        named: bool = False,
        exchange: ExchangeId | None = None,
    ) -> None:
        actor = await begin(interaction)
        made = await self.bot.services.surveys.create(
            actor, exchange, title, SurveyKind(kind), template=template, named=named
        )
        lang = actor.language
        lines = [
            t(
                "survey.created",
                lang,
                id=made.survey.id,
                title=shown(made.survey.title),
                exchange=shown(made.exchange.name),
                count=made.items,
            )
        ]
        if made.pre is not None:
            lines.append(t("survey.compared", lang, title=shown(made.pre.title)))
        lines.append(t("survey.named" if named else "survey.anonymous", lang))
        lines.append(t("survey.next_steps", lang, id=made.survey.id))
        await show(interaction, content=clip("\n".join(lines), CONTENT), allowed_mentions=NO_PINGS)

    @app_commands.command(
        name="item", description="Add a statement or question to a survey not sent yet"
    )
    @app_commands.describe(
        survey="The survey",
        kind="scale (5-point agree), choice (2 to 10 options) or text (up to 300 characters)",
        text="The statement or question",
        choices="For a choice: the options, separated by ;",
    )
    @app_commands.choices(kind=ITEM_CHOICES)
    async def item(
        self,
        interaction: discord.Interaction[Twinbridge],
        survey: SurveyId,
        kind: str,
        text: app_commands.Range[str, 1, ITEM_LENGTH],
        choices: str = "",
    ) -> None:
        actor = await begin(interaction)
        found, item = await self.bot.services.surveys.add_item(
            actor, survey, ItemKind(kind), text, choices
        )
        await show(
            interaction,
            content=t(
                "survey.item_added",
                actor.language,
                number=item.position,
                title=shown(found.title),
                text=shown(item.text),
            ),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="send", description="Send a survey to the students, in their pair spaces"
    )
    @app_commands.describe(
        survey="The survey",
        city="Only this city's students (default: every city)",
    )
    async def send(
        self,
        interaction: discord.Interaction[Twinbridge],
        survey: SurveyId,
        city: CityName | None = None,
    ) -> None:
        actor = await begin(interaction)
        done = await self.bot.services.surveys.send(actor, survey, city)
        lang = actor.language
        lines = [
            t(
                "survey.sent",
                lang,
                title=shown(done.survey.title),
                count=done.students,
                spaces=done.outcome.done,
            )
        ]
        if done.outcome.later:
            lines.append(t("survey.sent_later", lang, count=done.outcome.later))
        if done.outcome.failed:
            lines.append(t("survey.sent_failed", lang, count=done.outcome.failed))
        if done.unreached:
            lines.append(t("survey.unreached", lang, count=done.unreached))
        if not done.spaces:
            lines.append(t("survey.nothing_new", lang))
        await show(interaction, content=clip("\n".join(lines), CONTENT), allowed_mentions=NO_PINGS)

    @app_commands.command(name="close", description="Close a survey: no more answers")
    @app_commands.describe(survey="The survey")
    async def close(self, interaction: discord.Interaction[Twinbridge], survey: SurveyId) -> None:
        actor = await begin(interaction)
        found, count = await self.bot.services.surveys.close(actor, survey)
        await show(
            interaction,
            content=t("survey.closed", actor.language, title=shown(found.title), count=count),
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name="results", description="A survey's results per city, with a chart and a file"
    )
    @app_commands.describe(
        survey="The survey", file="A CSV file (the default) or an Excel workbook"
    )
    @app_commands.choices(file=FILE_CHOICES)
    async def results(
        self,
        interaction: discord.Interaction[Twinbridge],
        survey: SurveyId,
        file: str = "csv",
    ) -> None:
        actor = await begin(interaction)
        found = await self.bot.services.surveys.results(actor, survey)
        lang = actor.language
        embeds = result_embeds(found, lang)
        stem = f"survey-{found.survey.id}"
        files: list[Attachment] = []
        if file == "xlsx":
            files.append(
                Attachment(f"{stem}.xlsx", await asyncio.to_thread(results_workbook, found, lang))
            )
        else:
            files.append(Attachment(f"{stem}.csv", results_csv(found, lang)))
            texts = answers_csv(found, lang)
            if texts is not None:
                files.append(Attachment(f"{stem}-answers.csv", texts))
        png = await asyncio.to_thread(results_chart, found, lang)
        if png is not None:
            files.append(Attachment(f"{stem}.png", png))
        packed = pack(files)
        if packed.holds(f"{stem}.png"):
            embeds[0].set_image(url=f"attachment://{stem}.png")
        await say_packed(
            interaction, packed, language=lang, embed=embeds[0], allowed_mentions=NO_PINGS
        )
        for more in embeds[1:]:
            await say(interaction, embed=more, allowed_mentions=NO_PINGS)

    async def on_invite(self, send: Send) -> None:
        """Post a survey's Start button in one pair's space (planned by `/survey send`)."""
        invite = await self.bot.services.surveys.prepare_invite(send)
        if invite is None:
            return
        guild = self.bot.get_guild(send.guild_id)
        if guild is None:
            raise UndeliverableError(f"guild {send.guild_id} is gone")
        try:
            space = await find_space(guild, invite.space_id)
            if space is None:
                raise UndeliverableError(f"space {invite.space_id} is gone")
            mentions = " ".join(f"<@{u}>" for u in invite.user_ids)
            text = "\n".join(
                t("survey.invite", lang, title=shown(invite.title)) for lang in invite.languages
            )
            await space.send(
                clip(f"{mentions}\n{text}", CONTENT),
                view=start_view(invite.survey_id, invite.languages),
                nonce=send.nonce,
                allowed_mentions=only_users(invite.user_ids),
            )
        except discord.DiscordServerError as exc:
            raise RetryLaterError(http_reason(exc)) from exc
        except discord.HTTPException as exc:
            raise UndeliverableError(http_reason(exc)) from exc
