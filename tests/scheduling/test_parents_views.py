"""The parents' pages through the Django client, without signing in, and a consent email read
from a real local SMTP server whose link, followed, records consent."""

from __future__ import annotations

import email
import re
from email.message import Message

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.scheduling import consent, services, views_parents
from chaperone.scheduling.consent import ParentalConsent
from chaperone.scheduling.models import Session, StepKind, StepState
from tests.protocols.conftest import Inbox, smtp_inbox  # noqa: F401 (the fixture)
from tests.scheduling.parents import after_school, family, link_in, token


def _asked() -> list:  # type: ignore[type-arg]
    """The consent requests sent (invitations to staff go out too)."""
    return [m for m in mail.outbox if "your consent for a call" in m.subject]


@pytest.fixture
def fam(tenant_a):  # type: ignore[no-untyped-def]
    return family(tenant_a)


@pytest.fixture
def session(fam, django_capture_on_commit_callbacks) -> Session:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        return services.session_plan(
            actor=fam.actor(fam.tutor), school=fam.school, data=after_school(fam)
        )


def _url(session: Session, contact, purpose: str = "consent") -> str:  # type: ignore[no-untyped-def]
    name = "scheduling:parent_session" if purpose == "consent" else "scheduling:parent_document"
    return reverse(name, kwargs={"token": token(session.pk, contact, purpose)})


GIVE = {"action": "give", "scope": "session", "accept_code": consent.PARENT_CODE_VERSION}


def test_the_link_opens_without_signing_in_and_shows_the_session(fam, session) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(_url(session, fam.mother))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Pip Pupil" in body and "Tess Tutor" in body and "Pastoral check-in" in body
    assert "shared room" in body  # what the plan asks of the home
    assert "we will ask for your consent first" in body  # the protocol's own words
    assert "Code of conduct for parents" in body and consent.PARENT_CODE_VERSION in body
    assert re.search(r'href="/sessions/parents/[^/"]+/protocol/"', body)
    assert AuditEvent.objects.filter(action="session.parent_viewed").count() == 1


def test_giving_needs_the_code_accepted_then_records_and_can_be_withdrawn(fam, session) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    url = _url(session, fam.mother)
    refused = client.post(url, {**GIVE, "accept_code": ""})
    assert refused.status_code == 400
    assert "Code of conduct: tick the box" in refused.content.decode()
    assert not ParentalConsent.objects.exists()
    given = client.post(url, GIVE)
    assert given.status_code == 302 and given["Location"].endswith("?done=given")
    row = ParentalConsent.objects.get()
    assert (row.contact, row.answer, row.code_version) == (
        fam.mother,
        "given",
        consent.PARENT_CODE_VERSION,
    )
    shown = client.get(given["Location"]).content.decode()
    assert "your consent is recorded" in shown and "Withdraw my consent" in shown
    withdrawn = client.post(url, {"action": "revoke"})
    assert withdrawn.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert session.steps.get(kind=StepKind.CONSENT).state == StepState.OPEN


@pytest.mark.parametrize(
    "bad",
    [
        "not-a-signed-link",
        "eyJzIjoxLCJjIjoxLCJwIjoiY29uc2VudCJ9:1xY0aa:forgedsignatureforgedsignatureforged00",
    ],
)
def test_a_bad_link_gets_a_clear_page_that_names_no_session(fam, session, bad) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for method in ("get", "post"):
        url = reverse("scheduling:parent_session", kwargs={"token": bad})
        response = getattr(client, method)(url, GIVE)
        assert response.status_code == 200
        body = response.content.decode()
        assert "This link does not work" in body
        assert session.title not in body and "Pip" not in body and fam.school.name not in body
    assert not ParentalConsent.objects.exists()


