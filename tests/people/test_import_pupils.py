"""Importing pupils through the service (the CLI and the web call the same one)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.people.importers import FileProblem
from chaperone.people.models import Household, PendingFlagChange, Pupil
from chaperone.people.services import ImportRejected, people_import, people_import_preview
from chaperone.tenancy.policies import SYSTEM
from chaperone.tenancy.roles import Role
from tests.factories import HouseholdFactory, PupilFactory, make_staff
from tests.people.test_import_support import PUPIL_HEADER, pupil_rows, pupils_csv, upn

pytestmark = pytest.mark.django_db


def run(school, data: bytes, **kw):  # type: ignore[no-untyped-def]
    return people_import(actor=SYSTEM, school=school, kind="pupils", data=data, **kw)


def preview(school, data: bytes):  # type: ignore[no-untyped-def]
    return people_import_preview(actor=SYSTEM, school=school, kind="pupils", data=data)


def test_import_creates_pupils_with_their_statuses_and_households(tenant_a) -> None:
    school = tenant_a.school
    result = run(school, pupils_csv())

    assert result.applied
    assert result.section("Pupils").total == 4
    assert len(result.section("Pupils").creates) == 4
    assert [r.key for r in result.section("Households").creates] == ["F001", "F002"]

    chidi = Pupil.objects.get(school=school, upn=upn(1))
    assert (chidi.first_name, chidi.last_name, chidi.year_group) == ("Chidi", "Okafor", 5)
    assert chidi.date_of_birth == dt.date(2015, 9, 3)
    assert not (chidi.has_sen or chidi.has_ehcp or chidi.is_vulnerable)

    ada = Pupil.objects.get(school=school, upn=upn(2))
    assert ada.preferred_name == "Addie"
    assert ada.year_group == 0
    assert ada.has_sen and not ada.has_ehcp
    assert ada.social_care_status == "", "the flag waits for the DSL"
    assert not ada.is_vulnerable, "the DSL's confirmation of CIN puts her on the list"
    assert ada.household_id == chidi.household_id
    assert ada.household.reference == "F001"
    assert ada.household.name == "Okafor family"

    jo = Pupil.objects.get(school=school, upn=upn(3))
    assert jo.has_ehcp and not jo.has_sen
    assert jo.social_care_status == ""
    assert jo.year_group == 8

    sam = Pupil.objects.get(school=school, upn=upn(4))
    assert sam.year_group == -1
    assert not sam.is_looked_after and not sam.is_vulnerable, "both wait for the DSL"
    waiting = PendingFlagChange.objects.filter(school=school, status="pending")
    assert set(waiting.values_list("pupil__upn", "flag", "new_value")) == {
        (upn(2), "social_care_status", "cin"),
        (upn(3), "social_care_status", "cp"),
        (upn(4), "is_looked_after", "yes"),
        (upn(4), "is_vulnerable", "yes"),
    }
    assert sam.household is None


def test_preview_counts_and_writes_nothing(tenant_a) -> None:
    before = Pupil.objects.count()
    result = preview(tenant_a.school, pupils_csv())
    assert not result.applied
    assert [(s.name, len(s.creates), len(s.updates), s.unchanged) for s in result.sections] == [
        ("Pupils", 4, 0, 0),
        ("Households", 2, 0, 0),
    ]
    # the fixture pupil Ada Alphaone is stored but absent from the file
    assert result.section("Pupils").not_in_file == 1
    assert Pupil.objects.count() == before
    assert not Household.objects.filter(reference="F001").exists()


def test_reimporting_the_same_file_changes_nothing(tenant_a) -> None:
    run(tenant_a.school, pupils_csv())
    stamps = dict(Pupil.objects.values_list("upn", "updated_at"))
    again = run(tenant_a.school, pupils_csv())
    assert not again.has_changes
    assert again.section("Pupils").unchanged == 4
    assert again.section("Households").total == 0
    assert dict(Pupil.objects.values_list("upn", "updated_at")) == stamps


def test_changed_fields_are_shown_old_to_new_and_written(tenant_a) -> None:
    run(tenant_a.school, pupils_csv())
    rows = pupil_rows()
    rows[0][5] = "6"  # Chidi moves up a year
    rows[0][2] = "Chidiebere"
    rows[2][6] = "N"  # Jo's EHCP ends
    result = run(tenant_a.school, pupils_csv(rows))

    pupils = result.section("Pupils")
    assert pupils.unchanged == 2
    by_upn = {r.key: r for r in pupils.updates}
    assert {(c.field, c.old, c.new) for c in by_upn[upn(1)].changes} == {
        ("forename", "Chidi", "Chidiebere"),
        ("year group", "Year 5", "Year 6"),
    }
    assert [(c.field, c.old, c.new) for c in by_upn[upn(3)].changes] == [("EHCP", "Yes", "No")]
    assert by_upn[upn(1)].line == 2
    chidi = Pupil.objects.get(upn=upn(1))
    assert (chidi.first_name, chidi.year_group) == ("Chidiebere", 6)
    assert not Pupil.objects.get(upn=upn(3)).has_ehcp


def test_columns_missing_from_the_file_leave_stored_values_alone(tenant_a) -> None:
    pupil = PupilFactory(
        school=tenant_a.school,
        upn=upn(1),
        first_name="Chidi",
        last_name="Okafor",
        date_of_birth=dt.date(2015, 9, 3),
        year_group=5,
        is_vulnerable=True,
        preferred_name="CJ",
    )
    header = ("UPN", "Surname", "First Name", "Date of Birth", "NC Year")
    data = pupils_csv([[upn(1), "Okafor", "Chidi", "03/09/2015", "5"]], header=header)
    result = run(tenant_a.school, data)
    assert result.section("Pupils").unchanged == 1
    pupil.refresh_from_db()
    assert pupil.is_vulnerable, "an unofficial vulnerable flag survives an import without it"
    assert pupil.preferred_name == "CJ"


@pytest.mark.parametrize(
    ("column", "value", "header", "message"),
    [
        (0, "A873200121001", "UPN", "check letter"),
        (0, "G87320012", "UPN", "13 characters"),
        (4, "31/02/2015", "DOB", "not a real date"),
        (4, "3/9/15", "DOB", "dd/mm/yyyy"),
        (5, "Year 15", "Year", "outside Nursery to Year 14"),
        (5, "Lower sixth", "Year", "not a year group"),
        (6, "Q", "SEN Status", "E (EHCP)"),
        (7, "maybe", "CP", "Y or N"),
        (1, "", "Legal Surname", "Enter a name"),
    ],
)
def test_a_bad_cell_is_reported_with_line_and_column_and_nothing_is_written(
    tenant_a, column, value, header, message
) -> None:
    rows = pupil_rows()
    rows[2][column] = value
    before = Pupil.objects.count()
    with pytest.raises(ImportRejected) as caught:
        run(tenant_a.school, pupils_csv(rows))
    problems = caught.value.preview.problems
    assert len(problems) == 1
    assert problems[0].line == 4
    assert problems[0].column == header
    assert message in problems[0].message
    assert Pupil.objects.count() == before
    assert not Household.objects.filter(reference="F001").exists()
    assert not AuditEvent.objects.filter(action="people.pupils_imported").exists()


def test_skip_invalid_writes_the_valid_rows_and_lists_the_rest(tenant_a) -> None:
    rows = pupil_rows()
    rows[1][4] = "yesterday"
    rows[3][0] = "B873200121004"
    result = run(tenant_a.school, pupils_csv(rows), skip_invalid=True)
    assert result.applied
    assert [(p.line, p.column) for p in result.problems] == [(3, "DOB"), (5, "UPN")]
    assert result.skipped_rows == 2
    assert set(Pupil.objects.filter(school=tenant_a.school).values_list("upn", flat=True)) >= {
        upn(1),
        upn(3),
    }
    assert not Pupil.objects.filter(upn__in=[upn(2), upn(4)]).exists()
    event = AuditEvent.objects.get(action="people.pupils_imported")
    assert event.details["invalid_rows"] == 2
    assert event.details["pupils_created"] == 2


def test_a_upn_twice_in_the_file_is_a_problem_on_the_second_line(tenant_a) -> None:
    rows = pupil_rows()
    rows[3][0] = rows[0][0]
    with pytest.raises(ImportRejected) as caught:
        run(tenant_a.school, pupils_csv(rows))
    [problem] = caught.value.preview.problems
    assert (problem.line, problem.column) == (5, "UPN")
    assert "line 2" in problem.message


def test_pupils_are_matched_by_upn_within_the_school_only(tenant_a) -> None:
    """The same UPN at the trust's other school is another record (a pupil who moved)."""
    PupilFactory(school=tenant_a.other_school, upn=upn(1), first_name="Old")
    result = run(tenant_a.school, pupils_csv())
    assert len(result.section("Pupils").creates) == 4
    assert Pupil.objects.get(school=tenant_a.other_school, upn=upn(1)).first_name == "Old"


