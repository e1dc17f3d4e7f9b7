"""Database triggers that refuse UPDATE and DELETE of audit rows underneath Django.

Installed by migration 0002. On SQLite, any later migration that rebuilds ``audit_auditevent`` or
``audit_auditchainhead`` (Django's SQLite schema editor copies the table and drops the old one,
taking its triggers with it) must call :func:`install` again.
"""

from __future__ import annotations

from typing import Any

from chaperone.audit.guard import SQLITE_FUNCTION

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION chaperone_audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION chaperone_audit_head_forward_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'the audit chain head cannot be deleted';
        END IF;
        IF NEW.seq <= OLD.seq THEN
            RAISE EXCEPTION 'the audit chain head only moves forward';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION chaperone_audit_refuse_change()
    """,
    "DROP TRIGGER IF EXISTS audit_auditchainhead_forward_only ON audit_auditchainhead",
    """
    CREATE TRIGGER audit_auditchainhead_forward_only
    BEFORE UPDATE OR DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION chaperone_audit_head_forward_only()
    """,
]

POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditchainhead_forward_only ON audit_auditchainhead",
    "DROP FUNCTION IF EXISTS chaperone_audit_refuse_change()",
    "DROP FUNCTION IF EXISTS chaperone_audit_head_forward_only()",
]

SQLITE_TRIGGERS = {
    "audit_auditevent_no_update": (
        "BEFORE UPDATE ON audit_auditevent",
        f"NOT {SQLITE_FUNCTION}()",
        "audit events are append-only: UPDATE refused",
    ),
    "audit_auditevent_no_delete": (
        "BEFORE DELETE ON audit_auditevent",
        f"NOT {SQLITE_FUNCTION}()",
        "audit events are append-only: DELETE refused",
    ),
    "audit_auditchainhead_forward_only": (
        "BEFORE UPDATE ON audit_auditchainhead",
        f"NEW.seq <= OLD.seq AND NOT {SQLITE_FUNCTION}()",
        "the audit chain head only moves forward",
    ),
    "audit_auditchainhead_no_delete": (
        "BEFORE DELETE ON audit_auditchainhead",
        f"NOT {SQLITE_FUNCTION}()",
        "the audit chain head cannot be deleted",
    ),
}

SQLITE_INSTALL = [
    statement
    for name, (when, condition, message) in SQLITE_TRIGGERS.items()
    for statement in (
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} {when} FOR EACH ROW WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    )
]

SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]


def _run(schema_editor: Any, postgresql: list[str], sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": postgresql, "sqlite": sqlite}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def install(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, POSTGRESQL_INSTALL, SQLITE_INSTALL)


def remove(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, POSTGRESQL_REMOVE, SQLITE_REMOVE)
