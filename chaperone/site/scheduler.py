"""The in-process scheduler of daily jobs (``chaperone scheduler``, beside the task worker).

Each installed app declares its jobs in ``<app>/jobs.py`` (:class:`DailyJob`). A job runs at
most once per day: the day is recorded in :class:`~chaperone.site.models.DailyRun` in the same
transaction as the job enqueues its tasks, so a restarted scheduler, or a second one, skips it,
and a job that fails leaves no record and is tried again on the next tick.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction

from chaperone.core.extensions import DailyJob, TickJob, declared
from chaperone.site.models import DailyRun

logger = logging.getLogger(__name__)


def daily_jobs() -> list[DailyJob]:
    return declared("jobs", "DAILY", DailyJob)


def daily_jobs_run_due(*, day: dt.date) -> list[str]:
    """Run every daily job not yet run on ``day``; the names of those run now."""
    ran = []
    for job in daily_jobs():
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        DailyRun.objects.create(job=job.name, day=day)
                except IntegrityError:
                    continue  # already run that day
                job.run(day)
        except Exception:
            logger.exception("daily job failed", extra={"job": job.name, "day": day.isoformat()})
            continue
        ran.append(job.name)
    return ran


def tick_jobs() -> list[TickJob]:
    return declared("jobs", "EVERY_TICK", TickJob)


def tick_jobs_run(*, now: dt.datetime) -> list[str]:
    """Run every job of each check (their tasks are idempotent); the names of those that ran."""
    ran = []
    for job in tick_jobs():
        try:
            job.run(now)
        except Exception:
            logger.exception("tick job failed", extra={"job": job.name})
            continue
        ran.append(job.name)
    return ran
