"""Staff acknowledge the protocol in force; leaders see who has and has not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.people.models import StaffMember
from chaperone.protocols.demo import template_source
from chaperone.protocols.models import ProtocolAcknowledgement
from chaperone.tenancy.roles import Role
from tests.factories import make_staff
from tests.protocols.factories import bump, trust_version

pytestmark = pytest.mark.django_db

ACK = reverse("protocols:acknowledge")
TABLE = reverse("protocols:acknowledgements")
CURRENT = reverse("protocols:current")


def _staff_of(client) -> StaffMember:  # type: ignore[no-untyped-def]
    return StaffMember.objects.get(user_id=client.session["_auth_user_id"])


def test_teacher_acknowledges_the_version_they_read(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    page = client.get(CURRENT).content.decode()
    assert "I have read and understood version 2026.1" in page
    ids = [overlay.base_version_id, overlay.pk]
    response = client.post(ACK, {"version": ids}, follow=True)
    assert "Recorded that you read it" in response.content.decode()
    staff = _staff_of(client)
    assert set(
        ProtocolAcknowledgement.objects.filter(staff=staff).values_list("version_id", flat=True)
    ) == set(ids)
    assert "You acknowledged this version on" in client.get(CURRENT).content.decode()
    client.post(ACK, {"version": ids})  # twice: still one record per version, one audit event each
    assert ProtocolAcknowledgement.objects.filter(staff=staff).count() == 2
    assert (
        AuditEvent.objects.filter(action="protocol.acknowledged", actor_staff_id=staff.pk).count()
        == 2
    )


def test_acknowledging_an_outdated_page_records_nothing(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    newer = trust_version(tenant_a.trust, text=bump(template_source("npat-one-to-one"), "2026.2"))
    response = client.post(ACK, {"version": [npat.pk]}, follow=True)
    assert "The protocol has changed since you opened it" in response.content.decode()
    assert not ProtocolAcknowledgement.objects.exists()
    client.post(ACK, {"version": [newer.pk]})
    assert ProtocolAcknowledgement.objects.get().version_id == newer.pk


def test_leaders_see_who_has_not_acknowledged(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    reader = login_as(tenant_a.school, Role.TEACHER)
    reader.post(ACK, {"version": [overlay.base_version_id, overlay.pk]})
    make_staff(tenant_a.school, Role.TUTOR, first_name="Noreen", last_name="Notyet")
    make_staff(tenant_a.other_school, Role.TEACHER, first_name="Elsie", last_name="Elsewhere")
    dsl = login_as(tenant_a.school, Role.DSL)
    response = dsl.get(TABLE)
    assert response.status_code == 200
    not_read = {r.staff.last_name for r in response.context["not_read"]}
    read = {r.staff.pk: r.acknowledged_at for r in response.context["read"]}
    assert "Notyet" in not_read and "Elsewhere" not in not_read
    assert set(read) == {_staff_of(reader).pk}
    assert all(read.values())
    body = response.content.decode()
    assert "Noreen Notyet" in body and "Not yet acknowledged (" in body


def test_a_new_trust_version_needs_a_new_acknowledgement(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    reader = login_as(tenant_a.school, Role.TEACHER)
    reader.post(ACK, {"version": [npat.pk]})
    trust_version(tenant_a.trust, text=bump(template_source("npat-one-to-one"), "2026.2"))
    head = login_as(tenant_a.school, Role.HEADTEACHER)
    response = head.get(TABLE)
    assert _staff_of(reader).pk in {r.staff.pk for r in response.context["not_read"]}


def test_teachers_cannot_see_the_table(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    assert login_as(tenant_a.school, Role.TEACHER).get(TABLE).status_code == 403
