"""Importing staff: matched by staff ID within the trust; roles at the school are only added."""

from __future__ import annotations

import datetime as dt

import pytest

from chaperone.audit.models import AuditEvent
from chaperone.people.models import StaffAssignment, StaffMember, User
from chaperone.people.services import ImportRejected, people_import, people_import_preview
from chaperone.tenancy.policies import SYSTEM
from chaperone.tenancy.roles import Role
from tests.factories import StaffFactory
from tests.people.test_import_support import staff_csv, staff_rows

pytestmark = pytest.mark.django_db


def run(school, data: bytes, **kw):  # type: ignore[no-untyped-def]
    return people_import(actor=SYSTEM, school=school, kind="staff", data=data, **kw)


def roles_at(school, ref: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(
        StaffAssignment.objects.filter(school=school, staff__staff_ref=ref).values_list(
            "role", flat=True
        )
    )


def test_import_creates_staff_and_their_roles_but_no_logins(tenant_a) -> None:
    users_before = User.objects.count()
    result = run(tenant_a.school, staff_csv())
    assert len(result.section("Staff").creates) == 3

    ruth = StaffMember.objects.get(trust=tenant_a.trust, staff_ref="T001")
    assert (ruth.title, ruth.first_name, ruth.last_name) == ("Ms", "Ruth", "Adeyemi")
    assert ruth.email == "r.adeyemi@school.example.org"
    assert ruth.phone == "+447911123456"
    assert ruth.dbs_checked_on == dt.date(2023, 9, 1)
    assert ruth.user is None
    assert roles_at(tenant_a.school, "T001") == {Role.TEACHER, Role.TUTOR}
    assert roles_at(tenant_a.school, "T002") == {Role.HEAD_OF_YEAR}
    assert roles_at(tenant_a.school, "T003") == {Role.SEN_STAFF}
    assert StaffMember.objects.get(staff_ref="T003").phone == "+442079460000"
    assert User.objects.count() == users_before
    assert AuditEvent.objects.get(action="people.staff_imported").details["staff_created"] == 3


def test_reimport_is_unchanged_and_changes_are_listed(tenant_a) -> None:
    run(tenant_a.school, staff_csv())
    assert run(tenant_a.school, staff_csv()).section("Staff").unchanged == 3

    rows = staff_rows()
    rows[0][7] = "15/09/2025"
    rows[2][6] = "SENCO; Counsellor"
    result = people_import_preview(
        actor=SYSTEM, school=tenant_a.school, kind="staff", data=staff_csv(rows)
    )
    changes = {
        r.key: [(c.field, c.old, c.new) for c in r.changes] for r in result.section("Staff").updates
    }
    assert changes == {
        "T001": [("DBS check date", "01/09/2023", "15/09/2025")],
        "T003": [(f"roles at {tenant_a.school.name}", "SEN staff", "Counsellor, SEN staff")],
    }
    assert result.section("Staff").unchanged == 1
    run(tenant_a.school, staff_csv(rows))
    assert StaffMember.objects.get(staff_ref="T001").dbs_checked_on == dt.date(2025, 9, 15)
    assert roles_at(tenant_a.school, "T003") == {Role.SEN_STAFF, Role.COUNSELLOR}


def test_roles_are_never_removed_by_an_import(tenant_a) -> None:
    run(tenant_a.school, staff_csv())
    ken = StaffMember.objects.get(staff_ref="T002")
    StaffAssignment.objects.create(staff=ken, school=tenant_a.school, role=Role.DSL)
    rows = staff_rows()
    rows[1][6] = "Tutor"
    run(tenant_a.school, staff_csv(rows))
    assert roles_at(tenant_a.school, "T002") == {Role.DSL, Role.HEAD_OF_YEAR, Role.TUTOR}


@pytest.mark.parametrize("given", ["DSL", "Deputy DSL", "Head", "SLT", "Teacher; DSL, Head"])
def test_an_import_never_grants_a_safeguarding_or_leadership_role(tenant_a, given) -> None:
    """HIGH 1 (security review): a staff CSV gave anyone DSL or headteacher. Now the row is an
    error that names the Roles column and says where such roles are granted."""
    rows = staff_rows()
    rows[0][6] = given
    with pytest.raises(ImportRejected) as caught:
        run(tenant_a.school, staff_csv(rows))
    [problem] = caught.value.preview.problems
    assert (problem.line, problem.column) == (2, "Roles")
    assert "never given by import" in problem.message
    assert "Roles screen" in problem.message
    assert not StaffAssignment.objects.exists()

    result = run(tenant_a.school, staff_csv(rows), skip_invalid=True)
    assert [p.line for p in result.problems] == [2]
    assert roles_at(tenant_a.school, "T001") == set()


def test_a_role_already_held_may_stay_in_the_file(tenant_a) -> None:
    """An MIS export lists the DSL as DSL: the role is already there, so nothing changes."""
    run(tenant_a.school, staff_csv())
    ken = StaffMember.objects.get(staff_ref="T002")
    StaffAssignment.objects.create(staff=ken, school=tenant_a.school, role=Role.DSL)
    rows = staff_rows()
    rows[1][6] = "HOY, DSL"
    result = run(tenant_a.school, staff_csv(rows))
    assert result.problems == []
    assert result.section("Staff").unchanged == 3


def test_staff_of_another_trust_are_never_matched(tenant_a, tenant_b) -> None:
    StaffFactory(trust=tenant_b.trust, staff_ref="T002", user=None)
    result = run(tenant_a.school, staff_csv())
    assert [r.key for r in result.section("Staff").creates] == ["T001", "T002", "T003"]
    assert StaffMember.objects.filter(staff_ref="T002").count() == 2  # one per trust


@pytest.mark.parametrize(
    ("column", "value", "header", "message"),
    [
        (5, "12345", "Mobile", "not a valid phone number"),
        (5, "call me", "Mobile", "not a phone number"),
        (4, "ruth@", "Email", "not a valid email"),
        (6, "Lollipop person", "Roles", "not a role we know"),
        (6, "Trust admin", "Roles", "never by import"),
        (6, "", "Roles", "at least one role"),
        (7, "2023-13-01", "DBS Date", "not a real date"),
        (0, "", "Staff ID", "Enter the staff ID"),
    ],
)
def test_bad_staff_rows_name_line_and_column(tenant_a, column, value, header, message) -> None:
    rows = staff_rows()
    rows[0][column] = value
    with pytest.raises(ImportRejected) as caught:
        run(tenant_a.school, staff_csv(rows))
    [problem] = caught.value.preview.problems
    assert (problem.line, problem.column) == (2, header)
    assert message in problem.message
    assert not StaffMember.objects.filter(staff_ref__in=["T002", "T003"]).exists()


def test_staff_id_twice_in_a_file(tenant_a) -> None:
    rows = staff_rows()
    rows[2][0] = "T001"
    result = run(tenant_a.school, staff_csv(rows), skip_invalid=True)
    assert [(p.line, p.column) for p in result.problems] == [(4, "Staff ID")]
    assert StaffMember.objects.get(staff_ref="T001").first_name == "Ruth"
