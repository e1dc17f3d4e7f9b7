"""Anomaly flags on the DSL timetable: each check, the school's threshold, the registry as the
way to add a check, and a fixed number of queries whatever the week holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.protocols.demo import template_source
from chaperone.scheduling import anomalies, selectors, services
from chaperone.scheduling.models import Session
from tests.conftest import verified_client
from tests.protocols.factories import trust_version
from tests.scheduling.conftest import Cast, next_weekday_at, one_to_one

SCHOOL_DAY = """

[windows.school_day]
start = "08:30"
end = "17:30"
days = ["mon", "tue", "wed", "thu", "fri"]

[[rules]]
id = "evening-calls"
code = "OUTSIDE_PERMITTED_HOURS"
effect = "pending"
unless = { within_window = ["school_day"] }
require = { slt_approved = true }
text = "Calls outside the school day need a senior leader's approval."
remedy = "Move the call into the school day, or ask a senior leader to approve it."
"""
RISK = {
    "why_remote": "The school is closed.",
    "known_risks": "None known.",
    "controls": "Recorded; school account.",
    "if_concern": "End and report.",
}


def _plan(cast: Cast, **changes: Any) -> Session:
    return services.session_plan(
        actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast, **changes)
    )


def _flags(cast: Cast, start=None, days: int = 28) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    table = selectors.timetable(
        actor=cast.actor(cast.dsl),
        school=cast.school,
        start=start or next_weekday_at(9).date(),
        days=days,
        filters=selectors.TimetableFilter(),
    )
    return {row.title: [f.code for f in row.flags] for d in table for row in d.sessions}


def test_a_call_outside_the_protocols_hours_is_flagged_even_once_approved(cast, tenant_a) -> None:  # type: ignore[no-untyped-def]
    source = template_source("npat-one-to-one").replace('version = "2026.1"', 'version = "2026.2"')
    trust_version(tenant_a.trust, text=source + SCHOOL_DAY)
    evening = _plan(cast, title="Evening", starts_at=next_weekday_at(19))
    _plan(cast, title="Lunchtime", starts_at=next_weekday_at(12, 45))
    flags = _flags(cast)
    assert flags["Evening"] == ["outside_hours"]
    assert flags["Lunchtime"] == []
    # approval clears the finding on the latest decision; the bare plan still has it
    services.session_invite_dsl(actor=cast.actor(cast.tutor), session=evening)
    services.session_approve(actor=cast.actor(cast.slt), session=evening, approve=True, risk=RISK)
    evening.refresh_from_db()
    latest = evening.decisions.select_related("decision").last().decision
    assert "OUTSIDE_PERMITTED_HOURS" not in latest.codes
    assert _flags(cast)["Evening"] == ["outside_hours"]


def test_a_call_off_school_accounts_or_devices_is_flagged(cast) -> None:  # type: ignore[no-untyped-def]
    # the protocol refuses such a plan; if one is ever stored the timetable shows it
    odd = _plan(cast, title="Odd")
    Session.objects.filter(pk=odd.pk).update(account="personal", device="personal")
    _plan(cast, title="Fine")
    flags = _flags(cast)
    assert flags == {"Odd": ["off_school_kit"], "Fine": []}
    page = verified_client(cast.dsl).get(
        reverse("scheduling:timetable"), {"start": next_weekday_at(9).date().isoformat()}
    )
    assert "Personal account and device" in page.content.decode()


def test_repeated_one_to_ones_of_one_adult_with_one_pupil_are_flagged(cast) -> None:  # type: ignore[no-untyped-def]
    first = next_weekday_at(12, 45)
    for week in range(4):
        _plan(cast, title=f"Week {week}", starts_at=first + timedelta(days=7 * week))
    flags = _flags(cast, start=first.date())
    # the default: the third within 28 days is flagged, and the fourth (three in its 28 days)
    assert flags == {
        "Week 0": [],
        "Week 1": [],
        "Week 2": ["repeated_one_to_one"],
        "Week 3": ["repeated_one_to_one"],
    }
    # earlier one-to-ones count though they are not on the page
    assert _flags(cast, start=(first + timedelta(days=14)).date(), days=7) == {
        "Week 2": ["repeated_one_to_one"]
    }
    # a cancelled call does not count
    services.session_cancel(
        actor=cast.actor(cast.tutor), session=Session.objects.get(title="Week 1"), reason="Ill"
    )
    assert _flags(cast, start=first.date())["Week 2"] == []


def test_the_school_sets_the_threshold(cast) -> None:  # type: ignore[no-untyped-def]
    first = next_weekday_at(12, 45)
    for week in range(2):
        _plan(cast, title=f"Week {week}", starts_at=first + timedelta(days=7 * week))
    assert _flags(cast, start=first.date())["Week 1"] == []
    anomalies.anomaly_settings_set(
        actor=cast.actor(cast.dsl), school=cast.school, repeat_threshold=2, repeat_days=10
    )
    assert _flags(cast, start=first.date())["Week 1"] == ["repeated_one_to_one"]
    event = AuditEvent.objects.get(action="session.anomaly_settings_changed")
    assert event.details["after"] == {"repeat_threshold": 2, "repeat_days": 10}
    anomalies.anomaly_settings_set(
        actor=cast.actor(cast.dsl), school=cast.school, repeat_threshold=2, repeat_days=6
    )
    assert _flags(cast, start=first.date())["Week 1"] == []


@pytest.mark.parametrize(
    ("threshold", "days", "field"),
    [(1, 28, "repeat_threshold"), (51, 28, "repeat_threshold"), (3, 0, "repeat_days")],
)
def test_bad_thresholds_name_the_field_and_change_nothing(cast, threshold, days, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(anomalies.SettingsProblem) as problem:
        anomalies.anomaly_settings_set(
            actor=cast.actor(cast.dsl),
            school=cast.school,
            repeat_threshold=threshold,
            repeat_days=days,
        )
    assert problem.value.field == field
    assert not anomalies.AnomalySettings.objects.exists()


def test_a_teacher_cannot_change_the_thresholds(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        anomalies.anomaly_settings_set(
            actor=cast.actor(cast.tutor), school=cast.school, repeat_threshold=5, repeat_days=7
        )


class _LongCall:
    """A check added through the registry, as later checks will be."""

    code: ClassVar[str] = "long_call"

    def prepare(self, page: anomalies.Page) -> None:
        return None

    def flag(self, facts: anomalies.SessionFacts) -> anomalies.Flag | None:
        if facts.kind == "one_to_one":
            return anomalies.Flag(self.code, "Test flag", "Added through the registry.")
        return None


@pytest.fixture
def extra_check() -> Iterator[None]:
    anomalies.register(_LongCall)
    yield
    anomalies.CHECKS.remove(_LongCall)


@pytest.mark.usefixtures("extra_check")
def test_a_registered_check_shows_on_the_timetable(cast) -> None:  # type: ignore[no-untyped-def]
    _plan(cast, title="Any")
    assert _flags(cast) == {"Any": ["long_call"]}
    page = verified_client(cast.dsl).get(
        reverse("scheduling:timetable"), {"start": next_weekday_at(9).date().isoformat()}
    )
    assert "Added through the registry." in page.content.decode()


def test_flags_cost_a_fixed_number_of_queries(cast) -> None:  # type: ignore[no-untyped-def]
    first = next_weekday_at(9)
    _plan(cast, title="One", starts_at=first)
    with CaptureQueriesContext(connection) as few:
        _flags(cast, start=first.date(), days=7)
    for n in range(6):  # repeated one-to-ones, one on a personal account
        _plan(cast, title=f"More {n}", starts_at=first + timedelta(hours=n + 1))
    Session.objects.filter(title="More 0").update(account="personal")
    with CaptureQueriesContext(connection) as many:
        flags = _flags(cast, start=first.date(), days=7)
    assert "repeated_one_to_one" in flags["More 5"] and "off_school_kit" in flags["More 0"]
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_thresholds_page_saves_and_names_bad_input(cast) -> None:  # type: ignore[no-untyped-def]
    url = reverse("scheduling:timetable_flags")
    dsl = verified_client(cast.dsl)
    page = dsl.get(url).content.decode()
    assert 'value="3"' in page and 'value="28"' in page
    bad = dsl.post(url, {"repeat_threshold": "1", "repeat_days": "x"})
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "Number of one-to-ones: enter a number from 2 to 50." in body
    assert "Days: enter a whole number of days from 1 to 366." in body
    assert not anomalies.AnomalySettings.objects.exists()
    done = dsl.post(url, {"repeat_threshold": "5", "repeat_days": "14"})
    assert done.status_code == 302
    assert anomalies.thresholds_for(cast.school) == anomalies.Thresholds(5, 14)
    client = Client()
    client.force_login(cast.tutor.user)
    assert client.get(url).status_code == 403


def test_how_a_call_ran_is_flagged_second_adult_early_start_late_log(cast) -> None:  # type: ignore[no-untyped-def]
    """The three checks on the facts a running call records. The facts are written straight
    to the rows (the services refuse an early start), as a faulty import or a bypass would."""
    from django.utils import timezone

    from chaperone.scheduling.conduct import SessionLog

    missing = _plan(cast, title="Missing adult")
    early = _plan(cast, title="Early")
    late = _plan(cast, title="Late log")
    on_time = _plan(cast, title="Logged")
    Session.objects.filter(pk=missing.pk).update(second_adult_present=False)
    # "Early" was still pending when it was opened (it was never approved)
    Session.objects.filter(pk=early.pk).update(started_at=timezone.now())
    ended = timezone.now() - timedelta(days=3)
    for s in (late, on_time):
        Session.objects.filter(pk=s.pk).update(
            started_at=ended - timedelta(minutes=30), ended_at=ended, outcome="allowed"
        )
    SessionLog.objects.create(
        session=on_time,
        actual_start=ended - timedelta(minutes=30),
        actual_end=ended,
        recording_made=False,
        written_by=cast.tutor,
        written_at=ended + timedelta(hours=2),
    )
    flags = _flags(cast)
    assert "second_adult_missing" in flags["Missing adult"]
    assert "started_before_allowed" in flags["Early"]
    assert "log_late" in flags["Late log"]
    assert "log_late" not in flags["Logged"]
    assert "started_before_allowed" not in flags["Missing adult"]
