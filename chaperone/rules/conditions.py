"""The condition language of protocol rules, and its compilation into predicate closures.

A rule has up to three condition tables, each a TOML inline table of *named conditions*:

``when``     the rule applies only if **all** its conditions hold (empty: always applies);
``unless``   the rule is waived if **any** of its conditions holds;
``require``  the rule is met if **all** its conditions hold; if it has none, an applicable,
             unwaived rule always fires (use that for prohibitions and checklist reminders).

Each condition name is one field of :class:`Conditions`; unknown names are rejected at load time.
Conditions are compiled once, when the protocol is loaded (see the second half of this module and
:mod:`chaperone.rules.compiled`), so deciding a request does no parsing or validation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

from .request import ContactRequest
from .vocab import (
    CONSENT_RANK,
    WEEKDAYS,
    Consent,
    Holder,
    Kind,
    Platform,
    PupilLocation,
    Purpose,
    Role,
    StaffLocation,
    Weekday,
)

if TYPE_CHECKING:
    from .protocol import Window


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


T = TypeVar("T")

#: A list of values; a single bare value is accepted and treated as a one-item list.
OneOrMore = Annotated[list[T], BeforeValidator(_as_list), Field(min_length=1)]


class Conditions(BaseModel):
    """Named conditions on a request. Every field is optional; only the ones given are checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Request fields compared with a list of allowed values.
    kind: OneOrMore[Kind] | None = Field(None, description="The kind of contact is one of these.")
    purpose: OneOrMore[Purpose] | None = Field(None, description="The purpose is one of these.")
    platform: OneOrMore[Platform] | None = Field(None, description="The platform is one of these.")
    account: OneOrMore[Holder] | None = Field(None, description="Whose account hosts the call.")
    device: OneOrMore[Holder] | None = Field(None, description="Whose device staff use.")
    staff_location: OneOrMore[StaffLocation] | None = Field(None, description="Where staff are.")
    pupil_location: OneOrMore[PupilLocation] | None = Field(None, description="Where the pupil is.")
    parental_consent: OneOrMore[Consent] | None = Field(
        None, description="The consent given is exactly one of these."
    )
    # Request flags compared with true or false.
    parent_present: StrictBool | None = Field(None, description="A parent stays in the room.")
    chaperone_present: StrictBool | None = Field(
        None, description="Another adult at home has shown themselves on camera and agreed."
    )
    pupil_home_alone: StrictBool | None = Field(None, description="No adult at the pupil's home.")
    second_staff_invited: StrictBool | None = Field(None, description="A second staff is invited.")
    dsl_invited: StrictBool | None = Field(None, description="DSL or SLT invited to the call.")
    recording: StrictBool | None = Field(None, description="The school records the call.")
    slt_approved: StrictBool | None = Field(None, description="SLT approved (or was told).")
    risk_assessed: StrictBool | None = Field(None, description="A risk assessment exists.")
    on_dsl_timetable: StrictBool | None = Field(None, description="On the DSL/SLT timetable.")
    linked_to_plan: StrictBool | None = Field(
        None, description="Outcome tied to the pastoral/EHC plan."
    )
    waiting_room: StrictBool | None = Field(None, description="The meeting has a waiting room.")
    parents_informed: StrictBool | None = Field(None, description="Parents had written notice.")
    emergency: StrictBool | None = Field(None, description="Staff are off site in an emergency.")
    # Derived conditions, defined once here so every protocol means the same thing by them.
    second_adult: StrictBool | None = Field(
        None,
        description="A second adult takes part: a parent in the room, a second staff member "
        "invited, or two or more staff on the call.",
    )
    home_adult: StrictBool | None = Field(
        None, description="An adult is at the pupil's home: a parent in the room or a chaperone."
    )
    platform_approved: StrictBool | None = Field(
        None, description="The platform is on the protocol's list of approved platforms."
    )
    staff_role: OneOrMore[Role] | None = Field(
        None, description="At least one member of staff on the call has one of these roles."
    )
    second_staff_role: OneOrMore[Role] | None = Field(
        None,
        description="A second staff member with one of these roles takes part: invited "
        "(second_staff_invited with second_staff_role) or listed in staff beside another.",
    )
    consent_at_least: Consent | None = Field(
        None, description="Parental consent is at least this strong (none < implied < written)."
    )
    within_window: OneOrMore[str] | None = Field(
        None,
        description="The whole call, start to end, lies inside one of these named windows "
        "(protocol time zone, same day, allowed weekday).",
    )
    weekday: OneOrMore[Weekday] | None = Field(
        None, description="The call starts on one of these days (protocol time zone)."
    )
    youngest_under: StrictInt | None = Field(
        None, ge=1, le=25, description="At least one pupil is younger than this many years."
    )
    any_pupil_vulnerable: StrictBool | None = Field(
        None, description="At least one pupil is flagged vulnerable."
    )
    any_pupil_has_ehcp: StrictBool | None = Field(
        None, description="At least one pupil has an EHC plan."
    )
    pupils_at_least: StrictInt | None = Field(
        None, ge=1, description="The call has at least this many pupils."
    )

    def given(self) -> dict[str, Any]:
        """The conditions actually written, in declaration order."""
        return self.model_dump(exclude_none=True)


