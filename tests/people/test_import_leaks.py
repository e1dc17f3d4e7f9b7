"""What an import tells the person running it, and what it lets them change.

Deliverables review (issue #7, rows 1e, 2b, 2c and 4a): a school administrator's import preview
listed exactly the pupils on a plan, in need or looked after ("needs the DSL's confirmation")
and showed "vulnerable Yes → No"; the vulnerable flag changed by import with no DSL step; and a
staff import could move a DSL's email address, so that the invitation (and the login) went to
whoever wrote the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.people.grants import staff_role_confirm, staff_role_grant
from chaperone.people.importers import ImportPreview
from chaperone.people.logins import (
    LoginChangeRefused,
    staff_email_change,
    staff_invite,
    staff_two_factor_reset,
)
from chaperone.people.models import (
    PendingFlagChange,
    Pupil,
    Role,
    SocialCareStatus,
    StaffAssignment,
    StaffMember,
)
from chaperone.people.services import ImportRejected, people_import, people_import_preview
from chaperone.tenancy.policies import SYSTEM
from tests.conftest import verified_client
from tests.factories import PupilFactory, StaffFactory, make_staff
from tests.people.test_import_support import to_csv, upn

pytestmark = pytest.mark.django_db

HEADER = ("UPN", "Surname", "Forename", "DOB", "Year Group", "CP", "LAC", "Vulnerable")


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def roll(tenant_a) -> list[Pupil]:  # type: ignore[no-untyped-def]
    """Four pupils of one class: on a plan, looked after, vulnerable only, and none of these."""
    school = tenant_a.school
    made = [
        ("Plan", {"social_care_status": SocialCareStatus.CP, "is_vulnerable": True}),
        ("Care", {"is_looked_after": True, "is_vulnerable": True}),
        ("Risk", {"is_vulnerable": True}),
        ("Plain", {}),
    ]
    return [
        PupilFactory(
            school=school,
            upn=upn(n),
            first_name="Kid",
            last_name=name,
            date_of_birth="2015-09-03",
            year_group=5,
            **flags,
        )
        for n, (name, flags) in enumerate(made, start=1)
    ]


def no_flags_file(pupils: list[Pupil]) -> bytes:
    """Every pupil of the roll with N in every flag column."""
    return to_csv(
        HEADER, [[p.upn, p.last_name, "Kid", "03/09/2015", "5", "N", "N", "N"] for p in pupils]
    )


def admin_of(school):  # type: ignore[no-untyped-def]
    return actor_for_user(make_staff(school, Role.SCHOOL_ADMIN).user)


def shown(preview: ImportPreview) -> list[tuple[str, int, int, int, list[object]]]:
    """Everything a preview holds that could tell one pupil from another."""
    return [
        (
            s.name,
            len(s.creates),
            len(s.updates),
            s.unchanged,
            [(r.key, r.changes) for r in (*s.creates, *s.updates)],
        )
        for s in preview.sections
    ]


# 1. The preview tells a school administrator nothing about stored flags ---------------------


def test_an_administrators_preview_is_the_same_whatever_flags_are_stored(tenant_a, roll) -> None:
    """Old code: the CP and looked-after pupils were the rows "needing the DSL's confirmation"
    and the vulnerable one showed "vulnerable Yes → No"."""
    actor = admin_of(tenant_a.school)
    data = no_flags_file(roll)
    before = people_import_preview(actor=actor, school=tenant_a.school, kind="pupils", data=data)
    assert before.section("Pupils").unchanged == 4
    assert not before.has_changes
    assert "not imported" in before.flag_notice and "DSL" in before.flag_notice

    # Clear every flag behind the administrator's back: the preview must not move at all.
    Pupil.objects.filter(school=tenant_a.school).update(
        social_care_status="", is_looked_after=False, is_vulnerable=False
    )
    after = people_import_preview(actor=actor, school=tenant_a.school, kind="pupils", data=data)
    assert shown(after) == shown(before)
    assert after.summary_lines() == before.summary_lines()
    assert after.fingerprint() == before.fingerprint()
    assert after.flag_notice == before.flag_notice


def test_the_administrators_web_preview_and_result_name_no_flagged_pupil(
    tenant_a, roll, login_as
) -> None:
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    upload = client.post(
        "/people/import/",
        {"kind": "pupils", "file": SimpleUploadedFile("p.csv", no_flags_file(roll))},
    )
    page = client.get(upload["Location"]).content.decode()
    assert "flag-columns-to-dsl" in page
    for leak in ("Plan", "Care", "Risk", "needs the DSL", "Yes", "Child protection plan"):
        assert leak not in page, leak
    done = client.post(upload["Location"] + "confirm/")
    assert done.status_code == 302
    result = client.get(done["Location"]).content.decode()
    assert "Pupils: 0 created, 0 updated, 4 unchanged" in result
    assert "not imported" in result
    for leak in ("Plan", "Care", "Risk", "change to child protection", "changes to child"):
        assert leak not in result, leak

    # The DSL is asked only about the three pupils whose flags really differ.
    asked = PendingFlagChange.objects.filter(status="pending")
    assert sorted(asked.values_list("pupil__last_name", "flag", "new_value")) == [
        ("Care", "is_looked_after", "no"),
        ("Plan", "social_care_status", ""),
        ("Risk", "is_vulnerable", "no"),
    ]


@pytest.mark.parametrize("role", [Role.HEADTEACHER, Role.TRUST_ADMIN])
def test_an_importer_who_sees_flags_still_sees_which_rows_wait(tenant_a, roll, role) -> None:
    lead = actor_for_user(make_staff(tenant_a.school, role).user)
    preview = people_import_preview(
        actor=lead, school=tenant_a.school, kind="pupils", data=no_flags_file(roll)
    )
    assert not preview.flag_notice
    changes = {
        (r.label, c.field, c.old, c.new, c.note)
        for r in preview.section("Pupils").updates
        for c in r.changes
    }
    waits = "needs the DSL's confirmation"
    assert changes == {
        ("Kid Plan", "social care status", "Child protection plan", "None", waits),
        ("Kid Care", "looked after", "Yes", "No", waits),
        ("Kid Risk", "vulnerable", "Yes", "No", waits),
    }
    assert preview.section("Pupils").waiting_changes == 3


def test_a_file_without_flag_columns_has_no_flag_notice(tenant_a, roll) -> None:
    data = to_csv(HEADER[:5], [[p.upn, p.last_name, "Kid", "03/09/2015", "5"] for p in roll])
    preview = people_import_preview(
        actor=admin_of(tenant_a.school), school=tenant_a.school, kind="pupils", data=data
    )
    assert not preview.flag_notice
    assert preview.section("Pupils").unchanged == 4


# 2. The vulnerable flag waits for the DSL like the others -----------------------------------


def test_an_import_neither_clears_nor_sets_the_vulnerable_flag(tenant_a, roll, login_as) -> None:
    """Old code: ``Vulnerable=N`` cleared the flag on import, with no DSL step."""
    risk, plain = roll[2], roll[3]
    data = to_csv(
        HEADER,
        [
            [risk.upn, "Risk", "Kid", "03/09/2015", "5", "", "", "N"],
            [plain.upn, "Plain", "Kid", "03/09/2015", "5", "", "", "Y"],
        ],
    )
    people_import(actor=admin_of(tenant_a.school), school=tenant_a.school, kind="pupils", data=data)
    risk.refresh_from_db()
    plain.refresh_from_db()
    assert (risk.is_vulnerable, plain.is_vulnerable) == (True, False)
    event = AuditEvent.objects.get(action="people.pupils_imported")
    assert sorted(
        (c["pupil"], c["flag"], c["from"], c["to"]) for c in event.details["flag_changes_requested"]
    ) == [
        (f"Kid Plain ({plain.upn})", "vulnerable", "No", "Yes"),
        (f"Kid Risk ({risk.upn})", "vulnerable", "Yes", "No"),
    ]

    client = login_as(tenant_a.school, Role.DSL)
    page = client.get("/people/flag-changes/").content.decode()
    assert "2 changes waiting" in page and "Kid Risk" in page and "Kid Plain" in page
    assert ">vulnerable<" in page
    mine = PendingFlagChange.objects.get(pupil=risk, status="pending")
    client.post("/people/flag-changes/", {"changes": [mine.pk], "decision": "confirm"})
    client.post("/people/flag-changes/", {"everything": "on", "decision": "reject"})
    risk.refresh_from_db()
    plain.refresh_from_db()
    assert (risk.is_vulnerable, plain.is_vulnerable) == (False, False)
    [entry] = AuditEvent.objects.get(action="people.flag_changes_confirmed").details["changes"]
    assert (entry["pupil"], entry["flag"], entry["from"], entry["to"]) == (
        f"Kid Risk ({risk.upn})",
        "vulnerable",
        "Yes",
        "No",
    )


def test_a_pupil_on_a_plan_stays_vulnerable(tenant_a, roll, login_as) -> None:
    """Confirming "not vulnerable" for a child on a plan leaves them on the vulnerable list."""
    plan = roll[0]
    PendingFlagChange.objects.create(
        school=tenant_a.school,
        pupil=plan,
        flag="is_vulnerable",
        old_value="yes",
        new_value="no",
        requested_at=plan.created_at,
    )
    client = login_as(tenant_a.school, Role.DSL)
    client.post("/people/flag-changes/", {"everything": "on", "decision": "confirm"})
    plan.refresh_from_db()
    assert (plan.social_care_status, plan.is_vulnerable) == ("cp", True)


def test_the_command_line_import_waits_for_the_dsl_too(tenant_a, roll) -> None:
    risk = roll[2]
    data = to_csv(HEADER, [[risk.upn, "Risk", "Kid", "03/09/2015", "5", "", "", "N"]])
    preview = people_import(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=data)
    [update] = preview.section("Pupils").updates
    assert [(c.field, c.old, c.new, c.note) for c in update.changes] == [
        ("vulnerable", "Yes", "No", "needs the DSL's confirmation")
    ]
    risk.refresh_from_db()
    assert risk.is_vulnerable


# 3. An import cannot move the address of someone with a login or a granted role -------------


STAFF_HEADER = ("Staff ID", "Forename", "Surname", "Email", "Roles")


def staff_file(staff: StaffMember, email: str) -> bytes:
    return to_csv(STAFF_HEADER, [[staff.staff_ref, staff.first_name, staff.last_name, email, ""]])


def test_a_granted_dsl_without_a_login_keeps_their_address_and_gets_the_invitation(
    tenant_a,
) -> None:
    """The reviewer's probe: a confirmed DSL grant, then an administrator's import moves the
    address, then the head's Invite went to the attacker (old code)."""
    school = tenant_a.school
    head1 = actor_for_user(make_staff(school, Role.HEADTEACHER).user)
    head2 = actor_for_user(make_staff(school, Role.HEADTEACHER).user)
    new_dsl = StaffFactory(trust=school.trust, user=None, email="real.dsl@school.example")
    StaffAssignment.objects.create(staff=new_dsl, school=school, role=Role.TEACHER)
    grant = staff_role_grant(actor=head1, staff=new_dsl, school=school, role=Role.DSL)
    staff_role_confirm(actor=head2, staff=new_dsl, assignment_id=grant.assignment.pk)

    admin = admin_of(school)
    with pytest.raises(ImportRejected) as refused:
        people_import(
            actor=admin,
            school=school,
            kind="staff",
            data=staff_file(new_dsl, "mallory@evil.example"),
        )
    [problem] = refused.value.preview.problems
    assert problem.column == "Email"
    assert "cannot change their email address" in problem.message
    assert "Login and security page" in problem.message
    assert "real.dsl@school.example" in problem.message
    new_dsl.refresh_from_db()
    assert new_dsl.email == "real.dsl@school.example"

    mail.outbox.clear()
    invitation = staff_invite(actor=head1, staff=new_dsl, school=school, site_url="https://x")
    assert [m.to for m in mail.outbox] == [["real.dsl@school.example"]]
    assert invitation.user.username == "real.dsl@school.example"


