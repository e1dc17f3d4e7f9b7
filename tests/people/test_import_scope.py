"""Imports stay inside the importer's school (security review HIGH 2, 3 and 4).

Households and staff are matched only among the records the importer may edit; a reference that
belongs to another school's records is a row problem that reveals nothing stored about it.
"""

from __future__ import annotations

import pytest

from chaperone.people.actors import actor_for_user
from chaperone.people.models import Contact, Household, Pupil, Role, StaffAssignment, StaffMember
from chaperone.people.services import ImportRejected, people_import, people_import_preview
from chaperone.tenancy.policies import SYSTEM
from tests.factories import ContactFactory, HouseholdFactory, PupilFactory, StaffFactory, make_staff
from tests.people.test_import_support import (
    household_rows,
    households_csv,
    pupil_rows,
    pupils_csv,
    staff_csv,
    staff_rows,
    upn,
)

pytestmark = pytest.mark.django_db

SECRET_ADDRESS = "128 Sedgemoor Drive"
SECRET_EMAIL = "only.the.other.school@example.org"


def actor_at(school, role=Role.SCHOOL_ADMIN):  # type: ignore[no-untyped-def]
    staff = make_staff(school, role, trust=school.trust if role == Role.TRUST_ADMIN else None)
    return actor_for_user(staff.user)


@pytest.fixture
def their_family(tenant_a) -> Household:  # type: ignore[no-untyped-def]
    """Household F001: its only pupil is at the trust's other school."""
    household = HouseholdFactory(
        trust=tenant_a.trust,
        reference="F001",
        name="Their family",
        address=SECRET_ADDRESS,
        postcode="NX4 3WZ",
    )
    ContactFactory(household=household, first_name="Gemma", email=SECRET_EMAIL, priority=1)
    PupilFactory(school=tenant_a.other_school, household=household)
    return household


def test_a_households_import_cannot_write_another_schools_household(tenant_a, their_family):
    """HIGH 2: a school's import used to overwrite the address and contact of a family it cannot
    open."""
    actor = actor_at(tenant_a.school)
    with pytest.raises(ImportRejected) as caught:
        people_import(actor=actor, school=tenant_a.school, kind="households", data=households_csv())
    problems = caught.value.preview.problems
    assert {(p.line, p.column) for p in problems} == {(2, "Household Ref"), (3, "Household Ref")}
    assert all("belongs to another school's records" in p.message for p in problems)
    result = people_import(
        actor=actor,
        school=tenant_a.school,
        kind="households",
        data=households_csv(),
        skip_invalid=True,
    )
    assert [r.key for r in result.section("Households").creates] == ["F002"]
    their_family.refresh_from_db()
    assert their_family.address == SECRET_ADDRESS
    assert Contact.objects.get(household=their_family).email == SECRET_EMAIL
    assert Contact.objects.filter(household=their_family).count() == 1


def test_any_household_of_the_file_may_be_another_schools(tenant_a) -> None:
    """Not only the first household of the file is checked."""
    theirs = PupilFactory(school=tenant_a.other_school, household__reference="F002").household
    result = people_import(
        actor=actor_at(tenant_a.school),
        school=tenant_a.school,
        kind="households",
        data=households_csv(),
        skip_invalid=True,
    )
    assert [(p.line, p.column) for p in result.problems] == [(4, "Household Ref")]
    assert [r.key for r in result.section("Households").creates] == ["F001"]
    assert not Contact.objects.filter(household=theirs).exists()


def test_the_preview_shows_nothing_stored_of_another_schools_household(tenant_a, their_family):
    """HIGH 3: the preview used to list the stored address, email and phone as "old → new"."""
    preview = people_import_preview(
        actor=actor_at(tenant_a.school),
        school=tenant_a.school,
        kind="households",
        data=households_csv(),
    )
    shown = repr(preview)
    for secret in (SECRET_ADDRESS, "NX4 3WZ", SECRET_EMAIL, "Gemma", "Their family"):
        assert secret not in shown
    assert [r.key for s in preview.sections for r in s.updates] == []


