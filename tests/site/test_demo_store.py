"""`demo_people_store` with a writer of the caller's choice (the scale benchmark COPYs with one)."""

from __future__ import annotations

from typing import Any

import pytest

from chaperone.people.models import Contact, Household, Pupil, StaffAssignment, StaffMember, User
from chaperone.site.demo.generate import TRUSTS, generate_demo
from chaperone.site.demo.services import demo_people_store
from chaperone.tenancy.models import School, Trust


@pytest.mark.django_db
def test_people_go_through_the_given_create_in_dependency_order() -> None:
    data = generate_demo(7)
    trusts = {
        p.key: Trust.objects.create(name=f"{p.name} copy", slug=f"{p.slug}-copy") for p in TRUSTS
    }
    schools = {
        s.key: School.objects.create(
            trust=trusts[p.key], name=f"{s.name} copy", urn=f"8{i:05d}", phase=s.phase
        )
        for i, (p, s) in enumerate((p, s) for p in TRUSTS for s in p.schools)
    }
    written: list[tuple[type[Any], int]] = []

    def create(model: type[Any], objects: list[Any]) -> list[Any]:
        written.append((model, len(objects)))
        return list(model._default_manager.bulk_create(objects))

    demo_people_store(data, trusts=trusts, schools=schools, seed=7, logins=False, create=create)

    contacts = sum(len(h.contacts) for h in data.households)
    assignments = sum(len(s.assignments) for s in data.staff)
    assert written == [
        (Household, len(data.households)),
        (Contact, contacts),
        (Pupil, len(data.pupils)),
        (StaffMember, len(data.staff)),
        (StaffAssignment, assignments),
    ]
    assert Pupil.objects.filter(school__in=schools.values()).count() == len(data.pupils)
    assert Contact.objects.filter(household__trust__in=trusts.values()).count() == contacts
    assert not User.objects.exists()  # no logins
