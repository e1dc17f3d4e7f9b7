"""Calendar feeds: a secret address per person (shown once, only its hash stored, revocable and
made again), their own sessions; the school's timetable feed for those who see the timetable.
Each feed parses back with icalendar and carries the VTIMEZONE Outlook and Google need."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from chaperone.audit.models import AuditEvent
from chaperone.people.models import StaffAssignment
from chaperone.scheduling import calendars, feeds, services
from chaperone.scheduling.feeds import CalendarFeed
from chaperone.tenancy.policies import TWO_FACTOR_ROLES
from tests.conftest import verified_client
from tests.scheduling.conftest import one_to_one

JOIN = "https://teams.example.org/l/meetup-join/feed"


def _client(staff) -> Client:  # type: ignore[no-untyped-def]
    if staff.assignments.filter(role__in=sorted(TWO_FACTOR_ROLES)).exists():
        return verified_client(staff)
    client = Client()
    client.force_login(staff.user)
    return client


def _new_address(client: Client, kind: str = "personal") -> str:
    page = client.post(reverse("scheduling:calendar"), {"action": "create", "kind": kind})
    assert page.status_code == 200
    body = page.content.decode()
    assert "it will not be shown again" in body
    found = re.search(r'value="(http[^"]+\.ics)"', body)
    assert found is not None
    return found.group(1).removeprefix("http://localhost:8000")


def _read(path: str) -> Calendar:
    response = Client().get(path)  # a calendar client: not signed in
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_a_personal_feed_lists_my_sessions_and_opens_in_a_calendar(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    mine = services.session_plan(
        actor=tutor,
        school=cast.school,
        data=one_to_one(cast, join_url=JOIN, second_staff=cast.head_of_year),
    )
    theirs = services.session_plan(
        actor=cast.actor(cast.head_of_year),
        school=cast.school,
        data=one_to_one(cast, host=cast.head_of_year, title="Not mine"),
    )
    client = _client(cast.tutor)
    listing = client.get(reverse("scheduling:list"))
    assert reverse("scheduling:calendar") in listing.content.decode()
    page = client.get(reverse("scheduling:calendar"))
    assert page.status_code == 200 and "No address yet." in page.content.decode()
    path = _new_address(client)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    stored = CalendarFeed.objects.get()
    assert stored.token_hash == feeds.token_hash(token) and token not in stored.token_hash
    # shown once: the page no longer shows the address
    again = client.get(reverse("scheduling:calendar")).content.decode()
    assert token not in again and "is working" in again

    cal = _read(path)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert cal["X-WR-TIMEZONE"] == "Europe/London" and cal["METHOD"] == "PUBLISH"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == calendars.uid(mine)
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTSTART"].dt == mine.starts_at
    assert JOIN in str(event["DESCRIPTION"])  # my own session: the link
    assert cast.pupil.display_name not in cal.to_ical().decode()  # no pupil names in a feed
    assert theirs.title not in cal.to_ical().decode()
    # the second adult's feed has it too
    second = _new_address(_client(cast.head_of_year))
    uids = {str(e["UID"]) for e in _read(second).walk("VEVENT")}
    assert uids == {calendars.uid(mine), calendars.uid(theirs)}
    assert AuditEvent.objects.filter(action="session.feed_read").count() == 2

    # a cancelled session stays in the feed, marked cancelled
    services.session_cancel(actor=tutor, session=mine, reason="Ill.")
    (event,) = _read(path).walk("VEVENT")
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1


def test_making_a_new_address_or_revoking_stops_the_old_one(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.tutor)
    old = _new_address(client)
    new = _new_address(client)
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    response = client.post(
        reverse("scheduling:calendar"), {"action": "revoke", "kind": "personal"}, follow=True
    )
    assert "no longer works" in response.content.decode()
    assert Client().get(new).status_code == 404
    actions = sorted(
        AuditEvent.objects.filter(action__startswith="session.feed_")
        .exclude(action="session.feed_read")
        .values_list("action", flat=True)
    )
    assert actions == ["session.feed_created", "session.feed_created", "session.feed_revoked"]


def test_the_timetable_feed_is_for_those_who_see_the_timetable(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    invited = services.session_plan(
        actor=tutor,
        school=cast.school,
        data=one_to_one(cast, join_url=JOIN, dsl_invited=True, title="Drop-in welcome"),
    )
    plain = services.session_plan(
        actor=tutor,
        school=cast.school,
        data=one_to_one(cast, join_url=JOIN + "2", title="Private"),
    )
    # a tutor has no timetable feed to make
    refused = _client(cast.tutor).post(
        reverse("scheduling:calendar"), {"action": "create", "kind": "timetable"}
    )
    assert refused.status_code == 400
    assert "Calendar: choose a calendar you may have." in refused.content.decode()
    assert not CalendarFeed.objects.exists()

    dsl = _client(cast.dsl)
    assert "timetable of every call" in dsl.get(reverse("scheduling:calendar")).content.decode()
    path = _new_address(dsl, "timetable")
    events = {str(e["UID"]): e for e in _read(path).walk("VEVENT")}
    assert set(events) == {calendars.uid(invited), calendars.uid(plain)}
    # the drop-in link only for the call the DSL is invited to
    assert JOIN in str(events[calendars.uid(invited)]["DESCRIPTION"])
    assert JOIN + "2" not in str(events[calendars.uid(plain)]["DESCRIPTION"])
    # the personal feed of a DSL lists the calls they are invited to drop in on
    mine = _new_address(dsl)
    assert {str(e["UID"]) for e in _read(mine).walk("VEVENT")} == {calendars.uid(invited)}

    # leaving the role ends the timetable feed at once
    StaffAssignment.objects.filter(staff=cast.dsl).update(role="teacher")
    assert Client().get(path).status_code == 404


def test_bad_requests_to_the_page_name_the_field(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.tutor)
    bad = client.post(reverse("scheduling:calendar"), {"action": "explode", "kind": "personal"})
    assert bad.status_code == 400
    assert "Action: choose to make or revoke an address." in bad.content.decode()
    nothing = client.post(reverse("scheduling:calendar"), {})
    assert nothing.status_code == 400
    assert not CalendarFeed.objects.exists()


def test_an_empty_feed_still_has_its_time_zone(cast) -> None:  # type: ignore[no-untyped-def]
    path = _new_address(_client(cast.slt))
    cal = _read(path)
    assert cal.walk("VEVENT") == []
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]


def test_a_forged_token_is_a_404(cast) -> None:  # type: ignore[no-untyped-def]
    _new_address(_client(cast.tutor))
    for token in ("x", "a" * 43, "a" * 300):
        url = reverse("scheduling:calendar_feed", kwargs={"token": token})
        assert Client().get(url).status_code == 404


def test_the_timetable_feed_takes_the_same_queries_for_more_sessions(cast) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = _new_address(_client(cast.dsl), "timetable")
    tutor = cast.actor(cast.tutor)
    base = one_to_one(cast, second_staff=cast.head_of_year)

    def plan(n: int) -> None:
        for week in range(n):
            at = base.starts_at + timedelta(days=7 * week, minutes=week)
            services.session_plan(actor=tutor, school=cast.school, data=replace(base, starts_at=at))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _read(path)
        return len(queries)

    plan(2)
    few = count()
    plan(5)
    assert count() == few


def test_a_feed_is_built_again_only_when_its_sessions_change(cast) -> None:  # type: ignore[no-untyped-def]
    """Calendars poll: an unchanged feed answers with the same ETag (304 to If-None-Match) and
    fewer queries; any change to a session it shows gives a new ETag and the new calendar."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tutor = cast.actor(cast.tutor)
    session = services.session_plan(actor=tutor, school=cast.school, data=one_to_one(cast))
    path = _new_address(_client(cast.dsl), "timetable")
    reader = Client()
    with CaptureQueriesContext(connection) as built:
        first = reader.get(path)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    with CaptureQueriesContext(connection) as cached:
        again = reader.get(path)
    assert again["ETag"] == etag and again.content == first.content
    assert len(cached) < len(built)  # the calendar came from the cache
    unchanged = reader.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    # every poll is still a read in the audit log
    assert AuditEvent.objects.filter(action="session.feed_read").count() == 3

    services.session_cancel(actor=tutor, session=session, reason="Ill.")
    changed = reader.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    (event,) = Calendar.from_ical(changed.content).walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"
