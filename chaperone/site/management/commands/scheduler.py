"""``chaperone scheduler``: run the daily jobs (audit anchor, protocol reminders) once a day.

Runs beside ``chaperone db_worker``, which does the work the jobs enqueue; ``make serve`` starts
both. See docs/operations.md.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from chaperone.site.scheduler import daily_jobs, daily_jobs_run_due, tick_jobs_run


class Command(BaseCommand):
    help = "Enqueue each daily job once a day (recorded in the database), checking every minute."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=int, default=60, help="Seconds between checks (default 60)."
        )
        parser.add_argument("--once", action="store_true", help="Check once and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        if interval < 1:
            self.stderr.write("--interval must be at least 1 second.")
            raise SystemExit(2)
        names = ", ".join(job.name for job in daily_jobs())
        self.stdout.write(f"Daily jobs: {names or 'none'}.")
        try:
            while True:
                day = timezone.localdate()
                for name in daily_jobs_run_due(day=day):
                    self.stdout.write(f"{day.isoformat()}: enqueued {name}.")
                tick_jobs_run(now=timezone.now())
                if options["once"]:
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            return
