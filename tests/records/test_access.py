"""Opening a recording: a safeguarding or leadership role, a reason, the second factor in this
session; audited; served through a short-lived signed address answering ranged requests."""

from __future__ import annotations

import time

from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.records.models import RecordingAccess
from tests.conftest import verified_client
from tests.factories import make_staff
from tests.records.conftest import old_session, stored_recording

CONTENT = bytes(range(256)) * 40  # 10 240 bytes
REASON = {"reason": "Reviewing the call after the concern raised on Monday."}


def _opened(client: Client, pk: int) -> str:
    response = client.post(reverse("records:open", args=[pk]), REASON)
    assert response.status_code == 302, response.status_code
    return str(response["Location"])


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_the_dsl_opens_a_recording_with_a_reason_and_scrubs_it(ncast) -> None:  # type: ignore[no-untyped-def]
    rec = stored_recording(old_session(ncast.school, ncast.tutor, days_ago=2), content=CONTENT)
    client = verified_client(ncast.dsl)
    url = _opened(client, rec.pk)
    assert url.startswith("/records/watch/")
    whole = client.get(url)
    assert whole.status_code == 200 and _body(whole) == CONTENT
    assert whole["Accept-Ranges"] == "bytes"
    assert "no-store" in whole["Cache-Control"]
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
    assert part["Content-Length"] == "100"
    assert _body(part) == CONTENT[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-16")
    assert tail.status_code == 206 and _body(tail) == CONTENT[-16:]
    open_end = client.get(url, HTTP_RANGE="bytes=10000-")
    assert _body(open_end) == CONTENT[10000:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(CONTENT)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(CONTENT)}"
    assert client.get(url, HTTP_RANGE="lines=1-2").status_code == 416
    access = RecordingAccess.objects.get(recording=rec)
    assert access.staff == ncast.dsl and access.reason == REASON["reason"]
    event = AuditEvent.objects.get(action="recording.opened")
    assert event.details["reason"] == REASON["reason"]
    # the DSL sees who opened it and why, on the entry and in the access log
    log_page = client.get(reverse("records:access_log")).content.decode()
    assert REASON["reason"] in log_page
    assert REASON["reason"] in client.get(reverse("records:detail", args=[rec.pk])).content.decode()


def test_the_signed_address_is_for_that_person_for_a_few_minutes(ncast, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rec = stored_recording(old_session(ncast.school, ncast.tutor, days_ago=2), content=CONTENT)
    url = _opened(verified_client(ncast.dsl), rec.pk)
    assert verified_client(ncast.slt).get(url).status_code == 404  # someone else's address
    assert Client().get(url).status_code == 404  # nobody signed in
    later = time.time() + 301
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    again = verified_client(ncast.dsl)
    again.force_login(ncast.dsl.user)
    assert again.get(url).status_code == 404  # expired


def test_opening_needs_a_reason_the_second_factor_and_the_role(ncast, tenant_b) -> None:  # type: ignore[no-untyped-def]
    rec = stored_recording(old_session(ncast.school, ncast.tutor, days_ago=2))
    dsl = verified_client(ncast.dsl)
    short = dsl.post(reverse("records:open", args=[rec.pk]), {"reason": "look"})
    assert short.status_code == 400
    assert "Reason: say in a sentence why you need to see the recording." in short.content.decode()
    assert "look</textarea>" in short.content.decode()  # what was typed is kept
    missing = dsl.post(reverse("records:open", args=[rec.pk]), {})
    assert "Reason: say in a sentence" in missing.content.decode()
    unverified = Client()
    unverified.force_login(ncast.dsl.user)
    response = unverified.post(reverse("records:open", args=[rec.pk]), REASON)
    assert response.status_code == 302 and "verify" in response["Location"]
    host = Client()
    host.force_login(ncast.tutor.user)  # the host adds recordings but never opens them
    assert host.post(reverse("records:open", args=[rec.pk]), REASON).status_code == 404
    outsider = verified_client(make_staff(tenant_b.school, "dsl"))
    assert outsider.post(reverse("records:open", args=[rec.pk]), REASON).status_code == 404
    assert not RecordingAccess.objects.exists()
    # a senior leader may open it, but the access log is the safeguarding team's
    slt = verified_client(ncast.slt)
    assert slt.post(reverse("records:open", args=[rec.pk]), REASON).status_code == 302
    assert slt.get(reverse("records:access_log")).status_code == 403
