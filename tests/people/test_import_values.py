"""Cell parsers, header mapping and decoding of the MIS import (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaperone.people.importers.columns import COLUMNS_BY_KIND, PUPIL_COLUMNS, squash
from chaperone.people.importers.reading import FileProblem, decode, map_headers, read_rows
from chaperone.people.importers.values import (
    parse_bool,
    parse_channel,
    parse_date,
    parse_phone,
    parse_postcode,
    parse_roles,
    parse_sen_status,
    parse_upn,
    parse_year_group,
)
from chaperone.people.upn import make_upn

DOCS = Path(__file__).resolve().parents[2] / "docs" / "imports.md"


@pytest.mark.parametrize(
    ("raw", "year"),
    [
        ("R", 0),
        ("Reception", 0),
        ("rec", 0),
        ("YR", 0),
        ("N", -1),
        ("Nursery", -1),
        ("N2", -1),
        ("Year 7", 7),
        ("7", 7),
        ("07", 7),
        ("Y7", 7),
        ("yr 11", 11),
        ("Year  13", 13),
        ("14", 14),
        ("NC Year 3", 3),
    ],
)
def test_year_groups(raw: str, year: int) -> None:
    assert parse_year_group(raw) == year


@pytest.mark.parametrize("raw", ["", "15", "Year -2", "Lower sixth", "7a"])
def test_bad_year_groups(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_year_group(raw)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_dates_in_both_spellings_read_back(day: dt.date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day}.{day.month}.{day.year:04d}") == day


@pytest.mark.parametrize("raw", ["03/09/15", "2015/09/03", "31/02/2015", "09-2015", "tomorrow"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)


def test_iso_datetime_is_read_as_its_date() -> None:
    assert parse_date("2016-05-01T00:00:00") == dt.date(2016, 5, 1)


@given(st.integers(0, 999), st.integers(0, 9999), st.integers(0, 99), st.integers(0, 999))
def test_every_made_upn_is_accepted_and_a_wrong_letter_is_not(la, est, year, serial) -> None:  # type: ignore[no-untyped-def]
    good = make_upn(f"{la:03d}", f"{est:04d}", year, serial)
    assert parse_upn(f" {good.lower()} ") == good
    wrong = ("B" if good[0] != "B" else "C") + good[1:]
    with pytest.raises(ValueError, match="check letter"):
        parse_upn(wrong)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07912 345678", "+447912345678"),
        ("+44 7912 345678", "+447912345678"),
        ("020 7946 0000", "+442079460000"),
        ("(0121) 496 0000", "+441214960000"),
        ("+33 1 42 68 53 00", "+33142685300"),
        ("", ""),
    ],
)
def test_phones_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert parse_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "phone me", "07700 900123", "+44 20 7946"])
def test_bad_phones(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_phone(raw)


def test_roles_aliases() -> None:
    assert parse_roles("Teacher; Tutor") == ("teacher", "tutor")
    assert parse_roles("DSL, Deputy DSL") == ("deputy_dsl", "dsl")
    assert parse_roles("Head | HOY / SENCO") == ("head_of_year", "headteacher", "sen_staff")
    assert parse_roles("Designated Safeguarding Lead;designated safeguarding lead") == ("dsl",)
    assert parse_roles("School administrator") == ("school_admin",)
    assert parse_roles("") == ()


def test_small_parsers() -> None:
    assert [parse_bool(x) for x in ("Y", "yes", "TRUE", "1", "x")] == [True] * 5
    assert [parse_bool(x) for x in ("", "N", "no", "0", "-")] == [False] * 5
    assert [parse_sen_status(x) for x in ("E", "k", "N", "", "SEN Support")] == list("EKNNK")
    assert [parse_channel(x) for x in ("", "Email", "Text", "SMS", "Phone call")] == [
        "email",
        "email",
        "sms",
        "sms",
        "phone",
    ]
    assert parse_postcode(" sw1a1aa ") == "SW1A 1AA"
    assert parse_postcode("LS1 4AP") == "LS1 4AP"
    assert parse_postcode("") == ""


def test_headers_are_compared_loosely_and_the_first_alias_wins() -> None:
    headers = ["Surname", "Legal Surname", "legal_forename", "D.O.B.", "NC Year", "UPN", "Reg"]
    indexes, written, ignored = map_headers(headers, PUPIL_COLUMNS)
    assert indexes["last_name"] == 1
    assert written["date_of_birth"] == "D.O.B."
    assert set(ignored) == {"Surname", "Reg"}
    assert squash("\ufeffDate of Birth ") == "dateofbirth"


def test_decoding() -> None:
    assert decode("Zoë".encode("utf-8-sig")) == ("Zoë", "utf-8")
    assert decode("Zoë".encode("cp1252")) == ("Zoë", "cp1252")
    assert decode("Zoë".encode("utf-16")) == ("Zoë", "utf-16")
    with pytest.raises(FileProblem, match="Excel"):
        decode(b"\xd0\xcf\x11\xe0rest")


def test_line_numbers_count_physical_lines() -> None:
    data = (
        b"UPN,Surname,Forename,DOB,Year\r\n"
        b"\r\n"
        b'A,"Two\r\nlines",B,01/01/2016,3\r\n'
        b"C,D,E,01/01/2016,3\r\n"
    )
    rows = list(read_rows(data, PUPIL_COLUMNS).rows)
    assert [r.line for r in rows] == [3, 5]
    assert rows[0].values["last_name"] == "Two\r\nlines"


def test_the_docs_list_every_accepted_header() -> None:
    text = DOCS.read_text()
    missing = [
        f"{kind}: {alias}"
        for kind, columns in COLUMNS_BY_KIND.items()
        for column in columns
        for alias in column.aliases
        if alias not in text
    ]
    assert missing == []
