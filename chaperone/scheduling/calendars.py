"""Sessions as iCalendar (RFC 5545) with ``icalendar``: the invitation each recipient gets
(iTIP ``METHOD:REQUEST`` / ``METHOD:CANCEL``, RFC 5546) and the calendar feeds.

Every session is one event: its UID (:func:`uid`) never changes, its SEQUENCE is the session's
:attr:`~chaperone.scheduling.models.Session.sequence` (raised on every change sent out), its
start and end carry the school's time zone (TZID ``Europe/London``) and the calendar holds the
matching VTIMEZONE, so Outlook and Google Calendar show the right local time either side of a
clock change. The organiser is the school (the address invitations are sent from); the host
chairs.

What an event says depends on who reads it (:class:`Reader`): the join link only for those
allowed it (the session's staff; parents once the session may go ahead; the DSL timetable only
for calls the DSL is invited to), and pupils' names never to a parent or in a feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, Timezone, vCalAddress, vRecur, vText

if TYPE_CHECKING:
    from chaperone.scheduling.models import Session
    from chaperone.scheduling.series import SessionSeries

PRODID = "-//Chaperone//Sessions//EN"


def site_url(path: str = "") -> str:
    """``path`` on the site as people reach it (``CHAPERONE_BASE_URL``)."""
    return settings.CHAPERONE_BASE_URL.rstrip("/") + path


def uid(session: Session) -> str:
    """The session's calendar UID: the same in every invitation, update, cancellation and feed."""
    host = urlsplit(settings.CHAPERONE_BASE_URL).hostname or "chaperone.invalid"
    return f"session-{session.pk}@{host}"


@dataclass(frozen=True)
class Reader:
    """Who an event is written for."""

    #: "staff" (host, second adult), "dsl" (invited to drop in), "parent", or "feed"
    audience: str
    with_link: bool
    #: the recipient, for an invitation (the only attendee a parent sees besides the host)
    address: str = ""
    name: str = ""
    with_pupils: bool = True

    @property
    def is_parent(self) -> bool:
        return self.audience == "parent"


@dataclass(frozen=True)
class Attendee:
    address: str
    name: str
    role: str = "REQ-PARTICIPANT"


@dataclass
class EventParts:
    """What a session's event is made of, for one reader."""

    summary: str
    description: str
    location: str
    join_url: str
    attendees: list[Attendee] = field(default_factory=list)


def _organizer(session: Session) -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address or 'no-reply@chaperone.invalid'}")
    organizer.params["cn"] = vText(session.school.name or name)
    return organizer


def _address(attendee: Attendee) -> vCalAddress:
    value = vCalAddress(f"mailto:{attendee.address}")
    value.params["cn"] = vText(attendee.name)
    value.params["role"] = vText(attendee.role)
    value.params["partstat"] = vText("NEEDS-ACTION")
    value.params["rsvp"] = vText("FALSE")
    return value


def expectations(session: Session, *, for_parents: bool, with_protocol: bool = True) -> list[str]:
    """What the protocol and the plan expect of the call, in plain sentences."""
    found = [f"The pupil is in: {session.get_pupil_location_display().lower()}."]
    if session.parent_present:
        found.append("A parent or carer stays in the room for the whole call.")
    elif session.chaperone_present:
        found.append("Another responsible adult at home shows themselves at the start.")
    if session.waiting_room and session.platform != "phone":
        found.append("The pupil waits in the meeting's waiting room until the host lets them in.")
    if session.recording:
        found.append("The school records the call; the host says so at the start.")
    if session.dsl_invited and not for_parents:
        found.append("The DSL is invited and may join at any time.")
    if with_protocol and not for_parents:
        found.extend(_protocol_reminders(session))
    return found


def _protocol_reminders(session: Session) -> list[str]:
    from chaperone.scheduling.models import latest_decision

    latest = latest_decision(session)
    if latest is None:
        return []
    findings = latest.decision.get("findings", [])
    return [str(f["rule"]) for f in findings if f.get("effect") == "info" and f.get("rule")]


def _when(session: Session) -> str:
    at = timezone.localtime(session.starts_at, ZoneInfo(session.school.time_zone))
    return f"{at:%A} {at.day} {at:%B %Y}, {at:%H:%M}"


def parts_for(session: Session, reader: Reader) -> EventParts:
    """The summary, description, location and attendees of ``session`` for ``reader``."""
    page = site_url(reverse("scheduling:detail", args=[session.pk]))
    link = session.join_url if reader.with_link and session.join_url else ""
    platform = session.get_platform_display()
    lines = [f"{session.get_kind_display()} · {session.get_purpose_display()}", _when(session)]
    if reader.is_parent:
        lines.append(f"With {session.host.full_name}, {session.school.name}.")
    else:
        lines.append(f"Host: {session.host.full_name}.")
        if session.second_staff is not None:
            lines.append(f"Second member of staff: {session.second_staff.full_name}.")
        if reader.with_pupils:
            names = ", ".join(p.display_name for p in session.pupils.all())
            lines.append(f"Pupils: {names}.")
    lines.append("")
    lines.append("What the protocol expects:")
    told = expectations(
        session, for_parents=reader.is_parent, with_protocol=reader.audience != "feed"
    )
    lines.extend(f"- {e}" for e in told)
    lines.append("")
    if link:
        lines.append(f"Join: {link}")
    elif session.platform == "phone":
        lines.append("The host telephones at the time above.")
    elif reader.is_parent or reader.audience == "feed":
        lines.append(f"On {platform}.")
    else:
        lines.append(f"On {platform}: the meeting link is on the session's page.")
    if not reader.is_parent:
        lines.append(f"Session page: {page}")
    attendees = [Attendee(session.host.notice_email, session.host.full_name, "CHAIR")]
    if reader.is_parent:
        attendees.append(Attendee(reader.address, reader.name))
    elif session.second_staff is not None:
        second = session.second_staff
        attendees.append(Attendee(second.notice_email, second.full_name))
    if reader.audience == "dsl" and reader.address:
        attendees.append(Attendee(reader.address, reader.name, "OPT-PARTICIPANT"))
    return EventParts(
        summary=session.title,
        description="\n".join(lines),
        location=link or platform,
        join_url=link,
        attendees=[a for a in attendees if a.address],
    )