def test_the_web_preview_shows_nothing_of_another_schools_records(
    tenant_a, their_family, login_as, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    other = StaffFactory(
        trust=tenant_a.trust, staff_ref="T001", email="head.elsewhere@example.org", phone=""
    )
    StaffAssignment.objects.create(staff=other, school=tenant_a.other_school, role=Role.TEACHER)
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    for kind, data in (("households", households_csv()), ("staff", staff_csv())):
        upload = client.post(
            "/people/import/", {"kind": kind, "file": SimpleUploadedFile("f.csv", data)}
        )
        body = client.get(upload["Location"]).content.decode()
        assert "belongs to another school&#x27;s records" in body
        for secret in (SECRET_ADDRESS, SECRET_EMAIL, "Their family", "head.elsewhere@"):
            assert secret not in body


def test_a_staff_import_cannot_change_another_schools_staff(tenant_a):
    """HIGH 2 (staff): a row with the staff ID of a colleague at the other school used to
    overwrite their email and phone."""
    other = StaffFactory(
        trust=tenant_a.trust, staff_ref="T001", email="kept@example.org", phone="+447700900413"
    )
    StaffAssignment.objects.create(staff=other, school=tenant_a.other_school, role=Role.TEACHER)
    result = people_import(
        actor=actor_at(tenant_a.school),
        school=tenant_a.school,
        kind="staff",
        data=staff_csv(),
        skip_invalid=True,
    )
    [problem] = result.problems
    assert (problem.line, problem.column) == (2, "Staff ID")
    assert "belongs to another school's records" in problem.message
    other.refresh_from_db()
    assert (other.email, other.phone) == ("kept@example.org", "+447700900413")
    assert not StaffAssignment.objects.filter(staff=other, school=tenant_a.school).exists()


def test_staff_working_at_both_schools_are_updated_by_either(tenant_a):
    both = StaffFactory(trust=tenant_a.trust, staff_ref="T001", user=None)
    for school in (tenant_a.school, tenant_a.other_school):
        StaffAssignment.objects.create(staff=both, school=school, role=Role.COUNSELLOR)
    rows = staff_rows()[:1]
    people_import(
        actor=actor_at(tenant_a.school), school=tenant_a.school, kind="staff", data=staff_csv(rows)
    )
    both.refresh_from_db()
    assert both.email == "r.adeyemi@school.example.org"
    assert StaffMember.objects.filter(staff_ref="T001").count() == 1


def test_a_pupil_import_cannot_link_a_pupil_to_another_schools_household(
    tenant_a, their_family, login_as
):
    """HIGH 4: linking a pupil to the other school's family made that family's page (address,
    parents' phones) open to this school's staff."""
    with pytest.raises(ImportRejected) as caught:
        people_import(
            actor=actor_at(tenant_a.school),
            school=tenant_a.school,
            kind="pupils",
            data=pupils_csv(),
        )
    assert {(p.line, p.column) for p in caught.value.preview.problems} == {
        (2, "Family ID"),
        (3, "Family ID"),
    }
    assert not Pupil.objects.filter(household=their_family, school=tenant_a.school).exists()
    client = login_as(tenant_a.school, Role.PASTORAL_LEAD)
    assert client.get(f"/people/households/{their_family.pk}/").status_code == 404


def test_a_household_linked_to_a_pupil_here_may_be_updated_even_if_shared(tenant_a, their_family):
    PupilFactory(school=tenant_a.school, household=their_family)
    result = people_import(
        actor=actor_at(tenant_a.school),
        school=tenant_a.school,
        kind="households",
        data=households_csv(),
    )
    assert [r.key for r in result.section("Households").updates] == ["F001"]
    their_family.refresh_from_db()
    assert their_family.address == "1 High Street\nLeeds"


def test_a_new_reference_is_created_for_this_school(tenant_a):
    actor = actor_at(tenant_a.school)
    people_import(actor=actor, school=tenant_a.school, kind="households", data=households_csv())
    created = Household.objects.get(trust=tenant_a.trust, reference="F001")
    assert created.origin_school_id == tenant_a.school.id
    # with no pupil yet, it is this school's: a second import updates it ...
    rows = household_rows()
    rows[0][2] = rows[1][2] = "2 New Road, Leeds"
    people_import(actor=actor, school=tenant_a.school, kind="households", data=households_csv(rows))
    created.refresh_from_db()
    assert created.address == "2 New Road\nLeeds"
    # ... and the other school cannot use it
    result = people_import(
        actor=actor_at(tenant_a.other_school),
        school=tenant_a.other_school,
        kind="households",
        data=households_csv(),
        skip_invalid=True,
    )
    assert {p.line for p in result.problems} == {2, 3, 4}


def test_a_trust_administrator_links_siblings_at_two_schools(tenant_a, their_family):
    """The way a household comes to be shared: someone who may import into both schools."""
    admin = actor_at(tenant_a.school, Role.TRUST_ADMIN)
    result = people_import(actor=admin, school=tenant_a.school, kind="pupils", data=pupils_csv())
    assert [r.key for r in result.section("Households").creates] == ["F002"]
    chidi = Pupil.objects.get(school=tenant_a.school, upn=upn(1))
    assert chidi.household_id == their_family.pk
    # now the family has a pupil here, this school's own imports may update it
    people_import(
        actor=actor_at(tenant_a.school),
        school=tenant_a.school,
        kind="households",
        data=households_csv(),
    )
    their_family.refresh_from_db()
    assert their_family.postcode == "LS1 4AP"


def test_the_command_line_stays_inside_the_school_it_names(tenant_a, their_family):
    result = people_import(
        actor=SYSTEM, school=tenant_a.school, kind="pupils", data=pupils_csv(), skip_invalid=True
    )
    assert {p.line for p in result.problems} == {2, 3}
    rows = [r for r in pupil_rows() if r[11] != "F001"]
    assert people_import(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=pupils_csv(rows))
