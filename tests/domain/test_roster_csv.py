"""Reading a teacher's roster CSV: each row on its own, problems with their line numbers."""

from __future__ import annotations

import pytest

from bot.domain import roster_csv
from bot.domain.exchange import City, ProfileError, parse_grade_band, split_interests

CITIES = (
    City(1, 0, "Minneapolis", "America/Chicago", ("en", "es"), frozenset({6, 7})),
    City(2, 1, "النجف", "Asia/Baghdad", ("ar",), frozenset({5, 6})),
)
BOT = ("en", "ar", "es")
HEADER = "user,city,grade_band,languages,interests,intro,language"


def parse(*rows: str, header: str = HEADER) -> roster_csv.CsvRoster:
    return roster_csv.parse("\n".join([header, *rows]) + "\n", CITIES, BOT)


def test_a_good_row_is_read_and_normalised() -> None:
    """Values are checked and put in their stored form."""
    found = parse('@Ali_H,النجف,13–15,"Arabic, en","Chess; music",Hello there,ar')
    assert found.problems == ()
    (row,) = found.rows
    assert row.line == 2
    assert (row.user, row.user_id, row.city_id, row.grade_band) == ("Ali_H", None, 2, "13-15")
    assert row.languages == ("ar", "en")
    assert row.interests == ("chess", "music")
    assert (row.intro, row.language) == ("Hello there", "ar")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("123456789012345678", "123456789012345678"), ("<@123456789012345678>", "123456789012345678")],
)
def test_a_user_id_or_mention_names_the_user_by_id(cell: str, expected: str) -> None:
    """Developer-mode IDs and pasted mentions both give a user id."""
    (row,) = parse(f"{cell},Minneapolis,13-15,en,,,").rows
    assert row.user == expected and row.user_id == int(expected)


def test_optional_columns_may_be_left_out() -> None:
    """Only user, city, grade band and languages are needed."""
    (row,) = parse("ben,minneapolis,16-18,en", header="user,city,grade_band,languages").rows
    assert (row.interests, row.intro, row.language) == ((), "", None)


@pytest.mark.parametrize(
    ("row", "key"),
    [
        (",Minneapolis,13-15,en,,,", "error.empty"),
        ("ben,Basra,13-15,en,,,", "error.unknown_city"),
        ("ben,Minneapolis,,en,,,", "error.empty"),
        ("ben,Minneapolis,grade 9,en,,,", "error.unknown_grade_band"),
        ("ben,Minneapolis,13-15,klingon,,,", "error.unknown_language"),
        ("ben,Minneapolis,13-15,,,,", "error.empty"),
        ("ben,Minneapolis,13-15,en,a;b;c;d;e;f;g;h;i,,", "error.too_many_interests"),
        ("ben,Minneapolis,13-15,en,," + "x" * 3000 + ",", "error.too_long"),
        ("ben,Minneapolis,13-15,en,,,fr", "error.unknown_bot_language"),
        ("ben,Minneapolis,13-15,en,,,,extra", "error.csv_extra_cells"),
    ],
)
def test_each_bad_row_is_reported_with_its_line_and_reason(row: str, key: str) -> None:
    """A bad row is not imported; the problem names line 3 (after a good line 2)."""
    found = parse("ok,Minneapolis,13-15,en,,,", row)
    assert [r.user for r in found.rows] == ["ok"]
    (problem,) = found.problems
    assert (problem.line, problem.key) == (3, key)


def test_a_3000_character_intro_names_its_length() -> None:
    """The reason says how long the intro is and what the limit is."""
    (problem,) = parse("ben,Minneapolis,13-15,en,," + "é" * 3000 + ",").problems
    assert problem.params == {"field": "intro", "limit": 500, "length": 3000}


def test_lines_count_from_the_file_even_with_quoted_line_breaks() -> None:
    """An intro spanning two lines shifts the following rows' line numbers, as in the file."""
    found = parse('ben,Minneapolis,13-15,en,,"Line one\nline two",', "", "x,Basra,13-15,en,,,")
    assert found.rows[0].intro == "Line one\nline two"
    assert [p.line for p in found.problems] == [5]


def test_the_same_student_twice_points_to_the_first_line() -> None:
    """A repeated user (any case, with or without @) is reported against its first line."""
    found = parse("ben,Minneapolis,13-15,en,,,", "@BEN,Minneapolis,13-15,en,,,")
    (problem,) = found.problems
    assert (problem.line, problem.key, problem.params) == (3, "error.csv_duplicate", {"first": 2})


