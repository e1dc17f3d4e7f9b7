"""Query-count guards: list pages cost the same number of queries whatever the school's size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chaperone.people.models import Role, StaffAssignment
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
