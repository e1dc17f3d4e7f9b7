"""Helpers for audit tests: tampering underneath the triggers, inside the test's transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection

from chaperone.audit.guard import audit_tables_unlocked

PG_TRIGGERS = {
    "audit_auditevent": "audit_auditevent_append_only",
    "audit_auditchainhead": "audit_auditchainhead_forward_only",
}


def tamper(sql: str, params: list[Any] | None = None, *, table: str = "audit_auditevent") -> None:
    """Run ``sql`` with the append-only trigger of ``table`` out of the way, as an attacker with
    database access could. On PostgreSQL the trigger is disabled for this statement only (inside
    the test's transaction); on SQLite the triggers' own escape hatch is used."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            trigger = PG_TRIGGERS[table]
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            cursor.execute(sql, params or [])
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        else:
            with audit_tables_unlocked():
                cursor.execute(sql, params or [])