# --- compilation ---------------------------------------------------------------------------
#
# Every distinct condition in a protocol becomes one *atom*, a bit in an integer. Each atom is a
# predicate over one *source*: a request field (whose closed vocabulary lets the engine tabulate
# the bits of every possible value at load time), or a derived key (the staff on the call, a
# summary of the pupils, the call's local timing) looked up in a small cache. Deciding a request
# is then a few table lookups ORed together; each rule is three bit masks.

Key = Any
KeyFn = Callable[[ContactRequest], Key]
Predicate = Callable[[Key], bool]

#: Conditions that compare one request field with a list of values.
_ONE_OF = frozenset(
    {"kind", "purpose", "platform", "account", "device", "staff_location"}
    | {"pupil_location", "parental_consent"}
)
#: Conditions that compare one boolean request field with true/false.
_FLAGS = frozenset(
    {"parent_present", "chaperone_present", "pupil_home_alone", "second_staff_invited"}
    | {"dsl_invited", "recording", "slt_approved", "risk_assessed", "on_dsl_timetable"}
    | {"linked_to_plan", "waiting_room", "parents_informed", "emergency"}
)
#: The source each derived condition reads.
_DERIVED_SOURCE = {
    "platform_approved": "platform",
    "consent_at_least": "parental_consent",
    "second_adult": "second_adult",
    "home_adult": "home_adult",
    "staff_role": "staff",
    "second_staff_role": "staff",
    "youngest_under": "pupils",
    "pupils_at_least": "pupils",
    "any_pupil_vulnerable": "pupils",
    "any_pupil_has_ehcp": "pupils",
    "weekday": "time",
    "within_window": "time",
}


def source_of(name: str) -> str:
    return name if name in _ONE_OF or name in _FLAGS else _DERIVED_SOURCE[name]


def second_adult(r: ContactRequest) -> bool:
    """A parent in the room, a second staff member invited, or two or more staff on the call."""
    return r.parent_present or r.second_staff_invited or len(r.staff) > 1


def home_adult(r: ContactRequest) -> bool:
    """A parent in the room or a chaperone at the pupil's home."""
    return r.parent_present or r.chaperone_present


def _staff_key(r: ContactRequest) -> Key:
    """(sorted roles on the call, role of the invited second staff member or None)."""
    invited = r.second_staff_role if r.second_staff_invited else None
    staff = r.staff
    if len(staff) == 1:
        return ((staff[0].role,), invited)
    return (tuple(sorted([s.role for s in staff])), invited)


def _pupils_key(r: ContactRequest) -> Key:
    """(youngest age, number of pupils, any vulnerable, any with an EHC plan)."""
    pupils = r.pupils
    if len(pupils) == 1:
        p = pupils[0]
        return (p.age, 1, p.vulnerable, p.has_ehcp)
    return (
        min([p.age for p in pupils]),
        len(pupils),
        any(p.vulnerable for p in pupils),
        any(p.has_ehcp for p in pupils),
    )


_DAY = 86_400
_BUCKET = 900  # time-zone offsets are looked up per quarter hour of UTC time


