"""Unique pupil numbers (UPN): DfE's 13-character format with a check letter.

Layout: check letter, LA code (3 digits), establishment (4), year allocated (2), serial (3: digits,
or two digits and a letter for a temporary UPN). The check letter is the remainder of the weighted
sum (weights 2..13 on characters 2..13) modulo 23, as one of the 23 letters without I, O and S.
"""

from __future__ import annotations

import re

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_SHAPE = re.compile(r"^[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]$")


def _value(ch: str) -> int:
    return int(ch) if ch.isdigit() else CHECK_LETTERS.index(ch)


def check_letter(body: str) -> str:
    """The check letter for the last 12 characters of a UPN."""
    total = sum(_value(ch) * weight for weight, ch in enumerate(body, start=2))
    return CHECK_LETTERS[total % 23]


def upn_problem(raw: str) -> str | None:
    """None if ``raw`` is a valid UPN, else a sentence saying what is wrong."""
    upn = raw.strip().upper()
    if len(upn) != 13:
        return f"A UPN has 13 characters; this one has {len(upn)}."
    if not _SHAPE.match(upn):
        return "A UPN is a letter, eleven digits, then a digit or letter (not I, O or S)."
    if check_letter(upn[1:]) != upn[0]:
        return f"The check letter does not match: expected {check_letter(upn[1:])}."
    return None


def make_upn(la_code: str, establishment: str, year: int, serial: int) -> str:
    body = f"{la_code:0>3}{establishment:0>4}{year % 100:02d}{serial % 1000:03d}"
    return check_letter(body) + body
