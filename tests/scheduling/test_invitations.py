"""Calendar invitations by email: sent over real SMTP (a local aiosmtpd server) with the ICS
attached, parsed back with icalendar; updates and cancellations keep the UID and raise the
SEQUENCE; parents get theirs only once the session may go ahead."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import EmailMessage, Message

import pytest
from icalendar import Calendar

from chaperone.audit.models import AuditEvent
from chaperone.scheduling import calendars, invitations, services
from chaperone.scheduling.invitations import InvitationSent, SessionReminder
from chaperone.scheduling.models import Session
from tests.factories import ContactFactory
from tests.protocols.conftest import Inbox
from tests.scheduling.conftest import one_to_one

RISK = {
    "why_remote": "School closed.",
    "known_risks": "None known.",
    "controls": "School account, recorded, DSL invited.",
    "if_concern": "End and report.",
}
JOIN = "https://teams.example.org/l/meetup-join/abc"


def _messages(inbox: Inbox) -> list[tuple[list[str], Message]]:
    return [
        (to, email.message_from_string(raw, policy=email.policy.default))
        for _, to, raw in inbox.messages
    ]


def _calendar_part(message: Message) -> Message:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    return parts[0]


def _text(message: Message) -> str:
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def _ics(message: Message) -> Calendar:
    part = _calendar_part(message)
    assert isinstance(part, EmailMessage)
    return Calendar.from_ical(part.get_content())


def _event(cal: Calendar):  # type: ignore[no-untyped-def]
    (event,) = cal.walk("VEVENT")
    return event


def _to(inbox: Inbox, address: str) -> list[Message]:
    return [m for to, m in _messages(inbox) if address in to]


@pytest.fixture
def family(cast):  # type: ignore[no-untyped-def]
    """The pupil's parents: one with parental responsibility and an email, one without
    responsibility, one without an email."""
    household = cast.pupil.household
    return {
        "mum": ContactFactory(household=household, first_name="Mae", email="mae@example.net"),
        "lodger": ContactFactory(
            household=household,
            email="lodger@example.net",
            has_parental_responsibility=False,
            priority=2,
        ),
        "dad": ContactFactory(household=household, email="", priority=3),
    }


def _allowed(cast, **changes):  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    session = services.session_plan(
        actor=tutor,
        school=cast.school,
        data=one_to_one(cast, plan_outcome="Attendance target.", join_url=JOIN, **changes),
    )
    services.session_invite_dsl(actor=tutor, session=session)
    services.session_approve(actor=cast.actor(cast.slt), session=session, approve=True, risk=RISK)
    session.refresh_from_db()
    assert services.may_start(session)
    return session


def test_planning_emails_the_staff_an_invitation_with_its_ics(  # type: ignore[no-untyped-def]
    cast, family, smtp_inbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_plan(
            actor=cast.actor(cast.tutor),
            school=cast.school,
            data=one_to_one(cast, second_staff=cast.head_of_year, join_url=JOIN),
        )
    assert session.outcome == "pending"
    got = {a for to, _ in _messages(smtp_inbox) for a in to}
    # host and second adult; no parent while the session may not go ahead; the DSL is not
    # invited yet
    assert got == {cast.tutor.notice_email, cast.head_of_year.notice_email}
    (message,) = _to(smtp_inbox, cast.tutor.notice_email)
    assert message["Subject"].startswith("Invitation: Weekly check-in")
    kinds = {p.get_content_type() for p in message.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= kinds
    part = _calendar_part(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "invite.ics"
    cal = _ics(message)
    assert cal["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    event = _event(cal)
    assert str(event["UID"]) == calendars.uid(session)
    assert event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTSTART"].dt == session.starts_at
    assert event["DTEND"].dt == session.ends_at
    assert "no-reply@chaperone.invalid" in str(event["ORGANIZER"])
    attendees = {str(a).removeprefix("mailto:") for a in event.get("ATTENDEE")}
    assert attendees == {cast.tutor.notice_email, cast.head_of_year.notice_email}
    description = str(event["DESCRIPTION"])
    assert "What the protocol expects:" in description
    assert "Pip Pupil" in description or cast.pupil.display_name in description
    assert JOIN in description and str(event["URL"]) == JOIN
    assert AuditEvent.objects.filter(action="session.invitations_sent").count() == 1


def test_parents_are_invited_once_allowed_and_told_when_it_is_not(  # type: ignore[no-untyped-def]
    cast, family, smtp_inbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        session = _allowed(cast)
    mum = family["mum"].email
    (invite,) = _to(smtp_inbox, mum)
    assert not _to(smtp_inbox, "lodger@example.net")  # no parental responsibility
    event = _event(_ics(invite))
    uid, first = str(event["UID"]), event["SEQUENCE"]
    assert uid == calendars.uid(session)
    description = str(event["DESCRIPTION"])
    assert JOIN in description  # the family gets the link now the call may go ahead
    assert cast.pupil.display_name not in description  # a parent's copy names no pupil
    attendees = {str(a).removeprefix("mailto:") for a in event.get("ATTENDEE")}
    assert attendees == {cast.tutor.notice_email, mum}
    assert "Dear Mae" in _text(invite)
    # the DSL invited to drop in has their own invitation, with the link
    dsl = _to(smtp_inbox, cast.dsl.notice_email)
    assert dsl and JOIN in str(_event(_ics(dsl[-1]))["DESCRIPTION"])

    # a change that sends it back through its steps withdraws the parents' invitation
    smtp_inbox.messages.clear()
    changed = services.PlanData.of(session)
    changed.parent_present = True
    with django_capture_on_commit_callbacks(execute=True):
        services.session_change(actor=cast.actor(cast.tutor), session=session, data=changed)
    session.refresh_from_db()
    assert session.outcome == "pending"
    (cancel,) = _to(smtp_inbox, mum)
    assert _calendar_part(cancel).get_param("method") == "CANCEL"
    cal = _ics(cancel)
    assert cal["METHOD"] == "CANCEL"
    withdrawn = _event(cal)
    assert str(withdrawn["UID"]) == uid and withdrawn["SEQUENCE"] > first
    assert withdrawn["STATUS"] == "CANCELLED"
    assert JOIN not in str(withdrawn["DESCRIPTION"])
    # the staff get the update: same UID, the raised SEQUENCE
    (update,) = _to(smtp_inbox, cast.tutor.notice_email)
    assert update["Subject"].startswith("Changed:")
    updated = _event(_ics(update))
    assert str(updated["UID"]) == uid and updated["SEQUENCE"] == session.sequence


def test_cancelling_sends_everyone_a_cancel_with_the_same_uid(  # type: ignore[no-untyped-def]
    cast, family, smtp_inbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        session = _allowed(cast)
    before = {a: _event(_ics(m))["SEQUENCE"] for to, m in _messages(smtp_inbox) for a in to}
    smtp_inbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(actor=cast.actor(cast.tutor), session=session, reason="Ill.")
    got = {a: m for to, m in _messages(smtp_inbox) for a in to}
    assert set(got) == set(before)  # whoever held it, parents and the DSL included
    for address, message in got.items():
        assert message["Subject"].startswith("Cancelled:")
        cal = _ics(message)
        assert cal["METHOD"] == "CANCEL"
        event = _event(cal)
        assert str(event["UID"]) == calendars.uid(session)
        assert event["SEQUENCE"] > before[address]
        assert event["STATUS"] == "CANCELLED"


def test_sending_again_sends_nothing_new(  # type: ignore[no-untyped-def]
    cast, family, smtp_inbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        session = _allowed(cast)
    count = len(smtp_inbox.messages)
    assert invitations.invitations_send(session_id=session.pk) == 0
    assert len(smtp_inbox.messages) == count
    # each address holds one REQUEST at the current SEQUENCE
    rows = InvitationSent.objects.filter(session=session, sequence=session.sequence)
    assert rows.count() == len({r.address for r in rows})


def test_a_second_adult_taken_off_gets_a_cancel(  # type: ignore[no-untyped-def]
    cast, smtp_inbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_plan(
            actor=cast.actor(cast.tutor),
            school=cast.school,
            data=one_to_one(cast, second_staff=cast.head_of_year),
        )
    smtp_inbox.messages.clear()
    changed = services.PlanData.of(session)
    changed.second_staff = None
    with django_capture_on_commit_callbacks(execute=True):
        services.session_change(actor=cast.actor(cast.tutor), session=session, data=changed)
    (gone,) = _to(smtp_inbox, cast.head_of_year.notice_email)
    assert _ics(gone)["METHOD"] == "CANCEL"
    (kept,) = _to(smtp_inbox, cast.tutor.notice_email)
    assert _ics(kept)["METHOD"] == "REQUEST"


def test_a_mail_server_that_is_down_does_not_undo_the_plan(  # type: ignore[no-untyped-def]
    cast, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        session = services.session_plan(
            actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast)
        )
    assert Session.objects.filter(pk=session.pk).exists()
    assert not InvitationSent.objects.filter(session=session).exists()  # tried again later


# --- reminders --------------------------------------------------------------------------------


def test_the_day_before_the_host_and_second_adult_are_reminded_once(  # type: ignore[no-untyped-def]
    cast, smtp_inbox, django_capture_on_commit_callbacks
) -> None:
    session = services.session_plan(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        data=one_to_one(cast, second_staff=cast.head_of_year),
    )
    smtp_inbox.messages.clear()
    eve = session.starts_at.astimezone(calendars.ZoneInfo("Europe/London")).date()
    eve -= timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        due = invitations.reminders_enqueue_due(eve)
    assert (session.pk, "day_before") in due
    got = {a: m for to, m in _messages(smtp_inbox) for a in to if "Tomorrow" in m["Subject"]}
    assert set(got) == {cast.tutor.notice_email, cast.head_of_year.notice_email}
    assert {p.get_content_type() for p in got[cast.tutor.notice_email].walk()} >= {
        "text/plain",
        "text/html",
    }
    assert SessionReminder.objects.filter(session=session, kind="day_before").count() == 1
    # the job runs again (a restarted scheduler): nothing is sent twice
    smtp_inbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert (session.pk, "day_before") not in invitations.reminders_enqueue_due(eve)
    assert invitations.reminder_send(session_id=session.pk, kind="day_before") == "already_sent"
    assert not smtp_inbox.messages


def test_open_steps_close_to_the_start_are_sent_to_who_can_do_them(  # type: ignore[no-untyped-def]
    cast, smtp_inbox, django_capture_on_commit_callbacks
) -> None:
    session = services.session_plan(
        actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast)
    )
    # the call is now a day away with its approval and risk assessment still to do
    Session.objects.filter(pk=session.pk).update(
        starts_at=calendars.timezone.now() + timedelta(hours=20)
    )
    smtp_inbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        due = invitations.reminders_enqueue_due(calendars.timezone.localdate())
    assert (session.pk, "steps_overdue") in due
    told = {
        a for to, m in _messages(smtp_inbox) for a in to if m["Subject"].startswith("Steps still")
    }
    # the host; the senior leader who may approve; those who may write the risk assessment
    assert {cast.tutor.notice_email, cast.slt.notice_email, cast.dsl.notice_email} <= told
    assert cast.head_of_year.notice_email not in told
    assert AuditEvent.objects.filter(action="session.reminder_sent").exists()


def test_the_daily_job_is_declared() -> None:
    from chaperone.core.extensions import DailyJob, declared

    assert "scheduling.reminders" in {j.name for j in declared("jobs", "DAILY", DailyJob)}
