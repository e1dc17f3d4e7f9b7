"""``chaperone protocol_reminders``: enqueue the protocols' daily reminders.

Run it daily (cron or a systemd timer). It finds versions due for review and versions that came
into force, and enqueues tasks (ids only); each task sends its e-mail once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from chaperone.protocols.reminders import reminders_enqueue_due


class Command(BaseCommand):
    help = (
        "Enqueue e-mail reminders: protocol versions whose review date is near or past, and "
        "staff yet to read a version that came into force."
    )

    def handle(self, *args: object, **options: object) -> None:
        review_ids, in_force_ids = reminders_enqueue_due()
        noun = "reminder" if len(review_ids) == 1 else "reminders"
        self.stdout.write(f"Enqueued {len(review_ids)} review {noun}.")
        noun = "school" if len(in_force_ids) == 1 else "schools"
        self.stdout.write(f"Reminded staff to read a new version in {len(in_force_ids)} {noun}.")