@pytest.mark.parametrize("role", sorted({Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER, Role.SLT}))
def test_no_import_moves_the_address_of_a_role_holder_even_while_awaiting(tenant_a, role) -> None:
    school = tenant_a.school
    holder = StaffFactory(trust=school.trust, user=None, email="holder@school.example")
    StaffAssignment.objects.create(staff=holder, school=school, role=Role.TEACHER)
    StaffAssignment.objects.create(
        staff=holder, school=school, role=role, awaiting_confirmation=True
    )
    for actor in (admin_of(school), SYSTEM):
        with pytest.raises(ImportRejected) as refused:
            people_import(
                actor=actor, school=school, kind="staff", data=staff_file(holder, "x@evil.example")
            )
        assert [p.column for p in refused.value.preview.problems] == ["Email"]
        with pytest.raises(ImportRejected):  # clearing it is a change too
            people_import(actor=actor, school=school, kind="staff", data=staff_file(holder, ""))
    holder.refresh_from_db()
    assert holder.email == "holder@school.example"


def test_no_import_moves_the_address_of_someone_with_a_login(tenant_a) -> None:
    teacher = make_staff(tenant_a.school, Role.TEACHER, email="t@school.example")
    with pytest.raises(ImportRejected) as refused:
        people_import(
            actor=admin_of(tenant_a.school),
            school=tenant_a.school,
            kind="staff",
            data=staff_file(teacher, "t.new@school.example"),
        )
    [problem] = refused.value.preview.problems
    assert (problem.line, problem.column) == (2, "Email")


