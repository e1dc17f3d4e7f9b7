"""Parsers for single cells. Each takes the trimmed text and returns a clean value, or raises
``ValueError`` with a sentence a school administrator can act on."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from chaperone.people.models import Channel, SocialCareStatus
from chaperone.people.upn import upn_problem
from chaperone.tenancy.roles import Role

TRUE_WORDS = frozenset({"y", "yes", "true", "t", "1", "x"})
FALSE_WORDS = frozenset({"", "n", "no", "false", "f", "0", "-"})


def parse_bool(raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"Expected Y or N (or leave blank for N), not {raw!r}.")


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+Z?)?$")


def parse_date(raw: str) -> dt.date:
    """dd/mm/yyyy (also with - or .) or ISO yyyy-mm-dd; a two-digit year is refused."""
    text = raw.strip()
    if m := _ISO.match(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
    else:
        raise ValueError(f"Enter a date as dd/mm/yyyy or yyyy-mm-dd, not {raw!r}.")
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"{raw!r} is not a real date.") from exc


def parse_optional_date(raw: str) -> dt.date | None:
    return parse_date(raw) if raw.strip() else None


_YEAR_WORDS = {
    "r": 0,
    "rec": 0,
    "reception": 0,
    "yr": 0,
    "year r": 0,
    "fs2": 0,
    "n": -1,
    "nursery": -1,
    "n1": -1,
    "n2": -1,
    "fs1": -1,
    "year n": -1,
}
_YEAR = re.compile(r"^(?:year|yr|y|nc\s*year|nc)?\s*(-?\d{1,2})$")


def parse_year_group(raw: str) -> int:
    """'R'/'Reception' = 0, 'N'/'Nursery' = -1, '7'/'Year 7'/'Y7' = 7 (Nursery to Year 14)."""
    word = re.sub(r"\s+", " ", raw.strip().lower())
    if not word:
        raise ValueError("Enter the year group, for example 7, Year 7, R or N.")
    if word in _YEAR_WORDS:
        return _YEAR_WORDS[word]
    m = _YEAR.match(word)
    if m is None:
        raise ValueError(f"{raw!r} is not a year group: use a number, 'R' or 'N'.")
    year = int(m.group(1))
    if not -1 <= year <= 14:
        raise ValueError(f"Year {year} is outside Nursery to Year 14.")
    return year


def parse_upn(raw: str) -> str:
    if not raw.strip():
        raise ValueError("Enter the UPN.")
    problem = upn_problem(raw)
    if problem is not None:
        raise ValueError(problem)
    return raw.strip().upper()


def parse_phone(raw: str) -> str:
    """A UK or international number in E.164 form, or '' for a blank cell."""
    if not raw.strip():
        return ""
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{raw!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_email(raw: str) -> str:
    text = raw.strip()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError as exc:
        raise ValueError(f"{raw!r} is not a valid email address.") from exc
    return text.lower()


_SEN = {
    "e": "E",
    "ehcp": "E",
    "ehc plan": "E",
    "statement": "E",
    "s": "E",
    "k": "K",
    "sen support": "K",
    "support": "K",
    "n": "N",
    "none": "N",
    "no": "N",
    "": "N",
}


def parse_sen_status(raw: str) -> str:
    """E (EHCP), K (SEN support) or N (none)."""
    code = _SEN.get(raw.strip().lower())
    if code is None:
        raise ValueError(f"SEN status must be E (EHCP), K (SEN support) or N (none), not {raw!r}.")
    return code


_SOCIAL_CARE = {
    "": SocialCareStatus.NONE,
    "n": SocialCareStatus.NONE,
    "none": SocialCareStatus.NONE,
    "no": SocialCareStatus.NONE,
    "cin": SocialCareStatus.CIN,
    "child in need": SocialCareStatus.CIN,
    "cp": SocialCareStatus.CP,
    "cpp": SocialCareStatus.CP,
    "child protection": SocialCareStatus.CP,
    "child protection plan": SocialCareStatus.CP,
    "cp plan": SocialCareStatus.CP,
}


def parse_social_care(raw: str) -> str:
    status = _SOCIAL_CARE.get(raw.strip().lower())
    if status is None:
        raise ValueError(f"Expected CIN, CP or blank, not {raw!r}.")
    return str(status)


_CHANNELS = {
    "email": Channel.EMAIL,
    "e-mail": Channel.EMAIL,
    "e": Channel.EMAIL,
    "sms": Channel.SMS,
    "text": Channel.SMS,
    "text message": Channel.SMS,
    "phone": Channel.PHONE,
    "call": Channel.PHONE,
    "telephone": Channel.PHONE,
    "phone call": Channel.PHONE,
}


def parse_channel(raw: str) -> str:
    """email, sms or phone (blank means email)."""
    if not raw.strip():
        return str(Channel.EMAIL)
    channel = _CHANNELS.get(raw.strip().lower())
    if channel is None:
        raise ValueError(f"Preferred channel must be email, sms or phone, not {raw!r}.")
    return str(channel)


def _role_aliases() -> dict[str, str]:
    aliases = {str(r.value).replace("_", " "): str(r.value) for r in Role}
    aliases |= {str(r.label).lower(): str(r.value) for r in Role}
    aliases |= {
        "head": Role.HEADTEACHER,
        "head teacher": Role.HEADTEACHER,
        "principal": Role.HEADTEACHER,
        "executive head": Role.HEADTEACHER,
        "headmaster": Role.HEADTEACHER,
        "headmistress": Role.HEADTEACHER,
        "dsp": Role.DSL,
        "designated safeguarding person": Role.DSL,
        "designated safeguarding lead": Role.DSL,
        "ddsl": Role.DEPUTY_DSL,
        "deputy dsl": Role.DEPUTY_DSL,
        "deputy dsp": Role.DEPUTY_DSL,
        "deputy designated safeguarding lead": Role.DEPUTY_DSL,
        "senior leadership": Role.SLT,
        "deputy head": Role.SLT,
        "deputy headteacher": Role.SLT,
        "assistant head": Role.SLT,
        "assistant headteacher": Role.SLT,
        "vice principal": Role.SLT,
        "class teacher": Role.TEACHER,
        "form tutor": Role.TUTOR,
        "hoy": Role.HEAD_OF_YEAR,
        "head of year": Role.HEAD_OF_YEAR,
        "head of house": Role.HOUSEMASTER,
        "housemistress": Role.HOUSEMASTER,
        "hm": Role.HOUSEMASTER,
        "senco": Role.SEN_STAFF,
        "sendco": Role.SEN_STAFF,
        "sen": Role.SEN_STAFF,
        "ta": Role.SUPPORT_STAFF,
        "teaching assistant": Role.SUPPORT_STAFF,
        "admin": Role.SCHOOL_ADMIN,
        "school admin": Role.SCHOOL_ADMIN,
        "office": Role.SCHOOL_ADMIN,
        "office manager": Role.SCHOOL_ADMIN,
        "counselor": Role.COUNSELLOR,
    }
    return {k: str(v) for k, v in aliases.items()}


ROLE_ALIASES = _role_aliases()
_ROLE_SPLIT = re.compile(r"\s*[;,|/]\s*")


def parse_roles(raw: str) -> tuple[str, ...]:
    """'Teacher; Tutor' -> ('teacher', 'tutor'); sorted, without repeats."""
    roles: set[str] = set()
    for part in _ROLE_SPLIT.split(raw.strip()):
        word = re.sub(r"\s+", " ", part.strip().lower())
        if not word:
            continue
        role = ROLE_ALIASES.get(word)
        if role is None:
            raise ValueError(
                f"{part!r} is not a role we know. Use roles such as Teacher, Tutor, DSL, "
                "Deputy DSL, Head, SLT, HOY, SENCO, Counsellor, Support staff, School admin."
            )
        if role == Role.TRUST_ADMIN:
            raise ValueError(
                "Trust administrators are granted on the Roles screen by a trust "
                "administrator, never by import."
            )
        roles.add(role)
    return tuple(sorted(roles))


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def parse_postcode(raw: str) -> str:
    """A UK postcode in upper case with one space ('sw1a1aa' -> 'SW1A 1AA'); blank is allowed."""
    text = re.sub(r"\s+", "", raw.strip().upper())
    if not text:
        return ""
    m = _POSTCODE.match(text)
    if m is None:
        raise ValueError(f"{raw!r} is not a UK postcode.")
    return f"{m.group(1)} {m.group(2)}"


def parse_priority(raw: str) -> int | None:
    """1 is the first contact; blank means 'in the order of the file'."""
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 99:
        raise ValueError(f"Priority must be a whole number from 1 to 99, not {raw!r}.")
    return int(text)
