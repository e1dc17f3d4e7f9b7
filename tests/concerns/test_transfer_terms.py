"""The five-school-day countdown of a child protection file skips the school's own half-terms
and holidays (the terms it set, ``tenancy.SchoolTerm``), not only weekends and bank holidays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from chaperone.concerns import transfer
from chaperone.tenancy.models import SchoolTerm


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def autumn(cast):  # type: ignore[no-untyped-def]
    # half-term: Monday 26 to Friday 30 October 2026
    SchoolTerm.objects.create(
        school=cast.school,
        name="Autumn 1",
        starts_on=dt.date(2026, 9, 2),
        ends_on=dt.date(2026, 10, 23),
    )
    SchoolTerm.objects.create(
        school=cast.school,
        name="Autumn 2",
        starts_on=dt.date(2026, 11, 2),
        ends_on=dt.date(2026, 12, 18),
    )
    return cast


def test_the_countdown_crosses_the_half_term_break(autumn) -> None:  # type: ignore[no-untyped-def]
    cast = autumn
    leaving = dt.date(2026, 10, 21)  # a Wednesday
    # Thu 22, Fri 23, (half-term), Mon 2, Tue 3, Wed 4 November
    assert transfer.add_school_days(leaving, 5, school_id=cast.school.pk) == dt.date(2026, 11, 4)
    # the other school of the trust set no terms: every weekday counts
    assert transfer.add_school_days(leaving, 5, school_id=cast.other_school.pk) == dt.date(
        2026, 10, 28
    )
    assert transfer.add_school_days(leaving, 5) == dt.date(2026, 10, 28)
    days = transfer.SchoolDays(cast.school.pk)
    assert not days.is_school_day(dt.date(2026, 10, 27))
    assert days.between(dt.date(2026, 10, 23), dt.date(2026, 11, 4)) == 3
    assert days.between(dt.date(2026, 11, 4), dt.date(2026, 10, 23)) == -3

    t = transfer.transfer_start(
        actor=cast.actor(cast.dsl),
        pupil=cast.pupil,
        leaving_on=leaving,
        to_school_name="Heron High",
        to_school_urn="444441",
    )
    assert t.due_on == dt.date(2026, 11, 4)


def test_no_reminder_in_the_schools_half_term_and_the_days_left_skip_it(  # type: ignore[no-untyped-def]
    autumn, django_capture_on_commit_callbacks
) -> None:
    cast = autumn
    t = transfer.transfer_start(
        actor=cast.actor(cast.dsl),
        pupil=cast.pupil,
        leaving_on=dt.date(2026, 10, 21),
        to_school_name="Heron High",
        to_school_urn="444441",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert not transfer.transfer_remind(transfer_id=t.pk, day=dt.date(2026, 10, 27))
        assert transfer.transfer_remind(transfer_id=t.pk, day=dt.date(2026, 11, 2))
    t.refresh_from_db()
    assert t.reminded_on == dt.date(2026, 11, 2)
    (reminder,) = mail.outbox
    # Mon 2 November: Tue 3 and Wed 4 are left
    assert "2 school days left" in reminder.subject
