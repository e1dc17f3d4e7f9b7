"""Staff logins: invitations, deactivation, second-factor reset, unlocking, sessions, backup codes.

A headteacher or trust administrator runs these for colleagues (never for themselves) from the
staff member's "Login and security" page; people manage their own password, sessions and backup
codes from "Your account". Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from chaperone.audit.log import record
from chaperone.people.actors import actor_for_user
from chaperone.people.emails import send_people_email
from chaperone.people.models import LoginSession, StaffMember, User
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

__all__ = [
    "BACKUP_CODE_COUNT",
    "LoginChangeRefused",
    "backup_codes_replace",
    "invite_tokens",
    "invited_user",
    "login_overview",
    "login_password_change",
    "login_password_set",
    "login_session_forget",
    "login_session_record",
    "login_session_rekey",
    "login_sessions",
    "login_sessions_end",
    "staff_email_change",
    "staff_invite",
    "staff_login_deactivate",
    "staff_login_reactivate",
    "staff_login_unlock",
    "staff_two_factor_reset",
    "two_factor_status",
]

BACKUP_CODE_COUNT = 10


class LoginChangeRefused(Exception):
    """The change is not allowed; the message says why."""


class InviteTokenGenerator(PasswordResetTokenGenerator):
    """Single-use links to set a first password: the token hashes the stored password, which
    the invitation leaves unusable and the first password replaces. Valid for
    ``PASSWORD_RESET_TIMEOUT`` seconds."""

    key_salt = "chaperone.people.logins.InviteTokenGenerator"


invite_tokens = InviteTokenGenerator()


@dataclass(frozen=True)
class Invitation:
    user: User
    emailed: bool


def _check_may_manage(actor: Actor, staff: StaffMember) -> None:
    """The actor manages logins in every school where the person holds a role (a person with a
    trust role: only a trust administrator), and never their own."""
    if actor.staff_id == staff.pk:
        raise LoginChangeRefused(
            "You cannot do this to your own login. Ask another headteacher or a trust "
            "administrator."
        )
    school_ids = set(staff.assignments.values_list("school_id", flat=True))
    if None in school_ids and not actor.is_trust_admin:
        raise PermissionDenied("Only a trust administrator manages this login.")
    if staff.trust_id != actor.trust_id or not all(
        actor.can("staff.manage_accounts", sid) for sid in school_ids - {None}
    ):
        raise PermissionDenied("You may not manage this login.")


def _audit(
    action: str, actor: Actor, staff: StaffMember, school: School, **details: object
) -> None:
    record(
        action,
        actor=actor,
        target=staff,
        school_id=school.pk,
        details={"person": staff.full_name, "by": actor.label, **details},
    )


def staff_invite(*, actor: Actor, staff: StaffMember, school: School, site_url: str) -> Invitation:
    """Create the person's login (username: their email address) without a usable password
    and email them a single-use link to choose one. Again for someone invited who has not yet
    chosen a password: a fresh link."""
    _check_may_manage(actor, staff)
    # once invited, the login's own address (which no import reaches) receives any fresh link
    email = staff.notice_email.strip().lower()
    if not email:
        raise LoginChangeRefused(
            f"{staff.full_name} has no email address. Add it with a staff import first."
        )
    with transaction.atomic():
        user = staff.user
        if user is not None and user.has_usable_password():
            raise LoginChangeRefused(f"{staff.full_name} already has a login: {user.username}.")
        if user is None:
            if User.objects.filter(username__iexact=email).exists():
                raise LoginChangeRefused(f"Another login already uses the username {email}.")
            user = User(username=email, email=email)
            user.set_unusable_password()
            user.save()
            StaffMember.objects.filter(pk=staff.pk).update(user=user, updated_at=timezone.now())
            staff.user = user
        _audit("account.invited", actor, staff, school, username=user.username)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = f"{site_url.rstrip('/')}/accounts/invite/{uid}/{invite_tokens.make_token(user)}/"
    emailed = send_people_email(
        "invite",
        [email],
        {
            "person": staff.full_name,
            "by": actor.label,
            "place": school.name,
            "username": user.username,
            "link": link,
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        },
    )
    return Invitation(user, emailed)


def staff_email_change(*, actor: Actor, staff: StaffMember, school: School, email: str) -> bool:
    """Change the person's email address (``email`` already validated and lower-cased), and
    their login's address and sign-in name with it when the name was the old address. An import
    may not do this for anyone with a login or a safeguarding or leadership role; a headteacher
    or trust administrator does it here, audited, and the old address is told (someone who
    moved it to take the account over cannot hide that). Returns whether the email was sent."""
    _check_may_manage(actor, staff)
    user = staff.user
    old_addresses = {staff.email.strip().lower(), (user.email if user else "").strip().lower()}
    known = old_addresses - {""}
    if known and known <= {email}:
        raise LoginChangeRefused(f"{email} is already {staff.full_name}'s email address.")
    renamed = user is not None and user.username.lower() in known
    with transaction.atomic():
        taken = User.objects.filter(username__iexact=email)
        if user is not None and renamed and taken.exclude(pk=user.pk).exists():
            raise LoginChangeRefused(f"Another login already uses the username {email}.")
        before = staff.email
        StaffMember.objects.filter(pk=staff.pk).update(email=email, updated_at=timezone.now())
        staff.email = email
        if user is not None:
            user.email = email
            fields = ["email"]
            if renamed:
                user.username = email
                fields.append("username")
            user.save(update_fields=fields)
        _audit(
            "account.email_changed",
            actor,
            staff,
            school,
            old_email=before,
            new_email=email,
            username_changed=renamed,
        )
    return send_people_email(
        "email_changed",
        sorted(old_addresses - {"", email}),
        {
            "person": staff.full_name,
            "by": actor.label,
            "place": school.name,
            "email": email,
            "username": user.username if user is not None else "",
        },
    )


def invited_user(uidb64: str, token: str) -> User | None:
    """The user an invitation link is for, or None if it is wrong, used or expired."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or user.has_usable_password() or not invite_tokens.check_token(user, token):
        return None
    return user


