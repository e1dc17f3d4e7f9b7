"""Allegations (concerns about a member of staff) hold records like other concerns: linked or
named as the session's source, the recording and log are held and never deleted, and the hold
is seen (and released) only by whoever may read the allegation: the headteacher here, not the
safeguarding team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from chaperone.concerns.models import ConcernRoute, ConcernSource, PupilRole
from chaperone.concerns.services import concern_raise
from chaperone.records import purge, services
from chaperone.records.models import LegalHold, Recording
from chaperone.scheduling.conduct import SessionLog
from chaperone.tenancy.roles import Role
from tests.conftest import verified_client
from tests.factories import make_staff
from tests.records.conftest import logged, old_session, stored_recording

pytestmark = pytest.mark.django_db

REASON = "Linked to an allegation about a member of staff."


def _allegation(ncast, session=None):  # type: ignore[no-untyped-def]
    """A concern about the tutor, raised by the head of year (about the session, if given)."""
    concern = concern_raise(
        actor=ncast.actor(ncast.head_of_year),
        school=ncast.school,
        pupils_with_roles=[(ncast.pupil, PupilRole.SUBJECT)],
        summary="The tutor kept the pupil on the call alone after the others left.",
        about_staff=ncast.tutor,
        source=ConcernSource.SESSION if session is not None else ConcernSource.STAFF,
        source_ref=str(session.pk) if session is not None else "",
    )
    assert concern.route == ConcernRoute.HEADTEACHER
    return concern


def test_records_of_a_session_an_allegation_is_about_are_held_and_never_deleted(ncast) -> None:  # type: ignore[no-untyped-def]
    session = old_session(ncast.school, ncast.tutor, days_ago=40)
    recording = stored_recording(session)
    entry = logged(session, days_ago=40)
    allegation = _allegation(ncast, session)

    purge.purge_all(now=timezone.now() + dt.timedelta(days=400))

    assert Recording.objects.filter(pk=recording.pk).exists()
    assert SessionLog.objects.filter(pk=entry.pk).exists()
    held = LegalHold.objects.active().filter(concern=allegation)
    assert sorted(held.values_list("record_type", flat=True)) == ["recording", "session_log"]
    assert {h.reason for h in held} == {REASON}
    # a recording added afterwards to that session is held at once
    later = services.recording_add(
        actor=ncast.actor(ncast.dsl),
        data=services.RecordingData(
            session=session,
            source="teams",
            recorded_by_id=ncast.tutor.pk,
            link="https://alpha.sharepoint.com/sites/rec/second-part.mp4",
        ),
    )
    assert LegalHold.objects.active().get(record_type="recording", object_id=later.pk).concern == (
        allegation
    )


def test_only_whoever_reads_the_allegation_sees_and_releases_its_hold(ncast) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(ncast.school, Role.HEADTEACHER, first_name="Hana", last_name="Head")
    session = old_session(ncast.school, ncast.tutor, days_ago=3)
    recording = stored_recording(session)
    allegation = _allegation(ncast)

    dsl = verified_client(ncast.dsl)
    # the team cannot link to an allegation (it is as unknown to them as a missing concern)
    refused = dsl.post(reverse("records:link", args=[recording.pk]), {"concern": allegation.pk})
    assert refused.status_code == 400
    assert "Concern: enter the number of a concern of this school." in refused.content.decode()
    assert not LegalHold.objects.exists()

    chief = verified_client(head)
    linked = chief.post(reverse("records:link", args=[recording.pk]), {"concern": allegation.pk})
    assert linked.status_code == 302
    hold = LegalHold.objects.active().get(concern=allegation)
    assert hold.reason == REASON and hold.object_id == recording.pk

    # the head sees it on the recording and among the holds
    assert REASON in chief.get(reverse("records:detail", args=[recording.pk])).content.decode()
    assert REASON in chief.get(reverse("records:holds")).content.decode()
    # the safeguarding team sees neither, and cannot release it
    assert REASON not in dsl.get(reverse("records:detail", args=[recording.pk])).content.decode()
    assert REASON not in dsl.get(reverse("records:holds")).content.decode()
    released = dsl.post(reverse("records:hold_release", args=[hold.pk]), {"reason": "Not ours."})
    assert released.status_code == 404
    hold.refresh_from_db()
    assert hold.is_active
    # nor does the purge take the recording
    purge.purge_all(now=timezone.now() + dt.timedelta(days=400))
    assert Recording.objects.filter(pk=recording.pk).exists()
    # the head releases it, with a reason
    chief.post(reverse("records:hold_release", args=[hold.pk]), {"reason": "LADO: unfounded."})
    hold.refresh_from_db()
    assert not hold.is_active and hold.release_reason == "LADO: unfounded."


def test_the_teams_own_holds_stay_as_they_were(ncast) -> None:  # type: ignore[no-untyped-def]
    """A hold placed by the DSL is still listed for the team, and the head of year (no role in
    holds) still may not open the holds page."""
    recording = stored_recording(old_session(ncast.school, ncast.tutor, days_ago=3))
    dsl = verified_client(ncast.dsl)
    dsl.post(reverse("records:hold", args=[recording.pk]), {"reason": "The police asked."})
    assert "The police asked." in dsl.get(reverse("records:holds")).content.decode()
    other = verified_client(ncast.head_of_year)
    assert other.get(reverse("records:holds")).status_code == 403
