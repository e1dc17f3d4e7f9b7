"""Sign-in, sign-out and the second factor (TOTP) for staff."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from chaperone.audit.log import record
from chaperone.core.http import ChaperoneRequest
from chaperone.people.actors import home_school_id


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code",
        help_text="Open your authenticator app and type the code it shows for Chaperone.",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}
        ),
        error_messages={
            "required": "Enter the six-digit code from your authenticator app.",
            "min_length": "The code has six digits.",
            "max_length": "The code has six digits.",
        },
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError("The code is six digits, with no letters or spaces.")
        return token


def _safe_next(request: ChaperoneRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


class SignInForm(AuthenticationForm):
    """Django's sign-in form with messages that name the field, and no autofocus."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The username or password is not right. Check them and try again.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username."
        self.fields["password"].error_messages["required"] = "Enter your password."
        self.fields["username"].widget.attrs.pop("autofocus", None)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    form_class = SignInForm


def _allowed(device: Device, form: forms.Form, field: str = "token") -> bool:
    """After a wrong code django-otp makes the next try wait a little longer each time."""
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        form.add_error(
            field, "Too many wrong codes in a row. Wait a few seconds, then try the new code."
        )
    return allowed


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@require_http_methods(["GET", "POST"])
def two_factor_setup(request: ChaperoneRequest) -> HttpResponse:
    """Enrol an authenticator app: show the secret as a QR code, confirm with one code."""
    user = request.user
    if any(True for _ in devices_for_user(user, confirmed=True)):
        return redirect("two_factor_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _allowed(device, form):
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                otp_login(request, device)
                _record_own("auth.two_factor_enrolled", request)
            return redirect(_safe_next(request))
        _record_own("auth.two_factor_failed", request, details={"method": "setup"})
        form.add_error(
            "token", "That code did not match. Check the time on your phone and try again."
        )
    base32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret": " ".join(base32[i : i + 4] for i in range(0, len(base32), 4)),
            "next": _safe_next(request),
        },
    )


class BackupCodeForm(forms.Form):
    backup_code = forms.CharField(
        label="Backup code",
        help_text="One of the codes you saved when you made backup codes. Each works once.",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Enter one of your backup codes."},
    )

    def clean_backup_code(self) -> str:
        return "".join(self.cleaned_data["backup_code"].split()).lower()


@require_http_methods(["GET", "POST"])
def two_factor_verify(request: ChaperoneRequest) -> HttpResponse:
    """Ask for the current code from the user's authenticator, or one of their backup codes."""
    totp_devices = list(TOTPDevice.objects.devices_for_user(request.user, confirmed=True))
    backup_devices = list(StaticDevice.objects.devices_for_user(request.user, confirmed=True))
    if not totp_devices and not backup_devices:
        return redirect("two_factor_setup")
    use_backup = "backup_code" in request.POST
    form = TokenForm(request.POST if not use_backup else None)
    backup_form = BackupCodeForm(request.POST if use_backup else None)
    chosen, devices, field = (
        (backup_form, backup_devices, "backup_code")
        if use_backup
        else (form, totp_devices, "token")
    )
    if (
        request.method == "POST"
        and chosen.is_valid()
        and all(_allowed(d, chosen, field) for d in devices)
    ):
        token = chosen.cleaned_data[field]
        device = next((d for d in devices if d.verify_token(token)), None)
        if device is not None:
            otp_login(request, device)
            if use_backup:
                left = StaticToken.objects.filter(device__user=request.user).count()
                _record_own("auth.backup_code_used", request, details={"left": left})
            else:
                _record_own("auth.two_factor_verified", request)
            return redirect(_safe_next(request))
        _record_own("auth.two_factor_failed", request, details={"method": field})
        chosen.add_error(
            field,
            "That backup code is not right, or was used already."
            if use_backup
            else "That code did not match. Codes change every 30 seconds.",
        )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {
            "form": form,
            "backup_form": backup_form,
            "has_backup_codes": bool(backup_devices),
            "next": _safe_next(request),
        },
    )


def _record_own(
    action: str, request: ChaperoneRequest, *, details: dict[str, Any] | None = None
) -> None:
    """A step of the person's own sign-in, filed under their school (see ``home_school_id``)."""
    actor = request.actor
    record(action, actor=actor, school_id=home_school_id(actor), details=details)


logout_view = auth_views.LogoutView.as_view()
login_view = login_not_required(LoginView.as_view())
