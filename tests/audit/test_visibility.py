"""Every event that concerns a school is in that school's audit log for its DSL and head, and
nothing of another school's: sign-ins (failed ones and wrong second-factor codes included) of its
staff, its trust's trust-wide events, a standalone school's trust events (issue #7.5, review
MEDIUM 12, LOW 19, newcomer 3(f))."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chaperone.audit.log import record
from chaperone.audit.models import AuditEvent
from chaperone.people.models import StaffAssignment
from chaperone.tenancy.roles import Role
from tests.conftest import verified_client
from tests.factories import PupilFactory, StaffFactory, make_staff
from tests.protocols.factories import trust_version

pytestmark = pytest.mark.django_db

LIST = reverse("audit:event_list")
READS = reverse("audit:read_list")
TRUST = reverse("audit:trust_event_list")
PASSWORD = "correct horse battery"


def _seen(client: Client, url: str = LIST, **params: str) -> set[int]:
    response = client.get(url, params)
    assert response.status_code == 200
    return {e.pk for e in response.context["page"].events}


def _readers(login_as, school) -> list[Client]:
    return [login_as(school, Role.DSL), login_as(school, Role.HEADTEACHER)]


def _sign_in(username: str, password: str = PASSWORD) -> None:
    Client().post(reverse("login"), {"username": username, "password": password})


def test_sign_ins_of_a_schools_staff_are_in_its_log_and_no_other(tenant_a, tenant_b, login_as):
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    _sign_in(teacher.user.username)
    _sign_in(teacher.user.username, "wrong password")
    login = AuditEvent.objects.filter(action="auth.login", actor_staff_id=teacher.pk).get()
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert (login.school_id, failed.school_id) == (tenant_a.school.pk, tenant_a.school.pk)
    for reader in _readers(login_as, tenant_a.school):
        assert {login.pk, failed.pk} <= _seen(reader)
    for school in (tenant_a.other_school, tenant_b.school):
        for reader in _readers(login_as, school):
            assert not {login.pk, failed.pk} & _seen(reader)


def test_a_failed_sign_in_names_the_username_tried(tenant_a, login_as) -> None:
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    _sign_in(teacher.user.username, "wrong password")
    body = login_as(tenant_a.school, Role.DSL).get(LIST).content.decode()
    assert f"{teacher.user.username} <span" in body
    assert "(not signed in)" in body


def test_sign_ins_of_someone_at_two_schools_are_in_both_logs(tenant_a, tenant_b, login_as):
    staff = make_staff(tenant_a.school, Role.TEACHER)
    StaffAssignment.objects.create(staff=staff, school=tenant_a.other_school, role=Role.TEACHER)
    _sign_in(staff.user.username)
    login = AuditEvent.objects.get(action="auth.login", actor_staff_id=staff.pk)
    for school in (tenant_a.school, tenant_a.other_school):
        assert login.pk in _seen(login_as(school, Role.DSL))
    assert login.pk not in _seen(login_as(tenant_b.school, Role.DSL))


def test_a_wrong_second_factor_code_is_logged_under_the_persons_school(tenant_a, login_as):
    dsl = make_staff(tenant_a.school, Role.DSL)
    client = verified_client(dsl)
    session = client.session
    del session["otp_device_id"]
    session.save()
    response = client.post(reverse("two_factor_verify"), {"token": "000000"})
    assert response.status_code == 200
    wrong = AuditEvent.objects.get(action="auth.two_factor_failed")
    assert (wrong.actor_staff_id, wrong.school_id) == (dsl.pk, tenant_a.school.pk)
    assert wrong.pk in _seen(login_as(tenant_a.school, Role.HEADTEACHER))


def test_trust_uploads_concern_every_school_of_the_trust_only(tenant_a, tenant_b, login_as):
    trust_version(tenant_a.trust)
    upload = AuditEvent.objects.get(action="protocol.version_uploaded")
    assert upload.school_id is None
    for school in (tenant_a.school, tenant_a.other_school):
        for reader in _readers(login_as, school):
            assert upload.pk in _seen(reader)
    for reader in _readers(login_as, tenant_b.school):
        assert upload.pk not in _seen(reader)


def test_a_standalone_schools_trust_events_are_its_own(tenant_a, tenant_b, login_as) -> None:
    staff = make_staff(tenant_b.school, Role.TEACHER)
    trust_version(tenant_b.trust)
    events = [
        record("staff.viewed", actor=None, target=staff),
        record("auth.login", actor=None, trust_id=tenant_b.trust.pk),
        AuditEvent.objects.get(action="protocol.version_uploaded"),
    ]
    ids = {e.pk for e in events}
    for reader in _readers(login_as, tenant_b.school):
        for event in events:
            assert event.pk in _seen(reader, action=event.action)
    assert not ids & _seen(login_as(tenant_a.school, Role.DSL))


def test_a_staff_read_is_filed_under_the_school_it_was_made_in(tenant_a, login_as) -> None:
    colleague = make_staff(tenant_a.other_school, Role.TEACHER)
    admin = StaffFactory(trust=tenant_a.trust)
    StaffAssignment.objects.create(staff=admin, school=None, role=Role.TRUST_ADMIN)
    client = verified_client(admin)
    session = client.session
    session["chaperone_school_id"] = tenant_a.other_school.pk
    session.save()
    assert client.get(reverse("people:staff_detail", args=[colleague.pk])).status_code == 200
    read = AuditEvent.objects.get(action="staff.viewed")
    assert read.school_id == tenant_a.other_school.pk
    assert read.pk in _seen(login_as(tenant_a.other_school, Role.DSL))
    assert read.pk not in _seen(login_as(tenant_a.school, Role.DSL))


def test_who_read_what_lists_reads_of_the_school_only(tenant_a, login_as) -> None:
    ours = record("pupil.viewed", actor=None, target=PupilFactory(school=tenant_a.school))
    sister = record("pupil.viewed", actor=None, target=PupilFactory(school=tenant_a.other_school))
    switched = record("school.switched", actor=None, target=tenant_a.school)
    seen = _seen(login_as(tenant_a.school, Role.DSL), READS)
    assert ours.pk in seen
    assert not {sister.pk, switched.pk} & seen


def test_the_whole_trusts_log_is_for_trust_admins(tenant_a, tenant_b, login_as) -> None:
    a = record("pupil.viewed", actor=None, target=PupilFactory(school=tenant_a.school))
    b = record("pupil.viewed", actor=None, target=PupilFactory(school=tenant_a.other_school))
    theirs = record("pupil.viewed", actor=None, target=PupilFactory(school=tenant_b.school))
    admin = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    seen = _seen(admin, TRUST)
    assert {a.pk, b.pk} <= seen
    assert theirs.pk not in seen
    assert "Alpha Secondary" in admin.get(TRUST).content.decode()
    for reader in _readers(login_as, tenant_a.school) + _readers(login_as, tenant_b.school):
        assert reader.get(TRUST).status_code == 403


@pytest.mark.parametrize("url", [LIST, READS, TRUST])
def test_a_list_costs_the_same_queries_whatever_the_history(tenant_a, tenant_b, login_as, url):
    pupils = [PupilFactory(school=s) for s in (tenant_a.school, tenant_b.school)]

    def grow(n: int) -> None:
        for _ in range(n):
            for pupil in pupils:
                record("pupil.viewed", actor=None, target=pupil)
            record("auth.login", actor=None, trust_id=tenant_a.trust.pk)

    admin = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)

    def count() -> int:
        admin.get(url)  # warm the session and caches
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(url).status_code == 200
        return len(ctx.captured_queries)

    grow(3)
    small = count()
    grow(70)
    assert count() == small
    older = admin.get(url).context["page"].older
    with CaptureQueriesContext(connection) as ctx:
        admin.get(url, {"before": str(older)})
    assert len(ctx.captured_queries) == small


def test_a_saved_check_reads_as_words_in_the_log(settings) -> None:
    """Newcomer 3(f): it read "Refused under 2 at 2026-12-01 05:37:50.097304+00:00"."""
    import datetime as dt

    from chaperone.protocols.models import Outcome, Protocol, ProtocolDecision, ProtocolVersion
    from chaperone.tenancy.models import Trust

    settings.TIME_ZONE = "Europe/London"
    protocol = Protocol(slug="npat-one-to-one", owner_trust=Trust(name="Northgate Learning Trust"))
    version = ProtocolVersion(protocol=protocol, version_label="2026.2")
    decided_at = dt.datetime(2026, 12, 1, 14, 5, 33, 97304, tzinfo=dt.UTC)
    decision = ProtocolDecision(version=version, outcome=Outcome.REFUSED, decided_at=decided_at)
    assert (
        str(decision) == "Refused under Northgate Learning Trust 2026.2 at 1 December 2026, 14:05"
    )
