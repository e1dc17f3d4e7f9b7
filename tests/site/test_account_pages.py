"""Your account: password, sessions, backup codes; the password policy; wrong codes audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from chaperone.audit.models import AuditEvent
from chaperone.people.models import LoginSession
from chaperone.tenancy.roles import Role
from tests.conftest import verified_client
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "plum kettle orbit lantern"


def _sign_in(username: str, password: str = PASSWORD, agent: str = "Browser") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("emma.taylor-1", "too like your name"),  # LOW 20 of the security review
        ("EmmaTaylor2026", "too like your name"),
        ("mytaylorpassword", "too like your name"),
        ("iloveyou12345", "leaked in data breaches"),
        ("qwertyuiop123", "leaked in data breaches"),
        ("password1234", "too common"),
        ("short", "too short"),
    ],
)
def test_password_policy_refuses(tenant_a, password, message) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(
        tenant_a.school, Role.TEACHER, first_name="Emma", last_name="Taylor", email="e@ex.org"
    )
    with pytest.raises(ValidationError) as caught:
        validate_password(password, staff.user)
    assert message in " ".join(caught.value.messages)


def test_password_policy_accepts_a_good_passphrase(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER, first_name="Emma", last_name="Taylor")
    validate_password(NEW_PASSWORD, staff.user)


def test_change_password_keeps_this_session_and_ends_the_others(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER, email="me@example.org")
    here = _sign_in(staff.user.username, agent="Laptop")
    there = _sign_in(staff.user.username, agent="Phone")
    url = reverse("password_change")
    wrong = here.post(
        url,
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert "Your current password is not right" in wrong.content.decode()
    breached = here.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "iloveyou12345",
            "new_password2": "iloveyou12345",
        },
    )
    assert "leaked in data breaches" in breached.content.decode()
    assert 'href="#id_new_password2"' in breached.content.decode()  # error summary links field
    done = here.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    assert here.get(reverse("dashboard")).status_code == 200
    assert there.get(reverse("dashboard")).status_code == 302
    assert [s.user_agent for s in LoginSession.objects.filter(user=staff.user)] == ["Laptop"]
    assert [m.to for m in mail.outbox] == [["me@example.org"]], "the login's address, once"
    assert AuditEvent.objects.filter(action="account.password_changed").count() == 1


def test_see_sessions_and_sign_one_out(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER)
    here = _sign_in(staff.user.username, agent="Laptop")
    there = _sign_in(staff.user.username, agent="Phone")
    page = here.get(reverse("sessions")).content.decode()
    assert "Laptop" in page and "Phone" in page and "This browser" in page
    phone = LoginSession.objects.get(user=staff.user, user_agent="Phone")
    here.post(reverse("sessions"), {"end": phone.pk})
    assert there.get(reverse("dashboard")).status_code == 302
    assert here.get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.get(action="account.sessions_ended").details == {"sessions": 1}
    # Another person's session id ends nothing.
    other = make_staff(tenant_a.school, Role.TEACHER)
    theirs = _sign_in(other.user.username)
    their_row = LoginSession.objects.get(user=other.user)
    here.post(reverse("sessions"), {"end": their_row.pk})
    assert theirs.get(reverse("dashboard")).status_code == 200
    assert here.post(reverse("sessions"), {"end": "²"}).status_code == 302


def test_signing_out_forgets_the_session(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = _sign_in(staff.user.username)
    assert LoginSession.objects.filter(user=staff.user).count() == 1
    client.post(reverse("logout"))
    assert not LoginSession.objects.filter(user=staff.user).exists()


def test_backup_codes_are_shown_once_and_work_once_at_the_verify_step(tenant_a) -> None:  # type: ignore[no-untyped-def]
    dsl = make_staff(tenant_a.school, Role.DSL)
    client = verified_client(dsl)
    made = client.post(reverse("backup_codes"))
    body = made.content.decode()
    assert "shown only this once" in body
    codes = [c.token for c in dsl.user.staticdevice_set.get().token_set.all()]
    assert len(codes) == 10 and all(code in body for code in codes)
    later = client.get(reverse("backup_codes")).content.decode()
    assert not any(code in later for code in codes)
    assert "You have 10 left" in later

    fresh = _sign_in(dsl.user.username)
    verify = fresh.get(reverse("two_factor_verify"))
    assert "Use a backup code" in verify.content.decode()
    wrong = fresh.post(reverse("two_factor_verify"), {"backup_code": "aaaaaaaa"})
    assert "not right, or was used already" in wrong.content.decode()
    dsl.user.staticdevice_set.get().throttle_reset()
    ok = fresh.post(reverse("two_factor_verify"), {"backup_code": codes[0].upper()})
    assert ok.status_code == 302
    assert fresh.get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.get(action="auth.backup_code_used").details == {"left": 9}

    again = _sign_in(dsl.user.username)
    dsl.user.staticdevice_set.get().throttle_reset()
    reused = again.post(reverse("two_factor_verify"), {"backup_code": codes[0]})
    assert "not right, or was used already" in reused.content.decode()


def test_wrong_second_factor_codes_are_audited(tenant_a) -> None:  # type: ignore[no-untyped-def]
    """LOW 19 of the security review: wrong codes left no trace."""
    dsl = make_staff(tenant_a.school, Role.DSL)
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    client = _sign_in(dsl.user.username)
    wrong = "000000" if totp(device.bin_key) != 0 else "111111"
    client.post(reverse("two_factor_verify"), {"token": wrong})
    event = AuditEvent.objects.get(action="auth.two_factor_failed")
    assert event.actor_staff_id == dsl.pk
    assert event.details == {"method": "token"}


def test_account_page_links_from_the_header(tenant_a) -> None:  # type: ignore[no-untyped-def]
    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = _sign_in(staff.user.username)
    assert f'href="{reverse("account")}"' in client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("account")).content.decode()
    assert reverse("password_change") in page and reverse("sessions") in page


def test_account_page_shows_the_calendar_feeds(tenant_a) -> None:  # type: ignore[no-untyped-def]
    """Issue #9, part 4: each user's feed is shown on their profile."""
    from chaperone.people.actors import actor_for_user
    from chaperone.scheduling.feeds import feed_create

    staff = make_staff(tenant_a.school, Role.TEACHER)
    client = _sign_in(staff.user.username)
    page = client.get(reverse("account")).content.decode()
    assert reverse("scheduling:calendar") in page
    assert '<dd id="calendar-feeds">None yet</dd>' in page
    feed_create(actor=actor_for_user(staff.user), school=tenant_a.school, kind="personal")
    page = client.get(reverse("account")).content.decode()
    assert '<dd id="calendar-feeds">1 in use</dd>' in page
