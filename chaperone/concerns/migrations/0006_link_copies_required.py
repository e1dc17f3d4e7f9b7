"""The links' copies of their concern's school, route and raised_at are required, with the
index the dashboard reads pupils with repeated concerns from; a concern for the safeguarding
team names no member of staff.

On SQLite adding the constraint rebuilds the concerns table, which drops the dashboard's
covering indexes of 0004 (kept outside the model state): they are made again here."""

import django.db.models.deletion
from django.db import migrations, models

from chaperone.concerns.migrations import _dashboard_indexes


class Migration(migrations.Migration):
    dependencies = [("concerns", "0005_link_copies_for_the_dashboard")]

    operations = [
        migrations.AlterField(
            model_name="concernpupil",
            name="school",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenancy.school",
            ),
        ),
        migrations.AlterField(
            model_name="concernpupil",
            name="route",
            field=models.CharField(
                choices=[
                    ("safeguarding", "The safeguarding team"),
                    ("headteacher", "The headteacher (a concern about a member of staff)"),
                    ("chair", "The chair of governors (a concern about the headteacher)"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="concernpupil",
            name="raised_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="concernpupil",
            index=models.Index(
                fields=["school", "route", "raised_at", "pupil", "concern"],
                name="concerns_repeated_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="concern",
            constraint=models.CheckConstraint(
                condition=models.Q(("route", "safeguarding"), _negated=True)
                | models.Q(("about_staff__isnull", True)),
                name="concerns_concern_child_route_names_no_adult",
                violation_error_message="A concern naming a member of staff is not the team's.",
            ),
        ),
        *[
            migrations.RunSQL(
                sql=f"CREATE INDEX IF NOT EXISTS {name} ON concerns_concern ({columns})",
                reverse_sql=migrations.RunSQL.noop,
            )
            for name, columns in _dashboard_indexes.INDEXES.items()
        ],
    ]
