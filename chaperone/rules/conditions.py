"""The condition language of protocol rules, and its compilation into predicate closures.

A rule has up to three condition tables, each a TOML inline table of *named conditions*:

``when``     the rule applies only if **all** its conditions hold (empty: always applies);
``unless``   the rule is waived if **any** of its conditions holds;
``require``  the rule is met if **all** its conditions hold; if it has none, an applicable,
             unwaived rule always fires (use that for prohibitions and checklist reminders).

Each condition name is one field of :class:`Conditions`; unknown names are rejected at load time.
Conditions are compiled once, when the protocol is loaded (:mod:`chaperone.rules.atoms` and
:mod:`chaperone.rules.compiled`), so deciding a request does no parsing or validation.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt

from .vocab import (
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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

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
