"""PostgreSQL only: the audit table becomes partitioned by month of ``occurred_at`` (SQLite keeps
one table). Existing rows are copied into monthly partitions, one per month they cover; this
month and the next three are created, plus a default partition. Unique keys must hold the
partition key on PostgreSQL, so the primary key is (id, occurred_at) and the chain key
(chain_id, seq, occurred_at); the head lock is what keeps seq unique within a chain, and verify
checks it. The append-only triggers are installed on the new table."""

import datetime as dt
from typing import Any

from django.db import migrations

from chaperone.audit import triggers
from chaperone.audit.partitions import (
    DEFAULT_PARTITION,
    TABLE,
    add_months,
    create_partition_sql,
    month_of,
)

UNIQUE_KEYS = {
    f"{TABLE}_pkey": "PRIMARY KEY (id, occurred_at)",
    "audit_event_chain_seq": "UNIQUE (chain_id, seq, occurred_at)",
}


def _rebuild(schema_editor: Any, *, partitioned: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname <> ALL(%s)",
            [TABLE, list(UNIQUE_KEYS)],
        )
        indexes = cursor.fetchall()
        cursor.execute(f"SELECT MIN(occurred_at), MAX(id) FROM {TABLE}")
        first, max_id = cursor.fetchone()
    triggers.remove(None, schema_editor)
    for name, _ in indexes:
        run(f"DROP INDEX {name}")
    run(f"ALTER TABLE {TABLE} RENAME TO {TABLE}_old")
    run(f"ALTER TABLE {TABLE}_old DROP CONSTRAINT {TABLE}_pkey")
    run(f"ALTER TABLE {TABLE}_old DROP CONSTRAINT audit_event_chain_seq")
    run(f"CREATE SEQUENCE {TABLE}_id_seq_new")
    layout = "PARTITION BY RANGE (occurred_at)" if partitioned else ""
    run(f"CREATE TABLE {TABLE} (LIKE {TABLE}_old INCLUDING CONSTRAINTS) {layout}")
    run(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq_new')")
    if partitioned:
        today = month_of(dt.datetime.now(dt.UTC).date())
        month = month_of(first.astimezone(dt.UTC).date()) if first else today
        while month <= add_months(today, 3):
            run(create_partition_sql(month))
            month = add_months(month, 1)
        run(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT")
        keys = UNIQUE_KEYS
    else:
        keys = {f"{TABLE}_pkey": "PRIMARY KEY (id)", "audit_event_chain_seq": "UNIQUE (chain_id, seq)"}
    run(f"INSERT INTO {TABLE} SELECT * FROM {TABLE}_old")
    run(f"DROP TABLE {TABLE}_old")
    run(f"ALTER SEQUENCE {TABLE}_id_seq_new OWNED BY {TABLE}.id")
    run(f"ALTER SEQUENCE {TABLE}_id_seq_new RENAME TO {TABLE}_id_seq")
    run(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{TABLE}_id_seq')")
    if max_id:
        run(f"SELECT setval('{TABLE}_id_seq', {int(max_id)})")
    for name, definition in keys.items():
        run(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
    for _, definition in indexes:
        run(definition)
    triggers.install(None, schema_editor)


def partition(apps: Any, schema_editor: Any) -> None:
    _rebuild(schema_editor, partitioned=True)


def unpartition(apps: Any, schema_editor: Any) -> None:
    _rebuild(schema_editor, partitioned=False)


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("audit", "0003_chains")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
