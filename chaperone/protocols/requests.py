"""The seam from the app's records to the engine's contact request.

The engine (:mod:`chaperone.rules`) speaks a closed vocabulary of its own; the app holds staff
roles (:class:`~chaperone.tenancy.roles.Role`) and pupil records. This module is the one place that
turns the one into the other: :data:`ENGINE_ROLE` maps every app role to an engine role,
:func:`pupil_facts` reads a pupil's flags and age (at the call date) from the record, and
:func:`contact_request_for` builds the contract's request from them. The try-it form, and later
the scheduling app, call it rather than writing request dictionaries by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chaperone.people.models import Pupil, SocialCareStatus
from chaperone.rules.vocab import ROLES
from chaperone.tenancy.roles import Role

#: Every app role, as the engine knows it. Choices:
#: - the headteacher is senior leadership (``slt``);
#: - a deputy DSL is trained to the DSL's level and acts for them, so is ``dsl``;
#: - the pastoral lead is the school's senior pastoral leader, the role protocols name
#:   ``senior_deputy_head_pastoral`` (the second pastoral colleague some protocols require);
#: - administrators (school or trust) hold no teaching or pastoral role: ``support_staff``, the
#:   role protocols grant least, so a contact by them is never judged more leniently than it is.
ENGINE_ROLE: Mapping[str, str] = {
    Role.HEADTEACHER: "slt",
    Role.DSL: "dsl",
    Role.DEPUTY_DSL: "dsl",
    Role.SLT: "slt",
    Role.TEACHER: "teacher",
    Role.TUTOR: "tutor",
    Role.HEAD_OF_YEAR: "head_of_year",
    Role.HOUSEMASTER: "housemaster",
    Role.PASTORAL_LEAD: "senior_deputy_head_pastoral",
    Role.COUNSELLOR: "counsellor",
    Role.SEN_STAFF: "sen_staff",
    Role.SUPPORT_STAFF: "support_staff",
    Role.SCHOOL_ADMIN: "support_staff",
    Role.CHAIR_OF_GOVERNORS: "support_staff",
    Role.TRUST_ADMIN: "support_staff",
}

#: How many pupils each kind of contact has at most (``None``: no limit).
MAX_PUPILS: Mapping[str, int | None] = {"group": None, "one_to_one": 1, "phone_call": 1}


def engine_role(role: str) -> str:
    """The engine's role for an app role (``KeyError`` for a value that is neither)."""
    if role in ENGINE_ROLE:
        return ENGINE_ROLE[role]
    raise KeyError(role)


assert set(ENGINE_ROLE.values()) <= set(ROLES), "ENGINE_ROLE names a role the engine lacks"


def primary_role(roles: Iterable[str]) -> str:
    """The role a member of staff acts in on a call: the first of their roles at the school in
    the order the app lists roles (a teacher who is also head of year counts as the teacher)."""
    held = set(roles)
    for role in Role:
        if role in held:
            return role.value
    raise ValueError("The member of staff holds no role at this school.")


@dataclass(frozen=True)
class PupilFacts:
    """What the engine is told about one pupil."""

    age: int
    vulnerable: bool = False
    has_ehcp: bool = False

    def as_request(self) -> dict[str, Any]:
        return {"age": self.age, "vulnerable": self.vulnerable, "has_ehcp": self.has_ehcp}


def age_on(date_of_birth: date, day: date) -> int:
    """Completed years of age on ``day``."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


def pupil_facts(pupil: Pupil, on: date) -> PupilFacts:
    """A pupil's facts from the record: age on the call date; vulnerable when flagged so, on a
    child protection plan, a child in need or looked after; an EHC plan. (SEN support without a
    plan is not a condition protocols use.)"""
    vulnerable = (
        pupil.is_vulnerable
        or pupil.is_looked_after
        or pupil.social_care_status in (SocialCareStatus.CP, SocialCareStatus.CIN)
    )
    return PupilFacts(
        age=age_on(pupil.date_of_birth, on), vulnerable=vulnerable, has_ehcp=pupil.has_ehcp
    )


def contact_request_for(
    *,
    staff: Sequence[str],
    pupils: Sequence[Pupil | PupilFacts],
    at: datetime,
    kind: str,
    purpose: str,
    platform: str,
    second_staff_role: str | None = None,
    **details: Any,
) -> dict[str, Any]:
    """The engine's request (the contract's JSON object) for a planned contact.

    ``staff`` are the app roles of the staff on the call; ``pupils`` are records (their facts are
    read at the date of ``at``) or facts already known; ``second_staff_role`` is the app role of
    an invited colleague. ``details`` are the request's other fields (``duration_minutes``,
    ``recording``, ``parental_consent`` ...), passed through for the engine to check.
    """
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    facts = [p if isinstance(p, PupilFacts) else pupil_facts(p, at.date()) for p in pupils]
    return {
        "at": at.isoformat(),
        "kind": kind,
        "purpose": purpose,
        "platform": platform,
        "staff": [{"role": engine_role(role)} for role in staff],
        "pupils": [f.as_request() for f in facts],
        "second_staff_invited": second_staff_role is not None,
        "second_staff_role": engine_role(second_staff_role) if second_staff_role else None,
        **details,
    }
