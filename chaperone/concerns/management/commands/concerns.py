"""``chaperone concerns repair-dashboard``: mend the pupil links' copies of their concern's
school, route and time that the dashboard counts repeated concerns from (see
:func:`chaperone.concerns.reports.link_copies_repair`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Concerns: repair what the dashboard counts from."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("repair-dashboard", help="mend the pupil links' copies of their concern")

    def handle(self, *args: Any, **options: Any) -> None:
        from chaperone.concerns.reports import link_copies_repair

        mended = link_copies_repair()
        self.stdout.write(f"{mended} pupil link{'s' if mended != 1 else ''} mended.")
