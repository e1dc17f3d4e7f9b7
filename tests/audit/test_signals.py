"""Sign-in, failed sign-in and sign-out are logged by the people app's signal receivers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.tenancy.roles import Role
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def test_a_sign_in_is_logged_with_who_and_from_where(tenant_a) -> None:
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = Client(REMOTE_ADDR="198.51.100.4", HTTP_USER_AGENT="Firefox/140")
    response = client.post(
        reverse("login"), {"username": staff.user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="auth.login").latest("seq")
    assert (event.actor_user_id, event.actor_staff_id) == (staff.user.pk, staff.pk)
    assert event.actor_label == staff.full_name
    assert event.trust_id == tenant_a.trust.pk
    assert (event.ip_address, event.user_agent, event.via) == ("198.51.100.4", "Firefox/140", "web")


def test_a_failed_sign_in_records_the_username_and_never_the_password(tenant_a) -> None:
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = Client(REMOTE_ADDR="198.51.100.5")
    client.post(reverse("login"), {"username": staff.user.username, "password": "Hunter2-secret"})
    event = AuditEvent.objects.filter(action="auth.login_failed").latest("seq")
    assert event.details == {"username": staff.user.username}
    assert event.actor_user_id is None
    assert event.trust_id == tenant_a.trust.pk
    assert event.ip_address == "198.51.100.5"
    assert "Hunter2-secret" not in event.payload
    assert "****" not in event.payload


def test_a_sign_out_is_logged(tenant_a) -> None:
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = Client()
    client.force_login(staff.user)
    client.post(reverse("logout"))
    event = AuditEvent.objects.filter(action="auth.logout").latest("seq")
    assert event.actor_user_id == staff.user.pk


def test_a_failed_sign_in_with_an_unknown_name_belongs_to_no_trust(db) -> None:
    Client().post(reverse("login"), {"username": "nobody-here", "password": "whatever-it-is"})
    event = AuditEvent.objects.filter(action="auth.login_failed").latest("seq")
    assert (event.details, event.trust_id, event.school_id) == (
        {"username": "nobody-here"},
        None,
        None,
    )
