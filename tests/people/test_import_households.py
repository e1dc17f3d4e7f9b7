"""Importing households and their contacts (one row per contact)."""

from __future__ import annotations

import pytest

from chaperone.audit.models import AuditEvent
from chaperone.people.models import Contact, Household
from chaperone.people.services import ImportRejected, people_import
from chaperone.tenancy.policies import SYSTEM
from tests.factories import ContactFactory, HouseholdFactory
from tests.people.test_import_support import household_rows, households_csv, to_csv

pytestmark = pytest.mark.django_db


def run(school, data: bytes, **kw):  # type: ignore[no-untyped-def]
    return people_import(actor=SYSTEM, school=school, kind="households", data=data, **kw)


def contacts_of(trust, ref: str) -> list[Contact]:  # type: ignore[no-untyped-def]
    return list(
        Contact.objects.filter(household__trust=trust, household__reference=ref).order_by(
            "priority"
        )
    )


def test_import_creates_households_and_contacts(tenant_a) -> None:
    result = run(tenant_a.school, households_csv())
    assert [(s.name, len(s.creates)) for s in result.sections] == [
        ("Households", 2),
        ("Contacts", 3),
    ]
    okafor = Household.objects.get(trust=tenant_a.trust, reference="F001")
    assert okafor.name == "Okafor family"
    assert okafor.address == "1 High Street\nLeeds"
    assert okafor.postcode == "LS1 4AP"
    mum, dad = contacts_of(tenant_a.trust, "F001")
    assert (mum.first_name, mum.relationship, mum.priority) == ("Ngozi", "mother", 1)
    assert mum.email == "ngozi@example.org" and mum.phone == "+447911123456"
    assert mum.preferred_channel == "email" and mum.language == "English"
    assert (dad.first_name, dad.preferred_channel, dad.language, dad.priority) == (
        "Emeka",
        "sms",
        "Igbo",
        2,
    )
    smith = Household.objects.get(trust=tenant_a.trust, reference="F002")
    assert smith.name == "Smith family", "named after the first contact when the file has none"
    [alex] = contacts_of(tenant_a.trust, "F002")
    assert (alex.priority, alex.has_parental_responsibility, alex.language) == (1, False, "English")
    assert alex.preferred_channel == "phone"
    assert (
        AuditEvent.objects.get(action="people.households_imported").details["contacts_created"] == 3
    )


def test_reimport_is_unchanged(tenant_a) -> None:
    run(tenant_a.school, households_csv())
    again = run(tenant_a.school, households_csv())
    assert not again.has_changes
    assert [s.unchanged for s in again.sections] == [2, 3]


def test_contacts_are_matched_by_email_then_priority_and_may_swap_places(tenant_a) -> None:
    run(tenant_a.school, households_csv())
    rows = household_rows()
    rows[0][12], rows[1][12] = "2", "1"  # dad becomes the first contact
    rows[1][9] = "07911 000111"
    result = run(tenant_a.school, households_csv(rows))
    changes = {
        r.label: {(c.field, c.old, c.new) for c in r.changes}
        for r in result.section("Contacts").updates
    }
    assert changes == {
        "Ngozi Okafor": {("priority", "1", "2")},
        "Emeka Okafor": {("priority", "2", "1"), ("phone", "+447912345678", "+447911000111")},
    }
    first, second = contacts_of(tenant_a.trust, "F001")
    assert (first.first_name, first.phone) == ("Emeka", "+447911000111")
    assert second.first_name == "Ngozi"
    assert Contact.objects.filter(household__reference="F001").count() == 2


