"""Shared fixtures: two tenants (a trust with two schools, and an independent school)."""

from __future__ import annotations

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
