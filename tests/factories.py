"""Typed factories for tests. Names are fake; UPNs carry a valid check letter."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from chaperone.people.models import (
    Contact,
    Household,
    Pupil,
    StaffAssignment,
    StaffMember,
    User,
)
from chaperone.people.upn import make_upn
from chaperone.tenancy.models import Phase, School, Trust
from chaperone.tenancy.roles import Role


class TrustFactory(DjangoModelFactory[Trust]):
    class Meta:
        model = Trust

    name = factory.Sequence(lambda n: f"Test Trust {n}")
    slug = factory.Sequence(lambda n: f"test-trust-{n}")


class SchoolFactory(DjangoModelFactory[School]):
    class Meta:
        model = School

    trust = factory.SubFactory(TrustFactory)
    name = factory.Sequence(lambda n: f"Test School {n}")
    urn = factory.Sequence(lambda n: f"{100000 + n:06d}")
    phase = Phase.PRIMARY
    la_code = "873"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(DjangoModelFactory[StaffMember]):
    class Meta:
        model = StaffMember

    trust = factory.SubFactory(TrustFactory)
    user = factory.SubFactory(UserFactory)
    staff_ref = factory.Sequence(lambda n: f"S{n:05d}")
    first_name = factory.Sequence(lambda n: f"Staff{n}")
    last_name = "Example"
    email = factory.LazyAttribute(lambda o: f"{o.first_name.lower()}@example.org")
    dbs_checked_on = dt.date(2024, 9, 1)


class AssignmentFactory(DjangoModelFactory[StaffAssignment]):
    class Meta:
        model = StaffAssignment

    staff = factory.SubFactory(StaffFactory)
    school = factory.SubFactory(SchoolFactory)
    role = Role.TEACHER


class HouseholdFactory(DjangoModelFactory[Household]):
    class Meta:
        model = Household

    trust = factory.SubFactory(TrustFactory)
    reference = factory.Sequence(lambda n: f"H{n:05d}")
    name = factory.Sequence(lambda n: f"Family {n}")


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    household = factory.SubFactory(HouseholdFactory)
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Parent{n}")
    email = factory.Sequence(lambda n: f"parent{n}@example.org")
    phone = "+447700900123"


class PupilFactory(DjangoModelFactory[Pupil]):
    class Meta:
        model = Pupil

    school = factory.SubFactory(SchoolFactory)
    household = factory.SubFactory(HouseholdFactory, trust=factory.SelfAttribute("..school.trust"))
    upn = factory.Sequence(lambda n: make_upn("873", "2001", 20, n))
    first_name = factory.Sequence(lambda n: f"Pupil{n}")
    last_name = "Example"
    date_of_birth = dt.date(2016, 5, 1)
    year_group = 4


def make_staff(
    school: School | None, role: str, *, trust: Trust | None = None, **kw
) -> StaffMember:
    """A staff member with a login holding ``role`` at ``school`` (or across ``trust``)."""
    trust = trust or (school.trust if school else None)
    staff = StaffFactory(trust=trust, **kw)
    if staff.user is not None and staff.email and staff.user.email != staff.email:
        # an invitation gives the login the staff record's address
        staff.user.email = staff.email
        staff.user.save(update_fields=["email"])
    StaffAssignment.objects.create(
        staff=staff, school=None if role == Role.TRUST_ADMIN else school, role=role
    )
    return staff
