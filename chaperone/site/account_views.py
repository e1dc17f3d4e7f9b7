"""Your account: change password, see and end signed-in sessions, backup codes; and the page an
invitation link opens to choose a first password."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from chaperone.audit.log import record
from chaperone.core.http import AnyRequest, ChaperoneRequest
from chaperone.people import logins
from chaperone.people.selectors import staff_self
from chaperone.scheduling.feeds import feeds_of
from chaperone.tenancy.schools import active_school


@require_GET
def account(request: ChaperoneRequest) -> HttpResponse:
    user = request.user
    school = active_school(request)
    # the calendar feeds of sessions (scheduling), for staff who may plan them here
    calendars = (
        len(feeds_of(actor=request.actor, school=school))
        if school is not None and request.actor.can("session.plan", school.pk)
        else None
    )
    return render(
        request,
        "accounts/account.html",
        {
            "calendars": calendars,
            "staff": staff_self(actor=request.actor) if request.actor.staff_id else None,
            "sessions": len(logins.login_sessions(user=user)),
            "factors": logins.two_factor_status(user=user),
        },
    )


class ChangePasswordForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "Your current password is not right. Enter it again.",
        "password_mismatch": "The two new passwords are not the same.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["old_password"].error_messages["required"] = "Enter your current password."
        self.fields["new_password1"].error_messages["required"] = "Enter a new password."
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again."


@require_http_methods(["GET", "POST"])
def password_change(request: ChaperoneRequest) -> HttpResponse:
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        emailed = logins.login_password_change(
            actor=request.actor, user=user, password=form.cleaned_data["new_password1"]
        )
        old_key = request.session.session_key or ""
        update_session_auth_hash(request, user)  # keeps this session; gives it a new key
        new_key = request.session.session_key or ""
        logins.login_session_rekey(old_key=old_key, new_key=new_key)
        logins.login_sessions_end(user=user, keep_key=new_key)
        messages.success(request, "Your password is changed. Your other sessions are signed out.")
        if not emailed:
            messages.warning(request, "We could not email you about the change.")
        return redirect("account")
    return render(request, "accounts/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def sessions(request: ChaperoneRequest) -> HttpResponse:
    user = request.user
    current = request.session.session_key
    if request.method == "POST":
        which = request.POST.get("end", "")
        if which == "others":
            ended = logins.login_sessions_end(user=user, keep_key=current)
        elif which.isascii() and which.isdigit():
            ended = logins.login_sessions_end(user=user, session_id=int(which), keep_key=current)
        else:
            ended = 0
        if ended:
            record("account.sessions_ended", actor=request.actor, details={"sessions": ended})
        messages.success(
            request,
            f"Signed out {ended} session{'s' if ended != 1 else ''}."
            if ended
            else "No session was signed out. To sign out here, use Sign out.",
        )
        return redirect("sessions")
    return render(
        request,
        "accounts/sessions.html",
        {"sessions": logins.login_sessions(user=user), "current": current},
    )


@require_http_methods(["GET", "POST"])
def backup_codes(request: ChaperoneRequest) -> HttpResponse:
    """New codes are shown once, on the page that made them, and never again."""
    user = request.user
    factors = logins.two_factor_status(user=user)
    codes: list[str] = []
    if request.method == "POST" and factors.has_authenticator:
        if not user.is_verified():
            return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': request.path})}")
        codes = logins.backup_codes_replace(actor=request.actor, user=user)
        factors = logins.two_factor_status(user=user)
    return render(request, "accounts/backup_codes.html", {"codes": codes, "factors": factors})


class FirstPasswordForm(SetPasswordForm):
    error_messages = {
        **SetPasswordForm.error_messages,
        "password_mismatch": "The two passwords are not the same.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].error_messages["required"] = "Enter a password."
        self.fields["new_password2"].error_messages["required"] = "Enter the password again."


@login_not_required
@require_http_methods(["GET", "POST"])
def invite_accept(request: AnyRequest, uidb64: str, token: str) -> HttpResponse:
    user = logins.invited_user(uidb64, token)
    if user is None:
        return render(request, "accounts/invite_invalid.html", status=200)
    form = FirstPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        logins.login_password_set(user=user, password=form.cleaned_data["new_password1"])
        messages.success(request, f"Your password is set. Sign in as {user.username}.")
        return redirect("login")
    return render(request, "accounts/invite_accept.html", {"form": form, "invited": user})
