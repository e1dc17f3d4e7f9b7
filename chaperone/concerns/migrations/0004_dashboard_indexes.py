"""Covering indexes for the safeguarding dashboard (reports.py): the open concerns counted by
category, urgency and age, and the concerns of a period (trend, repeated concerns), read from
the index alone. Kept out of the model state (``RunSQL``): the model's own indexes belong to
the core migrations; these only speed up the dashboard's counts."""

from django.db import migrations

INDEXES = {
    "concerns_dashboard_idx": (
        "school_id, route, status, category_id, urgency, raised_at, about_staff_id"
    ),
    "concerns_dashboard_time_idx": "school_id, route, raised_at, about_staff_id",
}


class Migration(migrations.Migration):
    dependencies = [("concerns", "0003_chronology_transfer")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX {name} ON concerns_concern ({columns})",
            reverse_sql=f"DROP INDEX {name}",
        )
        for name, columns in INDEXES.items()
    ]
