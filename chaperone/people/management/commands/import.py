"""``chaperone import pupils|staff|households FILE.csv --school URN [--dry-run] [--skip-invalid]``

Runs as the system (the audit log shows "System", via "cli"): whoever can run this command
operates the server. Exit codes: 0 done, 1 invalid rows (nothing written), 2 the file or school
cannot be used at all (nothing written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chaperone.people.importers import KINDS, FileProblem, ImportPreview
from chaperone.people.services import (
    ImportRejected,
    import_school_for_urn,
    people_import,
    people_import_preview,
)
from chaperone.tenancy.policies import SYSTEM

SHOWN = 20


class Command(BaseCommand):
    help = "Import pupils, staff or households from an MIS CSV export into one school."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS), help="What the file holds.")
        parser.add_argument("file", type=Path, help="The CSV file exported from the MIS.")
        parser.add_argument("--school", required=True, metavar="URN", help="The school's URN.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change; write nothing."
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and list the invalid ones (default: import nothing "
            "if any row is invalid).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        verbosity: int = options["verbosity"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.", returncode=2) from exc
        try:
            school = import_school_for_urn(actor=SYSTEM, urn=options["school"])
            if options["dry_run"]:
                preview = people_import_preview(
                    actor=SYSTEM, school=school, kind=options["kind"], data=data
                )
            else:
                preview = people_import(
                    actor=SYSTEM,
                    school=school,
                    kind=options["kind"],
                    data=data,
                    skip_invalid=options["skip_invalid"],
                )
        except FileProblem as exc:
            raise CommandError(exc.message, returncode=2) from exc
        except ImportRejected as exc:
            self._report(exc.preview, verbosity)
            raise CommandError(
                f"{len(exc.preview.invalid_lines)} invalid rows: nothing was imported. Fix them, "
                "or run again with --skip-invalid to import the valid rows.",
                returncode=1,
            ) from exc
        self._report(preview, verbosity)
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            if preview.problems and not options["skip_invalid"]:
                raise CommandError(
                    "An import would be refused because of the invalid rows above.", returncode=1
                )
        elif preview.problems:
            self.stdout.write(
                self.style.WARNING(f"Imported; {preview.skipped_rows} invalid rows were skipped.")
            )
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))

    def _report(self, preview: ImportPreview, verbosity: int) -> None:
        out = self.stdout
        out.write(f"{KINDS[preview.kind]} for {preview.school_name}: {preview.rows} rows read.")
        if preview.ignored_headers:
            out.write(f"Columns ignored: {', '.join(preview.ignored_headers)}")
        for line in preview.summary_lines():
            out.write(f"  {line}")
        limit = None if verbosity >= 2 else SHOWN
        if verbosity >= 1:
            for section in preview.sections:
                for verb, records in (("create", section.creates), ("update", section.updates)):
                    for record in records[:limit]:
                        where = f"line {record.line}" if record.line else "not in file"
                        out.write(
                            f"  {verb} {section.name.lower()} {record.key} {record.label} ({where})"
                        )
                        for change in record.changes:
                            note = f" ({change.note})" if change.note else ""
                            out.write(f"      {change.field}: {change.old} -> {change.new}{note}")
                    if limit is not None and len(records) > limit:
                        out.write(
                            f"  ... and {len(records) - limit} more to {verb} "
                            "(use -v 2 to list all)"
                        )
        if preview.problems:
            out.write(f"Problems ({len(preview.invalid_lines)} rows):")
            for problem in preview.problems:
                out.write(f"  {problem}")
