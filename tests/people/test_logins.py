"""Logins from the web: invite, deactivate and reactivate, reset the second factor, unlock."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from chaperone.audit.models import AuditEvent
from chaperone.people import logins
from chaperone.people.actors import actor_for_user
from chaperone.people.models import StaffAssignment
from chaperone.tenancy.roles import Role
from tests.conftest import verified_client
from tests.factories import StaffFactory, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "plum kettle orbit lantern"


def _invitee(school, **kw):  # type: ignore[no-untyped-def]
    staff = StaffFactory(trust=school.trust, user=None, email="Priya.Shah@School.example.org", **kw)
    StaffAssignment.objects.create(staff=staff, school=school, role=Role.TEACHER)
    return staff


def _signs_in(client: Client, username: str, password: str = PASSWORD) -> bool:
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def _link(message) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"http://testserver(/accounts/invite/\S+/)", message.body).group(1)


def test_a_head_invites_and_the_link_sets_a_password_once(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER, first_name="Helen", last_name="Walker")
    priya = _invitee(tenant_a.school, first_name="Priya", last_name="Shah")
    client = verified_client(head)
    page = client.post(
        reverse("people:staff_account", args=[priya.pk]), {"do": "invite"}, follow=True
    )
    assert "emailed Priya Shah a link" in page.content.decode()
    priya.refresh_from_db()
    assert priya.user.username == "priya.shah@school.example.org"
    assert not priya.user.has_usable_password()
    [message] = mail.outbox
    assert message.to == ["priya.shah@school.example.org"]
    assert "Helen Walker" in message.body
    link = _link(message)

    visitor = Client()
    form = visitor.get(link)
    assert "Choose your password" in form.content.decode()
    weak = visitor.post(link, {"new_password1": "iloveyou12345", "new_password2": "iloveyou12345"})
    assert "leaked in data breaches" in weak.content.decode()
    done = visitor.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert _signs_in(visitor, priya.user.username, NEW_PASSWORD)
    again = Client().get(link)
    assert "This link no longer works" in again.content.decode()
    assert AuditEvent.objects.filter(action="account.invited").count() == 1
    assert AuditEvent.objects.get(action="account.invite_accepted").actor_staff_id == priya.pk


def test_an_invitation_link_expires(tenant_a, settings) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    priya = _invitee(tenant_a.school)
    invitation = logins.staff_invite(
        actor=actor_for_user(head.user),
        staff=priya,
        school=tenant_a.school,
        site_url="http://testserver/",
    )
    user = invitation.user
    uid = _link(mail.outbox[0]).split("/")[3]
    tokens = logins.invite_tokens
    now = tokens._num_seconds(tokens._now())
    fresh = tokens._make_token_with_timestamp(
        user, now - settings.PASSWORD_RESET_TIMEOUT + 60, tokens.secret
    )
    stale = tokens._make_token_with_timestamp(
        user, now - settings.PASSWORD_RESET_TIMEOUT - 60, tokens.secret
    )
    assert logins.invited_user(uid, fresh) == user
    assert logins.invited_user(uid, stale) is None
    page = Client().get(reverse("invite_accept", args=[uid, stale]))
    assert "This link no longer works" in page.content.decode()
    assert logins.invited_user("not-base64!", fresh) is None
    # A password-reset style token of Django's own is not an invitation.
    from django.contrib.auth.tokens import default_token_generator

    assert logins.invited_user(uid, default_token_generator.make_token(user)) is None


def test_invite_needs_an_email_and_no_existing_login(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    no_email = _invitee(tenant_a.school)
    no_email.email = ""
    no_email.save()
    has_login = make_staff(tenant_a.school, Role.TEACHER)
    me = actor_for_user(head.user)
    with pytest.raises(logins.LoginChangeRefused, match="no email address"):
        logins.staff_invite(actor=me, staff=no_email, school=tenant_a.school, site_url="/")
    with pytest.raises(logins.LoginChangeRefused, match="already has a login"):
        logins.staff_invite(actor=me, staff=has_login, school=tenant_a.school, site_url="/")


def test_deactivating_signs_the_person_out_and_reactivating_lets_them_back(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    theirs = Client()
    assert _signs_in(theirs, teacher.user.username)
    assert theirs.get(reverse("dashboard")).status_code == 200
    url = reverse("people:staff_account", args=[teacher.pk])
    admin = verified_client(head)

    admin.post(url, {"do": "deactivate"})
    assert theirs.get(reverse("dashboard")).status_code == 302
    assert not _signs_in(Client(), teacher.user.username)
    assert "Deactivated" in admin.get(url).content.decode()
    assert AuditEvent.objects.get(action="account.deactivated").details["sessions_ended"] == 1

    admin.post(url, {"do": "reactivate"})
    assert _signs_in(Client(), teacher.user.username)
    assert AuditEvent.objects.filter(action="account.reactivated").count() == 1


def test_resetting_a_lost_second_factor(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    dsl = make_staff(tenant_a.school, Role.DSL, email="dsl@example.org")
    dsl_client = verified_client(dsl)
    logins.backup_codes_replace(actor=actor_for_user(dsl.user), user=dsl.user)
    response = verified_client(head).post(
        reverse("people:staff_account", args=[dsl.pk]), {"do": "reset_two_factor"}, follow=True
    )
    assert "second sign-in step is reset" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=dsl.user).exists()
    assert not StaticDevice.objects.filter(user=dsl.user).exists()
    assert dsl_client.get(reverse("dashboard")).status_code == 302  # signed out
    [message] = mail.outbox
    assert message.to == ["dsl@example.org"]
    assert "reset" in message.subject
    event = AuditEvent.objects.get(action="account.two_factor_reset")
    assert event.details["devices"] == 2 and event.school_id == tenant_a.school.id


def test_unlocking_a_locked_login(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    for _ in range(5):
        Client().post(reverse("login"), {"username": teacher.user.username, "password": "nope"})
    locked = Client().post(
        reverse("login"), {"username": teacher.user.username, "password": PASSWORD}
    )
    assert locked.status_code == 429
    url = reverse("people:staff_account", args=[teacher.pk])
    admin = verified_client(head)
    assert "Locked" in admin.get(url).content.decode()
    page = admin.post(url, {"do": "unlock"}, follow=True)
    assert "login is unlocked" in page.content.decode()
    assert not AccessAttempt.objects.filter(username=teacher.user.username).exists()
    ok = Client().post(reverse("login"), {"username": teacher.user.username, "password": PASSWORD})
    assert ok.status_code == 302
    assert AuditEvent.objects.get(action="account.unlocked").details["records_cleared"] == 1


def test_nobody_manages_their_own_login(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    client = verified_client(head)
    url = reverse("people:staff_account", args=[head.pk])
    assert "This is your own login" in client.get(url).content.decode()
    page = client.post(url, {"do": "reset_two_factor"}, follow=True)
    assert "cannot do this to your own login" in page.content.decode()
    assert TOTPDevice.objects.filter(user=head.user).exists()


def test_a_head_does_not_manage_someone_who_also_works_at_another_school(tenant_a) -> None:  # type: ignore[no-untyped-def]
    """A DSL at the trust's other school is theirs to manage, not this head's."""
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    shared = make_staff(tenant_a.school, Role.COUNSELLOR)
    StaffAssignment.objects.create(staff=shared, school=tenant_a.other_school, role=Role.DSL)
    with pytest.raises(PermissionDenied):
        logins.staff_login_deactivate(
            actor=actor_for_user(head.user), staff=shared, school=tenant_a.school
        )
    trust_admin = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    logins.staff_login_deactivate(
        actor=actor_for_user(trust_admin.user), staff=shared, school=tenant_a.school
    )
    shared.user.refresh_from_db()
    assert not shared.user.is_active


def test_unknown_button_is_a_message_not_an_error(tenant_a) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    page = verified_client(head).post(
        reverse("people:staff_account", args=[teacher.pk]), {"do": "explode"}, follow=True
    )
    assert page.status_code == 200
    assert "Choose one of the buttons" in page.content.decode()
    assert Session.objects.exists()
