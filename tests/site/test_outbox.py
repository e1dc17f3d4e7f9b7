"""The demo's outbox: mail kept in a table and listed with its links, in the local (demo)
settings only; production never keeps mail there."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives, send_mail
from django.test import Client
from django.urls import reverse

from chaperone.scheduling.consent import SCHOOL_HEADER
from chaperone.site.models import OutboxMessage
from chaperone.site.outbox import BACKEND
from tests.factories import make_staff
from tests.test_config import _env, _production

pytestmark = pytest.mark.django_db


def _send(school_id: int, subject: str, link: str) -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=f"Open your link:\n{link}\n",
        to=["parent@example.org"],
        headers={SCHOOL_HEADER: str(school_id)},
    )
    message.attach_alternative(f'<a href="{link}">Answer</a>', "text/html")
    message.send()


def test_the_backend_keeps_messages_and_the_page_links_them(settings, tenant_a, tenant_b) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = BACKEND
    link = "http://127.0.0.1:8000/sessions/parents/abc:def/"
    _send(tenant_a.school.pk, "Alpha consent request", link)
    _send(tenant_b.school.pk, "Beta consent request", link + "b/")
    send_mail("To nobody's school", "Hello", None, ["someone@example.org"])
    kept = OutboxMessage.objects.get(subject="Alpha consent request")
    assert kept.school_id == tenant_a.school.pk and link in kept.text and link in kept.html
    assert kept.to == "parent@example.org"
    client = Client()
    client.force_login(make_staff(tenant_a.school, "teacher").user)
    body = client.get(reverse("demo_outbox")).content.decode()
    assert f'<a href="{link}"' in body  # the link can be followed
    assert "Beta consent request" not in body and "nobody" not in body  # only this school's


def test_outside_the_demo_the_page_keeps_nothing_and_says_so(tenant_a) -> None:  # type: ignore[no-untyped-def]
    send_mail("Delivered", "Hello", None, ["someone@example.org"])  # the test settings' backend
    assert not OutboxMessage.objects.exists()
    client = Client()
    client.force_login(make_staff(tenant_a.school, "teacher").user)
    response = client.get(reverse("demo_outbox"))
    assert response.status_code == 200
    assert "there is no outbox to show" in response.content.decode()


def _backend(env: dict[str, str]) -> str:
    code = (
        "import os, importlib; "
        "print(importlib.import_module(os.environ['DJANGO_SETTINGS_MODULE']).EMAIL_BACKEND)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


@pytest.mark.django_db(False)
def test_only_the_local_settings_keep_mail_in_the_outbox(tmp_path: Path) -> None:
    production = _production(tmp_path, CHAPERONE_SECRET_KEY=secrets.token_urlsafe(50))
    assert _backend(production) == "django.core.mail.backends.smtp.EmailBackend"
    assert _backend(_env(tmp_path, "local")) == BACKEND
    # an operator's SMTP settings win in the demo too
    assert _backend(_env(tmp_path, "local", CHAPERONE_EMAIL_HOST="mail.example.org")) != BACKEND
