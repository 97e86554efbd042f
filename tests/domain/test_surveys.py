"""Survey rules: items, answers, the template, and results that never show a small group."""

from __future__ import annotations

import pytest

from bot.domain.surveys import (
    MAX_ITEMS,
    MIN_GROUP,
    TEMPLATE,
    Answer,
    Item,
    ItemKind,
    Phase,
    SurveyError,
    SurveyKind,
    check_item_count,
    figure_rows,
    new_item,
    parse_answer,
    results,
    template_items,
    text_columns,
    text_rows,
)
from bot.i18n import available_languages, lookup


def test_the_template_is_four_or_five_scale_statements_in_every_language() -> None:
    items = template_items()
    assert 4 <= len(items) <= 5
    assert all(i.kind is ItemKind.SCALE and i.builtin for i in items)
    assert [i.position for i in items] == list(range(1, len(items) + 1))
    assert len(available_languages()) == 5
    for language in available_languages():
        texts = [lookup(i.text, language) for i in items]
        assert all(texts), f"{language} lacks a template statement"
        for point in range(1, 6):
            assert lookup(f"survey.scale.{point}", language)
    assert len(TEMPLATE) == len(items)


@pytest.mark.parametrize("count", [0, MAX_ITEMS + 1, 50])
def test_a_survey_with_no_items_or_too_many_is_refused_naming_the_limit(count: int) -> None:
    with pytest.raises(SurveyError) as refused:
        check_item_count(count)
    assert refused.value.params["limit"] == MAX_ITEMS
    check_item_count(1)
    check_item_count(MAX_ITEMS)


def test_a_choice_takes_two_to_ten_short_different_options() -> None:
    item = new_item(ItemKind.CHOICE, "Best way to talk?", "text; voice ; video")
    assert item.choices == ("text", "voice", "video")
    for bad, key in (
        ("only one", "survey.error.choice_count"),
        (";".join(str(n) for n in range(11)), "survey.error.choice_count"),
        ("a;" + "x" * 81, "survey.error.choice_too_long"),
        ("Same; same", "survey.error.choice_twice"),
    ):
        with pytest.raises(SurveyError) as refused:
            new_item(ItemKind.CHOICE, "Q", bad)
        assert refused.value.key == key
    with pytest.raises(SurveyError):
        new_item(ItemKind.SCALE, "   ")
    with pytest.raises(SurveyError):
        new_item(ItemKind.TEXT, "Q", "a;b")


def test_answers_are_a_point_an_option_or_a_short_text() -> None:
    scale = Item(ItemKind.SCALE, "s")
    assert parse_answer(scale, "4") == (4, None)
    for bad in ("0", "6", "x"):
        with pytest.raises(SurveyError):
            parse_answer(scale, bad)
    choice = Item(ItemKind.CHOICE, "c", ("a", "b"))
    assert parse_answer(choice, "2") == (2, None)
    with pytest.raises(SurveyError):
        parse_answer(choice, "3")
    text = Item(ItemKind.TEXT, "t")
    assert parse_answer(text, "  hello ") == (None, "hello")
    with pytest.raises(SurveyError) as refused:
        parse_answer(text, "x" * 301)
    assert refused.value.params["limit"] == 300


def _answers(item: Item, city: int, values: list[int]) -> list[Answer]:
    return [Answer(item.id, city, v, None, f"S{n}") for n, v in enumerate(values)]


def test_results_put_pre_beside_post_per_city_and_hide_groups_under_five() -> None:
    pre_item = Item(ItemKind.SCALE, "survey.template.curious", builtin=True, position=1, id=1)
    post_item = Item(ItemKind.SCALE, "survey.template.curious", builtin=True, position=1, id=9)
    pre = Phase(SurveyKind.PRE, [pre_item], _answers(pre_item, 10, [2, 3, 3, 4, 3]))
    post = Phase(
        SurveyKind.POST,
        [post_item],
        _answers(post_item, 10, [4, 5, 4, 4, 3, 5]) + _answers(post_item, 20, [1, 5]),
    )
    rows = results([post_item], [10, 20], [pre, post], named=False)
    first, second = rows
    assert [c.phase for c in first.cells] == [SurveyKind.PRE, SurveyKind.POST]
    before, after = first.cells
    assert before.figure.respondents == 5 and before.figure.mean == pytest.approx(3.0)
    assert before.figure.counts == (0, 1, 3, 1, 0)
    assert after.figure.mean == pytest.approx(25 / 6)
    # Two students in the second city: a count of respondents, never a figure.
    small = second.cells[1].figure
    assert small.respondents == 2 and not small.shown
    assert small.mean is None and small.counts == ()
    assert second.cells[0].figure.respondents == 0
    lines = figure_rows(rows, str, lambda i: i.text)
    hidden = next(r for r in lines if r["city"] == "20" and r["phase"] == "post")
    assert hidden["shown"] is False and hidden["mean"] == "" and hidden["count_1"] == ""


def test_free_text_is_anonymous_sorted_and_hidden_in_small_groups_unless_named() -> None:
    item = Item(ItemKind.TEXT, "Why?", position=2, id=5)
    many = [Answer(5, 1, None, f"answer {c}", f"Name{c}") for c in "edcba"]
    few = [Answer(5, 2, None, "mine", "Ali")]
    phase = Phase(SurveyKind.SINGLE, [item], many + few)
    rows = results([item], [1, 2], [phase], named=False)
    assert [text for _, text in rows[0].cells[0].texts] == [f"answer {c}" for c in "abcde"]
    assert all(name == "" for name, _ in rows[0].cells[0].texts)
    assert rows[1].cells[0].texts == ()
    assert "student" not in text_columns(False)
    assert all("student" not in r for r in text_rows(rows, str, str, named=False))
    named = results([item], [1, 2], [phase], named=True)
    assert named[1].cells[0].texts == (("Ali", "mine"),)
    assert text_rows(named, str, lambda i: i.text, named=True)[-1]["student"] == "Ali"
    assert MIN_GROUP == 5
