"""The attendance chart is a real PNG of a fixed size, whatever the data."""

from __future__ import annotations

import io
import struct
import warnings
from datetime import UTC, datetime, timedelta

from PIL import Image

from bot.domain.report_chart import HEIGHT_PX, WIDTH_PX, attendance_chart, isolate
from bot.domain.reporting import Attendance, CityRef, SessionSlot, Student, attendance

MPLS, NAJAF = CityRef(1, "Minneapolis"), CityRef(2, "Najaf")


def report(sessions: int, cities: tuple[CityRef, ...] = (MPLS, NAJAF)) -> Attendance:
    start = datetime(2026, 10, 6, 20, tzinfo=UTC)
    slots = [
        SessionSlot(
            n, "Monthly", start + timedelta(weeks=n), start + timedelta(weeks=n, hours=1), "done"
        )
        for n in range(sessions)
    ]
    students = [Student(10, "Ben", 1), Student(20, "Ali", 2)]
    came = {
        (s.occurrence_id, p.id)
        for s in slots
        for p in students
        if (s.occurrence_id + p.id) % 3 != 0
    }
    return attendance(list(cities), slots, students, came)


def ihdr_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (the first chunk after the signature)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_the_chart_is_a_1200_by_600_png() -> None:
    """The IHDR says 1200×600 and Pillow decodes the whole image."""
    png = attendance_chart(report(3), "Minneapolis–Najaf · 2026-09-17 → 2026-12-15")
    assert ihdr_size(png) == (WIDTH_PX, HEIGHT_PX) == (1200, 600)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (1200, 600)


def test_a_teachers_chart_has_one_city_and_the_same_size() -> None:
    """One city's bars only (a teacher's own city)."""
    png = attendance_chart(report(3, (MPLS,)), "Minneapolis–Najaf · Minneapolis")
    assert ihdr_size(png) == (1200, 600)


def test_two_years_of_weekly_sessions_still_fit() -> None:
    """A hundred sessions: every n-th date is written, the size does not change."""
    assert ihdr_size(attendance_chart(report(100), "A long exchange")) == (1200, 600)


def test_the_chart_shows_the_bars_in_the_cities_colours() -> None:
    """Both cities' colours appear in the picture (the bars were drawn)."""
    image = Image.open(io.BytesIO(attendance_chart(report(3), "x"))).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=1_000_000) or []}
    assert (0x2A, 0x6F, 0x97) in colours and (0xE0, 0x7A, 0x1F) in colours


NAJAF_AR = CityRef(2, "النجف")


def drawn_glyphs(text: str) -> list[str]:
    """The glyphs matplotlib lays out for `text`, left to right as drawn (spaces left out).

    `FT2Font._layout` is matplotlib's own text layout (libraqm, since 3.11), the one the
    chart goes through; it is private, so a matplotlib that changes it fails here, loudly.
    """
    from matplotlib.font_manager import FontProperties, findfont, get_font
    from matplotlib.ft2font import LoadFlags

    font = get_font(findfont(FontProperties(family="DejaVu Sans")))
    items = font._layout(text, LoadFlags.NO_HINTING)
    return [n for n in (font.get_glyph_name(i.glyph_index) for i in items) if n != "space"]


JOINED_NAJAF = ["uniFED2", "uniFEA0", "uniFEE8", "uniFEDF", "uni0627"]  # ف ج ن ل ا as drawn
RATE = ["parenleft", "six", "seven", "percent", "parenright"]


def test_an_arabic_city_name_is_joined_and_its_rate_stays_after_it() -> None:
    """The legend's "النجف (67%)": letters in their joined forms, right to left, and the
    rate after the name as in every other city's label. Without the isolate, Unicode's
    rules pull the rate into the name's direction: ")%67( النجف"."""
    assert drawn_glyphs(f"{isolate('النجف')} (67%)") == JOINED_NAJAF + RATE
    assert drawn_glyphs("النجف (67%)") != JOINED_NAJAF + RATE


def test_a_chart_with_arabic_names_has_every_glyph() -> None:
    """The shaped letters exist in the chart's font: no box drawn for a missing glyph."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = attendance_chart(report(3, (MPLS, NAJAF_AR)), "مينيابوليس–النجف · النجف")
    assert ihdr_size(png) == (1200, 600)
    assert [str(w.message) for w in caught if "missing from" in str(w.message)] == []
