"""Refuse UPDATE and DELETE of audit rows in the database itself (PostgreSQL and SQLite)."""

from django.db import migrations

from chaperone.audit import triggers


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(triggers.install, triggers.remove, elidable=False)]
