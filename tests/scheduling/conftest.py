"""Fixtures for session tests: a school under the NPAT one-to-one protocol, with staff."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chaperone.people.actors import actor_for_user
from chaperone.people.models import Pupil, StaffMember
from chaperone.protocols.effective import protocol_cache
from chaperone.scheduling.services import PlanData
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory, make_staff
from tests.protocols.conftest import smtp_inbox  # noqa: F401  (the real SMTP server fixture)
from tests.protocols.factories import trust_version


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    protocol_cache.clear()
    yield
    protocol_cache.clear()


@dataclass
class Cast:
    school: School
    tutor: StaffMember
    head_of_year: StaffMember
    slt: StaffMember
    dsl: StaffMember
    pupil: Pupil

    def actor(self, staff: StaffMember) -> Actor:
        return actor_for_user(staff.user)


@pytest.fixture
def cast(tenant_a) -> Cast:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, "npat-one-to-one")
    school = tenant_a.school
    return Cast(
        school=school,
        tutor=make_staff(school, Role.TUTOR, first_name="Tess", last_name="Tutor"),
        head_of_year=make_staff(school, Role.HEAD_OF_YEAR, first_name="Hal", last_name="Year"),
        slt=make_staff(school, Role.SLT, first_name="Sally", last_name="Senior"),
        dsl=make_staff(school, Role.DSL, first_name="Dee", last_name="Lead"),
        pupil=PupilFactory(school=school, first_name="Pip", last_name="Pupil", year_group=9),
    )


def next_weekday_at(hour: int, minute: int = 0) -> datetime:
    """A weekday at least two days ahead, at ``hour``:``minute`` in London."""
    day = datetime.now(ZoneInfo("Europe/London")).date() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo("Europe/London"))


def one_to_one(cast: Cast, **changes) -> PlanData:  # type: ignore[no-untyped-def]
    """A pastoral one-to-one by the tutor on Teams with the school's account, recorded."""
    data = PlanData(
        title="Weekly check-in",
        kind="one_to_one",
        purpose="pastoral",
        starts_at=next_weekday_at(12, 45),
        duration_minutes=30,
        platform="teams",
        host=cast.tutor,
        pupils=[cast.pupil],
        recording=True,
        waiting_room=True,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data