def test_the_same_address_in_another_case_and_other_fields_still_import(tenant_a) -> None:
    dsl = make_staff(tenant_a.school, Role.DSL, email="dsl@school.example")
    data = to_csv(
        STAFF_HEADER, [[dsl.staff_ref, "Renamed", dsl.last_name, "DSL@School.Example", ""]]
    )
    preview = people_import(
        actor=admin_of(tenant_a.school), school=tenant_a.school, kind="staff", data=data
    )
    [update] = preview.section("Staff").updates
    assert [c.field for c in update.changes] == ["forename"]
    dsl.refresh_from_db()
    assert (dsl.first_name, dsl.email) == ("Renamed", "dsl@school.example")


def test_a_teacher_without_a_login_may_still_get_an_address_by_import(tenant_a) -> None:
    teacher = StaffFactory(trust=tenant_a.trust, user=None, email="")
    StaffAssignment.objects.create(staff=teacher, school=tenant_a.school, role=Role.TEACHER)
    people_import(
        actor=admin_of(tenant_a.school),
        school=tenant_a.school,
        kind="staff",
        data=staff_file(teacher, "new.teacher@school.example"),
    )
    teacher.refresh_from_db()
    assert teacher.email == "new.teacher@school.example"


def test_notices_go_to_the_logins_address_not_the_staff_record(tenant_a) -> None:
    """Defence in depth for records changed before this rule: the login's address wins."""
    school = tenant_a.school
    head = actor_for_user(make_staff(school, Role.HEADTEACHER).user)
    dsl = make_staff(school, Role.DSL)
    login_address = dsl.user.email
    StaffMember.objects.filter(pk=dsl.pk).update(email="moved@evil.example")
    dsl.refresh_from_db()
    mail.outbox.clear()
    staff_two_factor_reset(actor=head, staff=dsl, school=school)
    assert [m.to for m in mail.outbox] == [[login_address]]

    from chaperone.people.selectors import dsl_emails_of_trust

    assert dsl_emails_of_trust(school.trust_id) == [login_address]


