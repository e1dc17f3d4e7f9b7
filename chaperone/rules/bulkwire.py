"""Reading ``--jsonl`` lines with msgspec alone: the structs and checks of the bulk path.

Split from :mod:`.wire` so that ``chaperone check --jsonl`` decides every line msgspec reads
without importing pydantic (it is imported only for a line msgspec cannot read with
certainty). :func:`bulk_request` accepts exactly the texts :func:`.wire.wire_request` accepts;
``tests/rules/test_wire.py`` holds both to pydantic's reading.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta, Struct

from .vocab import Consent, Holder, Kind, Platform, PupilLocation, Purpose, Role, StaffLocation

#: Entries kept per dictionary; beyond it, new values are computed every time but not kept.
_MAX_KEPT = 1 << 15


class WireStaff(Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    role: Role


class BulkPupil(Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    """:class:`WirePupil` with the model's defaults in place of ``UNSET``."""

    age: Annotated[int, Meta(ge=2, le=25)]
    vulnerable: bool = False
    has_ehcp: bool = False


class BulkRequest(Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    """:class:`WireRequest` with the model's defaults in place of ``UNSET``: for ``--jsonl``.

    The engine reads it as it reads a :class:`~.request.ContactRequest` (the same attribute
    names and values), once :func:`bulk_request` has put the instant it denotes in ``at``: as
    a POSIX timestamp, which is all the engine reads from a start (cheaper than a datetime).
    """

    at: Any  # the text on the wire; its POSIX timestamp (an int) once checked
    duration_minutes: Annotated[int, Meta(ge=1, le=480)] = 30
    kind: Kind
    purpose: Purpose
    platform: Platform
    account: Holder = "school"
    device: Holder = "school"
    staff_location: StaffLocation = "on_site"
    emergency: bool = False
    staff: Annotated[list[WireStaff], Meta(min_length=1)]
    pupils: Annotated[list[BulkPupil], Meta(min_length=1)]
    parent_present: bool = False
    chaperone_present: bool = False
    pupil_home_alone: bool = False
    second_staff_invited: bool = False
    second_staff_role: Role | None = None
    dsl_invited: bool = False
    recording: bool = False
    parental_consent: Consent = "none"
    slt_approved: bool = False
    risk_assessed: bool = False
    on_dsl_timetable: bool = False
    linked_to_plan: bool = False
    waiting_room: bool = False
    pupil_location: PupilLocation = "common_room"
    parents_informed: bool = False


_decode_bulk = msgspec.json.Decoder(BulkRequest).decode

#: ``YYYY-MM-DDTHH:MM:SS`` then ``Z`` or ``±HH:MM``: a subset of what pydantic reads, with
#: years 1000-2999 and offsets under 20 hours, far from any edge of ``datetime``.
_AT = re.compile(
    r"[12][0-9]{3}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]"
    r"(?:Z|[+-][01][0-9]:[0-5][0-9])"
)
_naive = datetime.fromisoformat

_ORDINAL_1970 = 719_163  # date(1970, 1, 1).toordinal()
_DATE = re.compile(r"[12][0-9]{3}-[01][0-9]-[0-3][0-9]").fullmatch
_CLOCK = re.compile(r"[0-2][0-9]:[0-5][0-9]:[0-5][0-9]").fullmatch
_TAIL = re.compile(r"Z|[+-][01][0-9]:[0-5][0-9]").fullmatch

# A start is read in three parts, each remembered (valid ones only) by its text: the date (days
# since 1970), the time of day (seconds) and the offset (seconds east of UTC). A year of starts
# has a few hundred dates and a few thousand times of day, so the parts are soon all known,
# while whole starts seldom repeat.
_days: dict[str, int] = {}
_clocks: dict[str, int] = {}
_offsets: dict[str, int] = {}


def _day(text: str) -> int | None:
    if _DATE(text) is None:
        return None
    try:  # (the form is checked; the calendar is not: 2026-02-30 is refused here)
        found = _naive(text + "T00:00:00").toordinal() - _ORDINAL_1970
    except ValueError:
        return None
    if len(_days) < _MAX_KEPT:
        _days[text] = found
    return found


def _clock(text: str) -> int | None:
    if _CLOCK(text) is None:
        return None
    hours = int(text[:2])
    if hours > 23:  # (what fromisoformat refuses of what the form allows)
        return None
    found = hours * 3600 + int(text[3:5]) * 60 + int(text[6:8])
    if len(_clocks) < _MAX_KEPT:
        _clocks[text] = found
    return found


def _offset(text: str) -> int | None:
    if _TAIL(text) is None:
        return None
    found = 0 if text == "Z" else int(text[1:3]) * 3600 + int(text[4:6]) * 60
    if text[0] == "-":
        found = -found
    _offsets[text] = found  # (at most 2 * 20 * 60 + 1 of them)
    return found


def posix_of(text: str) -> int | None:
    """The POSIX timestamp of the start :func:`start_of` reads from ``text``, or None.

    ``text`` must match :data:`_AT` and ``datetime.fromisoformat`` must read its first 19
    characters: as the pattern has a fixed width, that is its date, ``T``, time of day and
    offset each matching their part of it, and a real date and an hour below 24.
    """
    date, clock, tail = text[:10], text[11:19], text[19:]
    day = _days.get(date)
    if day is None:
        day = _day(date)
        if day is None:
            return None
    seconds = _clocks.get(clock)
    if seconds is None:
        seconds = _clock(clock)
        if seconds is None:
            return None
    offset = _offsets.get(tail)
    if offset is None:
        offset = _offset(tail)
        if offset is None:
            return None
    if text[10:11] != "T":
        return None
    return day * 86_400 + seconds - offset


def bulk_request(data: bytes | memoryview) -> BulkRequest | None:
    """The request of JSON text ``data`` as a :class:`BulkRequest` the engine can decide, or None.

    Accepts exactly the texts :func:`wire_request` accepts, with the same values: where it
    answers None, pydantic reads the text (and decides it, or names the error).
    """
    try:
        wire = _decode_bulk(data)
    except ValueError:
        return None
    text = wire.at
    if type(text) is not str:
        return None
    # posix_of(text), its commonest case written out: every part of the start already known.
    day, seconds, offset = _day_of(text[:10]), _clock_of(text[11:19]), _offset_of(text[19:])
    if day is None or seconds is None or offset is None or text[10:11] != "T":
        at = posix_of(text)
        if at is None:
            return None
    else:
        at = day * 86_400 + seconds - offset
    if wire.kind == "one_to_one" and len(wire.pupils) > 1:
        return None
    if wire.pupil_home_alone and wire.parent_present:
        return None
    wire.at = at
    return wire


_day_of, _clock_of, _offset_of = _days.get, _clocks.get, _offsets.get
