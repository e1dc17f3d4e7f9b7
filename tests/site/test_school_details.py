"""School details: the headteacher keeps how families reach the school current (review: only the
demo loader ever set them, so a real school's parent guide had no telephone or website)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.tenancy.models import School
from chaperone.tenancy.roles import Role
from tests.protocols.conftest import npat, overlay  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

DETAILS = reverse("school_details")
GOOD = {
    "phone": "01632  960 123",
    "email": "office@alpha.example",
    "website": "https://alpha.example/",
}


@pytest.mark.usefixtures("overlay")
def test_the_head_saves_them_and_the_parent_guide_prints_them(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    page = client.get(DETAILS)
    assert page.status_code == 200 and "School details" in page.content.decode()
    response = client.post(DETAILS, GOOD, follow=True)
    assert "School details saved." in response.content.decode()
    school = School.objects.get(pk=tenant_a.school.pk)
    assert (school.phone, school.email, school.website) == (
        "01632 960 123",
        "office@alpha.example",
        "https://alpha.example/",
    )
    event = AuditEvent.objects.filter(action="school.details_changed").latest("seq")
    assert event.school_id == school.pk
    assert event.details["phone"] == {"from": "", "to": "01632 960 123"}
    guide = login_as(tenant_a.school, Role.TEACHER).get(reverse("protocols:parent"))
    body = guide.content.decode()
    assert "01632 960 123" in body and "office@alpha.example" in body

    again = client.post(DETAILS, {**GOOD, "phone": "01632 960 123"}, follow=True)
    assert "Nothing changed" in again.content.decode()
    assert AuditEvent.objects.filter(action="school.details_changed").count() == 1


def test_a_bad_value_names_its_field_and_saves_nothing(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    School.objects.filter(pk=tenant_a.school.pk).update(phone="01632 960 100")
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    response = client.post(DETAILS, {**GOOD, "email": "not-an-address", "phone": "ring ☎ 999"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"email", "phone"}
    body = response.content.decode()
    assert "Enter an email address like office@school.example." in body
    assert 'value="not-an-address"' in body  # what was typed stays in the box
    school = School.objects.get(pk=tenant_a.school.pk)
    assert (school.phone, school.email) == ("01632 960 100", "")
    assert not AuditEvent.objects.filter(action="school.details_changed").exists()


@pytest.mark.parametrize("role", [Role.TEACHER, Role.SCHOOL_ADMIN, Role.DSL, Role.SLT])
def test_only_the_head_or_a_trust_admin_may_change_them(tenant_a, login_as, role) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, role)
    assert client.get(DETAILS).status_code == 403
    assert client.post(DETAILS, GOOD).status_code == 403
    assert School.objects.get(pk=tenant_a.school.pk).phone == ""


def test_a_trust_admin_changes_the_school_they_are_working_in(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    client.post(reverse("school_switch"), {"school": tenant_a.school.pk})
    assert client.post(DETAILS, GOOD).status_code == 302
    assert School.objects.get(pk=tenant_a.school.pk).website == "https://alpha.example/"