def test_unknown_columns_are_ignored_and_named() -> None:
    """A teacher's extra column (notes) is not an error, but the reply names it."""
    found = parse("ben,Minneapolis,13-15,en,note", header="user,city,Grade Band,languages,Notes")
    assert len(found.rows) == 1
    assert found.ignored_columns == ("Notes",)


def test_missing_columns_refuse_the_whole_file() -> None:
    """Without the required columns nothing can be read; the error names what is missing."""
    with pytest.raises(roster_csv.CsvFileError) as caught:
        parse("Ben,Minneapolis", header="name,city")
    assert caught.value.params["missing"] == "`user`, `grade_band`, `languages`"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolons_and_tabs_are_understood(delimiter: str) -> None:
    """European Excel and copied spreadsheets separate cells differently."""
    text = delimiter.join(["user", "city", "grade_band", "languages"]) + "\n"
    text += delimiter.join(["ben", "Minneapolis", "13-15", "en"]) + "\n"
    assert len(roster_csv.parse(text, CITIES, BOT).rows) == 1


@pytest.mark.parametrize(
    "data",
    [
        "user,city\n".encode("utf-8-sig"),
        "user,city\n".encode("utf-16"),
        b"user,city\n",
    ],
)
def test_spreadsheet_encodings_are_read(data: bytes) -> None:
    """UTF-8 with or without a BOM, and UTF-16 with one."""
    assert roster_csv.decode(data) == "user,city\n"


def test_other_encodings_and_huge_files_are_refused() -> None:
    """Text that is not UTF-8 or UTF-16, or a file over 1 MB, is refused as a whole."""
    with pytest.raises(roster_csv.CsvFileError, match="csv_encoding"):
        roster_csv.decode("élève".encode("cp1252"))
    with pytest.raises(roster_csv.CsvFileError, match="csv_too_big"):
        roster_csv.decode(b"x" * (roster_csv.MAX_BYTES + 1))


def test_blank_lines_are_skipped() -> None:
    """Empty rows a spreadsheet leaves at the end are not problems."""
    found = parse("ben,Minneapolis,13-15,en,,,", "", ",,,,,,")
    assert len(found.rows) == 1 and found.problems == ()


def test_an_empty_file_is_refused() -> None:
    """Nothing to read is said as such."""
    with pytest.raises(roster_csv.CsvFileError, match="csv_empty"):
        roster_csv.parse("\ufeff  \n", CITIES, BOT)


@pytest.mark.parametrize("text", ["13-15", "13–15", "13 - 15", " 13—15 "])
def test_grade_bands_are_read_however_the_dash_is_typed(text: str) -> None:
    """Hyphen, en dash, em dash and spaces all mean the same band."""
    assert parse_grade_band(text) == "13-15"


def test_an_unknown_grade_band_lists_the_valid_ones() -> None:
    """A band outside GRADE_BANDS is refused with the choices."""
    with pytest.raises(ProfileError) as caught:
        parse_grade_band("9-11")
    assert caught.value.params == {"band": "9-11", "bands": "13-15, 16-18"}


def test_interests_split_into_listed_and_typed() -> None:
    """The profile panel shows listed interests in its menu and typed ones in the form."""
    assert split_interests(("chess", "falconry", "music")) == (["chess", "music"], ["falconry"])


def test_an_unterminated_quote_costs_its_row_only() -> None:
    """Before: the intro swallowed the next rows (a phone number among them) and was stored.
    Now the broken row is reported with its line and the rows after it are read as rows."""
    found = parse(
        'ali,النجف,13-15,ar,chess,"I like chess,ar',
        "ben,Minneapolis,13-15,en,music,call me on +1 555 0100,en",
        "cara,Minneapolis,16-18,en,,Hi,",
    )
    assert [(p.line, p.key) for p in found.problems] == [(2, "error.csv_unreadable")]
    assert [(r.line, r.user) for r in found.rows] == [(3, "ben"), (4, "cara")]
    assert all("\n" not in r.intro and "cara" not in r.intro for r in found.rows)


def test_a_quote_closed_rows_later_does_not_carry_them() -> None:
    """A quote that closes at the end of a later row: every line it took was a row."""
    found = parse(
        'ali,النجف,13-15,ar,chess,"I like chess',
        "ben,Minneapolis,13-15,en,music,call me on +1 555 0100,",
        'cara,Minneapolis,16-18,en,,Hi",en',
        "dan,Minneapolis,16-18,en,,Hello,en",
    )
    assert [p.line for p in found.problems] == [2]
    # Cara's row is read on its own; the stray quote stays in her intro, nothing more.
    assert [(r.user, r.intro) for r in found.rows] == [
        ("ben", "call me on +1 555 0100"),
        ("cara", 'Hi"'),
        ("dan", "Hello"),
    ]


