"""Indexes for the audit lists only (no chain change): (trust, school, time, id) and (trust, time,
id), newest first; the (school, seq), (trust, seq) and target indexes nothing reads any more go.
On PostgreSQL the table is partitioned (0004): these are partitioned indexes, one per month."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_partition_by_month'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_event_school_seq',
        ),
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_event_trust_seq',
        ),
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_event_target',
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['trust_id', 'school_id', '-occurred_at', '-id'], name='audit_event_school_time'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['trust_id', '-occurred_at', '-id'], name='audit_event_trust_time'),
        ),
    ]
