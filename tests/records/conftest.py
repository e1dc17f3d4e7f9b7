"""Fixtures for the records tests: a school whose calls are recorded, sessions that ran, and
recordings in the register."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from chaperone.people.models import StaffMember
from chaperone.records.models import Recording, Source
from chaperone.records.storage import new_name, recordings_storage
from chaperone.scheduling import conduct
from chaperone.scheduling.models import Session
from chaperone.tenancy.models import School
from tests.protocols.conftest import smtp_inbox  # noqa: F401  (the real SMTP server fixture)
from tests.scheduling.conduct_support import cast_under, ready
from tests.scheduling.conftest import Cast, _fresh_protocol_cache  # noqa: F401


@pytest.fixture
def wcast(tenant_a) -> Cast:  # type: ignore[no-untyped-def]
    """Werrington: a one-to-one without a parent is recorded and the DSL told afterwards."""
    return cast_under(tenant_a, "werrington-primary")


@pytest.fixture
def ncast(tenant_a) -> Cast:  # type: ignore[no-untyped-def]
    """NPAT: recordings are kept 20 days (the protocol's retention_days)."""
    return cast_under(tenant_a, "npat-one-to-one")


def ran(cast: Cast) -> Session:
    """A session of ``cast`` that was started and ended (recorded, unaccompanied)."""
    session = ready(cast, minutes_from_now=-20)
    session = conduct.session_start(
        actor=cast.actor(cast.tutor),
        session=session,
        confirmed=[i.code for i in conduct.start_items(session)],
        joined=[cast.pupil.pk],
    )
    conduct.session_end(actor=cast.actor(cast.tutor), session=session)
    session.refresh_from_db()
    return session


def old_session(
    school: School, host: StaffMember, *, days_ago: int, title: str = "Old call"
) -> Session:
    """A session held ``days_ago`` days ago (plain rows: no protocol decision)."""
    when = timezone.now() - dt.timedelta(days=days_ago)
    session = Session.objects.create(
        school=school,
        title=title,
        kind="one_to_one",
        purpose="pastoral",
        host=host,
        planned_by=host,
        starts_at=when,
        duration_minutes=30,
        platform="teams",
        outcome="allowed",
        state="ended",
        started_at=when,
        ended_at=when + dt.timedelta(minutes=30),
    )
    return session


def stored_recording(session: Session, *, content: bytes = b"video bytes") -> Recording:
    """A recording of ``session`` uploaded earlier: the file in storage, the row in the
    register (written directly, as a fixture)."""
    name = recordings_storage().save(new_name(session.school_id, "call.mp4"), ContentFile(content))
    return Recording.objects.create(
        school_id=session.school_id,
        session=session,
        source=Source.UPLOAD,
        storage_name=name,
        original_name="call.mp4",
        content_type="video/mp4",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        recorded_by=session.host,
        added_by=session.host,
    )


def logged(session: Session, *, days_ago: int) -> conduct.SessionLog:
    when = timezone.now() - dt.timedelta(days=days_ago)
    return conduct.SessionLog.objects.create(
        session=session,
        actual_start=when,
        actual_end=when + dt.timedelta(minutes=25),
        notes="A calm call.",
        recording_made=True,
        written_by=session.host,
    )
