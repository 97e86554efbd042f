"""Three months of an exchange, played through the real bot, for the report tests.

Minneapolis: Ben and Maya; Najaf: Ali and Zainab; one pair per Minneapolis student. Three
monthly sessions (October, November, December, an hour each):

| session  | Ben      | Maya     | Ali     | Zainab  |
|----------|----------|----------|---------|---------|
| October  | check-in | check-in | voice   | —       |
| November | check-in | —        | —       | voice   |
| December | check-in | —        | —       | —       |

Ms Rivera (a teacher) checks in to October too: teachers never count. After December: a
prompt goes to both pairs; Ben writes twice and his partner once in their space (both answer
it) and Ms Rivera once (logged, but teachers' messages are not the partners' exchange); the
other pair stays silent. Ben beats his partner at chess (the partner resigns).

By hand: Minneapolis 4 of 6 (67%), Najaf 2 of 6 (33%), all 6 of 12 (50%); 3 sessions held;
Maya and Ali missed the last two; live minutes 240 and 120; prompt answers 1 and 1;
prompts posted to pairs 8 (each session's own prompt to both pairs, then that prompt);
messages 2 and 1; chess 1 – 0; one active pair, one to nudge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.i18n import t
from bot.sandbox.driver import Sandbox
from bot.sandbox.state import Channel, Member
from tests.sandbox.safety_world import space_of
from tests.sandbox.sessions_helpers import (
    DEC,
    NOV,
    OCT,
    Exchange,
    paired_exchange,
    schedule_confirmed,
    started_post,
)

CHECK_IN = "Check in · تسجيل الحضور"
PERIOD = {"from": "2026-10-01", "to": "2026-12-31"}


@dataclass
class Story:
    ex: Exchange
    ben_partner: Member
    quiet_pair: tuple[str, str]  # Maya and her partner, by name

    @property
    def sb(self) -> Sandbox:
        return self.ex.sb

    def student(self, name: str) -> Member:
        return self.ex.student(name)

    @property
    def ben_space(self) -> Channel:
        return space_of(self.sb, self.student("Ben"))


def name_of(member: Member) -> str:
    return member.user.global_name or member.user.username


async def three_months(sb: Sandbox) -> Story:
    """Play the story in the module docstring; the clock ends early on 2 December."""
    ex = await paired_exchange(sb)
    world = ex.world
    # Reminders play no part in reports; without them three months pass quicker.
    await sb.command(world.teacher, "session reminders", before="off")
    await schedule_confirmed(ex)
    ben, maya, ali, zainab = (ex.student(n) for n in ("Ben", "Maya", "Ali", "Zainab"))

    await sb.advance_to(OCT + timedelta(minutes=5))
    for member in (ben, maya, world.teacher):
        await sb.click(member, started_post(ex), CHECK_IN)
    await sb.join_voice(ali, ex.voice)
    await sb.advance_to(OCT + timedelta(hours=2))
    await sb.join_voice(ali, None)

    await sb.advance_to(NOV + timedelta(minutes=5))
    await sb.click(ben, started_post(ex), CHECK_IN)
    await sb.join_voice(zainab, ex.voice)
    await sb.advance_to(NOV + timedelta(hours=2))
    await sb.join_voice(zainab, None)

    await sb.advance_to(DEC + timedelta(minutes=5))
    await sb.click(ben, started_post(ex), CHECK_IN)
    await sb.advance_to(DEC + timedelta(hours=2))

    space = space_of(sb, ben)
    partner = ali if sb.guild.can_view(ali.user.id, space.id) else zainab
    quiet = zainab if partner is ali else ali
    await sb.command(world.teacher, "prompt now")
    await sb.say(ben, space, "We eat pancakes with maple syrup!")
    await sb.say(partner, space, "عندنا خبز وجبن وشاي")
    await sb.say(ben, space, "What is your favourite dish?")
    await sb.say(world.teacher, space, "Lovely answers, both of you!")  # a teacher: not counted

    await sb.command(ben, "chess challenge", where=space, opponent=partner, colour="white")
    # Ali and Zainab read Arabic.
    await sb.click(partner, sb.messages_in(space)[-1], t("chess.button.accept", "ar"))
    ask = await sb.command(partner, "chess resign", where=space)
    await sb.click(partner, ask, t("chess.button.resign_confirm", "ar"))
    return Story(ex, partner, ("Maya", name_of(quiet)))