def test_a_link_for_another_page_or_a_tampered_one_changes_nothing(fam, session) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    document_token = token(session.pk, fam.mother, "document")
    wrong = reverse("scheduling:parent_session", kwargs={"token": document_token})
    assert "This link does not work" in client.post(wrong, GIVE).content.decode()
    good = token(session.pk, fam.mother)
    tampered = reverse("scheduling:parent_session", kwargs={"token": good[:-1] + "x"})
    assert "This link does not work" in client.post(tampered, GIVE).content.decode()
    assert not ParentalConsent.objects.exists()


def test_an_expired_link_says_so(fam, session) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    url = _url(session, fam.mother)
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now() - timedelta(days=3))
    response = Client().post(url, GIVE)
    assert response.status_code == 200
    assert "This link has expired" in response.content.decode()
    assert not ParentalConsent.objects.exists()


def test_the_parents_protocol_opens_from_its_own_link(fam, session) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.get(_url(session, fam.mother, "document"))
    assert response.status_code == 200
    assert "for parents and carers" in response.content.decode()
    # the consent link does not open the document
    consent_token = token(session.pk, fam.mother)
    other = reverse("scheduling:parent_document", kwargs={"token": consent_token})
    assert "This link does not work" in client.get(other).content.decode()


def test_posts_need_the_form_token(fam, session) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    assert client.post(_url(session, fam.mother), GIVE).status_code == 403
    assert not ParentalConsent.objects.exists()


def test_too_many_requests_from_one_address_are_turned_away(fam, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(views_parents, "THROTTLE_REQUESTS", 3)
    client = Client()
    url = _url(session, fam.mother)
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    busy = client.post(url, GIVE)
    assert busy.status_code == 429 and "Please wait" in busy.content.decode()
    assert not ParentalConsent.objects.exists()
    cache.clear()


def test_the_session_page_shows_the_answers_and_the_host_sends_again(
    fam, session, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from django.core import mail

    host = Client()
    host.force_login(fam.tutor.user)
    page = host.get(reverse("scheduling:detail", kwargs={"pk": session.pk})).content.decode()
    assert "Parents' consent" in page and "no answer yet" in page
    assert "Mona Pupil" in page and "Gran Pupil" not in page  # who is asked
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = host.post(reverse("scheduling:parent_resend", kwargs={"pk": session.pk}))
    assert sent.status_code == 302 and len(_asked()) == 2
    Client().post(_url(session, fam.father), GIVE)
    page = host.get(reverse("scheduling:detail", kwargs={"pk": session.pk})).content.decode()
    assert "Given" in page and "Fred Pupil" in page
    # someone who does not manage the session gets the same 404 as for a missing one
    other = Client()
    other.force_login(fam.head_of_year.user)
    response = other.post(reverse("scheduling:parent_resend", kwargs={"pk": session.pk}))
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_consent_email_over_smtp_whose_link_records_consent(
    tenant_a,
    smtp_inbox: Inbox,  # noqa: F811
) -> None:
    fam = family(tenant_a)
    session = services.session_plan(
        actor=fam.actor(fam.tutor), school=fam.school, data=after_school(fam)
    )
    parents = {fam.mother.email, fam.father.email}
    asked = [(rcpt, data) for _, rcpt, data in smtp_inbox.messages if set(rcpt) <= parents]
    assert [rcpt for rcpt, _ in asked] == [[fam.mother.email], [fam.father.email]]
    parsed: Message = email.message_from_string(asked[0][1])
    parts = {part.get_content_type(): part for part in parsed.walk()}
    assert {"text/plain", "text/html"} <= set(parts)
    text = parts["text/plain"].get_payload(decode=True).decode()  # type: ignore[union-attr]
    link = link_in(text)
    assert link.startswith(settings.CHAPERONE_BASE_URL)
    path = link[len(settings.CHAPERONE_BASE_URL) :]
    client = Client()
    assert "Pip Pupil" in client.get(path).content.decode()
    assert client.post(path, GIVE).status_code == 302
    row = ParentalConsent.objects.get()
    assert row.contact == fam.mother and row.session == session
    assert session.steps.get(kind=StepKind.CONSENT).state == StepState.DONE
