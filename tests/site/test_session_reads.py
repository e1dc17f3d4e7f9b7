"""The prepared session and user reads (chaperone/core/sessions.py, chaperone/people/backends.py)
answer as Django's: an ended, expired or deactivated session is signed out on its next request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chaperone.people.backends import PasswordBackend
from chaperone.tenancy.roles import Role
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def signed_in(tenant_a) -> tuple[Client, object]:
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = Client()
    answer = client.post(
        reverse("login"),
        {"username": staff.user.username, "password": "correct horse battery"},
    )
    assert answer.status_code == 302, answer.content[:500]
    return client, staff


def test_sign_in_goes_through_the_prepared_backend(tenant_a) -> None:
    client, staff = signed_in(tenant_a)
    session = Session.objects.get(session_key=client.cookies["sessionid"].value)
    data = session.get_decoded()
    assert data["_auth_user_backend"] == "chaperone.people.backends.PasswordBackend"
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert page.context["user"] == staff.user


@pytest.mark.parametrize("how", ["deleted", "expired", "deactivated"])
def test_the_next_request_is_signed_out(tenant_a, how: str) -> None:
    client, staff = signed_in(tenant_a)
    assert client.get(reverse("dashboard")).status_code == 200
    key = client.cookies["sessionid"].value
    if how == "deleted":
        Session.objects.filter(session_key=key).delete()
    elif how == "expired":
        Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1)
        )
    else:
        staff.user.is_active = False
        staff.user.save(update_fields=["is_active"])
    answer = client.get(reverse("dashboard"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))


def test_an_unknown_user_id_is_nobody(tenant_a) -> None:
    _, staff = signed_in(tenant_a)
    backend = PasswordBackend()
    assert backend.get_user(staff.user.pk) == staff.user
    assert backend.get_user(staff.user.pk + 1000) is None
    assert backend.get_user(str(staff.user.pk)) == staff.user