def login_password_set(*, user: User, password: str) -> None:
    """The invited person chooses their first password (already validated by the form)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record("account.invite_accepted", actor=actor_for_user(user), target=user.staff)


def login_password_change(*, actor: Actor, user: User, password: str) -> bool:
    """The signed-in person changes their password (already validated by the form). Their other
    sessions stop working (the caller keeps the current one). They are told by email."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        record("account.password_changed", actor=actor)
    staff = StaffMember.objects.filter(user=user).first()
    return send_people_email(
        "password_changed",
        [user.email or (staff.email if staff else "")],
        {"person": staff.full_name if staff else user.username, "username": user.username},
    )


def staff_login_deactivate(*, actor: Actor, staff: StaffMember, school: School) -> None:
    """Stop the login from signing in and end its sessions (the staff record stays)."""
    _check_may_manage(actor, staff)
    user = _login_of(staff)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        ended = login_sessions_end(user=user)
        _audit("account.deactivated", actor, staff, school, sessions_ended=ended)


def staff_login_reactivate(*, actor: Actor, staff: StaffMember, school: School) -> None:
    _check_may_manage(actor, staff)
    user = _login_of(staff)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        _audit("account.reactivated", actor, staff, school)


def staff_two_factor_reset(*, actor: Actor, staff: StaffMember, school: School) -> bool:
    """Remove the person's authenticator and backup codes and sign them out everywhere: they set
    up a new authenticator at their next sign-in. They are told by email. Returns whether the
    email was sent."""
    _check_may_manage(actor, staff)
    user = _login_of(staff)
    with transaction.atomic():
        removed = 0
        for device in devices_for_user(user, confirmed=None):
            device.delete()
            removed += 1
        ended = login_sessions_end(user=user)
        _audit(
            "account.two_factor_reset", actor, staff, school, devices=removed, sessions_ended=ended
        )
    return send_people_email(
        "two_factor_reset",
        [user.email or staff.email],
        {"person": staff.full_name, "by": actor.label},
    )