def test_a_line_break_is_allowed_only_inside_an_introduction() -> None:
    """A user cell over two lines is a broken row; the line after it is read on its own."""
    found = parse('"ben\nbob",Minneapolis,13-15,en,,,', "cara,Minneapolis,16-18,en,,Hi,")
    assert [(p.line, p.key) for p in found.problems] == [(2, "error.csv_unreadable")]
    assert [r.user for r in found.rows] == ['bob"', "cara"]
    assert not any("\n" in r.user for r in found.rows)


def test_text_after_a_closing_quote_is_a_broken_row() -> None:
    found = parse('ben,Minneapolis,13-15,en,,"Hi" there,', "cara,Minneapolis,16-18,en,,Hi,")
    assert [(p.line, p.key) for p in found.problems] == [(2, "error.csv_unreadable")]
    assert [r.user for r in found.rows] == ["cara"]


@pytest.mark.parametrize("user", ["99999999999999999999", "18446744073709551616"])
def test_a_user_id_past_64_bits_is_a_problem_not_a_crash(user: str) -> None:
    found = parse(f"{user},Minneapolis,13-15,en,,,")
    assert [(p.line, p.key) for p in found.problems] == [(2, "error.bad_user_id")]


def test_ids_and_bands_in_other_scripts_digits_are_read() -> None:
    found = parse("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨,Minneapolis,١٣-١٥,en,,,")
    (row,) = found.rows
    assert (row.user_id, row.grade_band) == (123456789012345678, "13-15")


def test_a_city_with_an_invisible_character_is_the_city() -> None:
    (row,) = parse("ben,Minneapolis\u200b,13-15,en,,,").rows
    assert row.city_id == 1


# -- age and consent (issue 23) ---------------------------------------------------------------


def test_the_old_band_under_13_is_refused_with_the_minimum_age() -> None:
    """10-12 is below Discord's minimum age: refused with its own reason, not "unknown"."""
    with pytest.raises(ProfileError) as caught:
        parse_grade_band("10 – 12")
    assert caught.value.key == "error.grade_band_under_age"
    assert caught.value.params == {"band": "10-12", "age": 13, "bands": "13-15, 16-18"}


def test_a_row_with_the_old_band_is_a_problem_not_an_import() -> None:
    found = parse("ali,Minneapolis,10-12,en,,,")
    assert found.rows == ()
    (problem,) = found.problems
    assert (problem.line, problem.key) == (2, "error.grade_band_under_age")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("yes", True),
        ("Y", True),
        ("نعم", True),
        ("sí", True),
        ("no", False),
        ("0", False),
        ("", None),
    ],
)
def test_the_consent_column_reads_yes_no_or_nothing(cell: str, expected: bool | None) -> None:
    header = HEADER + ",consent"
    (row,) = parse(f"ali,Minneapolis,13-15,en,,,,{cell}", header=header).rows
    assert row.consent is expected


def test_a_file_without_a_consent_column_records_nothing() -> None:
    (row,) = parse("ali,Minneapolis,13-15,en,,,").rows
    assert row.consent is None


def test_an_unreadable_consent_cell_is_a_problem_with_the_value() -> None:
    found = parse("ali,Minneapolis,13-15,en,,,,maybe", header=HEADER + ",guardian consent")
    (problem,) = found.problems
    assert (problem.key, problem.params) == ("error.csv_consent", {"value": "maybe"})


def test_the_export_reads_back_through_the_import() -> None:
    """What /roster export writes, /roster import reads: same students, bands and consent."""
    text = roster_csv.export_csv(
        [
            roster_csv.ExportRow(123456789012345678, "Minneapolis", "13-15", ("en", "es"), True),
            roster_csv.ExportRow(223456789012345678, "النجف", "16-18", ("ar",), False),
        ]
    )
    rows = roster_csv.parse(text, CITIES, BOT).rows
    assert [(r.user_id, r.city_id, r.grade_band, r.languages, r.consent) for r in rows] == [
        (123456789012345678, 1, "13-15", ("en", "es"), True),
        (223456789012345678, 2, "16-18", ("ar",), False),
    ]
