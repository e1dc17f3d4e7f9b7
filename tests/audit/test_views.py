"""The audit log pages: who may see them, what they show, and that looking is itself logged."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.log import record
from chaperone.audit.models import AuditEvent
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory

pytestmark = pytest.mark.django_db

LIST = reverse("audit:event_list")


def _detail(pk: int) -> str:
    return reverse("audit:event_detail", kwargs={"pk": pk})


def test_viewing_the_log_is_logged_with_the_requests_context(tenant_a, login_as) -> None:
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    response = client.get(
        LIST,
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="TestBrowser/1.0",
        # Anyone can send a request id (review LOW 22): the row keeps the server's own.
        HTTP_X_REQUEST_ID="forged-request-id-<script>",
    )
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert re.fullmatch("[0-9a-f]{32}", request_id)
    event = AuditEvent.objects.filter(action="audit.viewed").latest("seq")
    assert event.ip_address == "203.0.113.9"
    assert event.user_agent == "TestBrowser/1.0"
    assert event.request_id == request_id
    assert event.via == "web"
    assert event.actor_user_id == response.wsgi_request.user.pk
    assert event.school_id == tenant_a.school.pk
    assert event.details == {"page": "school"}


def test_the_list_shows_the_active_schools_events_only(tenant_a, tenant_b, login_as) -> None:
    ours = PupilFactory(school=tenant_a.school, first_name="Oona", last_name="Ourschool")
    sister = PupilFactory(school=tenant_a.other_school, first_name="Sid", last_name="Sisterschool")
    theirs = PupilFactory(school=tenant_b.school, first_name="Tess", last_name="Theirschool")
    for pupil in (ours, sister, theirs):
        record("pupil.viewed", actor=None, target=pupil)
    client = login_as(tenant_a.school, Role.DSL)
    body = client.get(LIST).content.decode()
    assert "Ourschool" in body
    assert "Sisterschool" not in body
    assert "Theirschool" not in body


def test_the_list_filters_by_action_and_date(tenant_a, login_as) -> None:
    pupil = PupilFactory(school=tenant_a.school, first_name="Fay", last_name="Filtered")
    record("pupil.viewed", actor=None, target=pupil)
    record("school.switched", actor=None, target=tenant_a.school)
    client = login_as(tenant_a.school, Role.HEADTEACHER)

    page = client.get(LIST, {"action": "school.switched"}).context["page"].events
    assert {e.action for e in page} == {"school.switched"}

    today = timezone.localdate()
    page = client.get(LIST, {"date_from": today.isoformat()}).context["page"].events
    assert "pupil.viewed" in {e.action for e in page}
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    page = client.get(LIST, {"date_to": yesterday}).context["page"].events
    assert list(page) == []


def test_bad_filters_are_named_and_the_rest_still_apply(tenant_a, login_as) -> None:
    record("school.switched", actor=None, target=tenant_a.school)
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    response = client.get(LIST, {"date_from": "31/31/2025", "action": "school.switched"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter the &#x27;From&#x27; date as a real date" in body
    assert {e.action for e in response.context["page"].events} == {"school.switched"}

    response = client.get(LIST, {"date_from": "2025-09-10", "date_to": "2025-09-01"})
    assert "on or after the &#x27;From&#x27; date" in response.content.decode()

    response = client.get(LIST, {"action": "made.up"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_list_pages_by_keyset_older_and_newer(tenant_a, login_as) -> None:
    made = [record("school.switched", actor=None, target=tenant_a.school) for _ in range(60)]
    newest_first = [e.pk for e in reversed(made)]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    first = client.get(LIST, {"action": "school.switched"}).context["page"]
    assert [e.pk for e in first.events] == newest_first[:50]
    assert first.newer is None and first.older is not None
    older = client.get(LIST, {"action": "school.switched", "before": str(first.older)})
    page = older.context["page"]
    assert [e.pk for e in page.events] == newest_first[50:]
    assert page.older is None and page.newer is not None
    assert "Newer entries" in older.content.decode()
    back = client.get(LIST, {"action": "school.switched", "after": str(page.newer)})
    assert [e.pk for e in back.context["page"].events] == newest_first[:50]
    assert back.context["page"].newer is None


@pytest.mark.parametrize("cursor", ["abc", "1-2-3", "99999999999999999999-1", "²-1", "-1-5"])
def test_a_bad_page_link_is_a_message_and_the_newest_page(tenant_a, login_as, cursor) -> None:
    record("school.switched", actor=None, target=tenant_a.school)
    client = login_as(tenant_a.school, Role.DSL)
    for key in ("before", "after"):
        response = client.get(LIST, {key: cursor})
        assert response.status_code == 200
        assert "That page link is not valid" in response.content.decode()
        assert "school.switched" in {e.action for e in response.context["page"].events}


@pytest.mark.parametrize("role", [Role.TEACHER, Role.SCHOOL_ADMIN, Role.SLT])
def test_roles_without_audit_view_are_refused(tenant_a, login_as, role) -> None:
    client = login_as(tenant_a.school, role)
    before = AuditEvent.objects.filter(action="audit.viewed").count()
    assert client.get(LIST).status_code == 403
    event = record("school.switched", actor=None, target=tenant_a.school)
    assert client.get(_detail(event.pk)).status_code == 404
    assert AuditEvent.objects.filter(action="audit.viewed").count() == before


def test_the_detail_page_shows_an_event_and_logs_the_look(tenant_a, login_as) -> None:
    pupil = PupilFactory(school=tenant_a.school, first_name="Dee", last_name="Detailed")
    event = record("pupil.viewed", actor=None, target=pupil, details={"tab": "contacts"})
    client = login_as(tenant_a.school, Role.DSL)
    response = client.get(_detail(event.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Dee Detailed" in body or str(pupil) in body
    assert event.hash in body
    look = AuditEvent.objects.filter(action="audit.viewed").latest("seq")
    assert (look.target_type, look.target_id) == ("audit.auditevent", str(event.pk))
    assert look.school_id == tenant_a.school.pk


def test_another_tenants_event_is_a_404_like_a_missing_one(tenant_a, tenant_b, login_as) -> None:
    theirs = record("pupil.viewed", actor=None, target=PupilFactory(school=tenant_b.school))
    for role in (Role.HEADTEACHER, Role.DSL):
        client = login_as(tenant_a.school, role)
        r_theirs = client.get(_detail(theirs.pk))
        r_missing = client.get(_detail(987654321))
        assert r_theirs.status_code == r_missing.status_code == 404
        assert r_theirs.content == r_missing.content
    admin = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    assert admin.get(_detail(theirs.pk)).status_code == 404


def test_a_sister_schools_event_is_a_404_for_a_one_school_dsl(tenant_a, login_as) -> None:
    event = record("school.switched", actor=None, target=tenant_a.other_school)
    client = login_as(tenant_a.school, Role.DSL)
    assert client.get(_detail(event.pk)).status_code == 404


def test_trust_admins_see_their_trusts_school_less_events(tenant_a, tenant_b, login_as) -> None:
    ours = record(
        "auth.login_failed",
        actor=None,
        trust_id=tenant_a.trust.pk,
        details={"username": "alpha-someone"},
    )
    theirs = record(
        "auth.login_failed",
        actor=None,
        trust_id=tenant_b.trust.pk,
        details={"username": "beta-someone"},
    )
    admin = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    page = admin.get(LIST, {"action": "auth.login_failed"}).context["page"].events
    assert {e.pk for e in page} == {ours.pk}
    assert admin.get(_detail(ours.pk)).status_code == 200
    assert admin.get(_detail(theirs.pk)).status_code == 404
    # trust-wide events concern every school of the trust: its heads and DSLs see them too
    headteacher = login_as(tenant_a.school, Role.HEADTEACHER)
    assert headteacher.get(_detail(ours.pk)).status_code == 200
    assert headteacher.get(_detail(theirs.pk)).status_code == 404
