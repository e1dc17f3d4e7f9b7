"""``chaperone sar export --pupil UPN``: everything held about a pupil, as JSON and PDF, with
other pupils (and with ``--redact-staff`` staff) redacted. Written to ``--out`` (default: the
current directory) as ``sar-<UPN>-<date>.json`` and ``.pdf``; the export is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from chaperone.core.context import RequestContext, use_context


class Command(BaseCommand):
    help = "Subject access: export everything held about a pupil (JSON and PDF)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        export = sub.add_parser("export", help="build the pack for one pupil")
        export.add_argument("--pupil", required=True, metavar="UPN", help="the pupil's UPN")
        export.add_argument(
            "--school", metavar="URN", help="the school's URN, if the UPN is in several"
        )
        export.add_argument("--out", default=".", help="the directory to write to")
        export.add_argument("--redact-staff", action="store_true", help="redact staff names too")

    def handle(self, *args: Any, **options: Any) -> None:
        from chaperone.people.models import Pupil
        from chaperone.records import sar
        from chaperone.tenancy.policies import SYSTEM

        upn = options["pupil"].strip().upper()
        pupils = Pupil.objects.filter(upn=upn).select_related("school")
        if options["school"]:
            pupils = pupils.filter(school__urn=options["school"].strip())
        found = list(pupils[:2])
        if not found:
            raise CommandError(f"--pupil: no pupil has the UPN {upn}.")
        if len(found) > 1:
            raise CommandError("--pupil: that UPN is in several schools; give --school URN.")
        pupil = found[0]
        out = Path(options["out"])
        if not out.is_dir():
            raise CommandError(f"--out: {out} is not a directory.")
        with use_context(RequestContext(via="cli")):
            data, pdf = sar.export(
                actor=SYSTEM,
                school=pupil.school,
                pupil=pupil,
                redact_staff=options["redact_staff"],
            )
        stem = out / f"sar-{upn}-{timezone.localdate():%Y-%m-%d}"
        json_path, pdf_path = stem.with_suffix(".json"), stem.with_suffix(".pdf")
        for path, content in ((json_path, data), (pdf_path, pdf)):
            path.write_bytes(content)
            path.chmod(0o600)
        self.stdout.write(f"{json_path}\n{pdf_path}")