def test_households_of_another_trust_are_never_linked(tenant_a, tenant_b) -> None:
    theirs = HouseholdFactory(trust=tenant_b.trust, reference="F001")
    run(tenant_a.school, pupils_csv())
    chidi = Pupil.objects.get(school=tenant_a.school, upn=upn(1))
    assert chidi.household_id != theirs.pk
    assert chidi.household.trust_id == tenant_a.trust.id


def test_moving_a_pupil_to_another_household_is_an_update(tenant_a) -> None:
    run(tenant_a.school, pupils_csv())
    rows = pupil_rows()
    rows[0][11] = "F002"
    result = run(tenant_a.school, pupils_csv(rows))
    [update] = result.section("Pupils").updates
    assert [(c.field, c.old, c.new) for c in update.changes] == [("household", "F001", "F002")]
    assert Pupil.objects.get(upn=upn(1)).household.reference == "F002"


def test_the_import_is_audited_with_counts_and_the_flag_changes_asked_for(tenant_a) -> None:
    run(tenant_a.school, pupils_csv())
    event = AuditEvent.objects.get(action="people.pupils_imported")
    assert event.school_id == tenant_a.school.id
    assert event.trust_id == tenant_a.trust.id
    assert event.actor_label == "System"
    assert event.via == "cli"
    requested = event.details.pop("flag_changes_requested")
    assert [(c["pupil"], c["flag"], c["from"], c["to"]) for c in requested] == [
        (f"Addie Okafor ({upn(2)})", "social care status", "None", "Child in need"),
        (f"Jo Smith ({upn(3)})", "social care status", "None", "Child protection plan"),
        (f"Sam Brown ({upn(4)})", "looked after", "No", "Yes"),
        (f"Sam Brown ({upn(4)})", "vulnerable", "No", "Yes"),
    ]
    assert event.details.pop("flag_changes_withdrawn") == []
    assert event.details == {
        "rows": 4,
        "invalid_rows": 0,
        "pupils_created": 4,
        "pupils_updated": 0,
        "pupils_unchanged": 0,
        "households_created": 2,
        "households_updated": 0,
        "households_unchanged": 0,
        "skip_invalid": False,
    }
    assert "Chidi" not in str(event.details), "pupils are named only for their flag changes"


