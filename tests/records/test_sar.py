"""Subject access: the pack of everything held about a pupil (JSON and PDF), other pupils
redacted, the one-month deadline and its reminders, from the DSL's page and the command line."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from chaperone.audit.models import AuditEvent
from chaperone.concerns.models import Concern, ConcernPupil
from chaperone.records import sar
from chaperone.records.models import SubjectAccessRequest
from chaperone.scheduling.models import SessionPupil
from tests.conftest import verified_client
from tests.factories import PupilFactory
from tests.records.conftest import logged, old_session, stored_recording


def _history(cast):  # type: ignore[no-untyped-def]
    other = PupilFactory(school=cast.school, first_name="Zebedee", last_name="Quarrington")
    session = old_session(cast.school, cast.tutor, days_ago=3, title="Catch-up with Pip")
    SessionPupil.objects.create(session=session, pupil=cast.pupil)
    SessionPupil.objects.create(session=session, pupil=other)
    entry = logged(session, days_ago=3)
    type(entry).objects.filter(pk=entry.pk).delete()
    from chaperone.scheduling.conduct import SessionLog

    SessionLog.objects.create(
        session=session,
        actual_start=entry.actual_start,
        actual_end=entry.actual_end,
        notes="Pip and Zebedee Quarrington argued; Quarrington left early.",
        recording_made=True,
        written_by=cast.tutor,
    )
    concern = Concern.objects.create(
        school=cast.school,
        raised_by=cast.tutor,
        summary="Pip said Zebedee had been unkind.",
        source="staff",
    )
    ConcernPupil.objects.create(concern=concern, pupil=cast.pupil)
    stored_recording(session)
    return other


def test_the_pack_holds_everything_with_other_pupils_redacted(ncast) -> None:  # type: ignore[no-untyped-def]
    _history(ncast)
    pack = sar.build(ncast.school, ncast.pupil)
    text = json.dumps(pack)
    assert "Zebedee" not in text and "Quarrington" not in text
    (session,) = pack["sessions"]
    assert session["other_pupils"] == 1
    assert session["log"]["notes"] == "Pip and [another pupil] argued; [another pupil] left early."
    assert pack["concerns"][0]["summary"] == "Pip said [another pupil] had been unkind."
    assert len(pack["recordings"]) == 1
    assert session["host"] == ncast.tutor.full_name
    hidden = sar.build(ncast.school, ncast.pupil, redact_staff=True)
    assert ncast.tutor.full_name not in json.dumps(hidden)


def test_the_dsl_logs_a_request_downloads_the_pack_and_answers_it(ncast) -> None:  # type: ignore[no-untyped-def]
    _history(ncast)
    client = verified_client(ncast.dsl)
    bad = client.post(
        reverse("records:sar_list"),
        {"upn": "NOPE", "requester": "Mother", "received_on": "2026-11-30"},
    )
    assert bad.status_code == 400
    assert "UPN: no pupil of this school has that UPN." in bad.content.decode()
    assert 'value="Mother"' in bad.content.decode()
    bad_date = client.post(
        reverse("records:sar_list"),
        {"upn": ncast.pupil.upn, "requester": "Mother", "received_on": "30/11"},
    )
    assert "Received: enter a date such as 2026-11-30." in bad_date.content.decode()
    received = timezone.localdate() - dt.timedelta(days=3)
    response = client.post(
        reverse("records:sar_list"),
        {"upn": ncast.pupil.upn, "requester": "Mother", "received_on": received.isoformat()},
    )
    assert response.status_code == 302
    item = SubjectAccessRequest.objects.get()
    assert item.due_on == sar.one_month_after(received)
    url = reverse("records:sar_detail", args=[item.pk])
    data = json.loads(b"".join([client.get(url, {"format": "json"}).content]))
    assert data["pupil"]["upn"] == ncast.pupil.upn
    pdf = client.get(url, {"format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    pages = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert ncast.pupil.first_name in pages and "Zebedee" not in pages
    assert AuditEvent.objects.filter(action="records.sar_exported").count() == 2
    client.post(url)
    item.refresh_from_db()
    assert item.released_on == timezone.localdate()


def test_reminders_a_week_before_and_when_overdue_each_once(ncast) -> None:  # type: ignore[no-untyped-def]
    item = sar.request_log(
        actor=ncast.actor(ncast.dsl),
        school=ncast.school,
        upn=ncast.pupil.upn,
        requester="The pupil",
        received_on=dt.date(2026, 1, 31),
    )
    assert item.due_on == dt.date(2026, 2, 28)  # one calendar month, the month's last day
    assert sar.reminders_send(dt.date(2026, 2, 10)) == 0
    assert sar.reminders_send(dt.date(2026, 2, 22)) == 1
    assert sar.reminders_send(dt.date(2026, 2, 23)) == 0
    assert sar.reminders_send(dt.date(2026, 3, 1)) == 1
    assert "Overdue" in mail.outbox[-1].subject
    assert ncast.pupil.last_name not in mail.outbox[-1].body  # no pupil named by email
    assert mail.outbox[-1].to == [ncast.dsl.notice_email]


def test_the_command_writes_json_and_pdf(ncast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _history(ncast)
    out = io.StringIO()
    call_command(
        "sar", "export", "--pupil", ncast.pupil.upn.lower(), "--out", str(tmp_path), stdout=out
    )
    written = sorted(p.suffix for p in tmp_path.iterdir())
    assert written == [".json", ".pdf"]
    data = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert data["pupil"]["name"].startswith(ncast.pupil.first_name)
    with pytest.raises(CommandError, match="--pupil: no pupil has the UPN"):
        call_command("sar", "export", "--pupil", "X000000000000", "--out", str(tmp_path))
