"""PostgreSQL only: extended statistics telling the planner that ``school_id`` determines
``trust_id``, on the audit table and each of its partitions (new partitions get them from
``partitions_ensure``), then ANALYZE so they take effect now rather than at the next
autovacuum. Without them a school's page of the log turns, as the service grows, into a sort of
the school's whole history (see :func:`chaperone.audit.partitions.statistics_sql`)."""

from typing import Any

from django.db import migrations

from chaperone.audit.partitions import TABLE, statistics_sql


def _tables(schema_editor: Any) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [TABLE],
        )
        return [TABLE, *(row[0] for row in cursor.fetchall())]


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in _tables(schema_editor):
        schema_editor.execute(statistics_sql(table))
    schema_editor.execute(f"ANALYZE {TABLE}")


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in _tables(schema_editor):
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {table}_school_trust")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_list_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