def test_a_stored_contact_not_in_the_file_is_kept_and_moves_down_if_needed(tenant_a) -> None:
    household = HouseholdFactory(
        trust=tenant_a.trust, reference="F001", name="Okafor family", origin_school=tenant_a.school
    )
    ContactFactory(
        household=household,
        first_name="Ngozi",
        last_name="Okafor",
        email="ngozi@example.org",
        priority=1,
    )
    gran = ContactFactory(household=household, first_name="Gran", email="", priority=2)
    rows = household_rows()
    rows[0][12], rows[1][12] = "2", "1"
    result = run(tenant_a.school, households_csv(rows))
    contacts = result.section("Contacts")
    assert [r.label for r in contacts.creates] == ["Emeka Okafor", "Alex Smith"]
    moved = {r.label: [(c.field, c.old, c.new) for c in r.changes] for r in contacts.updates}
    assert ("priority", "1", "2") in moved["Ngozi Okafor"]
    assert moved[f"Gran {gran.last_name} (not in the file)"] == [("priority", "2", "3")]
    gran.refresh_from_db()
    assert gran.priority == 3
    assert [c.first_name for c in contacts_of(tenant_a.trust, "F001")] == ["Emeka", "Ngozi", "Gran"]


def test_a_contact_with_a_new_name_in_a_stored_slot_updates_that_slot(tenant_a) -> None:
    household = HouseholdFactory(
        trust=tenant_a.trust, reference="F002", name="Smith family", origin_school=tenant_a.school
    )
    ContactFactory(household=household, first_name="Chris", last_name="Smith", email="", priority=1)
    result = run(tenant_a.school, households_csv())
    [update] = [r for r in result.section("Contacts").updates if r.key == "F002 #1"]
    assert ("forename", "Chris", "Alex") in {(c.field, c.old, c.new) for c in update.changes}
    assert [c.first_name for c in contacts_of(tenant_a.trust, "F002")] == ["Alex"]


@pytest.mark.parametrize(
    ("column", "value", "header", "message"),
    [
        (9, "0800", "Phone", "not a valid phone number"),
        (8, "not-an-email", "Email", "not a valid email"),
        (10, "pigeon", "Preferred Channel", "email, sms or phone"),
        (12, "first", "Priority", "whole number"),
        (3, "NOT A CODE", "Postcode", "not a UK postcode"),
        (7, "perhaps", "Parental Responsibility", "Y or N"),
        (4, "", "Contact Forename", "Enter a name"),
    ],
)
def test_bad_contact_rows_name_line_and_column(tenant_a, column, value, header, message) -> None:
    rows = household_rows()
    rows[1][column] = value
    with pytest.raises(ImportRejected) as caught:
        run(tenant_a.school, households_csv(rows))
    [problem] = caught.value.preview.problems
    assert (problem.line, problem.column) == (3, header)
    assert message in problem.message
    assert not Household.objects.filter(reference__in=["F001", "F002"]).exists()


def test_rows_of_one_household_must_agree_and_priorities_must_differ(tenant_a) -> None:
    rows = household_rows()
    rows[1][3] = "LS2 9JT"
    rows.append(["F002", "", "", "", "Sam", "Smith", "", "", "", "", "", "", "1"])
    rows.append(["F002", "", "", "", "Jo", "Smith", "", "", "", "", "", "", "1"])
    result = run(tenant_a.school, households_csv(rows), skip_invalid=True)
    assert [(p.line, p.column) for p in result.problems] == [(3, "Postcode"), (6, "Priority")]
    assert [c.first_name for c in contacts_of(tenant_a.trust, "F002")] == ["Sam", "Alex"]
    assert [c.priority for c in contacts_of(tenant_a.trust, "F002")] == [1, 2]


def test_address_lines_are_joined(tenant_a) -> None:
    header = (
        "Family ID",
        "Address Line 1",
        "Address Line 2",
        "Town",
        "Post Code",
        "Forename",
        "Surname",
    )
    run(tenant_a.school, to_csv(header, [["F9", "2 Mill Lane", "", "York", "YO1 7HH", "A", "B"]]))
    household = Household.objects.get(reference="F9")
    assert household.address == "2 Mill Lane\nYork"
    assert household.postcode == "YO1 7HH"