def staff_login_unlock(*, actor: Actor, staff: StaffMember, school: School) -> int:
    """Clear failed sign-ins (django-axes) for the login; returns how many records went."""
    _check_may_manage(actor, staff)
    user = _login_of(staff)
    with transaction.atomic():
        cleared = axes_reset(username=user.username)
        _audit("account.unlocked", actor, staff, school, records_cleared=cleared)
    return cleared


@dataclass(frozen=True)
class TwoFactorStatus:
    has_authenticator: bool
    backup_codes_left: int


def two_factor_status(*, user: User) -> TwoFactorStatus:
    return TwoFactorStatus(
        has_authenticator=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        backup_codes_left=StaticToken.objects.filter(device__user=user).count(),
    )


@dataclass(frozen=True)
class LoginOverview:
    user: User | None
    has_authenticator: bool = False
    backup_codes_left: int = 0
    failed_sign_ins: int = 0
    locked: bool = False
    sessions: int = 0

    @property
    def invited(self) -> bool:
        """A login made by an invitation whose password has not been chosen yet."""
        return self.user is not None and not self.user.has_usable_password()


def login_overview(*, staff: StaffMember) -> LoginOverview:
    """What the Login and security page shows about a person's login."""
    user = staff.user
    if user is None:
        return LoginOverview(user=None)
    failures = (
        AccessAttempt.objects.filter(username=user.username).aggregate(
            n=Sum("failures_since_start")
        )["n"]
        or 0
    )
    factors = two_factor_status(user=user)
    return LoginOverview(
        user=user,
        has_authenticator=factors.has_authenticator,
        backup_codes_left=factors.backup_codes_left,
        failed_sign_ins=failures,
        locked=failures >= settings.AXES_FAILURE_LIMIT,
        sessions=len(login_sessions(user=user)),
    )


def _login_of(staff: StaffMember) -> User:
    if staff.user is None:
        raise LoginChangeRefused(f"{staff.full_name} has no login yet. Invite them first.")
    return staff.user


# Sessions -----------------------------------------------------------------------------------
# These read and delete Django's database sessions (SESSION_ENGINE is the db backend, with a
# prepared read: chaperone/core/sessions.py).


def login_session_record(
    *, user: User, session_key: str, ip_address: str | None, user_agent: str
) -> None:
    """Called at sign-in: remember which session belongs to whom (and forget the user's
    sessions that have ended since, so the rows do not pile up)."""
    login_sessions(user=user)
    LoginSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "signed_in_at": timezone.now(),
            "ip_address": ip_address,
            "user_agent": user_agent[:300],
        },
    )


def login_session_rekey(*, old_key: str, new_key: str) -> None:
    """Django gives a session a new key (for example after a password change)."""
    LoginSession.objects.filter(session_key=old_key).update(session_key=new_key)


def login_session_forget(*, session_key: str) -> None:
    LoginSession.objects.filter(session_key=session_key).delete()


def login_sessions(*, user: User) -> list[LoginSession]:
    """The user's sessions that are still signed in, newest first (stale rows are dropped)."""
    rows = list(LoginSession.objects.filter(user=user))
    live = set(
        Session.objects.filter(
            session_key__in=[r.session_key for r in rows], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    stale = [r.pk for r in rows if r.session_key not in live]
    if stale:
        LoginSession.objects.filter(pk__in=stale).delete()
    return [r for r in rows if r.session_key in live]


def login_sessions_end(
    *, user: User, session_id: int | None = None, keep_key: str | None = None
) -> int:
    """Sign the user out of one session (``session_id``) or of all but ``keep_key``; returns how
    many sessions ended."""
    rows = LoginSession.objects.filter(user=user)
    if session_id is not None:
        rows = rows.filter(pk=session_id)
    if keep_key is not None:
        rows = rows.exclude(session_key=keep_key)
    keys = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    rows.delete()
    return len(keys)


def backup_codes_replace(*, actor: Actor, user: User) -> list[str]:
    """New single-use backup codes for the verify step; any earlier ones stop working. The codes
    are shown once and stored only on django-otp's static device."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        record("account.backup_codes_created", actor=actor, details={"codes": len(codes)})
    return codes