def test_header_spellings_bom_and_cp1252_are_read(tenant_a) -> None:
    header = (
        "unique pupil number",
        "LAST NAME",
        "first_name",
        "Preferred Name",
        "date of birth",
        "Year Group",
        "SEN",
        "Child Protection",
        "Child in Need",
        "Looked After",
        "Vulnerable Pupil",
        "Address Ref",
    )
    rows = pupil_rows()
    rows[0][1] = "Müller-Ó'Brien"
    rows[1][2] = "Zoë"
    data = pupils_csv(rows, header=header, encoding="cp1252")
    result = run(tenant_a.school, data)
    assert result.encoding == "cp1252"
    assert Pupil.objects.get(upn=upn(1)).last_name == "Müller-Ó'Brien"
    assert Pupil.objects.get(upn=upn(2)).first_name == "Zoë"

    utf8 = b"\xef\xbb\xbf" + pupils_csv(rows, header=PUPIL_HEADER)
    assert not run(tenant_a.school, utf8).has_changes


def test_semicolons_and_spaces_around_cells(tenant_a) -> None:
    text = f"UPN ; Surname ; Forename ; DOB ; Year\n {upn(9)} ; Lee ; Kim ; 01/01/2016 ; 4 \n"
    run(tenant_a.school, text.encode())
    pupil = Pupil.objects.get(upn=upn(9))
    assert (pupil.last_name, pupil.first_name, pupil.year_group) == ("Lee", "Kim", 4)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (b"UPN,Surname,Forename,DOB,Year\r\n", "no data rows"),
        (b"UPN,Surname,Forename,Year\r\nx,y,z,1\r\n", "Date of birth"),
        (b"PK\x03\x04binary", "Excel"),
        (b"\x00\x01\x02\x03", "binary"),
    ],
)
def test_file_level_problems_are_one_clear_message(tenant_a, data, message) -> None:
    with pytest.raises(FileProblem) as caught:
        run(tenant_a.school, data)
    assert message in caught.value.message
    assert not AuditEvent.objects.filter(action="people.pupils_imported").exists()


def test_a_missing_column_names_the_accepted_spellings(tenant_a) -> None:
    with pytest.raises(FileProblem) as caught:
        run(tenant_a.school, b"Name,DOB,Year\r\nA,01/01/2016,3\r\n")
    assert "UPN" in caught.value.message
    assert "'Legal Surname'" in caught.value.message


def test_an_actor_needs_the_import_permission_for_the_school(tenant_a, tenant_b) -> None:
    admin = make_staff(tenant_a.school, Role.SCHOOL_ADMIN)
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    as_admin = actor_for_user(admin.user)
    run_as = {"kind": "pupils", "data": pupils_csv()}
    people_import(actor=as_admin, school=tenant_a.school, **run_as)
    event = AuditEvent.objects.get(action="people.pupils_imported")
    assert event.actor_staff_id == admin.pk
    with pytest.raises(PermissionDenied):
        people_import(actor=actor_for_user(teacher.user), school=tenant_a.school, **run_as)
    with pytest.raises(PermissionDenied):
        people_import(actor=as_admin, school=tenant_a.other_school, **run_as)
    with pytest.raises(PermissionDenied):
        people_import_preview(actor=as_admin, school=tenant_b.school, **run_as)
