"""Helpers for the parents' consent tests: a school whose protocol asks for written consent to a
pastoral one-to-one outside lunchtime (the HABS template), a pupil with three contacts."""

from __future__ import annotations

from dataclasses import dataclass

from chaperone.people.actors import actor_for_user
from chaperone.people.models import Contact, Pupil, StaffMember
from chaperone.protocols.demo import template_source
from chaperone.scheduling.parent_links import make_link_token
from chaperone.scheduling.services import PlanData
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.roles import Role
from tests.factories import ContactFactory, PupilFactory, make_staff
from tests.protocols.factories import trust_version
from tests.scheduling.conftest import next_weekday_at

CONSENT_RULES = 'require = { consent_at_least = "written" }'


@dataclass
class Family:
    school: School
    tutor: StaffMember
    head_of_year: StaffMember
    slt: StaffMember
    pupil: Pupil
    mother: Contact
    father: Contact
    grandparent: Contact

    def actor(self, staff: StaffMember) -> Actor:
        return actor_for_user(staff.user)


#: a school's own rule, so that recording a call changes what the protocol asks
RECORDED_NEEDS_SLT = """

[[rules]]
id = "recorded-needs-slt"
code = "SLT_APPROVAL_REQUIRED"
effect = "pending"
when = { recording = true }
require = { slt_approved = true }
text = "A recorded call is approved by a senior leader first."
remedy = "Ask a senior leader to approve it."
"""


def family(tenant, *, implied: bool = False) -> Family:  # type: ignore[no-untyped-def]
    """Tenant A's school under the HABS template, plus a rule that a recorded call needs SLT
    approval (with ``implied``: accepting implied consent instead of written)."""
    text = template_source("habs-monmouth") + RECORDED_NEEDS_SLT
    if implied:
        text = text.replace(CONSENT_RULES, 'require = { consent_at_least = "implied" }')
    trust_version(tenant.trust, text=text)
    school = tenant.school
    pupil = PupilFactory(school=school, first_name="Pip", last_name="Pupil", year_group=9)
    mother = ContactFactory(
        household=pupil.household, first_name="Mona", last_name="Pupil", priority=1
    )
    father = ContactFactory(
        household=pupil.household, first_name="Fred", last_name="Pupil", priority=2
    )
    grandparent = ContactFactory(
        household=pupil.household,
        first_name="Gran",
        last_name="Pupil",
        priority=3,
        has_parental_responsibility=False,
    )
    return Family(
        school=school,
        tutor=make_staff(school, Role.TUTOR, first_name="Tess", last_name="Tutor"),
        head_of_year=make_staff(school, Role.HEAD_OF_YEAR, first_name="Hal", last_name="Year"),
        slt=make_staff(school, Role.SLT, first_name="Sally", last_name="Senior"),
        pupil=pupil,
        mother=mother,
        father=father,
        grandparent=grandparent,
    )


def after_school(fam: Family, days: int = 0, **changes) -> PlanData:  # type: ignore[no-untyped-def]
    """A tutor's pastoral one-to-one at 15:00 with the head of year invited and an adult at
    home: HABS asks for the parents' written consent (outside lunchtime and tutor time)."""
    from datetime import timedelta

    data = PlanData(
        title="Settling-in check",
        kind="one_to_one",
        purpose="pastoral",
        starts_at=next_weekday_at(15, 0) + timedelta(days=days),
        duration_minutes=30,
        platform="teams",
        host=fam.tutor,
        pupils=[fam.pupil],
        second_staff=fam.head_of_year,
        chaperone_present=True,
        waiting_room=True,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def token(session_id: int, contact: Contact, purpose: str = "consent") -> str:
    return make_link_token(session_id=session_id, contact_id=contact.pk, purpose=purpose)  # type: ignore[arg-type]


def link_in(text: str) -> str:
    """The consent link in a message's text."""
    import re

    found = re.search(r"https?://\S+/sessions/parents/[^/\s]+/", text)
    assert found is not None, text
    return found.group(0)
