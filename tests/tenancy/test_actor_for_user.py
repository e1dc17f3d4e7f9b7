"""Who is acting: the actor built from a user's staff record and roles, in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chaperone.people.actors import actor_for_user
from chaperone.people.models import Role, StaffAssignment
from chaperone.tenancy.policies import ANONYMOUS
from tests.factories import StaffFactory, UserFactory, make_staff

pytestmark = pytest.mark.django_db


def test_school_roles_in_one_query(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER, first_name="Tia", last_name="Teach")
    StaffAssignment.objects.create(staff=staff, school=tenant_a.school, role=Role.TUTOR)
    StaffAssignment.objects.create(staff=staff, school=tenant_a.other_school, role=Role.DSL)
    with CaptureQueriesContext(connection) as queries:
        actor = actor_for_user(staff.user)
    assert len(queries) == 1
    assert actor.staff_id == staff.pk
    assert actor.trust_id == tenant_a.trust.pk
    assert actor.label == "Tia Teach"
    assert actor.school_roles == {
        tenant_a.school.pk: {Role.TEACHER, Role.TUTOR},
        tenant_a.other_school.pk: {Role.DSL},
    }
    assert actor.trust_roles == frozenset()


def test_a_trust_role_reaches_every_school_of_the_trust(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    actor = actor_for_user(staff.user)
    assert actor.trust_roles == {Role.TRUST_ADMIN}
    assert actor.trust_school_ids == {tenant_a.school.pk, tenant_a.other_school.pk}


def test_staff_without_a_role_are_staff_with_no_rights(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = StaffFactory(trust=tenant_a.trust)
    actor = actor_for_user(staff.user)
    assert actor.staff_id == staff.pk
    assert actor.school_roles == {}
    assert actor.visible_school_ids == frozenset()


def test_an_inactive_staff_record_gives_no_roles(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.HEADTEACHER)
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    actor = actor_for_user(staff.user)
    assert actor.staff_id is None
    assert actor.school_roles == {}


def test_users_without_a_staff_record_and_anonymous_visitors() -> None:
    user = UserFactory()
    assert actor_for_user(user).staff_id is None
    assert actor_for_user(user).user_id == user.pk
    assert actor_for_user(AnonymousUser()) is ANONYMOUS
    assert actor_for_user(None) is ANONYMOUS
