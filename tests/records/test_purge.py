"""The retention schedule and the deletion job: what is due goes, file and row, with a
certificate; held records stay; a file the storage will not delete is reported and retried."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.records import purge, retention, services
from chaperone.records.models import LegalHold, PendingFileDeletion, Recording
from chaperone.records.storage import recordings_storage
from chaperone.scheduling.conduct import SessionLog
from chaperone.scheduling.consent import ParentalConsent
from tests.conftest import verified_client
from tests.records.conftest import logged, old_session, stored_recording


def _certificates(record_type: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="records.deleted", details__record_type=record_type)
    )


def test_the_schedule_follows_the_protocol_then_the_school_then_the_default(ncast) -> None:  # type: ignore[no-untyped-def]
    # NPAT's protocol keeps recordings and call logs 20 days
    periods = {p.key: p for p in retention.schedule(ncast.school)}
    assert (periods["recording"].days, periods["recording"].origin) == (20, "protocol")
    assert (periods["session_log"].days, periods["session_log"].origin) == (20, "protocol")
    assert (periods["consent"].days, periods["consent"].origin) == (365, "default")
    services.retention_set(
        actor=ncast.actor(ncast.dsl), school=ncast.school, record_type="recording", days=40
    )
    assert retention.period_for(ncast.school, "recording").days == 40
    assert retention.period_for(ncast.school, "recording").origin == "school"
    with pytest.raises(services.RecordsProblem) as problem:
        services.retention_set(
            actor=ncast.actor(ncast.dsl), school=ncast.school, record_type="session_log", days=5
        )
    assert problem.value.field == "days"
    assert "never shorter" in problem.value.message


def test_werrington_sets_no_period_so_the_defaults_apply(wcast) -> None:  # type: ignore[no-untyped-def]
    periods = {p.key: p for p in retention.schedule(wcast.school)}
    assert (periods["recording"].days, periods["recording"].origin) == (30, "default")
    assert periods["session_log"].days == 365
    keys = [k.key for k in retention.reviewed_kinds()]
    assert keys == ["concern", "allegation", "audit_log"]


def test_the_job_deletes_what_is_due_with_a_certificate_and_keeps_the_rest(ncast) -> None:  # type: ignore[no-untyped-def]
    school, host = ncast.school, ncast.tutor
    old = stored_recording(
        old_session(school, host, days_ago=25, title="Old one"), content=b"a" * 10
    )
    young = stored_recording(old_session(school, host, days_ago=5, title="Young"), content=b"b")
    held = stored_recording(old_session(school, host, days_ago=40, title="Held one"), content=b"c")
    services.hold_place(
        actor=ncast.actor(ncast.dsl),
        school=school,
        record_type="recording",
        object_id=held.pk,
        reason="The LADO asked us to keep it.",
    )
    old_name = old.storage_name
    logs_old = [logged(old_session(school, host, days_ago=30), days_ago=30) for _ in range(7)]
    from chaperone.scheduling.conduct import SessionLogAddendum

    SessionLogAddendum.objects.create(
        log=logs_old[0], text="Later: parent called.", written_by=host
    )
    log_young = logged(old_session(school, host, days_ago=3), days_ago=3)
    log_held = logged(old_session(school, host, days_ago=50), days_ago=50)
    services.hold_place(
        actor=ncast.actor(ncast.dsl),
        school=school,
        record_type="session_log",
        object_id=log_held.pk,
        reason="Part of an allegation.",
    )

    result = purge.purge_all(batch=3)

    assert result.deleted == {"recording": 1, "session_log": 7, "consent": 0}
    assert result.ok and result.files_deleted == 1
    assert set(Recording.objects.values_list("pk", flat=True)) == {young.pk, held.pk}
    assert not recordings_storage().exists(old_name)
    assert recordings_storage().exists(held.storage_name)
    assert set(SessionLog.objects.values_list("pk", flat=True)) == {log_young.pk, log_held.pk}
    (certificate,) = _certificates("recording")
    assert certificate.target_id == str(old.pk)
    assert certificate.details["checksum"] == old.sha256
    assert certificate.details["rule"]["origin"] == "protocol"
    assert certificate.details["rule"]["days"] == 20
    logs = _certificates("session_log")
    assert len(logs) == 3  # batches of 3: 3 + 3 + 1
    assert sorted(i for c in logs for i in c.details["ids"]) == sorted(e.pk for e in logs_old)
    assert all(len(c.details["checksum"]) == 64 for c in logs)
    assert sum(c.details["with"].get("scheduling.sessionlogaddendum", 0) for c in logs) == 1
    assert not SessionLogAddendum.objects.exists()  # went with its log
    assert AuditEvent.objects.filter(action="records.file_deleted").count() == 1

    again = purge.purge_all()  # idempotent: nothing more goes, nothing is certified twice
    assert again.deleted == {"recording": 0, "session_log": 0, "consent": 0}
    assert AuditEvent.objects.filter(action="records.deleted").count() == 4


def test_a_released_hold_lets_the_record_go(ncast) -> None:  # type: ignore[no-untyped-def]
    rec = stored_recording(old_session(ncast.school, ncast.tutor, days_ago=40))
    hold = services.hold_place(
        actor=ncast.actor(ncast.dsl),
        school=ncast.school,
        record_type="recording",
        object_id=rec.pk,
        reason="Checking a complaint.",
    )
    assert purge.purge_all().deleted["recording"] == 0
    services.hold_release(actor=ncast.actor(ncast.dsl), hold=hold, reason="Complaint closed.")
    assert purge.purge_all().deleted["recording"] == 1


def test_old_consents_that_no_longer_count_go_and_current_ones_stay(ncast) -> None:  # type: ignore[no-untyped-def]
    long_ago = timezone.now() - dt.timedelta(days=400)
    common = {
        "school": ncast.school,
        "pupil": ncast.pupil,
        "scope": "term",
        "term_starts_on": long_ago.date(),
        "term_ends_on": long_ago.date() + dt.timedelta(days=60),
        "answer": "given",
        "kind": "implied",
        "recorded_by": ncast.dsl,
        "decided_at": long_ago,
    }
    gone = ParentalConsent.objects.create(**common, revoked_at=long_ago)
    kept = ParentalConsent.objects.create(**common)
    assert purge.purge_all().deleted["consent"] == 1
    assert list(ParentalConsent.objects.values_list("pk", flat=True)) == [kept.pk]
    (certificate,) = _certificates("consent")
    assert certificate.details["ids"] == [gone.pk]


def test_a_file_the_storage_will_not_delete_is_reported_and_tried_again(ncast) -> None:  # type: ignore[no-untyped-def]
    rec = stored_recording(old_session(ncast.school, ncast.tutor, days_ago=40))
    path = Path(recordings_storage().path(rec.storage_name))
    # the storage really fails: the name now holds a directory that is not empty
    path.unlink()
    path.mkdir()
    (path / "inside").write_bytes(b"x")

    with pytest.raises(SystemExit) as exited:
        call_command("records", "purge")
    assert exited.value.code == 1
    assert not Recording.objects.filter(pk=rec.pk).exists()  # the row and its certificate went
    pending = PendingFileDeletion.objects.get(recording_id=rec.pk)
    assert pending.attempts == 1 and "OSError" in pending.last_error
    failed = AuditEvent.objects.get(action="records.file_delete_failed")
    assert failed.details["recording_id"] == rec.pk

    page = verified_client(ncast.dsl).get(reverse("records:schedule"))
    assert "Files that could not be deleted" in page.content.decode()

    assert purge.purge_all().files_failed == 1  # still failing: still reported
    assert PendingFileDeletion.objects.get(pk=pending.pk).attempts == 2
    shutil.rmtree(path)
    path.write_bytes(b"the file is back and can go")
    result = purge.purge_all()
    assert result.ok and result.files_deleted == 1
    assert not path.exists()
    assert not PendingFileDeletion.objects.exists()


def test_the_job_holds_the_records_of_a_session_ended_and_reported(ncast) -> None:  # type: ignore[no-untyped-def]
    from chaperone.concerns.models import Concern

    session = old_session(ncast.school, ncast.tutor, days_ago=40)
    rec = stored_recording(session)
    entry = logged(session, days_ago=40)
    concern = Concern.objects.create(
        school=ncast.school, raised_by=ncast.tutor, summary="Worrying.", source="session"
    )
    type(session).objects.filter(pk=session.pk).update(reported_concern=concern)
    result = purge.purge_all()
    assert result.deleted["recording"] == 0 and result.deleted["session_log"] == 0
    holds = LegalHold.objects.active().filter(concern=concern)
    assert {(h.record_type, h.object_id) for h in holds} == {
        ("recording", rec.pk),
        ("session_log", entry.pk),
    }


def test_the_schedule_page_shows_periods_and_what_goes_in_30_days(ncast) -> None:  # type: ignore[no-untyped-def]
    soon = stored_recording(old_session(ncast.school, ncast.tutor, days_ago=10, title="Soon gone"))
    client = verified_client(ncast.dsl)
    body = client.get(reverse("records:schedule")).content.decode()
    assert "Session recordings" in body and "20 days" in body
    assert "Until the pupil is 25" in body
    assert "Soon gone" in body and reverse("records:detail", args=[soon.pk]) in body
    bad = client.post(reverse("records:schedule"), {"record_type": "recording", "days": "abc"})
    assert bad.status_code == 400
    assert "Days: enter a whole number of days from 1 to 36500." in bad.content.decode()
    short = client.post(reverse("records:schedule"), {"record_type": "recording", "days": "3"})
    assert "never shorter" in short.content.decode()
    ok = client.post(reverse("records:schedule"), {"record_type": "recording", "days": "60"})
    assert ok.status_code == 302
    teacher = Client()
    teacher.force_login(ncast.tutor.user)
    assert teacher.get(reverse("records:schedule")).status_code == 403


def test_holds_are_placed_and_released_with_a_reason(ncast) -> None:  # type: ignore[no-untyped-def]
    rec = stored_recording(old_session(ncast.school, ncast.tutor, days_ago=2))
    client = verified_client(ncast.dsl)
    empty = client.post(reverse("records:hold", args=[rec.pk]), {"reason": "  "})
    assert empty.status_code == 400
    assert "Reason: say why the record must be kept." in empty.content.decode()
    assert (
        client.post(reverse("records:hold", args=[rec.pk]), {"reason": "Police asked."}).status_code
        == 302
    )
    hold = LegalHold.objects.get(object_id=rec.pk)
    detail = client.get(reverse("records:detail", args=[rec.pk])).content.decode()
    assert "Police asked." in detail
    client.post(reverse("records:hold_release", args=[hold.pk]), {"reason": ""})
    hold.refresh_from_db()
    assert hold.is_active
    client.post(reverse("records:hold_release", args=[hold.pk]), {"reason": "Case closed."})
    hold.refresh_from_db()
    assert not hold.is_active and hold.release_reason == "Case closed."
    entry = logged(old_session(ncast.school, ncast.tutor, days_ago=2), days_ago=2)
    page = client.post(reverse("records:log_hold", args=[entry.pk]), {"reason": "Allegation."})
    assert page.status_code == 302
    assert LegalHold.objects.active().filter(record_type="session_log", object_id=entry.pk).exists()


def test_a_session_whose_log_was_purged_shows_it_was_removed_not_that_it_was_never_logged(
    ncast,
) -> None:  # type: ignore[no-untyped-def]
    """The tombstone: a purged log leaves when, under which period and the certificate, so the
    register does not list the session as not logged and the late-log flag does not fire."""
    from chaperone.scheduling import anomalies, register
    from chaperone.scheduling.conduct import SessionLogRemoval

    school, host = ncast.school, ncast.tutor
    session = old_session(school, host, days_ago=40, title="Purged one")
    never = old_session(school, host, days_ago=40, title="Never logged")
    logged(session, days_ago=40)

    purge.purge_all()

    assert not SessionLog.objects.filter(session=session).exists()
    removal = SessionLogRemoval.objects.get(session=session)
    (certificate,) = _certificates("session_log")
    assert removal.certificate_id == certificate.pk
    assert removal.schedule == "20 days, the school's protocol"
    assert not SessionLogRemoval.objects.filter(session=never).exists()

    dsl = ncast.actor(ncast.dsl)
    window = register.RegisterFilter(
        start=(timezone.now() - dt.timedelta(days=60)).date(),
        end=timezone.now().date(),
        logged="no",
    )
    unlogged = register.register(actor=dsl, school=school, filters=window)
    assert [s.title for s in unlogged] == ["Never logged"]
    assert register.unlogged_count(unlogged) == 1
    rows = register.register(
        actor=dsl, school=school, filters=dataclasses.replace(window, logged="yes")
    )
    assert [s.title for s in rows] == ["Purged one"]

    client = verified_client(ncast.dsl)
    page = client.get(
        reverse("scheduling:register"),
        {"start": window.start.isoformat(), "end": window.end.isoformat()},
    ).content.decode()
    on = timezone.localtime(removal.removed_at).date()
    assert f"Log removed under the retention schedule on {on.day} {on:%B %Y}" in page
    detail = client.get(reverse("scheduling:log", args=[session.pk])).content.decode()
    assert "Log removed under the retention schedule" in detail
    assert f"deletion certificate {certificate.pk}" in detail

    def facts(s):  # type: ignore[no-untyped-def]
        return anomalies.SessionFacts(
            pk=s.pk,
            kind=s.kind,
            state=s.state,
            starts_at=s.starts_at,
            host_id=s.host_id,
            host_name="",
            account="",
            device="",
            emergency=False,
        )

    late = anomalies.LogLate()
    late.prepare(
        anomalies.Page(school, timezone.now(), timezone.now(), [facts(session), facts(never)])
    )
    assert late.flag(facts(session)) is None
    assert late.flag(facts(never)) is not None
