"""The condition language of protocol rules, and its compilation into predicate closures.

A rule has up to three condition tables, each a TOML inline table of *named conditions*:

``when``     the rule applies only if **all** its conditions hold (empty: always applies);
``unless``   the rule is waived if **any** of its conditions holds;
``require``  the rule is met if **all** its conditions hold; if it has none, an applicable,
             unwaived rule always fires (use that for prohibitions and checklist reminders).

Each condition name is one field of :class:`Conditions`; unknown names are rejected at load time.
Conditions are compiled once, when the protocol is loaded, into closures over :class:`Facts`, the
flat per-request view the engine builds, so deciding a request does no parsing or validation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from operator import attrgetter
from typing import Annotated, Any, TypeVar
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


CONDITION_NAMES: tuple[str, ...] = tuple(Conditions.model_fields)


class Facts:
    """A flat, precomputed view of one request as one protocol sees it (time zone, platforms)."""

    __slots__ = (
        "account",
        "any_pupil_has_ehcp",
        "any_pupil_vulnerable",
        "chaperone_present",
        "consent_rank",
        "device",
        "dsl_invited",
        "emergency",
        "end_s",
        "home_adult",
        "kind",
        "linked_to_plan",
        "on_dsl_timetable",
        "parent_present",
        "parental_consent",
        "parents_informed",
        "platform",
        "platform_approved",
        "pupil_count",
        "pupil_home_alone",
        "pupil_location",
        "purpose",
        "recording",
        "risk_assessed",
        "same_day",
        "second_adult",
        "second_staff_invited",
        "second_staff_role",
        "slt_approved",
        "staff_count",
        "staff_location",
        "staff_roles",
        "start_s",
        "waiting_room",
        "weekday",
        "youngest",
    )

    def __init__(self, r: ContactRequest, tz: ZoneInfo, approved: frozenset[str]) -> None:
        self.kind = r.kind
        self.purpose = r.purpose
        self.platform = r.platform
        self.platform_approved = r.platform in approved
        self.account = r.account
        self.device = r.device
        self.staff_location = r.staff_location
        self.emergency = r.emergency
        self.pupil_location = r.pupil_location
        self.parental_consent = r.parental_consent
        self.consent_rank = CONSENT_RANK[r.parental_consent]
        self.parent_present = r.parent_present
        self.chaperone_present = r.chaperone_present
        self.pupil_home_alone = r.pupil_home_alone
        self.second_staff_invited = r.second_staff_invited
        self.second_staff_role = r.second_staff_role if r.second_staff_invited else None
        self.dsl_invited = r.dsl_invited
        self.recording = r.recording
        self.slt_approved = r.slt_approved
        self.risk_assessed = r.risk_assessed
        self.on_dsl_timetable = r.on_dsl_timetable
        self.linked_to_plan = r.linked_to_plan
        self.waiting_room = r.waiting_room
        self.parents_informed = r.parents_informed
        self.staff_roles = frozenset(s.role for s in r.staff)
        self.staff_count = len(r.staff)
        self.second_adult = r.parent_present or r.second_staff_invited or self.staff_count >= 2
        self.home_adult = r.parent_present or r.chaperone_present
        pupils = r.pupils
        self.pupil_count = len(pupils)
        self.youngest = min(p.age for p in pupils)
        self.any_pupil_vulnerable = any(p.vulnerable for p in pupils)
        self.any_pupil_has_ehcp = any(p.has_ehcp for p in pupils)
        start = r.at.astimezone(tz)
        end = (r.at + timedelta(minutes=r.duration_minutes)).astimezone(tz)
        self.weekday = WEEKDAYS[start.weekday()]
        self.start_s = start.hour * 3600 + start.minute * 60 + start.second
        self.end_s = end.hour * 3600 + end.minute * 60 + end.second
        self.same_day = start.date() == end.date()


Check = Callable[[Facts], bool]


class CompiledWindow:
    """A named window as seconds of the day and a set of weekdays."""

    __slots__ = ("days", "end_s", "start_s")

    def __init__(self, start_s: int, end_s: int, days: frozenset[str]) -> None:
        self.start_s = start_s
        self.end_s = end_s
        self.days = days

    def contains(self, f: Facts) -> bool:
        return (
            f.same_day
            and f.weekday in self.days
            and self.start_s <= f.start_s
            and f.end_s <= self.end_s
        )


_ONE_OF = frozenset(
    {"kind", "purpose", "platform", "account", "device", "staff_location"}
    | {"pupil_location", "parental_consent", "weekday"}
)
_BOOLEAN = frozenset(
    {"parent_present", "chaperone_present", "pupil_home_alone", "second_staff_invited"}
    | {"dsl_invited", "recording", "slt_approved", "risk_assessed", "on_dsl_timetable"}
    | {"linked_to_plan", "waiting_room", "parents_informed", "emergency", "second_adult"}
    | {"home_adult", "platform_approved", "any_pupil_vulnerable", "any_pupil_has_ehcp"}
)


def compile_condition(name: str, value: Any, windows: Mapping[str, CompiledWindow]) -> Check:
    """One named condition as a closure ``Facts -> bool``."""
    if name in _BOOLEAN:
        get = attrgetter(name)
        expected = bool(value)
        return lambda f: get(f) is expected
    if name in _ONE_OF:
        get = attrgetter(name)
        allowed = frozenset(value)
        return lambda f: get(f) in allowed
    if name == "staff_role":
        roles = frozenset(value)
        return lambda f: not roles.isdisjoint(f.staff_roles)
    if name == "second_staff_role":
        roles = frozenset(value)
        return lambda f: (
            f.second_staff_role in roles
            or (f.staff_count >= 2 and not roles.isdisjoint(f.staff_roles))
        )
    if name == "consent_at_least":
        rank = CONSENT_RANK[value]
        return lambda f: f.consent_rank >= rank
    if name == "within_window":
        spans = tuple(windows[w] for w in value)
        if len(spans) == 1:
            return spans[0].contains
        return lambda f: any(w.contains(f) for w in spans)
    if name == "youngest_under":
        limit = int(value)
        return lambda f: f.youngest < limit
    if name == "pupils_at_least":
        least = int(value)
        return lambda f: f.pupil_count >= least
    raise KeyError(name)  # pragma: no cover - Conditions forbids unknown names


def compile_table(table: Conditions, windows: Mapping[str, CompiledWindow]) -> tuple[Check, ...]:
    return tuple(compile_condition(k, v, windows) for k, v in table.given().items())
