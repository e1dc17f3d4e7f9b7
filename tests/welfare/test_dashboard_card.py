"""The caller's dashboard card: today's calls in live rotas, and how many are still to make."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from chaperone.welfare.models import CallStatus, PlannedCall, RotaRun, RunStatus, Tier
from tests.welfare.conftest import Closure


def _run(c: Closure, status: str) -> RotaRun:
    today = timezone.localdate()
    return RotaRun.objects.create(
        trust=c.trust, title="Closure", first_day=today, last_day=today, status=status
    )


def _card(c: Closure, staff) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    page = client.get("/").content.decode()
    start = page.find('data-testid="welfare-calls-today"')
    return page[start : page.find("</div>", start)] if start >= 0 else ""


def test_a_caller_sees_todays_calls_left_of_their_live_rotas_only(closure: Closure) -> None:
    c = closure
    today = timezone.localdate()
    live, failed = _run(c, RunStatus.PLANNED), _run(c, RunStatus.FAILED)

    def call(run: RotaRun, family: str, status: str, day: dt.date = today) -> None:
        PlannedCall.objects.create(
            run=run,
            household=c.families[family],
            staff=c.sen,
            day=day,
            tier=Tier.WEEKLY,
            status=status,
        )

    call(live, "plain1", CallStatus.PLANNED)
    call(live, "plain2", CallStatus.MADE)
    call(live, "cin", CallStatus.MOVED)  # moved to another day or caller: not today's
    call(live, "ehcp", CallStatus.PLANNED, today + dt.timedelta(days=1))  # tomorrow
    call(failed, "cp", CallStatus.PLANNED)  # a rota that could not be planned
    assert "1 of 2 still to make" in _card(c, c.sen)
    # another caller with nothing today has no card
    assert _card(c, c.teacher) == ""
