"""Roles are granted on the Roles screen, confirmed by a second person, never imported."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.people import grants
from chaperone.people.actors import actor_for_user
from chaperone.people.models import StaffAssignment
from chaperone.tenancy.roles import Role
from tests.conftest import verified_client
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def actor(staff):  # type: ignore[no-untyped-def]
    return actor_for_user(staff.user)


def test_a_granted_dsl_role_waits_for_a_second_person(tenant_a) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER, first_name="Helen", last_name="Walker")
    deputy_head = make_staff(school, Role.HEADTEACHER, first_name="Omar", last_name="Khan")
    teacher = make_staff(school, Role.TEACHER, first_name="Saima", last_name="Riaz")

    change = grants.staff_role_grant(actor=actor(head), staff=teacher, school=school, role="dsl")
    assert change.assignment.awaiting_confirmation
    assert actor(teacher).roles_in(school.id) == {Role.TEACHER}
    assert not actor(teacher).requires_two_factor  # nothing to enrol a device for yet

    with pytest.raises(grants.RoleChangeRefused, match="someone else must confirm"):
        grants.staff_role_confirm(
            actor=actor(head), staff=teacher, assignment_id=change.assignment.pk
        )
    grants.staff_role_confirm(
        actor=actor(deputy_head), staff=teacher, assignment_id=change.assignment.pk
    )
    assert actor(teacher).roles_in(school.id) == {Role.TEACHER, Role.DSL}
    assignment = StaffAssignment.objects.get(pk=change.assignment.pk)
    assert (assignment.granted_by, assignment.confirmed_by) == (head, deputy_head)

    granted, confirmed = AuditEvent.objects.filter(
        action__in=["staff.role_granted", "staff.role_confirmed"]
    ).order_by("seq")
    assert granted.details["person"] == "Saima Riaz"
    assert granted.details["by"] == "Helen Walker"
    assert granted.details["role"] == "dsl"
    assert granted.details["school"] == school.name
    assert granted.school_id == school.id
    assert confirmed.details["by"] == "Omar Khan"
    assert confirmed.details["granted_by"] == "Helen Walker"


def test_the_grantee_cannot_confirm_their_own_grant(tenant_a) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER)
    other_head = make_staff(school, Role.HEADTEACHER)
    change = grants.staff_role_grant(actor=actor(head), staff=other_head, school=school, role="dsl")
    with pytest.raises(grants.RoleChangeRefused, match="your own roles"):
        grants.staff_role_confirm(
            actor=actor(other_head), staff=other_head, assignment_id=change.assignment.pk
        )
    assert StaffAssignment.objects.get(pk=change.assignment.pk).awaiting_confirmation


def test_nobody_changes_their_own_roles(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    with pytest.raises(grants.RoleChangeRefused, match="cannot change your own roles"):
        grants.staff_role_grant(actor=actor(head), staff=head, school=tenant_a.school, role="dsl")
    own = head.assignments.get()
    with pytest.raises(grants.RoleChangeRefused, match="cannot change your own roles"):
        grants.staff_role_remove(actor=actor(head), staff=head, assignment_id=own.pk)
    assert head.assignments.count() == 1


def test_a_trust_admin_confirms_and_only_trust_admins_grant_trust_roles(tenant_a) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER)
    trust_admin = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    teacher = make_staff(school, Role.TEACHER)
    with pytest.raises(PermissionDenied):
        grants.staff_role_grant(actor=actor(head), staff=teacher, school=school, role="trust_admin")
    assert "trust_admin" not in dict(grants.grantable_roles(actor=actor(head), school=school))

    change = grants.staff_role_grant(actor=actor(head), staff=teacher, school=school, role="slt")
    grants.staff_role_confirm(
        actor=actor(trust_admin), staff=teacher, assignment_id=change.assignment.pk
    )
    assert Role.SLT in actor(teacher).roles_in(school.id)


def test_ordinary_roles_take_effect_at_once(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    change = grants.staff_role_grant(
        actor=actor(head), staff=teacher, school=tenant_a.school, role="tutor"
    )
    assert not change.assignment.awaiting_confirmation
    assert Role.TUTOR in actor(teacher).roles_in(tenant_a.school.id)
    assert mail.outbox == []  # ordinary roles are audited, not announced to every tutor
    assert AuditEvent.objects.filter(action="staff.role_granted").count() == 1


def test_a_trust_role_is_not_granted_twice(tenant_a) -> None:  # type: ignore[no-untyped-def]
    trust_admin = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    me = actor(trust_admin)
    grants.staff_role_grant(actor=me, staff=teacher, school=tenant_a.school, role="trust_admin")
    with pytest.raises(grants.RoleChangeRefused, match="already holds"):
        grants.staff_role_grant(
            actor=me, staff=teacher, school=tenant_a.other_school, role="trust_admin"
        )
    assert teacher.assignments.filter(role="trust_admin", school=None).count() == 1


def test_a_dsl_or_school_admin_may_not_grant(tenant_a) -> None:  # type: ignore[no-untyped-def]
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    for role in (Role.DSL, Role.SCHOOL_ADMIN):
        someone = make_staff(tenant_a.school, role)
        with pytest.raises(PermissionDenied):
            grants.staff_role_grant(
                actor=actor(someone), staff=teacher, school=tenant_a.school, role="dsl"
            )


def test_the_person_and_the_other_holders_are_emailed(tenant_a) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER)
    teacher = make_staff(school, Role.TEACHER, email="new.dsl@example.org")
    make_staff(school, Role.DSL, email="dsl.here@example.org")
    make_staff(tenant_a.other_school, Role.DSL, email="dsl.elsewhere@example.org")
    make_staff(school, Role.TEACHER, email="colleague@example.org")

    grants.staff_role_grant(actor=actor(head), staff=teacher, school=school, role="dsl")
    assert sorted(m.to[0] for m in mail.outbox) == ["dsl.here@example.org", "new.dsl@example.org"]
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert "awaiting confirmation" in mail.outbox[0].subject
    assert "Designated safeguarding lead" in mail.outbox[0].body


def test_removing_a_role_is_audited_and_emailed(tenant_a) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER)
    dsl = make_staff(school, Role.DSL, email="going@example.org")
    assignment = dsl.assignments.get()
    grants.staff_role_remove(actor=actor(head), staff=dsl, assignment_id=assignment.pk)
    assert not dsl.assignments.exists()
    event = AuditEvent.objects.get(action="staff.role_removed")
    assert (event.details["role"], event.target_id) == ("dsl", str(dsl.pk))
    assert [m.to for m in mail.outbox] == [["going@example.org"]]
    assert "removed" in mail.outbox[0].subject


# The Roles screen --------------------------------------------------------------------------


def test_head_grants_and_another_head_confirms_on_the_roles_screen(tenant_a) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER)
    other_head = make_staff(school, Role.HEADTEACHER)
    teacher = make_staff(school, Role.TEACHER)
    url = reverse("people:staff_roles", args=[teacher.pk])

    client = verified_client(head)
    page = client.get(url)
    assert page.status_code == 200
    assert "Grant a role" in page.content.decode()
    bad = client.post(url, {"role": "no-such-role"})
    assert "Choose one of the roles in the list." in bad.content.decode()
    response = client.post(url, {"role": "deputy_dsl"}, follow=True)
    body = response.content.decode()
    assert "takes effect once another headteacher" in body
    assert "Awaiting confirmation" in body
    assignment = teacher.assignments.get(role="deputy_dsl")
    assert f'name="confirm" value="{assignment.pk}"' not in body  # not for the granter

    waiting = verified_client(other_head).get(reverse("people:role_confirmations"))
    assert teacher.full_name in waiting.content.decode()
    confirmed = verified_client(other_head).post(url, {"confirm": assignment.pk}, follow=True)
    assert "now holds it" in confirmed.content.decode()
    assert Role.DEPUTY_DSL in actor(teacher).roles_in(school.id)


def test_own_roles_screen_refuses_changes_with_a_clear_message(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    client = verified_client(head)
    url = reverse("people:staff_roles", args=[head.pk])
    assert "You cannot change your own roles" in client.get(url).content.decode()
    response = client.post(url, {"role": "dsl"})
    assert "You cannot change your own roles" in response.content.decode()
    assert not head.assignments.filter(role="dsl").exists()


def test_roles_screen_needs_the_second_factor_this_session(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    client = Client()
    client.force_login(head.user)
    response = client.get(reverse("people:staff_roles", args=[teacher.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))


def test_another_schools_staff_member_is_a_404(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    elsewhere = make_staff(tenant_a.other_school, Role.TEACHER)
    client = verified_client(head)
    for name in ("people:staff_roles", "people:staff_account"):
        response = client.post(reverse(name, args=[elsewhere.pk]), {"role": "dsl"})
        assert response.status_code == 404, name
    assert not elsewhere.assignments.filter(role="dsl").exists()


@pytest.mark.parametrize("role", [Role.DSL, Role.SCHOOL_ADMIN, Role.TEACHER, Role.SLT])
def test_only_heads_and_trust_admins_reach_the_screens(tenant_a, login_as, role) -> None:  # type: ignore[no-untyped-def]
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    client = login_as(tenant_a.school, role)
    assert client.get(reverse("people:staff_roles", args=[teacher.pk])).status_code == 404
    assert client.get(reverse("people:staff_account", args=[teacher.pk])).status_code == 404
    confirmations = client.get(reverse("people:role_confirmations"))
    if role == Role.DSL:  # confirms only where nobody else may: nothing here
        assert "No roles are awaiting" in confirmations.content.decode()
    else:
        assert confirmations.status_code == 403


def test_staff_page_links_to_the_screens_for_a_head_only(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    url = reverse("people:staff_detail", args=[teacher.pk])
    head_page = login_as(tenant_a.school, Role.HEADTEACHER).get(url).content.decode()
    assert reverse("people:staff_roles", args=[teacher.pk]) in head_page
    assert reverse("people:staff_account", args=[teacher.pk]) in head_page
    dsl_page = login_as(tenant_a.school, Role.DSL).get(url).content.decode()
    assert reverse("people:staff_roles", args=[teacher.pk]) not in dsl_page


# HIGH 1 of the security review, as reproduced there ---------------------------------------


def test_school_admin_cannot_import_themselves_as_dsl_and_head(tenant_a) -> None:  # type: ignore[no-untyped-def]
    admin = make_staff(tenant_a.school, Role.SCHOOL_ADMIN, staff_ref="NLT0011", first_name="João")
    client = Client()
    client.force_login(admin.user)
    upload = client.post(
        reverse("people:import_start"),
        {
            "kind": "staff",
            "file": SimpleUploadedFile(
                "staff.csv",
                b"Staff ID,Forename,Surname,Roles\nNLT0011,Jo\xc3\xa3o,Pereira,DSL;Headteacher\n",
            ),
        },
    )
    preview = client.get(upload["Location"])
    body = preview.content.decode()
    assert "never given by import" in body
    assert "Roles screen" in body
    confirm = client.post(upload["Location"] + "confirm/", {"skip_invalid": "on"}, follow=True)
    assert confirm.status_code == 200
    assert set(admin.assignments.values_list("role", flat=True)) == {Role.SCHOOL_ADMIN}
    me = actor_for_user(admin.user)
    assert not me.requires_two_factor
    assert not me.can("audit.view", tenant_a.school.id)
    assert client.get(reverse("audit:event_list")).status_code == 403


def test_a_standalone_school_with_one_head_has_its_dsl_confirm(tenant_b) -> None:  # type: ignore[no-untyped-def]
    """Review: with one headteacher and no trust administrator, nobody could ever confirm a new
    DSL or deputy. The school's DSL confirms instead, on the list, and only then."""
    school = tenant_b.school
    head = make_staff(school, Role.HEADTEACHER, first_name="Helen", last_name="Walker")
    dsl = make_staff(school, Role.DSL, first_name="Emma", last_name="Taylor")
    teacher = make_staff(school, Role.TEACHER, first_name="Saima", last_name="Riaz")
    grant = grants.staff_role_grant(
        actor=actor(head), staff=teacher, school=school, role="deputy_dsl"
    ).assignment

    client = verified_client(dsl)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "1 role awaits your confirmation" in dashboard
    page = client.get(reverse("people:role_confirmations"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Saima Riaz" in body and "Confirm" in body
    response = client.post(reverse("people:role_confirm", args=[grant.pk]), follow=True)
    assert "Saima Riaz now holds it" in response.content.decode()
    assert Role.DEPUTY_DSL in actor(teacher).roles_in(school.id)
    confirmed = AuditEvent.objects.get(action="staff.role_confirmed")
    assert confirmed.details["by"] == "Emma Taylor"
    assert StaffAssignment.objects.get(pk=grant.pk).confirmed_by == dsl


def test_the_dsl_does_not_confirm_where_a_head_or_trust_admin_can(tenant_a, tenant_b) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER)
    make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    dsl = make_staff(school, Role.DSL)
    teacher = make_staff(school, Role.TEACHER)
    grant = grants.staff_role_grant(
        actor=actor(head), staff=teacher, school=school, role="dsl"
    ).assignment
    client = verified_client(dsl)
    listed = client.get(reverse("people:role_confirmations")).content.decode()
    assert "No roles are awaiting" in listed
    assert client.post(reverse("people:role_confirm", args=[grant.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        grants.staff_role_confirm(actor=actor(dsl), staff=teacher, assignment_id=grant.pk)
    assert StaffAssignment.objects.get(pk=grant.pk).awaiting_confirmation


def test_the_fallback_dsl_cannot_confirm_a_grant_to_themselves(tenant_b) -> None:  # type: ignore[no-untyped-def]
    school = tenant_b.school
    head = make_staff(school, Role.HEADTEACHER)
    dsl = make_staff(school, Role.DSL)
    grant = grants.staff_role_grant(actor=actor(head), staff=dsl, school=school, role="slt")
    with pytest.raises(PermissionDenied):
        grants.staff_role_confirm(actor=actor(dsl), staff=dsl, assignment_id=grant.assignment.pk)
    teacher = make_staff(school, Role.TEACHER)
    client = verified_client(teacher)
    assert client.get(reverse("people:role_confirmations")).status_code == 403
