"""Child protection, child in need, looked-after and vulnerable flags change only when a DSL
confirms.

Newcomer review defect 3: a pupils file with blank CP cells cleared three CP plans, confirmed by
the school administrator alone, and the audit row said only "pupils_updated: 3".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.people.models import FlagChangeStatus, PendingFlagChange, Pupil, Role
from chaperone.people.services import people_import, people_import_preview
from chaperone.tenancy.policies import SYSTEM
from tests.factories import PupilFactory, make_staff
from tests.people.test_import_support import pupils_csv, upn

pytestmark = pytest.mark.django_db
HEADER = ("UPN", "Surname", "Forename", "DOB", "Year", "CP", "CIN", "LAC", "Vulnerable")


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def on_plans(tenant_a) -> list[Pupil]:  # type: ignore[no-untyped-def]
    """Three pupils on child protection plans, as the DSL recorded them."""
    return [
        PupilFactory(
            school=tenant_a.school,
            upn=upn(n),
            first_name=name,
            last_name="Plan",
            year_group=5,
            social_care_status="cp",
            is_vulnerable=True,
        )
        for n, name in ((1, "Jay"), (2, "Yan"), (3, "Bo"))
    ]


def flags_csv(pupils: list[Pupil], cp: str = "") -> bytes:
    """The pupils as the MIS lists them, with ``cp`` in the CP column and the other flags blank."""
    rows = [
        [p.upn, p.last_name, p.first_name, f"{p.date_of_birth:%d/%m/%Y}", "5", cp, "", "", ""]
        for p in pupils
    ]
    return pupils_csv(rows, header=HEADER)


def blank_flags_csv(pupils: list[Pupil]) -> bytes:
    return flags_csv(pupils)


def admin_of(school):  # type: ignore[no-untyped-def]
    return actor_for_user(make_staff(school, Role.SCHOOL_ADMIN).user)


def test_blank_cp_cells_do_not_clear_cp_plans(tenant_a, on_plans) -> None:
    actor = admin_of(tenant_a.school)
    data = blank_flags_csv(on_plans)
    preview = people_import_preview(actor=actor, school=tenant_a.school, kind="pupils", data=data)
    assert not preview.has_changes, "an administrator learns nothing of the stored flags"
    assert preview.section("Pupils").unchanged == 3
    assert "go to the DSL" in preview.flag_notice
    system = people_import_preview(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=data)
    [change] = {c for r in system.section("Pupils").updates for c in r.changes}
    assert (change.field, change.old, change.new, change.note) == (
        "social care status",
        "Child protection plan",
        "None",
        "needs the DSL's confirmation",
    )
    assert system.section("Pupils").waiting_changes == 3

    people_import(actor=actor, school=tenant_a.school, kind="pupils", data=data)
    for pupil in on_plans:
        pupil.refresh_from_db()
        assert (pupil.social_care_status, pupil.is_vulnerable) == ("cp", True)
    waiting = PendingFlagChange.objects.filter(school=tenant_a.school, status="pending")
    assert sorted(waiting.values_list("pupil__first_name", "old_value", "new_value")) == [
        ("Bo", "cp", ""),
        ("Jay", "cp", ""),
        ("Yan", "cp", ""),
    ]
    event = AuditEvent.objects.get(action="people.pupils_imported")
    assert sorted(
        (c["pupil"], c["flag"], c["from"], c["to"]) for c in event.details["flag_changes_requested"]
    ) == [
        (f"Bo Plan ({upn(3)})", "social care status", "Child protection plan", "None"),
        (f"Jay Plan ({upn(1)})", "social care status", "Child protection plan", "None"),
        (f"Yan Plan ({upn(2)})", "social care status", "Child protection plan", "None"),
    ]


def test_the_dsl_is_emailed_and_sees_the_count_on_the_dashboard(
    tenant_a, on_plans, login_as, django_capture_on_commit_callbacks
) -> None:
    dsl = make_staff(tenant_a.school, Role.DSL, email="dsl@example.org")
    make_staff(tenant_a.other_school, Role.DSL, email="other.dsl@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        people_import(
            actor=admin_of(tenant_a.school),
            school=tenant_a.school,
            kind="pupils",
            data=blank_flags_csv(on_plans),
        )
    [message] = mail.outbox
    assert message.to == [dsl.email]
    assert "3 changes now wait" in message.body
    assert "Plan" not in message.body + message.subject, "no pupil is named by email"

    dsl_client = login_as(tenant_a.school, Role.DSL)
    body = dsl_client.get("/").content.decode()
    assert "3 changes to child protection" in body
    teacher = login_as(tenant_a.school, Role.TEACHER).get("/").content.decode()
    assert "flag-changes-waiting" not in teacher


def test_the_dsl_confirms_on_the_page_and_the_audit_names_each_pupil(
    tenant_a, on_plans, login_as
) -> None:
    people_import(
        actor=admin_of(tenant_a.school),
        school=tenant_a.school,
        kind="pupils",
        data=blank_flags_csv(on_plans),
    )
    client = login_as(tenant_a.school, Role.DSL)
    page = client.get("/people/flag-changes/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "3 changes waiting" in body and "Jay Plan" in body
    jay, yan, _bo = (PendingFlagChange.objects.get(pupil=p, status="pending").pk for p in on_plans)
    done = client.post("/people/flag-changes/", {"changes": [jay], "decision": "confirm"})
    assert done.status_code == 302
    client.post("/people/flag-changes/", {"changes": [yan], "decision": "reject"})
    states = [Pupil.objects.get(pk=p.pk).social_care_status for p in on_plans]
    assert states == ["", "cp", "cp"]
    confirmed = AuditEvent.objects.get(action="people.flag_changes_confirmed")
    [entry] = confirmed.details["changes"]
    assert (entry["pupil"], entry["flag"], entry["from"], entry["to"]) == (
        f"Jay Plan ({upn(1)})",
        "social care status",
        "Child protection plan",
        "None",
    )
    assert AuditEvent.objects.get(action="people.flag_changes_rejected").details["count"] == 1
    statuses = PendingFlagChange.objects.filter(pupil__in=on_plans).values_list("status", flat=True)
    assert sorted(statuses) == ["confirmed", "pending", "rejected"]


def test_confirming_a_new_flag_puts_the_pupil_on_the_vulnerable_list(tenant_a, login_as) -> None:
    pupil = PupilFactory(school=tenant_a.school, upn=upn(1), year_group=5)
    data = pupils_csv(
        [[pupil.upn, "Example", pupil.first_name, "01/05/2016", "5", "", "", "Y", "N"]],
        header=HEADER,
    )
    people_import(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=data)
    pupil.refresh_from_db()
    assert not pupil.is_looked_after and not pupil.is_vulnerable
    assert PendingFlagChange.objects.get(pupil=pupil).flag == "is_looked_after"
    client = login_as(tenant_a.school, Role.DEPUTY_DSL)
    client.post("/people/flag-changes/", {"everything": "on", "decision": "confirm"})
    pupil.refresh_from_db()
    assert pupil.is_looked_after and pupil.is_vulnerable


def test_only_the_safeguarding_team_opens_the_page(tenant_a, login_as) -> None:
    for role in (Role.SCHOOL_ADMIN, Role.TEACHER, Role.HEADTEACHER):
        assert login_as(tenant_a.school, role).get("/people/flag-changes/").status_code == 403


def test_another_schools_change_cannot_be_decided(tenant_a, login_as) -> None:
    theirs = PupilFactory(school=tenant_a.other_school, social_care_status="cp", is_vulnerable=True)
    data = pupils_csv(
        [[theirs.upn, "Example", theirs.first_name, "01/05/2016", "4", "", "", "", ""]],
        header=HEADER,
    )
    people_import(actor=SYSTEM, school=tenant_a.other_school, kind="pupils", data=data)
    change = PendingFlagChange.objects.get(pupil=theirs)
    client = login_as(tenant_a.school, Role.DSL)
    assert theirs.first_name not in client.get("/people/flag-changes/").content.decode()
    refused = client.post("/people/flag-changes/", {"changes": [change.pk], "decision": "confirm"})
    assert refused.status_code == 400
    assert "no longer waiting" in refused.content.decode()
    change.refresh_from_db()
    assert change.status == FlagChangeStatus.PENDING
    theirs.refresh_from_db()
    assert theirs.social_care_status == "cp"


@pytest.mark.parametrize(
    "data",
    [{"decision": "confirm"}, {"changes": ["²"], "decision": "confirm"}, {"everything": "on"}],
)
def test_a_bad_decision_is_a_message(tenant_a, on_plans, login_as, data) -> None:
    people_import(
        actor=SYSTEM, school=tenant_a.school, kind="pupils", data=blank_flags_csv(on_plans)
    )
    response = login_as(tenant_a.school, Role.DSL).post("/people/flag-changes/", data)
    assert response.status_code == 400
    assert "govuk-error-summary" in response.content.decode()
    assert PendingFlagChange.objects.filter(status="pending").count() == 3


def test_reimporting_waits_once_and_a_file_that_agrees_withdraws_the_change(
    tenant_a, on_plans
) -> None:
    data = blank_flags_csv(on_plans)
    people_import(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=data)
    again = people_import(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=data)
    assert not again.has_changes
    assert PendingFlagChange.objects.filter(status="pending").count() == 3

    fixed = people_import(
        actor=SYSTEM, school=tenant_a.school, kind="pupils", data=flags_csv(on_plans[:1], cp="Y")
    )
    [update] = fixed.section("Pupils").updates
    assert [c.note for c in update.changes] == [
        "withdraws the change waiting for the DSL's confirmation"
    ]
    assert PendingFlagChange.objects.get(pupil=on_plans[0]).status == "withdrawn"
    assert PendingFlagChange.objects.filter(status="pending").count() == 2


def test_the_web_preview_says_which_rows_need_the_dsl_to_those_who_see_flags(
    tenant_a, on_plans, login_as
) -> None:
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    upload = client.post(
        "/people/import/",
        {"kind": "pupils", "file": SimpleUploadedFile("p.csv", blank_flags_csv(on_plans))},
    )
    body = client.get(upload["Location"]).content.decode()
    assert "needs the DSL" not in body, "which rows differ would name the children on plans"
    assert 'data-testid="flag-columns-to-dsl"' in body
    assert "Child protection plan" not in body, "the stored flag is not shown to the admin"
    head = login_as(tenant_a.school, Role.HEADTEACHER)
    upload = head.post(
        "/people/import/",
        {"kind": "pupils", "file": SimpleUploadedFile("p.csv", blank_flags_csv(on_plans))},
    )
    body = head.get(upload["Location"]).content.decode()
    assert body.count("needs the DSL&#x27;s confirmation") == 3
    assert "3 changes to child protection, child in need, looked-after or vulnerable" in body
