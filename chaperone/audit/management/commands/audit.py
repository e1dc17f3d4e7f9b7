"""``chaperone audit verify [--from-seq N] [--deep]`` and ``chaperone audit head``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from chaperone.audit.models import AuditChainHead
from chaperone.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Check the audit log's hash chain, or print its head for safe keeping."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="{verify,head}")
        verify = sub.add_parser(
            "verify", help="Recompute the hash chain; exit 1 at the first broken row."
        )
        verify.add_argument(
            "--from-seq",
            type=int,
            default=1,
            metavar="N",
            help="Start at sequence number N (links it to row N-1).",
        )
        verify.add_argument(
            "--deep",
            action="store_true",
            help="Also check every row's columns against its hashed payload (slower).",
        )
        sub.add_parser("head", help="Print the chain head as JSON, to keep somewhere else.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "head":
            head = AuditChainHead.objects.filter(pk=1).values("seq", "hash").first()
            head = head or {"seq": 0, "hash": ""}
            head["at"] = timezone.now().isoformat(timespec="seconds")
            self.stdout.write(json.dumps(head, sort_keys=True))
            return
        if options["from_seq"] < 1:
            self.stderr.write("--from-seq must be 1 or more.")
            raise SystemExit(2)
        result = audit_chain_verify(from_seq=options["from_seq"], deep=options["deep"])
        self.stdout.write(result.summary())
        if not result.ok:
            raise SystemExit(1)
