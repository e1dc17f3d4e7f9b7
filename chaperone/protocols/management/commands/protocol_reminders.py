"""``chaperone protocol_reminders``: enqueue review reminders for protocols due for review.

Run it daily (cron or a systemd timer). It only finds due versions and enqueues
``send_review_reminder(version_id)``; the task sends each reminder once per version and window.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from chaperone.protocols.services import enqueue_due_reminders


class Command(BaseCommand):
    help = "Enqueue e-mail reminders for protocol versions whose review date is near or past."

    def handle(self, *args: object, **options: object) -> None:
        ids = enqueue_due_reminders()
        noun = "reminder" if len(ids) == 1 else "reminders"
        self.stdout.write(f"Enqueued {len(ids)} review {noun}.")
