"""Sign-in, the 2FA gate for safeguarding roles, lockout and the school switcher."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from chaperone.tenancy.roles import Role
from tests.factories import make_staff

PASSWORD = "correct horse battery"


def _sign_in(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_teacher_signs_in_without_second_factor(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = Client()
    response = _sign_in(client, staff.user.username)
    assert response.status_code == 302
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert "Alpha Primary" in page.content.decode()


@pytest.mark.django_db
def test_wrong_password_shows_error_and_no_session(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = Client()
    response = _sign_in(client, staff.user.username, "wrong password")
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER, Role.SLT, Role.TRUST_ADMIN]
)
def test_safeguarding_roles_must_enrol_a_second_factor(tenant_a, role, settings) -> None:  # type: ignore[no-untyped-def]
    # A wrong code makes the next try wait a minute (not django-otp's one second), so a busy
    # machine cannot let the wait run out before the test's next request.
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    staff = make_staff(tenant_a.school, role)
    client = Client()
    _sign_in(client, staff.user.username)
    response = client.get(reverse("people:pupil_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))
    # Enrol: the page shows a key; a code from it confirms the device.
    page = client.get(response["Location"])
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=staff.user, confirmed=False)
    assert "<svg" in page.content.decode()
    bad = client.post(
        reverse("two_factor_setup"), {"token": "000000" if totp(device.bin_key) != 0 else "111111"}
    )
    assert "did not match" in bad.content.decode()
    throttled = client.post(reverse("two_factor_setup"), {"token": f"{totp(device.bin_key):06d}"})
    assert "Too many wrong codes" in throttled.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    good = client.post(
        reverse("two_factor_setup") + "?next=/people/pupils/",
        {"token": f"{totp(device.bin_key):06d}", "next": "/people/pupils/"},
    )
    assert good.status_code == 302 and good["Location"] == "/people/pupils/"
    assert client.get(reverse("people:pupil_list")).status_code == 200


@pytest.mark.django_db
def test_enrolled_user_is_asked_for_a_code_each_sign_in(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.DSL)
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    client = Client()
    _sign_in(client, staff.user.username)
    response = client.get(reverse("dashboard"))
    assert response["Location"].startswith(reverse("two_factor_verify"))
    letters = client.post(reverse("two_factor_verify"), {"token": "abcdef"})
    assert "six digits" in letters.content.decode()
    ok = client.post(reverse("two_factor_verify"), {"token": f"{totp(device.bin_key):06d}"})
    assert ok.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_next_cannot_point_off_site(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.DSL)
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    client = Client()
    _sign_in(client, staff.user.username)
    ok = client.post(
        reverse("two_factor_verify"),
        {"token": f"{totp(device.bin_key):06d}", "next": "https://evil.example/"},
    )
    assert ok["Location"] == "/"


@pytest.mark.django_db
def test_repeated_failures_lock_the_account(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = Client()
    for _ in range(5):
        _sign_in(client, staff.user.username, "nope")
    locked = _sign_in(client, staff.user.username)  # right password, still locked
    assert locked.status_code == 429
    assert "Too many attempts" in locked.content.decode()


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2_in_production_settings(settings, tenant_a) -> None:  # type: ignore[no-untyped-def]
    from chaperone.config.settings import base

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    staff = make_staff(tenant_a.school, Role.TEACHER)
    staff.user.set_password("a long enough password")
    assert staff.user.password.startswith("argon2")


@pytest.mark.django_db
def test_trust_admin_switches_school(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Across the trust" in page
    assert re.search(r"Alpha Primary.*Alpha Secondary", page, re.S)
    client.post(
        reverse("school_switch"), {"school": tenant_a.other_school.pk, "next": "/people/pupils/"}
    )
    body = client.get(reverse("people:pupil_list")).content.decode()
    assert "Alphatwo" in body and "Alphaone" not in body


@pytest.mark.django_db
def test_teacher_sees_own_school_only(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    body = client.get(reverse("people:pupil_list")).content.decode()
    assert "Alphaone" in body and "Alphatwo" not in body
    # No switcher: a single-school teacher cannot choose the sister school.
    client.post(reverse("school_switch"), {"school": tenant_a.other_school.pk})
    assert "Alphatwo" not in client.get(reverse("people:pupil_list")).content.decode()


@pytest.mark.django_db
def test_pupil_page_shows_siblings_and_household_by_role(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import ContactFactory, PupilFactory

    older = PupilFactory(school=tenant_a.other_school, first_name="Olu", last_name="Sibling")
    younger = PupilFactory(
        school=tenant_a.school, household=older.household, first_name="Yaa", last_name="Sibling"
    )
    ContactFactory(
        household=older.household, first_name="Parent", last_name="Sibling", phone="+447700900555"
    )
    dsl = login_as(tenant_a.school, Role.DSL)
    page = dsl.get(reverse("people:pupil_detail", args=[younger.pk])).content.decode()
    assert "+447700900555" in page
    teacher = login_as(tenant_a.school, Role.TEACHER)
    page = teacher.get(reverse("people:pupil_detail", args=[younger.pk])).content.decode()
    assert "+447700900555" not in page  # teachers do not see family contact details
    admin = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    page = admin.get(reverse("people:pupil_detail", args=[younger.pk])).content.decode()
    assert "Olu Sibling" in page  # sibling at the sister school


@pytest.mark.django_db
def test_navigation_offers_only_what_the_role_may_use(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    teacher = login_as(tenant_a.school, Role.TEACHER).get(reverse("dashboard")).content.decode()
    assert reverse("people:import_start") not in teacher
    assert reverse("audit:event_list") not in teacher
    admin = login_as(tenant_a.school, Role.SCHOOL_ADMIN).get(reverse("dashboard")).content.decode()
    assert reverse("people:import_start") in admin
    dsl = login_as(tenant_a.school, Role.DSL).get(reverse("dashboard")).content.decode()
    assert reverse("audit:event_list") in dsl


@pytest.mark.django_db
def test_empty_sign_in_names_each_missing_field(tenant_a) -> None:  # type: ignore[no-untyped-def]
    body = Client().post(reverse("login"), {"username": "", "password": ""}).content.decode()
    assert "Enter your username." in body and "Enter your password." in body
    assert "autofocus" not in body


@pytest.mark.django_db
def test_dashboard_names_roles_in_plain_words(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    body = login_as(tenant_a.school, Role.DEPUTY_DSL).get(reverse("dashboard")).content.decode()
    assert "Deputy DSL" in body


@pytest.mark.django_db
def test_household_reads_are_filed_under_the_school(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    from chaperone.audit.models import AuditEvent
    from tests.factories import PupilFactory

    pupil = PupilFactory(school=tenant_a.school)
    dsl = login_as(tenant_a.school, Role.DSL)
    assert dsl.get(reverse("people:household_detail", args=[pupil.household_id])).status_code == 200
    event = AuditEvent.objects.filter(action="household.viewed").latest("seq")
    assert event.school_id == tenant_a.school.id


@pytest.mark.django_db
def test_staff_acknowledge_the_code_of_conduct_once(tenant_a) -> None:  # type: ignore[no-untyped-def]
    from chaperone.audit.models import AuditEvent
    from tests.conftest import verified_client

    staff = make_staff(tenant_a.school, Role.TEACHER)
    staff.code_of_conduct_acknowledged_at = None
    staff.save()
    client = verified_client(staff)
    assert "not yet confirmed" in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("people:code_of_conduct"))
    client.post(reverse("people:code_of_conduct"))
    staff.refresh_from_db()
    assert staff.code_of_conduct_acknowledged_at is not None
    assert "not yet confirmed" not in client.get(reverse("dashboard")).content.decode()
    assert AuditEvent.objects.filter(action="staff.code_of_conduct_acknowledged").count() == 1


@pytest.mark.django_db
def test_the_second_factor_keeps_the_whole_address_asked_for(tenant_a) -> None:  # type: ignore[no-untyped-def]
    """A signed-in DSL sent to enter their code comes back to the page with its whole query
    (the ``next`` was not encoded, so ``&start=...`` was cut off and read as a separate field)."""
    staff = make_staff(tenant_a.school, Role.DSL)
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    client = Client()
    client.force_login(staff.user)
    asked = "/sessions/timetable/?view=day&start=2027-01-05"
    sent = client.get(asked)
    assert sent.status_code == 302
    verify = client.get(sent["Location"])
    assert verify.context["next"] == asked
    done = client.post(
        sent["Location"], {"token": f"{totp(device.bin_key):06d}", "next": verify.context["next"]}
    )
    assert done.status_code == 302 and done["Location"] == asked
