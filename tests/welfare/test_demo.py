"""The demo's two-week closure: planned by the real planner, calls made and missed, families
escalated to the DSL."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from chaperone.site.demo.services import demo_delete, demo_load
from chaperone.welfare.models import (
    CallLog,
    Escalation,
    PlannedCall,
    RotaRun,
    RunStatus,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        demo_load(reset=True)
    yield
    with django_db_blocker.unblock():
        demo_delete()
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_the_demo_has_a_closure_with_calls_made_missed_and_escalated(demo) -> None:  # type: ignore[no-untyped-def]
    runs = list(RotaRun.objects.all())
    assert len(runs) == 2  # one per demo trust
    assert all(r.status in (RunStatus.PLANNED, RunStatus.GAPS) for r in runs), [
        (r.status, r.error) for r in runs
    ]
    assert all(len(r.days) >= 9 for r in runs)  # two weeks of school days
    assert PlannedCall.objects.count() > 100
    reached = CallLog.objects.filter(outcome__in=["child", "parent"]).count()
    missed = CallLog.objects.filter(outcome__in=["no_answer", "voicemail", "wrong"]).count()
    assert reached > missed > 0
    assert Escalation.objects.count() >= 2
    assert Escalation.objects.filter(steps__done_at__isnull=False).exists()
