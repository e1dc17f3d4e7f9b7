"""A school with its whole cast for the concerns tests: DSL, deputy, headteacher, chair of
governors, a teacher and a tutor, and two pupils (another school's pupil too)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chaperone.people.actors import actor_for_user
from chaperone.people.models import Pupil, StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff


@dataclass
class Cast:
    school: School
    other_school: School
    dsl: StaffMember
    deputy: StaffMember
    head: StaffMember
    chair: StaffMember
    teacher: StaffMember
    tutor: StaffMember
    pupil: Pupil
    pupil2: Pupil
    outsider: Pupil

    def actor(self, staff: StaffMember) -> Actor:
        return actor_for_user(staff.user)


@pytest.fixture
def cast(db) -> Cast:  # type: ignore[no-untyped-def]
    trust = TrustFactory(name="Kestrel Trust", slug="kestrel")
    school = SchoolFactory(trust=trust, name="Kestrel Primary", urn="333331")
    other = SchoolFactory(trust=trust, name="Kestrel Juniors", urn="333332")

    def staff(role: str, first: str, last: str) -> StaffMember:
        return make_staff(
            school, role, first_name=first, last_name=last, email=f"{first.lower()}@example.org"
        )

    return Cast(
        school=school,
        other_school=other,
        dsl=staff(Role.DSL, "Dana", "Lead"),
        deputy=staff(Role.DEPUTY_DSL, "Dev", "Deputy"),
        head=staff(Role.HEADTEACHER, "Hana", "Head"),
        chair=staff(Role.CHAIR_OF_GOVERNORS, "Cyril", "Chair"),
        teacher=staff(Role.TEACHER, "Tess", "Teacher"),
        tutor=staff(Role.TUTOR, "Toby", "Tutor"),
        pupil=PupilFactory(school=school, first_name="Pip", last_name="Sparrow"),
        pupil2=PupilFactory(school=school, first_name="Rory", last_name="Wren"),
        outsider=PupilFactory(school=other, first_name="Olly", last_name="Finch"),
    )
