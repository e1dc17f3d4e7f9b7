"""A small trust for welfare calls: two schools, a DSL, a qualified SEN caller and an unqualified
teacher at the first school, a pastoral lead at the second, and families of every tier (one with
children at both schools)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from chaperone.people.actors import actor_for_user
from chaperone.people.models import Household, Pupil, SocialCareStatus, StaffMember
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.roles import Role
from chaperone.welfare.models import CallerAvailability
from tests.factories import (
    ContactFactory,
    HouseholdFactory,
    PupilFactory,
    SchoolFactory,
    TrustFactory,
    make_staff,
)

#: a Monday, and the two school weeks from it
MONDAY = dt.date(2027, 1, 4)
FRIDAY_WEEK_2 = dt.date(2027, 1, 15)


@dataclass
class Closure:
    trust: Trust
    school: School
    other: School
    dsl: StaffMember
    sen: StaffMember
    teacher: StaffMember
    pastoral: StaffMember
    #: the trust's administrator plans the trust-wide rota
    admin: StaffMember
    families: dict[str, Household] = field(default_factory=dict)
    pupils: dict[str, Pupil] = field(default_factory=dict)

    def actor(self, staff: StaffMember) -> Actor:
        assert staff.user is not None
        return actor_for_user(staff.user)


def available(staff: StaffMember, calls: int = 4, days: str = "mon,tue,wed,thu,fri") -> None:
    CallerAvailability.objects.create(
        staff=staff, days=days, calls_per_day=calls, school_phone="0161 000 0000 ext 12"
    )


@pytest.fixture
def closure(db) -> Closure:  # type: ignore[no-untyped-def]
    trust = TrustFactory(name="Harbour Trust", slug="harbour")
    school = SchoolFactory(trust=trust, name="Harbour Primary", urn="131001")
    other = SchoolFactory(trust=trust, name="Harbour Academy", urn="131002")
    dsl = make_staff(school, Role.DSL, first_name="Dana", last_name="Lead")
    sen = make_staff(school, Role.SEN_STAFF, first_name="Sam", last_name="Sen")
    teacher = make_staff(school, Role.TEACHER, first_name="Tom", last_name="Teacher")
    pastoral = make_staff(other, Role.PASTORAL_LEAD, first_name="Pia", last_name="Pastoral")
    for caller in (sen, teacher, pastoral):
        available(caller)
    admin = make_staff(None, Role.TRUST_ADMIN, trust=trust, first_name="Ada", last_name="Admin")
    c = Closure(trust, school, other, dsl, sen, teacher, pastoral, admin)
    specs = [
        ("cp", school, {"social_care_status": SocialCareStatus.CP, "is_vulnerable": True}),
        ("cin", school, {"social_care_status": SocialCareStatus.CIN, "is_vulnerable": True}),
        ("ehcp", school, {"has_ehcp": True}),
        ("plain1", school, {}),
        ("plain2", school, {}),
    ]
    for name, at, flags in specs:
        household = HouseholdFactory(trust=trust, name=f"{name.upper()} family")
        ContactFactory(household=household, phone="+447700900" + str(100 + len(c.families)))
        c.families[name] = household
        c.pupils[name] = PupilFactory(school=at, household=household, first_name=name, **flags)
    # siblings at the two schools: one household
    siblings = HouseholdFactory(trust=trust, name="Sibling family")
    ContactFactory(household=siblings, phone="+447700900999")
    c.families["siblings"] = siblings
    c.pupils["sib_a"] = PupilFactory(school=school, household=siblings, first_name="Sib")
    c.pupils["sib_b"] = PupilFactory(
        school=other, household=siblings, first_name="Sob", is_vulnerable=True
    )
    return c
