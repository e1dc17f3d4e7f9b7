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


class OutboxMessage(models.Model):
    """A message the demo sent, kept instead of delivered (``chaperone.site.outbox``; local
    settings only), so the demo can show it and its links can be followed."""

    #: the school the message is about, where the sender named one (else none)
    school_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject = models.CharField(max_length=500)
    from_email = models.CharField(max_length=300)
    to = models.TextField()
    text = models.TextField()
    html = models.TextField(blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to}"