def time_key_fn(tz: ZoneInfo) -> KeyFn:
    """Key of the call's local timing: (weekday 0-6, start second, end second, same day).

    Local times come from the zone's UTC offset at the start and at the end of the call, so a call
    spanning a summer-time change is judged correctly. Offsets are memoised per quarter hour of
    UTC time, and only where the offset is the same at both ends of the quarter hour.
    """
    offsets: dict[int, int] = {}

    def offset(ts: int) -> int:
        bucket = ts // _BUCKET
        found = offsets.get(bucket)
        if found is not None:
            return found
        first = _utcoffset(tz, bucket * _BUCKET)
        if first == _utcoffset(tz, bucket * _BUCKET + _BUCKET - 1):
            if len(offsets) < 1 << 16:
                offsets[bucket] = first
            return first
        return _utcoffset(tz, ts)

    def key(r: ContactRequest) -> Key:
        start = int(r.at.timestamp())
        end = start + r.duration_minutes * 60
        local_start = start + offset(start)
        local_end = end + offset(end)
        day = local_start // _DAY
        return (
            (day + 3) % 7,  # 1970-01-01 was a Thursday; Monday is 0
            local_start - day * _DAY,
            local_end % _DAY,
            local_end // _DAY == day,
        )

    return key


def _utcoffset(tz: ZoneInfo, ts: int) -> int:
    delta = datetime.fromtimestamp(ts, tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


_DERIVED_KEYS: dict[str, KeyFn] = {
    "second_adult": second_adult,
    "home_adult": home_adult,
    "staff": _staff_key,
    "pupils": _pupils_key,
}


def key_fn(source: str, tz: ZoneInfo) -> KeyFn:
    """The key function of a source: a request field, or a derived key (see :func:`source_of`)."""
    if source == "time":
        return time_key_fn(tz)
    return _DERIVED_KEYS.get(source) or attrgetter(source)


class CompiledWindow:
    """A named window as seconds of the day and a set of weekday numbers (Monday = 0)."""

    __slots__ = ("days", "end_s", "start_s")

    def __init__(self, start_s: int, end_s: int, days: frozenset[int]) -> None:
        self.start_s = start_s
        self.end_s = end_s
        self.days = days

    def contains(self, key: Key) -> bool:
        weekday, start_s, end_s, same_day = key
        return bool(
            same_day and weekday in self.days and self.start_s <= start_s and end_s <= self.end_s
        )


def _seconds(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def compile_windows(windows: Mapping[str, Window]) -> dict[str, CompiledWindow]:
    """A protocol's named windows, compiled for :meth:`CompiledWindow.contains`."""
    return {
        name: CompiledWindow(
            _seconds(w.start), _seconds(w.end), frozenset(WEEKDAYS.index(d) for d in w.days)
        )
        for name, w in windows.items()
    }


def atom_predicate(
    name: str, value: Any, windows: Mapping[str, CompiledWindow], approved: frozenset[str]
) -> Predicate:
    """The predicate of condition ``name = value`` over its source's key."""
    if name in _FLAGS or name in ("second_adult", "home_adult"):
        expected = bool(value)
        return lambda k: bool(k) is expected
    if name in _ONE_OF:
        allowed = frozenset(value)
        return lambda k: k in allowed
    if name == "platform_approved":
        expected = bool(value)
        return lambda k: (k in approved) is expected
    if name == "consent_at_least":
        rank = CONSENT_RANK[value]
        return lambda k: CONSENT_RANK[k] >= rank
    if name == "staff_role":
        roles = frozenset(value)
        return lambda k: not roles.isdisjoint(k[0])
    if name == "second_staff_role":
        roles = frozenset(value)
        return lambda k: k[1] in roles or (len(k[0]) >= 2 and not roles.isdisjoint(k[0]))
    if name == "youngest_under":
        limit = int(value)
        return lambda k: k[0] < limit
    if name == "pupils_at_least":
        least = int(value)
        return lambda k: k[1] >= least
    if name in ("any_pupil_vulnerable", "any_pupil_has_ehcp"):
        index, expected = (2 if name == "any_pupil_vulnerable" else 3), bool(value)
        return lambda k: k[index] is expected
    if name == "weekday":
        days = frozenset(WEEKDAYS.index(d) for d in value)
        return lambda k: k[0] in days
    if name == "within_window":
        spans = tuple(windows[w] for w in value)
        return lambda k: any(w.contains(k) for w in spans)
    raise KeyError(name)  # pragma: no cover - Conditions forbids unknown names


def atom_id(name: str, value: Any) -> tuple[str, Any]:
    """A hashable identity for a condition, so equal conditions share one bit."""
    return (name, tuple(value) if isinstance(value, list) else value)
