"""Helpers shared by the import tests (this module holds no tests)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from chaperone.people.importers.columns import HOUSEHOLD_HEADER
from chaperone.people.upn import make_upn

PUPIL_HEADER = (
    "UPN",
    "Legal Surname",
    "Legal Forename",
    "Preferred Forename",
    "DOB",
    "Year",
    "SEN Status",
    "CP",
    "CIN",
    "LAC",
    "Vulnerable",
    "Family ID",
)


def upn(serial: int) -> str:
    return make_upn("873", "2001", 21, serial)


def to_csv(
    header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


def pupil_rows() -> list[list[object]]:
    return [
        [upn(1), "Okafor", "Chidi", "", "03/09/2015", "Year 5", "N", "", "", "", "", "F001"],
        [upn(2), "Okafor", "Ada", "Addie", "2018-01-20", "R", "K", "", "Y", "", "", "F001"],
        [upn(3), "Smith", "Jo", "", "11/11/2012", "8", "E", "Y", "", "N", "", "F002"],
        [upn(4), "Brown", "Sam", "", "01/02/2020", "N", "", "", "", "Y", "Y", ""],
    ]


def pupils_csv(
    rows: list[list[object]] | None = None,
    header: Sequence[str] = PUPIL_HEADER,
    encoding: str = "utf-8",
) -> bytes:
    return to_csv(header, pupil_rows() if rows is None else rows, encoding)


STAFF_HEADER = ("Staff ID", "Title", "Forename", "Surname", "Email", "Mobile", "Roles", "DBS Date")


def staff_rows() -> list[list[object]]:
    return [
        [
            "T001",
            "Ms",
            "Ruth",
            "Adeyemi",
            "R.Adeyemi@School.example.org",
            "07911 123456",
            "Teacher; Tutor",
            "01/09/2023",
        ],
        ["T002", "Mr", "Ken", "Lowe", "k.lowe@school.example.org", "", "HOY", "2022-03-04"],
        ["T003", "", "Priya", "Shah", "", "020 7946 0000", "SENCO", ""],
    ]


def staff_csv(rows: list[list[object]] | None = None) -> bytes:
    return to_csv(STAFF_HEADER, staff_rows() if rows is None else rows)


def household_rows() -> list[list[object]]:
    return [
        [
            "F001",
            "Okafor family",
            "1 High Street, Leeds",
            "ls1 4ap",
            "Ngozi",
            "Okafor",
            "Mother",
            "Y",
            "ngozi@example.org",
            "07911 123456",
            "email",
            "English",
            "1",
        ],
        [
            "F001",
            "Okafor family",
            "1 High Street, Leeds",
            "LS1 4AP",
            "Emeka",
            "Okafor",
            "Father",
            "Y",
            "",
            "07912 345678",
            "text",
            "Igbo",
            "2",
        ],
        [
            "F002",
            "",
            "",
            "",
            "Alex",
            "Smith",
            "Carer",
            "N",
            "alex@example.org",
            "",
            "phone",
            "",
            "",
        ],
    ]


def households_csv(rows: list[list[object]] | None = None) -> bytes:
    return to_csv(HOUSEHOLD_HEADER, household_rows() if rows is None else rows)
