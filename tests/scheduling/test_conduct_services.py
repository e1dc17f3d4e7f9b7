"""Running a call: the start-of-call checklist from the stored decision, attendance, ending it
(with "End and report" raising a concern emailed to the DSL and deputies over real SMTP), the
DSL told when the protocol asks, and the log written after the call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.concerns.models import Concern
from chaperone.scheduling import conduct, services
from chaperone.scheduling.conduct import Attendance, SessionLog, StartCheck
from chaperone.scheduling.models import SchedulingRecordRefused, Session, SessionState
from chaperone.tenancy.roles import Role
from tests.factories import make_staff
from tests.protocols import conftest as protocol_fixtures
from tests.scheduling.conduct_support import cast_under, ready
from tests.scheduling.conftest import Cast

smtp_inbox = protocol_fixtures.smtp_inbox  # the real local SMTP server


@pytest.fixture
def wcast(tenant_a) -> Cast:  # type: ignore[no-untyped-def]
    """A school following the Werrington template: a one-to-one without a parent in the room is
    recorded, and the DSL told of it afterwards; its start-of-call checklist is long."""
    return cast_under(tenant_a, "werrington-primary")


def _start(cast, session: Session) -> Session:  # type: ignore[no-untyped-def]
    return conduct.session_start(
        actor=cast.actor(cast.tutor),
        session=session,
        confirmed=[i.code for i in conduct.start_items(session)],
        joined=[cast.pupil.pk],
    )


def _actions(session: Session) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(session.pk), action__startswith="session.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_the_start_checklist_comes_from_the_stored_decision(wcast, tenant_b) -> None:  # type: ignore[no-untyped-def]
    session = ready(wcast)
    codes = [i.code for i in conduct.start_items(session)]
    # Werrington, an unaccompanied recorded one-to-one on Teams
    assert codes == [
        "LOBBY_ADMISSION",
        "MUTE_ON_ENTRY",
        "PARENT_AT_START",
        "RECORDING_EXPLAINED",
        "BEDROOM_CHECK",
    ]
    assert conduct.must_tell_dsl_when_ended(session)
    # NPAT: only the pupil told of the second adult, when there is one
    npat = cast_under(tenant_b, "npat-one-to-one")
    alone = ready(npat)
    assert [i.code for i in conduct.start_items(alone)] == []
    assert not conduct.must_tell_dsl_when_ended(alone)
    accompanied = ready(npat, second_staff=npat.head_of_year)
    assert [i.code for i in conduct.start_items(accompanied)] == ["PUPIL_TOLD_OF_ADULT"]


def test_a_session_that_may_not_start_is_never_opened(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    from tests.scheduling.conftest import one_to_one

    session = services.session_plan(actor=tutor, school=cast.school, data=one_to_one(cast))
    Session.objects.filter(pk=session.pk).update(starts_at=timezone.now())
    session.refresh_from_db()
    assert session.outcome == "pending"
    with pytest.raises(conduct.ConductProblem, match="may not start"):
        conduct.session_start(actor=tutor, session=session, confirmed=[], joined=[cast.pupil.pk])
    session.refresh_from_db()
    assert session.state == SessionState.PLANNED and session.started_at is None
    assert not StartCheck.objects.exists() and not Attendance.objects.exists()


def test_every_start_item_must_be_confirmed_and_attendance_given(wcast) -> None:  # type: ignore[no-untyped-def]
    session = ready(wcast)
    tutor = wcast.actor(wcast.tutor)
    items = conduct.start_items(session)
    with pytest.raises(conduct.ConductProblem) as unconfirmed:
        conduct.session_start(
            actor=tutor, session=session, confirmed=[items[0].code], joined=[wcast.pupil.pk]
        )
    assert unconfirmed.value.field == "checks"
    assert items[1].question in unconfirmed.value.message
    codes = [i.code for i in items]
    with pytest.raises(conduct.ConductProblem) as nobody:
        conduct.session_start(actor=tutor, session=session, confirmed=codes, joined=[])
    assert nobody.value.field == "joined"
    with pytest.raises(conduct.ConductProblem) as stranger:
        conduct.session_start(actor=tutor, session=session, confirmed=codes, joined=[10**9])
    assert stranger.value.field == "joined"
    session.refresh_from_db()
    assert session.state == SessionState.PLANNED
    assert not AuditEvent.objects.filter(action="session.started").exists()


def test_the_host_opens_the_call_and_it_is_live(wcast) -> None:  # type: ignore[no-untyped-def]
    session = _start(wcast, ready(wcast))
    session.refresh_from_db()
    assert session.state == SessionState.LIVE
    assert session.started_by == wcast.tutor and session.started_at is not None
    assert session.second_adult_present is None  # the plan had no second adult
    assert list(StartCheck.objects.filter(session=session).values_list("code", flat=True)) == [
        i.code for i in conduct.start_items(session)
    ]
    assert Attendance.objects.get(session=session, pupil=wcast.pupil).joined
    event = AuditEvent.objects.get(action="session.started")
    assert event.details["joined"] == 1
    with pytest.raises(conduct.ConductProblem, match="already under way"):
        _start(wcast, session)
    with pytest.raises(SchedulingRecordRefused):
        StartCheck.objects.filter(session=session).update(confirmed=False)


def test_only_the_host_or_second_staff_runs_the_call(wcast) -> None:  # type: ignore[no-untyped-def]
    session = ready(wcast)
    for someone in (wcast.slt, wcast.dsl, wcast.head_of_year):
        with pytest.raises(PermissionDenied):
            conduct.session_start(
                actor=wcast.actor(someone),
                session=session,
                confirmed=[i.code for i in conduct.start_items(session)],
                joined=[wcast.pupil.pk],
            )


def test_a_call_opens_only_near_its_time(wcast) -> None:  # type: ignore[no-untyped-def]
    early = ready(wcast, minutes_from_now=60)
    with pytest.raises(conduct.ConductProblem, match="15 minutes before"):
        _start(wcast, early)
    Session.objects.filter(pk=early.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    early.refresh_from_db()
    with pytest.raises(conduct.ConductProblem, match="has passed"):
        _start(wcast, early)


def test_a_second_adult_is_asked_about(cast) -> None:  # type: ignore[no-untyped-def]
    session = ready(cast, second_staff=cast.head_of_year)
    codes = [i.code for i in conduct.start_items(session)]
    tutor = cast.actor(cast.tutor)
    with pytest.raises(conduct.ConductProblem) as unanswered:
        conduct.session_start(actor=tutor, session=session, confirmed=codes, joined=[cast.pupil.pk])
    assert unanswered.value.field == "second_adult_present"
    conduct.session_start(
        actor=tutor,
        session=session,
        confirmed=codes,
        joined=[cast.pupil.pk],
        second_adult_present=False,
    )
    session.refresh_from_db()
    assert session.second_adult_present is False
    # the second member of staff may end it
    conduct.session_end(actor=cast.actor(cast.head_of_year), session=session)
    session.refresh_from_db()
    assert session.state == SessionState.ENDED and session.ended_by == cast.head_of_year


def test_ending_a_call_that_has_not_started_changes_nothing(wcast) -> None:  # type: ignore[no-untyped-def]
    session = ready(wcast)
    tutor = wcast.actor(wcast.tutor)
    with pytest.raises(conduct.ConductProblem, match="has not started"):
        conduct.session_end(actor=tutor, session=session)
    with pytest.raises(conduct.ConductProblem, match="has not started"):
        conduct.session_end_and_report(actor=tutor, session=session, reason="x", seen="y")
    session.refresh_from_db()
    assert session.state == SessionState.PLANNED and session.ended_at is None
    assert not Concern.objects.exists()


def test_the_dsl_is_told_when_the_protocol_asks(  # type: ignore[no-untyped-def]
    wcast,
    smtp_inbox,
    django_capture_on_commit_callbacks,
) -> None:
    session = _start(wcast, ready(wcast))
    with django_capture_on_commit_callbacks(execute=True):
        conduct.session_end(
            actor=wcast.actor(wcast.tutor), session=session, link="http://testserver/s/1/"
        )
    assert len(smtp_inbox.messages) == 1
    _, to, content = smtp_inbox.messages[0]
    assert to == [wcast.dsl.notice_email]
    assert "protocol says the DSL must be told" in content
    assert "text/html" in content
    assert _actions(session)[-2:] == ["session.ended", "session.dsl_notified"]


def test_no_notice_where_the_protocol_does_not_ask(  # type: ignore[no-untyped-def]
    wcast,
    smtp_inbox,
    django_capture_on_commit_callbacks,
) -> None:
    session = _start(wcast, ready(wcast, recording=False, parent_present=True))
    assert not conduct.must_tell_dsl_when_ended(session)
    with django_capture_on_commit_callbacks(execute=True):
        conduct.session_end(actor=wcast.actor(wcast.tutor), session=session)
    assert smtp_inbox.messages == []
    assert "session.dsl_notified" not in _actions(session)


def test_end_and_report_raises_a_concern_emailed_to_the_dsl_and_deputies(  # type: ignore[no-untyped-def]
    wcast,
    smtp_inbox,
    django_capture_on_commit_callbacks,
) -> None:
    deputy = make_staff(wcast.school, Role.DEPUTY_DSL, first_name="Dora", last_name="Deputy")
    session = _start(wcast, ready(wcast))
    with django_capture_on_commit_callbacks(execute=True):
        concern = conduct.session_end_and_report(
            actor=wcast.actor(wcast.tutor),
            session=session,
            reason="The pupil said something worrying about home.",
            seen="Pip said an adult at home hurt them last night.",
            link="http://testserver/sessions/1/",
        )
    session.refresh_from_db()
    concern.refresh_from_db()
    assert session.state == SessionState.ENDED
    assert session.reported_concern == concern
    assert list(concern.pupils.all()) == [wcast.pupil]
    assert concern.raised_by == wcast.tutor and concern.source == "session"
    assert concern.alert_sent_at is not None
    alerts = [m for m in smtp_inbox.messages if "Safeguarding concern" in m[2]]
    assert len(alerts) == 1
    assert sorted(alerts[0][1]) == sorted([wcast.dsl.notice_email, deputy.notice_email])
    assert "an adult at home hurt them" in alerts[0][2]
    assert wcast.slt.notice_email not in alerts[0][1]
    assert "session.ended_and_reported" in _actions(session)
    assert AuditEvent.objects.filter(action="concern.raised").count() == 1
    assert AuditEvent.objects.filter(action="concern.alert_sent").count() == 1


def test_end_and_report_needs_what_happened_and_changes_nothing_without(wcast) -> None:  # type: ignore[no-untyped-def]
    session = _start(wcast, ready(wcast))
    tutor = wcast.actor(wcast.tutor)
    with pytest.raises(conduct.ConductProblem) as no_reason:
        conduct.session_end_and_report(actor=tutor, session=session, reason=" ", seen="x")
    assert no_reason.value.field == "reason"
    with pytest.raises(conduct.ConductProblem) as nothing_seen:
        conduct.session_end_and_report(actor=tutor, session=session, reason="x", seen="")
    assert nothing_seen.value.field == "seen"
    with pytest.raises(conduct.ConductProblem) as stranger:
        conduct.session_end_and_report(
            actor=tutor, session=session, reason="x", seen="y", pupil_ids=[10**9]
        )
    assert stranger.value.field == "pupils"
    session.refresh_from_db()
    assert session.state == SessionState.LIVE
    assert not Concern.objects.exists()


def _ended(cast) -> Session:  # type: ignore[no-untyped-def]
    session = _start(cast, ready(cast, minutes_from_now=-20))
    conduct.session_end(actor=cast.actor(cast.tutor), session=session)
    session.refresh_from_db()
    return session


def _log(session: Session, **changes) -> conduct.LogData:  # type: ignore[no-untyped-def]
    now = timezone.now()
    data = conduct.LogData(
        actual_start=now - timedelta(minutes=25),
        actual_end=now - timedelta(minutes=1),
        attended=[p.pk for p in session.pupils.all()],
        recording_made=True,
        outcome="Attendance up this week; agreed a target.",
        notes="Calm call.",
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def test_the_host_logs_the_call_after_it_ends(wcast) -> None:  # type: ignore[no-untyped-def]
    session = _ended(wcast)
    entry = conduct.session_log_write(
        actor=wcast.actor(wcast.tutor), session=session, data=_log(session)
    )
    assert entry.recording_made and entry.minutes == 24
    assert Attendance.objects.get(session=session, pupil=wcast.pupil).attended is True
    assert "session.logged" in _actions(session)
    with pytest.raises(conduct.ConductProblem, match="log is written"):
        conduct.session_log_write(
            actor=wcast.actor(wcast.tutor), session=session, data=_log(session)
        )
    with pytest.raises(SchedulingRecordRefused):
        entry.save()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"actual_end_before": True}, "actual_end"),
        ({"future": True}, "actual_end"),
        ({"outcome": "  "}, "outcome"),
        ({"attended": [10**9]}, "attended"),
        ({"other_day": True}, "actual_start"),
    ],
)
def test_a_bad_log_names_the_field_and_stores_nothing(wcast, changes, field) -> None:  # type: ignore[no-untyped-def]
    session = _ended(wcast)
    now = timezone.now()
    data = _log(session)
    if changes.pop("actual_end_before", False):
        data.actual_end = data.actual_start - timedelta(minutes=5)
    if changes.pop("future", False):
        data.actual_end = now + timedelta(hours=1)
    if changes.pop("other_day", False):
        data.actual_start = now - timedelta(days=3)
    for name, value in changes.items():
        setattr(data, name, value)
    with pytest.raises(conduct.ConductProblem) as bad:
        conduct.session_log_write(actor=wcast.actor(wcast.tutor), session=session, data=data)
    assert bad.value.field == field
    assert not SessionLog.objects.exists()
    assert "session.logged" not in _actions(session)


def test_a_log_only_after_the_call_and_only_by_who_ran_it(wcast) -> None:  # type: ignore[no-untyped-def]
    session = ready(wcast)
    with pytest.raises(conduct.ConductProblem, match="once the call has ended"):
        conduct.session_log_write(
            actor=wcast.actor(wcast.tutor), session=session, data=_log(session)
        )
    ended = _ended(wcast)
    with pytest.raises(PermissionDenied):
        conduct.session_log_write(actor=wcast.actor(wcast.slt), session=ended, data=_log(ended))
    assert not SessionLog.objects.exists()


def test_a_call_under_way_cannot_be_cancelled(wcast) -> None:  # type: ignore[no-untyped-def]
    session = _start(wcast, ready(wcast))
    with pytest.raises(services.PlanProblem, match="can no longer be cancelled"):
        services.session_cancel(actor=wcast.actor(wcast.tutor), session=session, reason="x")
    session.refresh_from_db()
    assert session.state == SessionState.LIVE


def test_a_call_opened_early_cannot_be_changed(wcast) -> None:  # type: ignore[no-untyped-def]
    session = _start(wcast, ready(wcast, minutes_from_now=10))
    assert session.starts_at > timezone.now()  # opened before its planned start
    changed = services.PlanData.of(session)
    changed.duration_minutes = 45
    with pytest.raises(services.PlanProblem, match="can no longer be changed"):
        services.session_change(actor=wcast.actor(wcast.tutor), session=session, data=changed)
    session.refresh_from_db()
    assert session.duration_minutes == 30 and session.state == SessionState.LIVE
