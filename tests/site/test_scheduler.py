"""``chaperone scheduler``: each daily job runs once per day, recorded in the database, so a
restart does not send anything twice; a job that fails is tried again on the next tick."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from chaperone.audit.anchors import last_anchor
from chaperone.audit.log import record
from chaperone.core.extensions import DailyJob
from chaperone.site import scheduler
from chaperone.site.models import DailyRun

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 1)
JOBS = [
    "audit.anchor",
    "protocols.reminders",
    "concerns.overdue_actions",
    "concerns.transfer_reminders",
    "scheduling.reminders",
    "scheduling.meetings",
    "welfare.escalations",
    "records.purge",
    "records.sar_reminders",
]


@pytest.fixture(autouse=True)
def anchors(settings, tmp_path):
    settings.CHAPERONE_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    settings.CHAPERONE_AUDIT_ANCHOR_EMAILS = ["dpo@service.example"]


def test_the_apps_declare_the_anchor_and_the_reminders() -> None:
    assert [job.name for job in scheduler.daily_jobs()] == JOBS


def test_each_job_runs_once_a_day(tenant_a) -> None:
    first = record("audit.viewed", actor=None, trust_id=tenant_a.trust.pk)
    assert scheduler.daily_jobs_run_due(day=DAY) == JOBS
    assert last_anchor(first.chain_id).seq == first.seq  # the anchor task ran (immediate backend)

    later = record("audit.viewed", actor=None, trust_id=tenant_a.trust.pk)
    assert scheduler.daily_jobs_run_due(day=DAY) == []  # a restart the same day
    assert last_anchor(first.chain_id).seq == first.seq
    assert DailyRun.objects.filter(day=DAY).count() == len(JOBS)

    assert scheduler.daily_jobs_run_due(day=DAY + dt.timedelta(days=1)) == JOBS
    assert last_anchor(first.chain_id).seq == later.seq


def test_a_failed_job_is_not_recorded_and_runs_again(monkeypatch) -> None:
    calls: list[dt.date] = []

    def flaky(day: dt.date) -> None:
        calls.append(day)
        if len(calls) == 1:
            raise RuntimeError("mail server down")

    monkeypatch.setattr(scheduler, "daily_jobs", lambda: [DailyJob("test.flaky", flaky)])
    assert scheduler.daily_jobs_run_due(day=DAY) == []
    assert not DailyRun.objects.exists()
    assert scheduler.daily_jobs_run_due(day=DAY) == ["test.flaky"]
    assert scheduler.daily_jobs_run_due(day=DAY) == []
    assert calls == [DAY, DAY]


def test_the_command_checks_once_and_names_the_jobs() -> None:
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    text = out.getvalue()
    assert f"Daily jobs: {', '.join(JOBS)}." in text
    assert "enqueued audit.anchor" in text
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "enqueued" not in out.getvalue()


def test_the_jobs_of_every_check_run_each_time() -> None:
    from chaperone.site.scheduler import tick_jobs, tick_jobs_run

    assert [job.name for job in tick_jobs()] == ["concerns.escalations"]
    assert tick_jobs_run(now=timezone.now()) == ["concerns.escalations"]
    assert tick_jobs_run(now=timezone.now()) == ["concerns.escalations"]
