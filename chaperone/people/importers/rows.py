"""One pydantic model per kind of row. Field names are the column keys of
:mod:`~chaperone.people.importers.columns`, so an error names exactly one column of the file.

A model is given only the columns the file has: an optional field left at ``None`` means "the
file has no such column", which the planners read as "leave the stored value as it is".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils import timezone
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from chaperone.people.importers import values as v


def _text(max_length: int, *, required: str = "") -> BeforeValidator:
    def check(raw: Any) -> str:
        text = " ".join(str(raw).split())
        if required and not text:
            raise ValueError(required)
        if len(text) > max_length:
            raise ValueError(f"Longer than {max_length} characters.")
        return text

    return BeforeValidator(check)


def _address(raw: Any) -> str:
    lines = [" ".join(part.split()) for part in str(raw).replace(",", "\n").splitlines()]
    text = "\n".join(line for line in lines if line)
    if len(text) > 500:
        raise ValueError("Longer than 500 characters.")
    return text


def _date_of_birth(raw: str) -> dt.date:
    if not raw.strip():
        raise ValueError("Enter the date of birth.")
    born = v.parse_date(raw)
    if born > timezone.localdate():
        raise ValueError("The date of birth is in the future.")
    if born.year < 1990:
        raise ValueError("The date of birth is too long ago for a pupil.")
    return born


Name = Annotated[str, _text(100, required="Enter a name.")]
Bool = Annotated[bool | None, BeforeValidator(v.parse_bool)]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PupilRow(_Row):
    upn: Annotated[str, BeforeValidator(v.parse_upn)]
    last_name: Name
    first_name: Name
    preferred_name: Annotated[str | None, _text(100)] = None
    date_of_birth: Annotated[dt.date, BeforeValidator(_date_of_birth)]
    year_group: Annotated[int, BeforeValidator(v.parse_year_group)]
    sen_status: Annotated[str | None, BeforeValidator(v.parse_sen_status)] = None
    ehcp: Bool = None
    social_care: Annotated[str | None, BeforeValidator(v.parse_social_care)] = None
    cin: Bool = None
    cp: Bool = None
    lac: Bool = None
    vulnerable: Bool = None
    household_ref: Annotated[str | None, _text(40)] = None


class StaffRow(_Row):
    staff_ref: Annotated[str, _text(40, required="Enter the staff ID.")]
    title: Annotated[str | None, _text(20)] = None
    first_name: Name
    last_name: Name
    email: Annotated[str | None, BeforeValidator(v.parse_email)] = None
    phone: Annotated[str | None, BeforeValidator(v.parse_phone)] = None
    roles: Annotated[tuple[str, ...] | None, BeforeValidator(v.parse_roles)] = None
    dbs_checked_on: Annotated[dt.date | None, BeforeValidator(v.parse_optional_date)] = None


class ContactRow(_Row):
    household_ref: Annotated[str, _text(40, required="Enter the household reference.")]
    household_name: Annotated[str | None, _text(200)] = None
    address: Annotated[str | None, BeforeValidator(_address)] = None
    address_1: Annotated[str | None, _text(200)] = None
    address_2: Annotated[str | None, _text(200)] = None
    address_3: Annotated[str | None, _text(200)] = None
    town: Annotated[str | None, _text(100)] = None
    county: Annotated[str | None, _text(100)] = None
    postcode: Annotated[str | None, BeforeValidator(v.parse_postcode)] = None
    first_name: Name
    last_name: Name
    relationship: Annotated[str | None, _text(40)] = None
    parental_responsibility: Bool = None
    email: Annotated[str | None, BeforeValidator(v.parse_email)] = None
    phone: Annotated[str | None, BeforeValidator(v.parse_phone)] = None
    preferred_channel: Annotated[str | None, BeforeValidator(v.parse_channel)] = None
    language: Annotated[str | None, _text(40)] = None
    priority: Annotated[int | None, BeforeValidator(v.parse_priority)] = None


ROW_MODELS: dict[str, type[_Row]] = {
    "pupils": PupilRow,
    "staff": StaffRow,
    "households": ContactRow,
}


def error_messages(exc: ValidationError) -> list[tuple[str, str]]:
    """(column key, message) for each problem pydantic found."""
    found: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        key = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "value_error" and "error" in err.get("ctx", {}):
            message = str(err["ctx"]["error"])
        else:
            message = err["msg"]
        found.append((key, message))
    return found
