"""``flush`` that may empty the audit tables on SQLite (see :mod:`chaperone.audit.guard`).

Django's test runner flushes the database between transactional tests; on SQLite that is a
DELETE per table, which the audit triggers would otherwise refuse.
"""

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlushCommand

from chaperone.audit.guard import audit_tables_unlocked


class Command(DjangoFlushCommand):
    def handle(self, **options: Any) -> None:
        with audit_tables_unlocked():
            super().handle(**options)
