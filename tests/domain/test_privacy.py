"""Scrubbing a person out of text: the whole id, whole-word names, nothing else."""

import pytest

from bot.domain.exchange import ProfileError
from bot.domain.privacy import ERASED, mentions, replace_id, replace_names, scrub
from bot.domain.safety import MAX_DETAILS, REASONS, clean_details, message_link, parse_reason

USER = 1234567890123456789


def test_the_id_is_replaced_only_as_a_whole_number() -> None:
    """A longer number that contains the digits is someone else's and stays."""
    text = f'{{"subject_id": {USER}, "other": "{USER}5", "s": "{USER}"}}'
    assert (
        replace_id(text, USER, -42) == '{"subject_id": -42, "other": "' + f'{USER}5", "s": "-42"}}'
    )


def test_names_are_replaced_as_whole_words_in_any_case() -> None:
    """'Ali' goes; 'Alice' and 'Salim' stay."""
    assert replace_names("ali met Alice and Salim; ALI left", ["Ali"]) == (
        f"{ERASED} met Alice and Salim; {ERASED} left"
    )


def test_longer_names_go_first() -> None:
    """The full name is replaced as one, not as a first name plus a leftover surname."""
    assert replace_names("Zainab Haddad wrote", ["Zainab", "Zainab Haddad"]) == f"{ERASED} wrote"


def test_one_letter_names_are_left_alone() -> None:
    assert replace_names("a b c", ["a"]) == "a b c"


def test_mentions_finds_the_id_or_a_name() -> None:
    assert mentions(f"x {USER} y", USER)
    assert mentions("hello Zainab", USER, ["Zainab"])
    assert not mentions(f"{USER}0", USER, ["Zainab"])


def test_scrub_does_both() -> None:
    assert scrub(f"Zainab {USER}", USER, -7, ["Zainab"]) == f"{ERASED} -7"


def test_only_known_reasons_are_accepted() -> None:
    assert parse_reason(REASONS[0]) == REASONS[0]
    with pytest.raises(ProfileError):
        parse_reason("bogus")


def test_details_are_trimmed_and_limited() -> None:
    """Arabic and emoji count as characters; one over the limit is refused."""
    assert clean_details("  قال كلمة سيئة 😢  ") == "قال كلمة سيئة 😢"
    assert clean_details("") == ""
    with pytest.raises(ProfileError) as caught:
        clean_details("x" * (MAX_DETAILS + 1))
    assert caught.value.key == "error.too_long"


def test_message_links_open_in_discord() -> None:
    assert message_link(1, 2, 3) == "https://discord.com/channels/1/2/3"
    assert message_link(1, 2) == "https://discord.com/channels/1/2"
