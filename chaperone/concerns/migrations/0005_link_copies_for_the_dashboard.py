"""Each pupil link keeps copies of its concern's school, route and raised_at (which never
change) so the dashboard counts pupils with repeated concerns from one index on the links;
and a concern for the safeguarding team names no member of staff (the converse of
``adult_route_names_someone``; ``services._route_for`` always kept it).

Here the copies are added and filled; 0006 makes them required (apart, so that PostgreSQL
alters the table in another transaction than the one that updated its rows)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_from_concerns(apps, schema_editor):  # type: ignore[no-untyped-def]
    Concern = apps.get_model("concerns", "Concern")
    ConcernPupil = apps.get_model("concerns", "ConcernPupil")
    concern = Concern.objects.filter(pk=OuterRef("concern_id"))
    ConcernPupil.objects.update(
        school_id=Subquery(concern.values("school_id")[:1]),
        route=Subquery(concern.values("route")[:1]),
        raised_at=Subquery(concern.values("raised_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("concerns", "0004_dashboard_indexes"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="concernpupil",
            name="school",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tenancy.school",
            ),
        ),
        migrations.AddField(
            model_name="concernpupil",
            name="route",
            field=models.CharField(
                choices=[
                    ("safeguarding", "The safeguarding team"),
                    ("headteacher", "The headteacher (a concern about a member of staff)"),
                    ("chair", "The chair of governors (a concern about the headteacher)"),
                ],
                max_length=20,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="concernpupil",
            name="raised_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(copy_from_concerns, migrations.RunPython.noop),
    ]
