"""Chapter 8: a network of sister cities: Winston-Salem with Buchanan, Kumasi and Chengdu.

Winston-Salem ran its chess exchange with schools in several sister cities at once. Here a
coordinator sets that up as one exchange: three partner cities on three continents added
with /exchange city add, the hub policy (Winston-Salem's students are paired with the
partner cities'), a class list imported, the pairs previewed and confirmed, and the figures
per city and per hub–partner partnership. Chess league rounds come in a later chapter of
the same network (issue 18, part B).
"""

from __future__ import annotations

from bot.demo.league import league_round
from bot.demo.story import DemoRun, footer_number

TITLE = "A network: one city, many sister cities"

HUB = ("Winston-Salem", "America/New_York", "en, es")
PARTNERS = (
    ("Buchanan", "Africa/Monrovia", "en"),
    ("Kumasi", "Africa/Accra", "en, ak"),
    ("Chengdu", "Asia/Shanghai", "zh, en"),
)
# A class list: four students in Winston-Salem, two in each partner city.
CLASS = (
    ("Ava", "Winston-Salem", "en", "13-15"),
    ("Jamal", "Winston-Salem", "en", "13-15"),
    ("Lucía", "Winston-Salem", "es,en", "13-15"),
    ("Noah", "Winston-Salem", "en", "16-18"),
    ("Musu", "Buchanan", "en", "13-15"),
    ("Sekou", "Buchanan", "en", "16-18"),
    ("Kofi", "Kumasi", "en,ak", "13-15"),
    ("Abena", "Kumasi", "ak,en", "16-18"),
    ("Li Wei", "Chengdu", "zh,en", "13-15"),
    ("Zhang Min", "Chengdu", "zh", "13-15"),
)


async def chapter(run: DemoRun) -> None:
    """The network set up, its students imported and paired, and its report."""
    sb, story = run.sb, run.story
    coordinator = run.coordinator
    assert coordinator is not None
    story.section("A coordinator starts a network: Winston-Salem and Buchanan, Liberia")
    city, zone, languages = HUB
    partner, partner_zone, partner_languages = PARTNERS[0]
    reply = await sb.command(
        coordinator,
        "exchange create",
        name="Winston-Salem sister cities",
        city_a=city,
        zone_a=zone,
        languages_a=languages,
        city_b=partner,
        zone_b=partner_zone,
        languages_b=partner_languages,
    )
    network = footer_number(reply)

    story.section("More sister cities join: Kumasi (Ghana) and Chengdu (China)")
    for name, city_zone, spoken in PARTNERS[1:]:
        await sb.command(
            coordinator,
            "exchange city add",
            city=name,
            zone=city_zone,
            languages=spoken,
            exchange=network,
        )
    story.note("The same city twice is refused, in any case or letters:")
    await sb.command(
        coordinator,
        "exchange city add",
        city="KUMASI",
        zone="Africa/Accra",
        languages="en",
        exchange=network,
    )

    story.section("Winston-Salem is the hub: its students are paired with each partner city's")
    await sb.command(
        coordinator, "exchange policy", policy="hub", hub="Winston-Salem", exchange=network
    )
    await sb.command(coordinator, "exchange info", exchange=network)

    story.section("The teachers' class lists, imported at once")
    rows = ["user,city,grade_band,languages"]
    for name, home, spoken, band in CLASS:
        member = sb.add_member(name, roles=[run.roles["student"]])
        run.students[name] = member
        rows.append(f'{member.user.id},{home},{band},"{spoken}"')
    from bot.sandbox.driver import Upload

    await sb.command(
        coordinator,
        "roster import",
        file=Upload("network-class.csv", ("\n".join(rows) + "\n").encode()),
        exchange=network,
    )

    story.section("Pairs across the network: each with a Winston-Salem student")
    await sb.command(coordinator, "pair preview", exchange=network)
    await sb.command(coordinator, "pair confirm", exchange=network)

    # Issue 18, part B: a round of the chess league between the network's cities, after the
    # pairs and before the report (so the report counts its games).
    await league_round(run, network)

    story.section("The network's report: each city, and each hub–partner partnership")
    await sb.command(coordinator, "report exchange", exchange=network)
