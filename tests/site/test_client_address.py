"""Audit rows and the sign-in lockout name the real client, behind the documented proxy too.

Review finding MEDIUM 13: both used REMOTE_ADDR, so behind a proxy every row named the proxy and
five wrong passwords from anyone locked the username for everyone.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.core.proxies import TrustedProxies
from chaperone.people.models import Role
from tests.factories import make_staff

PASSWORD = "correct horse battery"
PROXY = "10.0.0.5"

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_proxy(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CHAPERONE_PROXIES = TrustedProxies.parse(header="X-Forwarded-For", proxies=PROXY)


def _via_proxy(client_address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def _sign_in(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


def _audited_address(client: Client) -> str | None:
    assert client.get(reverse("audit:event_list")).status_code == 200
    return AuditEvent.objects.filter(action="audit.viewed").latest("seq").ip_address


def test_audit_names_the_client_behind_a_trusted_proxy(tenant_a, login_as, behind_proxy) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    client.defaults.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert _audited_address(client) == "203.0.113.9"


def test_without_a_trusted_proxy_the_header_is_ignored(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    client.defaults.update(REMOTE_ADDR="198.51.100.20", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert _audited_address(client) == "198.51.100.20"


def test_a_lockout_behind_the_proxy_locks_one_client_not_everyone(tenant_a, behind_proxy) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER)
    attacker = _via_proxy("203.0.113.66")
    for _ in range(5):
        _sign_in(attacker, staff.user.username, "wrong guess")
    assert _sign_in(attacker, staff.user.username).status_code == 429
    # The member of staff, at school behind the same proxy, still signs in.
    assert _sign_in(_via_proxy("198.51.100.7"), staff.user.username).status_code == 302
    # Forging the header does not get the attacker out of the lockout either.
    forged = _via_proxy("198.51.100.7, 203.0.113.66")
    assert _sign_in(forged, staff.user.username).status_code == 429


def test_direct_clients_cannot_dodge_a_lockout_with_the_header(tenant_a, behind_proxy) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER)
    direct = Client(REMOTE_ADDR="198.51.100.20")
    for _ in range(5):
        _sign_in(direct, staff.user.username, "wrong guess")
    dodging = Client(REMOTE_ADDR="198.51.100.20", HTTP_X_FORWARDED_FOR="192.0.2.1")
    assert _sign_in(dodging, staff.user.username).status_code == 429
