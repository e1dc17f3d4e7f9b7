"""``chaperone records purge``: run the deletion job now (the scheduler runs it daily).

Prints what was deleted; exits 1 when a file could not be deleted from storage (it stays queued
and is tried again on the next run), so a failure is never silent.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chaperone.core.context import RequestContext, use_context


class Command(BaseCommand):
    help = "Records: run the deletion job of the retention schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        purge = sub.add_parser("purge", help="delete what is past its retention period")
        purge.add_argument("--batch", type=int, default=5000, help="rows per batch (default 5000)")
        purge.add_argument(
            "--progress", action="store_true", help="print a line per record or batch deleted"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from chaperone.records.purge import purge_all

        if options["batch"] < 1:
            raise CommandError("--batch: give a number of rows from 1.")

        def progress(line: str) -> None:
            if options["progress"]:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

        with use_context(RequestContext(via="cli")):
            result = purge_all(batch=options["batch"], progress=progress)
        for key, count in sorted(result.deleted.items()):
            self.stdout.write(f"{key}: {count} deleted")
        self.stdout.write(
            f"files deleted: {result.files_deleted}; certificates: {result.certificates}"
        )
        if result.files_failed:
            self.stderr.write(
                f"{result.files_failed} file(s) could not be deleted; they stay queued and are "
                "tried again on the next run (see the retention schedule page)."
            )
            sys.exit(1)
