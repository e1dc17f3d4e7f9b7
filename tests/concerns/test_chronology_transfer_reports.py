"""The chronology (merged, filtered, siblings, PDF, every read recorded), the transfer of the
child protection file (bundle, countdown, reminders, receipt, imports and their bad input) and
the dashboards (fixed number of queries, drill-down, the governors' report without names)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.concerns import reports, services, transfer
from chaperone.concerns.categories import categories_for
from chaperone.concerns.models import (
    ChronologyEvent,
    FileTransfer,
    PupilRole,
    ReceivedFile,
    TransferStatus,
)
from chaperone.people.models import Household
from chaperone.scheduling.models import Session, SessionPupil
from tests.conftest import verified_client
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)


def _concern(cast, pupil=None, category=None, **kw):  # type: ignore[no-untyped-def]
    return services.concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(pupil or cast.pupil, PupilRole.SUBJECT)],
        summary=kw.pop("summary", "Pip came in hungry again and said there was no food at home."),
        category=category,
        **kw,
    )


def _session(cast, pupil, *, ended_early: bool) -> Session:  # type: ignore[no-untyped-def]
    start = timezone.now() - dt.timedelta(days=2)
    s = Session.objects.create(
        school=cast.school,
        title="Weekly check-in",
        kind="one_to_one",
        purpose="pastoral",
        host=cast.tutor,
        planned_by=cast.tutor,
        starts_at=start,
        duration_minutes=30,
        platform="teams",
        outcome="allowed",
        state="ended",
        started_at=start,
        ended_at=start + dt.timedelta(minutes=8 if ended_early else 30),
        end_reason="The pupil became upset." if ended_early else "",
    )
    SessionPupil.objects.create(session=s, pupil=pupil)
    return s


def test_the_chronology_merges_everything_and_records_the_read(cast) -> None:  # type: ignore[no-untyped-def]
    neglect = next(c for c in categories_for(cast.school) if c.code == "neglect")
    concern = _concern(cast, category=neglect)
    services.concern_action_add(
        actor=cast.actor(cast.dsl),
        concern=concern,
        kind="call_parent",
        owner_id=cast.dsl.pk,
        due_on=timezone.localdate() + dt.timedelta(days=2),
        notes="Ask about the food bank.",
    )
    services.concern_decide_not_to_refer(
        actor=cast.actor(cast.dsl), concern=concern, reason="Early help first; parent engaging."
    )
    _session(cast, cast.pupil, ended_early=True)
    household = Household.objects.create(trust=cast.school.trust, reference="H1", name="Sparrow")
    cast.pupil.household = household
    cast.pupil.save()
    sister = PupilFactory(school=cast.school, household=household, first_name="Ivy")

    dsl = verified_client(cast.dsl)
    url = reverse("concerns:chronology", args=[cast.pupil.pk])
    added = dsl.post(
        reverse("concerns:event_add", args=[cast.pupil.pk]),
        {"kind": "meeting", "title": "Strategy meeting", "occurred_on": "2026-11-20"},
    )
    assert added.status_code == 302
    assert ChronologyEvent.objects.filter(pupil=cast.pupil).count() == 1
    body = dsl.get(url).content.decode()
    for text in (
        "Concern: Neglect",
        "Action: Call the parent or carer",
        "Decision not to refer",
        "Strategy meeting",
        "Session: Weekly check-in",
        "ended early",
        sister.display_name,
    ):
        assert text in body, text
    read = AuditEvent.objects.filter(action="concern.chronology_viewed").last()
    assert read is not None and read.details["concerns"] == [concern.pk]

    only_sessions = dsl.get(url, {"kind": "session"}).content.decode()
    assert "Session: Weekly check-in" in only_sessions and "Concern: Neglect" not in only_sessions
    later = dsl.get(url, {"since": (timezone.localdate() + dt.timedelta(days=10)).isoformat()})
    assert "Concern: Neglect" not in later.content.decode()
    bad = dsl.get(url, {"since": "yesterday"}).content.decode()
    assert "From: enter a date" in bad


def test_only_the_safeguarding_team_reads_a_chronology(cast) -> None:  # type: ignore[no-untyped-def]
    _concern(cast)
    url = reverse("concerns:chronology", args=[cast.pupil.pk])
    for staff in (cast.teacher, cast.tutor):
        client = Client()
        client.force_login(staff.user)
        assert client.get(url).status_code == 404
    assert verified_client(cast.head).get(url).status_code == 404
    assert (
        verified_client(cast.dsl)
        .get(reverse("concerns:chronology", args=[cast.outsider.pk]))
        .status_code
        == 404
    )


def test_a_bad_event_keeps_what_was_typed(cast) -> None:  # type: ignore[no-untyped-def]
    dsl = verified_client(cast.dsl)
    response = dsl.post(
        reverse("concerns:event_add", args=[cast.pupil.pk]),
        {"kind": "meeting", "title": "Core group", "occurred_on": "2999-01-01"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The day cannot be in the future." in body and 'value="Core group"' in body


def _tagged(pdf: bytes) -> bool:
    """Whether the PDF has a structure tree (weasyprint keeps it in compressed object streams)."""
    import re
    import zlib

    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            if b"/StructTreeRoot" in zlib.decompress(m.group(1)):
                return True
        except zlib.error:
            continue
    return b"/StructTreeRoot" in pdf


def test_the_chronology_pdf_is_a_tagged_pdf_and_its_export_is_recorded(cast) -> None:  # type: ignore[no-untyped-def]
    _concern(cast)
    response = verified_client(cast.dsl).get(
        reverse("concerns:chronology_pdf", args=[cast.pupil.pk])
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and _tagged(pdf)
    assert AuditEvent.objects.filter(action="concern.chronology_exported").count() == 1


# --- transfer ----------------------------------------------------------------------------------


def test_school_days_skip_weekends_and_bank_holidays() -> None:
    # Friday 19 Dec 2025 + 5 school days: 22, 23, 24 (Christmas 25, Boxing Day 26), 29, 30
    assert transfer.add_school_days(dt.date(2025, 12, 19), 5) == dt.date(2025, 12, 30)
    assert transfer.add_school_days(dt.date(2026, 3, 2), 5) == dt.date(2026, 3, 9)
    assert transfer.school_days_between(dt.date(2026, 3, 9), dt.date(2026, 3, 2)) == -5


@pytest.fixture
def receiving(db):  # type: ignore[no-untyped-def]
    trust = TrustFactory(name="Heron Trust", slug="heron")
    school = SchoolFactory(trust=trust, name="Heron High", urn="444441")
    return school, make_staff(school, "dsl", first_name="Hal", last_name="Heron")


def _start(cast, receiving, **kw):  # type: ignore[no-untyped-def]
    school, _ = receiving
    return transfer.transfer_start(
        actor=cast.actor(cast.dsl),
        pupil=cast.pupil,
        leaving_on=kw.pop("leaving_on", dt.date(2026, 3, 2)),
        to_school_name=school.name,
        to_school_urn=kw.pop("urn", school.urn),
    )


def test_a_sealed_bundle_goes_and_the_new_school_imports_it(cast, receiving) -> None:  # type: ignore[no-untyped-def]
    _concern(cast)
    t = _start(cast, receiving)
    assert t.due_on == dt.date(2026, 3, 9) and t.concern_count == 1
    content = transfer.transfer_bundle_for_download(actor=cast.actor(cast.dsl), transfer=t)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert set(manifest["files"]) >= {"cp-file.json", "cp-file.pdf"}
        assert zf.read("cp-file.pdf").startswith(b"%PDF-")
    school, their_dsl = receiving
    arrived = PupilFactory(school=school, first_name="Pip", last_name="Sparrow")
    from chaperone.people.actors import actor_for_user

    received = transfer.bundle_import(
        actor=actor_for_user(their_dsl.user),
        pupil=arrived,
        content=content,
        expected_sha256=t.bundle_sha256,
    )
    assert received.kind == "bundle" and len(received.data["concerns"]) == 1
    t.refresh_from_db()
    assert t.status == TransferStatus.RECEIVED and "Heron High" in t.received_confirmed_by
    page = verified_client(their_dsl).get(reverse("concerns:chronology", args=[arrived.pk]))
    assert "Concern at Kestrel Primary" in page.content.decode()


def _import_post(client, pupil, upload, kind="bundle", **extra):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("concerns:transfer_import"),
        {
            "pupil": str(pupil.pk),
            "kind": kind,
            "upload": SimpleUploadedFile(upload[0], upload[1]),
            **extra,
        },
    )


def test_bad_bundles_and_files_get_a_clear_message(cast, receiving) -> None:  # type: ignore[no-untyped-def]
    _concern(cast)
    t = _start(cast, receiving)
    content = t.bundle.open("rb").read()
    school, their_dsl = receiving
    arrived = PupilFactory(school=school)
    client = verified_client(their_dsl)

    # tampered: one file changed after sealing
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(tampered, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "cp-file.json":
                data = data.replace(b"hungry", b"fine!!")
            out.writestr(name, data)
    response = _import_post(client, arrived, ("b.zip", tampered.getvalue()))
    assert response.status_code == 400
    assert "does not match its checksum" in response.content.decode()

    # a checksum the sender did not give
    response = _import_post(client, arrived, ("b.zip", content), expected_sha256="a" * 64)
    assert "not the one the previous school gave you" in response.content.decode()

    # not a zip, not a PDF
    response = _import_post(client, arrived, ("b.zip", b"hello"))
    assert "not a Chaperone bundle" in response.content.decode()
    response = _import_post(
        client, arrived, ("x.pdf", b"MZ not a pdf"), kind="pdf", from_school_name="Old School"
    )
    assert response.status_code == 400 and "This file is not a PDF" in response.content.decode()
    assert 'value="Old School"' in response.content.decode()
    assert ReceivedFile.objects.count() == 0

    # a bundle for another school
    elsewhere = SchoolFactory(trust=school.trust, name="Heron Juniors", urn="444442")
    pupil_there = PupilFactory(school=elsewhere)
    other_dsl = make_staff(elsewhere, "dsl")
    response = _import_post(verified_client(other_dsl), pupil_there, ("b.zip", content))
    assert "This bundle is for Heron High (URN 444441), not Heron Juniors" in (
        response.content.decode()
    )

    # a real PDF from another system is kept as a file-only record
    response = _import_post(
        client, arrived, ("x.pdf", b"%PDF-1.4 old"), kind="pdf", from_school_name="Old School"
    )
    assert response.status_code == 302
    assert ReceivedFile.objects.get().kind == "pdf"


def test_a_bad_urn_keeps_what_was_typed(cast) -> None:  # type: ignore[no-untyped-def]
    response = verified_client(cast.dsl).post(
        reverse("concerns:transfer_start"),
        {
            "pupil": str(cast.pupil.pk),
            "leaving_on": "2026-03-02",
            "to_school_name": "Heron High",
            "to_school_urn": "12ab",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "six digits" in body and 'value="Heron High"' in body
    assert not FileTransfer.objects.exists()


def test_reminders_go_once_a_school_day_until_receipt(  # type: ignore[no-untyped-def]
    cast, receiving, django_capture_on_commit_callbacks
) -> None:
    t = _start(cast, receiving)
    monday = dt.date(2026, 3, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert transfer.transfer_remind(transfer_id=t.pk, day=monday + dt.timedelta(days=1))
        assert not transfer.transfer_remind(transfer_id=t.pk, day=monday + dt.timedelta(days=1))
    (reminder,) = mail.outbox
    assert reminder.to == [cast.dsl.notice_email]
    assert "4 school days left" in reminder.subject
    assert cast.pupil.last_name not in reminder.subject + reminder.body
    assert transfer.transfers_to_remind(monday + dt.timedelta(days=2)) == [t.pk]
    transfer.transfer_confirm_receipt(
        actor=cast.actor(cast.dsl),
        transfer=t,
        confirmed_by="Hal Heron, DSL",
        received_on=timezone.localdate(),
    )
    assert transfer.transfers_to_remind(monday + dt.timedelta(days=2)) == []
    assert not transfer.transfer_remind(transfer_id=t.pk, day=monday + dt.timedelta(days=2))
    assert transfer.transfer_reminders_enqueue(dt.date(2026, 3, 7)) == 0  # a Saturday


# --- dashboards --------------------------------------------------------------------------------


def _many(cast, n: int) -> None:  # type: ignore[no-untyped-def]
    cats = categories_for(cast.school)
    for i in range(n):
        c = _concern(cast, pupil=cast.pupil if i % 2 else cast.pupil2, category=cats[i % 5])
        if i % 3 == 0:
            services.concern_action_add(
                actor=cast.actor(cast.dsl),
                concern=c,
                kind="monitor",
                owner_id=cast.dsl.pk,
                due_on=timezone.localdate() + dt.timedelta(days=1),
            )


def test_the_dashboard_runs_the_same_queries_for_10_and_100_concerns(cast) -> None:  # type: ignore[no-untyped-def]
    dsl = verified_client(cast.dsl)
    url = reverse("concerns:dashboard")
    _many(cast, 10)
    dsl.get(url)
    with CaptureQueriesContext(connection) as ten:
        assert dsl.get(url).status_code == 200
    _many(cast, 90)
    with CaptureQueriesContext(connection) as hundred:
        body = dsl.get(url).content.decode()
    assert len(hundred.captured_queries) == len(ten.captured_queries)
    assert "<svg" in body and "The chart's figures as a table" in body
    board = reports.dashboard(actor=cast.actor(cast.dsl), school_ids=[cast.school.pk])
    assert board.open_total == 100 and board.trend.bars[-1].value == 100
    assert {r["pupil_id"] for r in board.repeated} == {cast.pupil.pk, cast.pupil2.pk}


def test_drill_down_and_sessions_ended_early(cast) -> None:  # type: ignore[no-untyped-def]
    _concern(cast)
    _session(cast, cast.pupil, ended_early=True)
    _session(cast, cast.pupil2, ended_early=False)
    dsl = verified_client(cast.dsl)
    board = reports.dashboard(actor=cast.actor(cast.dsl), school_ids=[cast.school.pk])
    assert [(f.key, n) for f, n in board.extra] == [
        ("sessions_ended_early", 1),
        ("welfare_failed_contact", 0),
    ]
    listed = dsl.get(reverse("concerns:report_list"), {"list": "sessions_ended_early"})
    assert "The pupil became upset." in listed.content.decode()
    listed = dsl.get(reverse("concerns:report_list"), {"list": "open", "band": "week"})
    assert cast.pupil.display_name in listed.content.decode()
    assert dsl.get(reverse("concerns:report_list"), {"list": "nope"}).status_code == 404
    client = Client()
    client.force_login(cast.teacher.user)
    assert client.get(reverse("concerns:dashboard")).status_code == 403


def test_the_governors_report_counts_and_names_nobody(cast) -> None:  # type: ignore[no-untyped-def]
    _many(cast, 6)
    chair = verified_client(cast.chair)
    page = chair.get(reverse("concerns:governors_report"))
    assert page.status_code == 200
    body = page.content.decode()
    assert cast.pupil.display_name not in body and cast.teacher.full_name not in body
    assert "Concerns about children raised" in body
    pdf = chair.get(reverse("concerns:governors_report"), {"format": "pdf"})
    assert pdf.content.startswith(b"%PDF-")
    bad = chair.get(reverse("concerns:governors_report"), {"from": "soon"})
    assert bad.status_code == 400 and "From: enter a date" in bad.content.decode()


def test_welfare_calls_are_on_the_chronology_and_failed_ones_on_the_dashboard(cast) -> None:  # type: ignore[no-untyped-def]
    """The welfare app fills the two hooks the concerns app declares: each call to the family is
    on the child's chronology, and calls where nobody was reached are a dashboard figure."""
    from chaperone.concerns import chronology
    from chaperone.welfare.models import CallLog

    household = Household.objects.create(trust=cast.school.trust, reference="W1", name="Wren")
    cast.pupil.household = household
    cast.pupil.save()
    today = timezone.localdate()
    CallLog.objects.create(household=household, caller=cast.teacher, day=today, outcome="no_answer")
    CallLog.objects.create(
        household=household,
        caller=cast.teacher,
        day=today,
        outcome="child",
        spoke_to_child=True,
        notes="Food parcel arrived.",
    )
    built = chronology.build(cast.actor(cast.dsl), cast.pupil)
    calls = [i for i in built.items if i.kind == "welfare_call"]
    assert len(calls) == 2
    assert any("not reached" in i.flags for i in calls)
    assert any("Food parcel arrived." in i.text for i in calls)
    board = reports.dashboard(actor=cast.actor(cast.dsl), school_ids=[cast.school.pk])
    assert ("welfare_failed_contact", 1) in [(f.key, n) for f, n in board.extra]
    listed = verified_client(cast.dsl).get(
        reverse("concerns:report_list"), {"list": "welfare_failed_contact"}
    )
    assert listed.status_code == 200 and "Wren" in listed.content.decode()
    # someone outside the safeguarding team gets no chronology items from welfare
    teacher = cast.actor(cast.teacher)
    assert not teacher.can("concern.chronology", cast.school.pk)
    assert not [i for i in chronology.build(teacher, cast.pupil).items if i.kind == "welfare_call"]