# ... and the head changes it on the Login and security page, telling the old address ---------


def test_the_head_changes_a_dsls_address_and_the_old_address_is_told(tenant_a) -> None:
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER, first_name="Helen", last_name="Walker")
    dsl = make_staff(school, Role.DSL, email="old.dsl@school.example")
    dsl.user.username = "old.dsl@school.example"
    dsl.user.save(update_fields=["username"])
    client = verified_client(head)
    url = reverse("people:staff_account", args=[dsl.pk])
    mail.outbox.clear()
    done = client.post(url, {"do": "email", "email": "New.DSL@School.Example"})
    assert done.status_code == 302
    dsl.refresh_from_db()
    dsl.user.refresh_from_db()
    assert (dsl.email, dsl.user.email, dsl.user.username) == ("new.dsl@school.example",) * 3
    [told] = mail.outbox
    assert told.to == ["old.dsl@school.example"]
    assert "new.dsl@school.example" in told.body and "Helen Walker" in told.body
    event = AuditEvent.objects.get(action="account.email_changed")
    assert (event.details["old_email"], event.details["new_email"]) == (
        "old.dsl@school.example",
        "new.dsl@school.example",
    )
    assert event.details["person"] == dsl.full_name

    # Notices now follow the new address, and an import agrees with it.
    people_import(
        actor=admin_of(school),
        school=school,
        kind="staff",
        data=staff_file(dsl, "new.dsl@school.example"),
    )


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter the new email address."),
        ("not an address", "Enter an email address like"),
        ("a" * 140 + "@school.example", "at most 150 characters"),
    ],
)
def test_a_bad_address_is_a_message_on_the_field(tenant_a, email, message) -> None:
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    dsl = make_staff(tenant_a.school, Role.DSL, email="dsl@school.example")
    response = verified_client(head).post(
        reverse("people:staff_account", args=[dsl.pk]), {"do": "email", "email": email}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "govuk-error-summary" in body and message in body and 'href="#id_email"' in body
    dsl.refresh_from_db()
    assert dsl.email == "dsl@school.example"


def test_only_a_head_or_trust_admin_and_never_for_themselves(tenant_a, login_as) -> None:
    school = tenant_a.school
    dsl = make_staff(school, Role.DSL, email="dsl@school.example")
    url = reverse("people:staff_account", args=[dsl.pk])
    admin = login_as(school, Role.SCHOOL_ADMIN)
    assert admin.post(url, {"do": "email", "email": "x@evil.example"}).status_code in (403, 404)
    head = make_staff(school, Role.HEADTEACHER, email="head@school.example")
    with pytest.raises(LoginChangeRefused):
        staff_email_change(
            actor=actor_for_user(head.user), staff=head, school=school, email="x@evil.example"
        )
    dsl.refresh_from_db()
    head.refresh_from_db()
    assert (dsl.email, head.email) == ("dsl@school.example", "head@school.example")
    assert not AuditEvent.objects.filter(action="account.email_changed").exists()
