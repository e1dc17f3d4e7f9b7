"""Shared fixtures: two tenants (a trust with two schools, and an independent school)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from chaperone.people.models import StaffMember
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import TWO_FACTOR_ROLES
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff


@dataclass
class Tenant:
    trust: Trust
    school: School
    other_school: School | None = None


#: Fixtures through which a test reaches Django's database (pytest-django refuses database
#: access to a test that has none of them and no ``django_db`` mark).
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_setup",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
    }
)


def uses_a_database(item: pytest.Item) -> bool:
    """Whether ``item`` can reach the database under test: a ``django_db`` mark, a database
    fixture (directly or through another fixture), or the ``both_databases`` mark of a test
    that reaches it another way (a server started with this process's environment)."""
    if item.get_closest_marker("django_db") or item.get_closest_marker("both_databases"):
        return True
    return bool(DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass of ``scripts/run-tests``, leave out the tests that cannot reach a
    database (the rule engine, the planner, the CLIs on their own files): they ran, the same, on
    the SQLite pass. ``CHAPERONE_TESTS_ALL_ON_POSTGRES=1`` runs them again anyway."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if not on_postgres or os.environ.get("CHAPERONE_TESTS_ALL_ON_POSTGRES") == "1":
        return
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        (kept if uses_a_database(item) else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture
def tenant_a(db) -> Tenant:
    trust = TrustFactory(name="Alpha Learning Trust", slug="alpha")
    school = SchoolFactory(trust=trust, name="Alpha Primary", urn="111111")
    other = SchoolFactory(trust=trust, name="Alpha Secondary", urn="111112")
    PupilFactory(school=school, first_name="Ada", last_name="Alphaone")
    PupilFactory(school=other, first_name="Abe", last_name="Alphatwo")
    return Tenant(trust, school, other)


@pytest.fixture
def tenant_b(db) -> Tenant:
    trust = TrustFactory(name="Beta School Ltd", slug="beta", is_standalone=True)
    school = SchoolFactory(trust=trust, name="Beta Independent", urn="222221")
    PupilFactory(school=school, first_name="Bea", last_name="Betaone")
    return Tenant(trust, school)


def verified_client(staff: StaffMember) -> Client:
    """A test client logged in as ``staff``, with a confirmed TOTP device used this session."""
    client = Client()
    client.force_login(staff.user)
    device = TOTPDevice.objects.create(user=staff.user, name="test", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def login_as(db) -> Callable[..., Client]:
    """``login_as(school, role)`` -> a client signed in (and 2FA-verified where required)."""

    def _login(
        school: School | None,
        role: str = Role.TEACHER,
        *,
        trust: Trust | None = None,
        verified: bool = True,
    ) -> Client:
        staff = make_staff(school, role, trust=trust)
        if verified and role in TWO_FACTOR_ROLES:
            return verified_client(staff)
        client = Client()
        client.force_login(staff.user)
        return client

    return _login
