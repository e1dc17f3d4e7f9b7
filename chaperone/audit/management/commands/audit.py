"""``chaperone audit verify [--from-seq N] [--deep]`` and ``chaperone audit head``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from chaperone.audit.models import AuditChainHead
from chaperone.audit.services import audit_chain_verify


def _seq_and_hash(value: str) -> tuple[int, str]:
    seq, _, hash_ = value.partition(":")
    if not seq.strip().isdigit() or len(hash_.strip()) != 64:
        raise argparse.ArgumentTypeError(
            "--expect takes SEQ:HASH, e.g. 1207:5c1f... (the 64-character hash)"
        )
    return int(seq), hash_.strip()


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
        verify.add_argument(
            "--expect",
            type=_seq_and_hash,
            metavar="SEQ:HASH",
            help="A head exported earlier ('chaperone audit head'): row SEQ must still have HASH.",
        )
        sub.add_parser("head", help="Print the chain head as JSON, to keep somewhere else.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "head":
            row = AuditChainHead.objects.filter(pk=1).values("seq", "hash").first()
            head: dict[str, object] = dict(row) if row else {"seq": 0, "hash": ""}
            head["at"] = timezone.now().isoformat(timespec="seconds")
            self.stdout.write(json.dumps(head, sort_keys=True))
            return
        if options["from_seq"] < 1:
            self.stderr.write("--from-seq must be 1 or more.")
            raise SystemExit(2)
        result = audit_chain_verify(
            from_seq=options["from_seq"], deep=options["deep"], expect=options["expect"]
        )
        self.stdout.write(result.summary())
        if not result.ok:
            raise SystemExit(1)
