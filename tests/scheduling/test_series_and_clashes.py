"""Weekly series (RFC 5545 RRULE): each week its own session, judged on its own date, moved or
cancelled alone; the series expands with recurring-ical-events to the same dates and local
times across the October clock change. Clashes are flagged, not blocked."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from chaperone.audit.models import AuditEvent
from chaperone.scheduling import calendars, series, services
from chaperone.scheduling.models import Session, SessionDecision
from chaperone.scheduling.series import SessionSeries
from tests.conftest import verified_client
from tests.factories import PupilFactory
from tests.scheduling.conftest import next_weekday_at, one_to_one

LONDON = ZoneInfo("Europe/London")


def _october_change() -> date:
    """The next last Sunday of October (BST ends) at least three weeks away."""
    year = timezone.localdate().year
    while True:
        day = date(year, 10, 31)
        day -= timedelta(days=(day.weekday() - 6) % 7)
        if day > timezone.localdate() + timedelta(days=21):
            return day
        year += 1


def _tuesday_before_change(hour: int = 12, minute: int = 45) -> datetime:
    tuesday = _october_change() - timedelta(days=12)  # two Tuesdays before the change
    return datetime(tuesday.year, tuesday.month, tuesday.day, hour, minute, tzinfo=LONDON)


def _client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


def test_a_weekly_series_keeps_its_local_time_across_the_clock_change(cast) -> None:  # type: ignore[no-untyped-def]
    start = _tuesday_before_change()
    sessions = series.series_plan(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        data=one_to_one(cast, starts_at=start, title="Weekly check-in"),
        count=4,
    )
    assert len(sessions) == 4
    local = [timezone.localtime(s.starts_at, LONDON) for s in sessions]
    assert [t.strftime("%a %H:%M") for t in local] == ["Tue 12:45"] * 4
    assert [(t.date() - start.date()).days for t in local] == [0, 7, 14, 21]
    utc = [s.starts_at.astimezone(ZoneInfo("UTC")).hour for s in sessions]
    assert utc == [11, 11, 12, 12]  # BST, BST, then GMT
    stored = SessionSeries.objects.get()
    assert stored.rrule == "FREQ=WEEKLY;COUNT=4"
    assert set(Session.objects.values_list("series_id", flat=True)) == {stored.pk}
    # each week was judged on its own date, with its own checklist
    assert SessionDecision.objects.filter(reason="planned").count() == 4
    assert all(s.steps.exists() for s in sessions)
    assert AuditEvent.objects.filter(action="session.series_planned").count() == 1

    # the series as one recurring event expands to exactly those starts
    cal = Calendar.from_ical(calendars.series_calendar(stored))
    (event,) = cal.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    expanded = recurring_ical_events.of(cal).between(
        start - timedelta(days=1), start + timedelta(days=30)
    )
    starts = [e["DTSTART"].dt for e in expanded]
    assert starts == [s.starts_at for s in sessions]
    assert [s.strftime("%H:%M %Z") for s in starts] == [
        "12:45 BST",
        "12:45 BST",
        "12:45 GMT",
        "12:45 GMT",
    ]
    assert series.expand(stored.rrule, stored.local_start()) == starts


def test_until_gives_the_weeks_up_to_that_day(cast) -> None:  # type: ignore[no-untyped-def]
    start = _tuesday_before_change(12, 45)
    last = start.date() + timedelta(days=21)
    sessions = series.series_plan(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        data=one_to_one(cast, starts_at=start),
        until=last,
    )
    assert [timezone.localtime(s.starts_at, LONDON).date() for s in sessions][-1] == last
    rule = SessionSeries.objects.get().rrule
    assert rule.startswith("FREQ=WEEKLY;UNTIL=") and rule.endswith("Z")
    cal = Calendar.from_ical(calendars.series_calendar(SessionSeries.objects.get()))
    expanded = recurring_ical_events.of(cal).between(start, start + timedelta(days=60))
    assert [e["DTSTART"].dt for e in expanded] == [s.starts_at for s in sessions]


def test_one_week_is_moved_or_cancelled_alone(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    first, second, third = series.series_plan(
        actor=tutor, school=cast.school, data=one_to_one(cast), count=3
    )
    moved = services.PlanData.of(second)
    moved.starts_at = second.starts_at + timedelta(days=1)
    services.session_change(actor=tutor, session=second, data=moved)
    services.session_cancel(actor=tutor, session=third, reason="Trip.")
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert not first.is_cancelled and first.sequence == 0
    assert second.sequence == 1 and second.series_id == first.series_id
    assert third.is_cancelled
    # the series' own event leaves out the moved and the cancelled weeks
    cal = Calendar.from_ical(calendars.series_calendar(SessionSeries.objects.get()))
    expanded = recurring_ical_events.of(cal).between(
        first.starts_at - timedelta(days=1), first.starts_at + timedelta(days=30)
    )
    assert [e["DTSTART"].dt for e in expanded] == [first.starts_at]


def test_a_refused_week_stores_nothing_of_the_series(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(series.SeriesRefused) as refused:
        series.series_plan(
            actor=cast.actor(cast.tutor),
            school=cast.school,
            data=one_to_one(cast, account="personal"),
            count=3,
        )
    assert "PERSONAL_ACCOUNT" in refused.value.decision.codes
    assert not Session.objects.exists() and not SessionSeries.objects.exists()


@pytest.mark.parametrize(
    ("until", "count", "field"),
    [
        (None, None, "repeat_until"),
        (None, 1, "repeat_count"),
        (None, 41, "repeat_count"),
        ("before", None, "repeat_until"),
        ("far", None, "repeat_until"),
    ],
)
def test_a_bad_repeat_names_its_field(cast, until, count, field) -> None:  # type: ignore[no-untyped-def]
    data = one_to_one(cast)
    last = {
        "before": data.starts_at.date() - timedelta(days=1),
        "far": data.starts_at.date() + timedelta(days=7 * 45),
    }.get(until)
    with pytest.raises(series.SeriesProblem) as problem:
        series.series_plan(
            actor=cast.actor(cast.tutor), school=cast.school, data=data, until=last, count=count
        )
    assert problem.value.field == field
    assert not Session.objects.exists()


def _form(cast, **changes) -> dict[str, str]:  # type: ignore[no-untyped-def]
    when = next_weekday_at(12, 45)
    data = {
        "title": "Weekly tuition",
        "kind": "one_to_one",
        "purpose": "pastoral",
        "date": when.date().isoformat(),
        "start_time": "12:45",
        "duration_minutes": "30",
        "pupils": str(cast.pupil.pk),
        "platform": "teams",
        "waiting_room": "on",
        "account": "school",
        "device": "school",
        "staff_location": "on_site",
        "recording": "on",
        "pupil_location": "common_room",
    }
    data.update(changes)
    return data


def test_the_plan_form_repeats_weekly(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.tutor)
    page = client.get(reverse("scheduling:plan"))
    html = page.content.decode()
    assert "Repeat every week at the same time" in html
    # every aria-describedby names an element of the page
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    described = {i for ref in re.findall(r'aria-describedby="([^"]+)"', html) for i in ref.split()}
    assert described <= ids, described - ids
    missing = client.post(reverse("scheduling:plan"), _form(cast, repeat_weekly="on"))
    assert missing.status_code == 200
    assert "Repeat: give a last date or a number of weeks." in missing.content.decode()
    assert not Session.objects.exists()
    done = client.post(
        reverse("scheduling:plan"), _form(cast, repeat_weekly="on", repeat_count="3")
    )
    assert done.status_code == 302
    assert Session.objects.count() == 3
    first = Session.objects.order_by("starts_at").first()
    assert first is not None
    detail = client.get(reverse("scheduling:detail", args=[first.pk]))
    assert "One of a series: every" in detail.content.decode()
    # changing one week offers no repeat
    change = client.get(reverse("scheduling:change", args=[first.pk]))
    assert "Repeat every week" not in change.content.decode()


def test_clashes_are_flagged_on_the_plan_and_the_session(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    at = next_weekday_at(12, 45)
    first = services.session_plan(
        actor=tutor, school=cast.school, data=one_to_one(cast, starts_at=at, title="Reading")
    )
    # another host, the same pupil, overlapping by a quarter of an hour: flagged, still saved
    other = services.session_plan(
        actor=cast.actor(cast.head_of_year),
        school=cast.school,
        data=one_to_one(
            cast, host=cast.head_of_year, starts_at=at + timedelta(minutes=15), title="Year talk"
        ),
    )
    (clash,) = series.clashes_of_session(other)
    assert clash.session == first and clash.pupils == (cast.pupil.display_name,)
    assert clash.staff == ()
    # the same host straight after (no overlap) and another pupil: no clash
    services.session_plan(
        actor=tutor,
        school=cast.school,
        data=one_to_one(
            cast,
            starts_at=at + timedelta(minutes=30),
            pupils=[PupilFactory(school=cast.school)],
        ),
    )
    assert [c.session for c in series.clashes_of_session(first)] == [other]
    page = _client(cast.head_of_year).get(reverse("scheduling:detail", args=[other.pk]))
    body = page.content.decode()
    # the head of year may not open the tutor's session: its time and who, not its title
    assert "This overlaps another session" in body and "another member of staff" in body
    assert "Reading" not in body and reverse("scheduling:detail", args=[first.pk]) not in body
    leader = verified_client(cast.slt).get(reverse("scheduling:detail", args=[other.pk]))
    assert "Reading" in leader.content.decode()
    # the plan page says so as the form changes
    check = _client(cast.tutor).post(
        reverse("scheduling:check"),
        _form(cast, date=at.date().isoformat(), start_time="13:00"),
        HTTP_HX_REQUEST="true",
    )
    # 13:00 to 13:30 meets the pupil twice and the tutor twice: three other sessions
    assert "This overlaps 3 other sessions" in check.content.decode()
    # on the change page of the first session, it does not clash with itself
    changing = _client(cast.tutor).post(
        reverse("scheduling:check"),
        _form(cast, date=at.date().isoformat(), start_time="13:00", changing=str(first.pk)),
        HTTP_HX_REQUEST="true",
    )
    assert "This overlaps 2 other sessions" in changing.content.decode()
    edit = _client(cast.tutor).get(reverse("scheduling:change", args=[first.pk]))
    assert f'name="changing" value="{first.pk}"' in edit.content.decode()
    # a cancelled session clashes with nothing
    services.session_cancel(actor=tutor, session=first, reason="Ill.")
    assert series.clashes_of_session(other) == []
