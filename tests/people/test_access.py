"""People reads through the policy: the view guard, audited read selectors, the own-record object
rule, the inverse "who may" query and the staff list's scoped roles."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.people.models import Pupil, StaffAssignment, StaffMember
from chaperone.people.selectors import pupil_get_for_viewing, staff_with_permission
from chaperone.tenancy.policies import SYSTEM
from chaperone.tenancy.querysets import can_for
from chaperone.tenancy.roles import Role
from tests.conftest import verified_client
from tests.factories import StaffFactory, make_staff

pytestmark = pytest.mark.django_db


def _signed_in(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.mark.parametrize(
    "url_name", ["people:pupil_list", "people:staff_list", "audit:event_list", "protocols:current"]
)
def test_no_school_and_no_permission_get_one_answer(tenant_a, url_name: str) -> None:
    nobody = _signed_in(StaffFactory(trust=tenant_a.trust))  # a login with no role anywhere
    assert nobody.get(reverse(url_name)).status_code == 403


def test_a_trust_admin_opens_their_own_staff_record(tenant_a) -> None:
    admin = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)  # holds no school role
    actor = actor_for_user(admin.user)
    assert can_for(actor, "staff.view", admin)
    response = verified_client(admin).get(reverse("people:staff_detail", args=[admin.pk]))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="staff.viewed", target_id=str(admin.pk)).exists()


def test_the_own_record_rule_opens_nothing_else(tenant_a, tenant_b) -> None:
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    outsider = make_staff(tenant_b.school, Role.TEACHER)
    actor = actor_for_user(teacher.user)
    assert can_for(actor, "staff.view", teacher)
    assert not can_for(actor, "staff.view", outsider)
    response = _signed_in(teacher).get(reverse("people:staff_detail", args=[outsider.pk]))
    assert response.status_code == 404


def test_a_read_outside_the_scope_is_a_404_and_writes_no_audit_row(tenant_a, tenant_b) -> None:
    actor = actor_for_user(make_staff(tenant_a.school, Role.TEACHER).user)
    theirs = Pupil.objects.get(school=tenant_b.school)
    before = AuditEvent.objects.count()
    with pytest.raises(Http404):
        pupil_get_for_viewing(actor=actor, pupil_id=theirs.pk)
    assert AuditEvent.objects.count() == before
    ours = Pupil.objects.get(school=tenant_a.school)
    assert pupil_get_for_viewing(actor=actor, pupil_id=ours.pk) == ours
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.target_id) == ("pupil.viewed", str(ours.pk))


def test_who_may_is_the_inverse_of_may(tenant_a, tenant_b) -> None:
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER)
    dsl = make_staff(school, Role.DSL)
    make_staff(school, Role.TEACHER)
    make_staff(tenant_a.other_school, Role.DSL)  # a sister school's DSL
    admin = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    make_staff(None, Role.TRUST_ADMIN, trust=tenant_b.trust)  # another trust's admin
    gone = make_staff(school, Role.DSL, is_active=False)
    holders = set(staff_with_permission(action="audit.view", school=school))
    assert holders == {head, dsl, admin}
    assert gone not in holders
    for member in StaffMember.objects.filter(is_active=True):
        may = actor_for_user(member.user).can("audit.view", school.pk)
        assert may is (member in holders), member


def test_the_staff_list_shows_only_this_schools_roles_without_a_trailing_comma(
    tenant_a, login_as
) -> None:
    member = make_staff(tenant_a.school, Role.COUNSELLOR, last_name="Twoplace")
    StaffAssignment.objects.create(staff=member, school=tenant_a.other_school, role=Role.TEACHER)
    body = login_as(tenant_a.school, Role.HEADTEACHER).get(reverse("people:staff_list")).content
    row = body.decode().split("Twoplace</a></td>")[1].split("</td>")[0]
    assert row.strip().removeprefix("<td>") == "Counsellor"


def test_the_system_reads_every_school_only_for_what_it_is_granted(tenant_a, tenant_b) -> None:
    assert Pupil.objects.for_actor(SYSTEM, "pupil.view").count() == 0
    assert Pupil.objects.for_actor(SYSTEM, "people.import").count() == Pupil.objects.count()
