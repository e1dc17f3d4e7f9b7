"""Query-count guards: protocol pages cost the same number of queries however many staff the
school has, however many of them have read the protocol and however many versions are stored."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chaperone.people.models import StaffAssignment
from chaperone.protocols.demo import template_source
from chaperone.protocols.effective import effective_protocol_for_school, today_at
from chaperone.protocols.services import protocol_acknowledge_for_school
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.roles import Role
from tests.factories import StaffFactory
from tests.protocols.factories import bump, school_overlay_version, trust_version

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _more_versions(tenant, overlay) -> None:  # type: ignore[no-untyped-def]
    trust_text = template_source("npat-one-to-one")
    for n in range(2, 5):
        trust_version(tenant.trust, text=bump(trust_text, f"2026.{n}"))
    school_overlay_version(tenant.school, text=bump(overlay.source_text, "2026.2"))


def _more_staff(tenant, count: int) -> None:  # type: ignore[no-untyped-def]
    """``count`` more teachers at the school; every other one has read the protocol in force."""
    effective = effective_protocol_for_school(tenant.school, on=today_at(tenant.school))
    assert effective is not None
    for n in range(count):
        staff = StaffFactory(trust=tenant.trust)
        StaffAssignment.objects.create(staff=staff, school=tenant.school, role=Role.TEACHER)
        if n % 2:
            reader = Actor(
                user_id=None,
                staff_id=staff.pk,
                trust_id=tenant.trust.pk,
                school_roles={tenant.school.pk: frozenset({Role.TEACHER})},
            )
            protocol_acknowledge_for_school(
                actor=reader,
                school=tenant.school,
                version_ids=[v.pk for v in effective.versions],
            )


@pytest.mark.parametrize("url_name", ["current", "acknowledgements", "history", "try", "parent"])
def test_protocol_pages_do_not_query_per_member_of_staff_or_version(
    tenant_a, overlay, login_as, url_name
) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    url = reverse(f"protocols:{url_name}")
    _queries(client, url)  # warm the session, the actor and the compiled protocol
    few = _queries(client, url)
    _more_versions(tenant_a, overlay)
    _more_staff(tenant_a, 20)
    _queries(client, url)  # the new versions are compiled once per process
    many = _queries(client, url)
    assert many == few, f"{url_name}: {few} queries with few rows, {many} with many"


def test_trust_upload_preview_does_not_query_per_school(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    from chaperone.protocols.demo import primary_overlay_source
    from chaperone.protocols.uploads import protocol_upload_check
    from chaperone.tenancy.policies import SYSTEM
    from tests.factories import SchoolFactory

    text = bump(template_source("npat-one-to-one"), "2026.2")

    def queries() -> int:
        actor = SYSTEM
        protocol_upload_check(actor=actor, school=tenant_a.school, source_text=text)  # warm
        with CaptureQueriesContext(connection) as ctx:
            protocol_upload_check(actor=actor, school=tenant_a.school, source_text=text)
        return len(ctx.captured_queries)

    few = queries()
    for _ in range(4):
        school = SchoolFactory(trust=tenant_a.trust)
        school_overlay_version(school, text=primary_overlay_source(school))
    assert queries() == few


def test_the_protocol_in_force_takes_its_owners_from_the_school_in_hand(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    """The dashboard asks for the school's protocol on every request: the one query does not
    join the school and its trust again when the caller already has them, and naming the owners
    afterwards costs nothing."""
    from chaperone.tenancy.models import School

    school = School.objects.select_related("trust").get(pk=tenant_a.school.pk)
    with CaptureQueriesContext(connection) as ctx:
        effective = effective_protocol_for_school(school, on=today_at(school))
    assert effective is not None and effective.school_version is not None
    with CaptureQueriesContext(connection) as naming:
        owners = (effective.trust_version.protocol.owner, effective.school_version.protocol.owner)
    assert owners[0] is school.trust and owners[1] is school
    assert not naming.captured_queries
    versions = ctx.captured_queries[0]["sql"]  # the versions in force, then what they need
    assert versions.startswith('SELECT "protocols_protocolversion"')
    assert '"tenancy_school"' not in versions and '"tenancy_trust"' not in versions
