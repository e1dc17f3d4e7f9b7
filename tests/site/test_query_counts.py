"""Query-count guards: list pages cost the same number of queries whatever the school's size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chaperone.people.models import StaffAssignment
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory, StaffFactory


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["people:pupil_list", "people:staff_list", "dashboard"])
def test_list_pages_do_not_query_per_row(tenant_a, login_as, url_name) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.DSL)
    url = reverse(url_name)
    _queries(client, url)  # warm the session and the actor
    few = _queries(client, url)
    for n in range(30):
        PupilFactory(school=tenant_a.school, first_name=f"More{n}")
        staff = StaffFactory(trust=tenant_a.trust)
        StaffAssignment.objects.create(staff=staff, school=tenant_a.school, role=Role.TEACHER)
    many = _queries(client, url)
    assert many == few, f"{url_name}: {few} queries with few rows, {many} with many"


@pytest.mark.django_db
def test_trust_dashboard_queries_do_not_grow_with_schools(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import SchoolFactory

    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    url = reverse("dashboard")
    _queries(client, url)
    two = _queries(client, url)
    for n in range(4):
        school = SchoolFactory(trust=tenant_a.trust, name=f"Extra {n}")
        PupilFactory(school=school)
    six = _queries(client, url)
    assert six == two, f"{two} queries with two schools, {six} with six"
    body = client.get(url).content.decode()
    assert body.count('<th scope="row">Extra ') == 4  # each new school has its row of figures