def session_event(
    session: Session, reader: Reader, *, stamp: datetime, cancelled: bool = False
) -> Event:
    """The session's VEVENT for ``reader``."""
    tz = ZoneInfo(session.school.time_zone)
    parts = parts_for(session, reader)
    event = Event()
    event.add("uid", uid(session))
    event.add("dtstamp", stamp.astimezone(ZoneInfo("UTC")))
    event.add("sequence", session.sequence)
    event.add("dtstart", timezone.localtime(session.starts_at, tz))
    event.add("dtend", timezone.localtime(session.ends_at, tz))
    event.add("summary", parts.summary)
    event.add("description", parts.description)
    event.add("location", parts.location)
    if parts.join_url:
        event.add("url", parts.join_url)
    event.add("created", session.created_at.astimezone(ZoneInfo("UTC")))
    event.add("last-modified", session.updated_at.astimezone(ZoneInfo("UTC")))
    event.add("status", "CANCELLED" if cancelled or session.is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _organizer(session))
    for attendee in parts.attendees:
        event.add("attendee", _address(attendee))
    return event


def _calendar(method: str | None, time_zone: str, name: str = "") -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", time_zone)
        # how often a subscribing client should look again (RFC 7986), and Outlook's own word
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    return cal


def invitation(session: Session, reader: Reader, *, method: str) -> bytes:
    """An iTIP message for one recipient: ``REQUEST`` (a new or changed session) or ``CANCEL``
    (same UID, the raised SEQUENCE, STATUS:CANCELLED)."""
    if method not in {"REQUEST", "CANCEL"}:
        raise ValueError(method)
    cal = _calendar(method, session.school.time_zone)
    cal.add_component(
        session_event(session, reader, stamp=timezone.now(), cancelled=method == "CANCEL")
    )
    _add_timezone(cal, session.school.time_zone, [session.starts_at])
    return cal.to_ical()


def feed(sessions: Iterable[Session], *, name: str, time_zone: str, reader_for: ReaderFor) -> bytes:
    """A calendar feed (``METHOD:PUBLISH``) of ``sessions``, each written for ``reader_for(s)``.
    The VTIMEZONE is present even when the feed is empty, so a client subscribes with the right
    zone from the start."""
    cal = _calendar("PUBLISH", time_zone, name)
    stamp = timezone.now()
    starts = [stamp]
    for session in sessions:
        cal.add_component(session_event(session, reader_for(session), stamp=stamp))
        starts.append(session.starts_at)
    _add_timezone(cal, time_zone, starts)
    return cal.to_ical()


class ReaderFor:
    """A callable giving the reader of each session in a feed."""

    def __init__(self, linked: Sequence[int] | set[int], *, with_pupils: bool = False) -> None:
        self.linked = set(linked)
        self.with_pupils = with_pupils

    def __call__(self, session: Session) -> Reader:
        return Reader("feed", session.pk in self.linked, with_pupils=self.with_pupils)


def _add_timezone(cal: Calendar, time_zone: str, moments: Sequence[datetime]) -> None:
    """The VTIMEZONE of ``time_zone`` with its transitions a year either side of ``moments``
    (first in the calendar, as RFC 5545 readers such as Outlook expect)."""
    first = min(moments).date() - timedelta(days=366)
    last = max(moments).date() + timedelta(days=366)
    zone = Timezone.from_tzinfo(
        ZoneInfo(time_zone), tzid=time_zone, first_date=first, last_date=last
    )
    cal.subcomponents.insert(0, zone)


def series_uid(series: SessionSeries) -> str:
    host = urlsplit(settings.CHAPERONE_BASE_URL).hostname or "chaperone.invalid"
    return f"series-{series.pk}@{host}"


def series_calendar(series: SessionSeries) -> bytes:
    """The series as one recurring event: its stored RRULE from the first start, with an
    EXDATE for every week whose occurrence was moved or cancelled (those are events of their
    own). What a calendar expands it to is the set of occurrences still at their weekly slot."""
    tz = ZoneInfo(series.time_zone)
    start = timezone.localtime(series.first_starts_at, tz)
    kept = {s.starts_at for s in series.occurrences.filter(state="planned").only("starts_at")}
    event = Event()
    event.add("uid", series_uid(series))
    event.add("dtstamp", timezone.now().astimezone(ZoneInfo("UTC")))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=series.duration_minutes))
    event.add("rrule", vRecur.from_ical(series.rrule))
    event.add("summary", series.title)
    gone = [at for at in series.starts() if at not in kept]
    if gone:
        event.add("exdate", gone)
    cal = _calendar("PUBLISH", series.time_zone)
    cal.add_component(event)
    _add_timezone(cal, series.time_zone, [start, *series.starts()])
    return cal.to_ical()
