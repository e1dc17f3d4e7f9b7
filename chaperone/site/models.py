"""What the top floor keeps: which daily jobs have run (``chaperone scheduler``)."""

from __future__ import annotations

from django.db import models


class DailyRun(models.Model):
    """One daily job run on one day; the unique pair is what stops a second run that day."""

    job = models.CharField(max_length=100)
    day = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "day"], name="site_dailyrun_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.job} on {self.day.isoformat()}"
