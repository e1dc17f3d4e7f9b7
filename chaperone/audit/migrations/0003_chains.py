"""One chain per trust: rows gain a chain id, sequence numbers become per chain, heads one per
chain with a MAC. The rows written before this migration become the closed legacy chain (-1),
verified exactly as before (plain sha256 over format-1 payloads); see ADR 0003."""

from typing import Any

from django.db import migrations, models

from chaperone.audit import triggers

LEGACY_CHAIN = -1


def legacy_head(apps: Any, schema_editor: Any) -> None:
    """The one head becomes the legacy chain's (with a MAC), or goes if nothing was written."""
    from chaperone.audit.chain import head_mac

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE id = 1")
        head = cursor.fetchone()
        cursor.execute("SELECT MAX(seq) FROM audit_auditevent")
        last = cursor.fetchone()[0]
        cursor.execute("DELETE FROM audit_auditchainhead")
        if head is None and last is not None:
            cursor.execute("SELECT seq, hash FROM audit_auditevent WHERE seq = %s", [last])
            head = cursor.fetchone()
        if head is not None and head[0] > 0:
            cursor.execute(
                "INSERT INTO audit_auditchainhead (id, seq, hash, mac) VALUES (%s, %s, %s, %s)",
                [LEGACY_CHAIN, head[0], head[1], head_mac(LEGACY_CHAIN, head[0], head[1])],
            )


def single_head(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditchainhead WHERE id <> %s", [LEGACY_CHAIN])
        cursor.execute("UPDATE audit_auditchainhead SET id = 1 WHERE id = %s", [LEGACY_CHAIN])


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(triggers.remove, triggers.install, elidable=False),
        migrations.RemoveConstraint(model_name="auditchainhead", name="audit_auditchainhead_single_row"),
        migrations.AlterField(
            model_name="auditchainhead",
            name="id",
            field=models.BigIntegerField(editable=False, help_text="The chain id.", primary_key=True, serialize=False),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="mac",
            field=models.CharField(blank=True, default="", help_text="HMAC of chain, seq and hash.", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_id",
            field=models.BigIntegerField(default=LEGACY_CHAIN, editable=False, help_text="The trust's id; 0 for the service chain, -1 for legacy rows."),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, help_text="Position in the chain."),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain_id", "seq"), name="audit_event_chain_seq"),
        ),
        migrations.RunPython(legacy_head, single_head, elidable=False),
        migrations.RunPython(triggers.install, triggers.remove, elidable=False),
    ]
