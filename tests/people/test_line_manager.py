"""A member of staff's line manager, set by the headteacher on the Roles screen."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.people.services import staff_line_manager_set
from chaperone.tenancy.roles import Role
from tests.conftest import verified_client
from tests.factories import make_staff


def test_the_head_sets_and_clears_a_line_manager(tenant_a) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    head = make_staff(school, Role.HEADTEACHER)
    teacher = make_staff(school, Role.TEACHER)
    manager = make_staff(school, Role.HEAD_OF_YEAR, first_name="Mona", last_name="Manager")
    elsewhere = make_staff(tenant_a.other_school, Role.TEACHER, first_name="Zed")
    url = reverse("people:staff_roles", args=[teacher.pk])
    client = verified_client(head)
    page = client.get(url).content.decode()
    assert "Line manager" in page and "Mona Manager" in page and "Zed" not in page

    bad = client.post(url, {"line_manager": str(elsewhere.pk)})
    assert bad.status_code == 400
    assert "Choose a member of staff of this school." in bad.content.decode()
    teacher.refresh_from_db()
    assert teacher.line_manager is None

    done = client.post(url, {"line_manager": str(manager.pk)}, follow=True)
    assert "line manager is now Mona Manager" in done.content.decode()
    teacher.refresh_from_db()
    assert teacher.line_manager == manager
    event = AuditEvent.objects.get(action="staff.line_manager_set")
    assert event.details == {"from": None, "to": manager.pk}

    client.post(url, {"line_manager": ""})
    teacher.refresh_from_db()
    assert teacher.line_manager is None


def test_only_the_head_sets_line_managers(tenant_a) -> None:  # type: ignore[no-untyped-def]
    school = tenant_a.school
    teacher = make_staff(school, Role.TEACHER)
    other = make_staff(school, Role.TEACHER)
    with pytest.raises(PermissionDenied):
        staff_line_manager_set(
            actor=actor_for_user(other.user), staff=teacher, school=school, manager=other
        )
    head = make_staff(school, Role.HEADTEACHER)
    with pytest.raises(ValueError, match="Line manager"):
        staff_line_manager_set(
            actor=actor_for_user(head.user), staff=teacher, school=school, manager=teacher
        )
