"""The recording register: uploads streamed to private storage with their SHA-256, references
to the platform's storage, the rule that asked for the recording and the DSL notice."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.records import services
from chaperone.records.models import LegalHold, Recording
from chaperone.records.storage import recordings_storage
from tests.conftest import verified_client
from tests.factories import make_staff
from tests.records.conftest import ran


def _client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


def test_the_host_uploads_the_recording_streamed_to_private_storage(wcast) -> None:  # type: ignore[no-untyped-def]
    session = ran(wcast)
    content = os.urandom(300_000) + b"end"
    response = _client(wcast.tutor).post(
        reverse("records:add", args=[session.pk]),
        {
            "source": "upload",
            "recorded_by": wcast.tutor.pk,
            "file": SimpleUploadedFile("Pip's call.mp4", content, content_type="video/mp4"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    recording = Recording.objects.get(session=session)
    assert recording.size_bytes == len(content)
    assert recording.sha256 == hashlib.sha256(content).hexdigest()
    assert recording.original_name == "Pip's call.mp4"
    assert "Pip" not in recording.storage_name  # the stored name names nobody
    path = Path(recordings_storage().path(recording.storage_name))
    assert path.read_bytes() == content
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    root = Path(settings.CHAPERONE_RECORDINGS_DIR).resolve()
    for served in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        assert not str(path.resolve()).startswith(str(Path(served).resolve()) + os.sep)
    assert str(path.resolve()).startswith(str(root))
    # nothing is left behind in the incoming directory
    assert not list(Path(settings.CHAPERONE_RECORDINGS_INCOMING_DIR).glob("upload-*"))
    # the rule that asked for it and the DSL's notice come from the session
    assert recording.rule["code"].startswith("RECORDING")
    assert recording.rule["protocol"]
    notice = AuditEvent.objects.get(action="session.dsl_notified", target_id=str(session.pk))
    assert recording.dsl_notice_event_id == notice.pk
    assert AuditEvent.objects.filter(action="recording.added", target_id=str(recording.pk)).exists()


def test_a_reference_to_the_platforms_storage(wcast) -> None:  # type: ignore[no-untyped-def]
    session = ran(wcast)
    recording = services.recording_add(
        actor=wcast.actor(wcast.tutor),
        data=services.RecordingData(
            session=session,
            source="teams",
            recorded_by_id=wcast.tutor.pk,
            link="https://alpha.sharepoint.com/sites/rec/call.mp4",
        ),
    )
    assert recording.link.endswith("call.mp4")
    assert recording.sha256 == "" and recording.size_bytes is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "upload"}, "File: choose the recording to upload."),
        (
            {"source": "zoom", "link": "https://example.com/x"},
            "Link: a recording kept in Zoom has an address at zoom.us or zoom.com.",
        ),
        ({"source": "teams", "link": "ftp://x"}, "Link: enter an address starting https://."),
        ({"source": "drive", "link": ""}, "Link: paste the address where the recording is kept."),
        ({"source": "nowhere"}, "Where it is kept: choose one of the options."),
        (
            {"source": "drive", "recorded_by": "99999"},
            "Recorded by: choose the host or the second adult.",
        ),
    ],
)
def test_bad_input_names_the_field_and_keeps_what_was_typed(wcast, data, message) -> None:  # type: ignore[no-untyped-def]
    session = ran(wcast)
    form = {"recorded_by": wcast.tutor.pk, **data}
    response = _client(wcast.tutor).post(reverse("records:add", args=[session.pk]), form)
    assert response.status_code == 200
    assert message in response.content.decode()
    if data.get("link"):
        assert data["link"] in response.content.decode()
    assert not Recording.objects.exists()


def test_only_the_host_or_leaders_add_a_recording(wcast, tenant_b) -> None:  # type: ignore[no-untyped-def]
    session = ran(wcast)
    colleague = make_staff(wcast.school, "teacher")
    assert _client(colleague).get(reverse("records:add", args=[session.pk])).status_code == 404
    outsider = make_staff(tenant_b.school, "dsl")
    assert (
        verified_client(outsider).get(reverse("records:add", args=[session.pk])).status_code == 404
    )
    assert (
        verified_client(wcast.slt).get(reverse("records:add", args=[session.pk])).status_code == 200
    )


def test_a_session_ended_and_reported_holds_its_recording_at_once(wcast) -> None:  # type: ignore[no-untyped-def]
    from chaperone.scheduling import conduct
    from tests.scheduling.conduct_support import ready

    session = ready(wcast, minutes_from_now=-20)
    session = conduct.session_start(
        actor=wcast.actor(wcast.tutor),
        session=session,
        confirmed=[i.code for i in conduct.start_items(session)],
        joined=[wcast.pupil.pk],
    )
    concern = conduct.session_end_and_report(
        actor=wcast.actor(wcast.tutor),
        session=session,
        pupil_ids=[wcast.pupil.pk],
        reason="Worried.",
        seen="The pupil said something worrying.",
    )
    session.refresh_from_db()
    recording = services.recording_add(
        actor=wcast.actor(wcast.tutor),
        data=services.RecordingData(
            session=session,
            source="zoom",
            recorded_by_id=wcast.tutor.pk,
            link="https://alpha.zoom.us/rec/1",
        ),
    )
    hold = LegalHold.objects.get(record_type="recording", object_id=recording.pk)
    assert hold.concern_id == concern.pk and hold.is_active


def test_the_host_finds_their_recorded_calls_to_add_recordings(wcast) -> None:  # type: ignore[no-untyped-def]
    session = ran(wcast)
    client = _client(wcast.tutor)
    page = client.get(reverse("records:mine")).content.decode()
    assert reverse("records:add", args=[session.pk]) in page and "Not yet" in page
    services.recording_add(
        actor=wcast.actor(wcast.tutor),
        data=services.RecordingData(
            session=session,
            source="drive",
            recorded_by_id=wcast.tutor.pk,
            link="https://drive.example.sch.uk/recordings/1",
        ),
    )
    assert "1 recording" in client.get(reverse("records:mine")).content.decode()
    colleague = _client(make_staff(wcast.school, "teacher"))
    assert (
        reverse("records:add", args=[session.pk])
        not in colleague.get(reverse("records:mine")).content.decode()
    )
