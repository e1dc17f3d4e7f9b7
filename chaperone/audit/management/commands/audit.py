"""``chaperone audit verify | head | anchor | partitions`` (see docs/subsystems/audit.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from chaperone.audit.chain import chain_label, parse_chain
from chaperone.audit.models import AuditChainHead
from chaperone.audit.partitions import (
    PartitionRefused,
    is_partitioned,
    partitions_ensure,
    partitions_retire,
)
from chaperone.audit.services import BROKEN, audit_chains_anchor
from chaperone.audit.verify import audit_chain_verify, audit_verify_all


def _seq_and_hash(value: str) -> tuple[int, str]:
    seq, _, hash_ = value.partition(":")
    if not (seq.strip().isascii() and seq.strip().isdigit()) or len(hash_.strip()) != 64:
        raise argparse.ArgumentTypeError(
            "--expect takes SEQ:HASH, e.g. 1207:5c1f... (the 64-character hash)"
        )
    return int(seq), hash_.strip()


def _chain(value: str) -> int:
    try:
        return parse_chain(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _trust(value: str) -> int:
    if not (value.isascii() and value.isdigit() and int(value) > 0):
        raise argparse.ArgumentTypeError("--trust takes a trust's id, e.g. 5")
    return int(value)


def _month(value: str) -> dt.date:
    try:
        year, month = value.split("-")
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "--before takes a month as YYYY-MM, e.g. 2019-09"
        ) from None


def _add_chain_options(parser: CommandParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--chain", type=_chain, metavar="CHAIN", help="One chain: trust:ID, service or legacy."
    )
    group.add_argument("--trust", type=_trust, metavar="ID", help="The chain of trust ID.")


class Command(BaseCommand):
    help = "Check the audit chains, print or anchor their heads, manage monthly partitions."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{verify,head,anchor,partitions}"
        )
        verify = sub.add_parser(
            "verify", help="Recompute the hash chains; exit 1 if any chain is broken."
        )
        _add_chain_options(verify)
        verify.add_argument(
            "--full",
            action="store_true",
            help="Start at each chain's first row instead of its last anchor.",
        )
        verify.add_argument(
            "--from-seq",
            type=int,
            metavar="N",
            help="With --chain/--trust: start at sequence number N (links it to row N-1).",
        )
        verify.add_argument(
            "--expect",
            type=_seq_and_hash,
            metavar="SEQ:HASH",
            help="With --chain/--trust: a head kept earlier; row SEQ must still have HASH.",
        )
        head = sub.add_parser("head", help="Print each chain's head as a JSON line.")
        _add_chain_options(head)
        anchor = sub.add_parser(
            "anchor",
            help="Verify each chain from its last anchor, then write and e-mail its head.",
        )
        _add_chain_options(anchor)
        parts = sub.add_parser("partitions", help="PostgreSQL: monthly partitions.")
        actions = parts.add_subparsers(dest="action", required=True, metavar="{ensure,retire}")
        ensure = actions.add_parser("ensure", help="Create this month's and the coming ones.")
        ensure.add_argument("--months", type=int, default=3, help="Months ahead (default 3).")
        retire = actions.add_parser("retire", help="Drop months older than the retention.")
        retire.add_argument("--before", type=_month, required=True, metavar="YYYY-MM")
        retire.add_argument("--dry-run", action="store_true", help="Only say what would go.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = getattr(self, f"_{options['subcommand']}")
        handler(options)

    def _selected(self, options: dict[str, Any]) -> int | None:
        if options.get("trust") is not None:
            return int(options["trust"])
        return options.get("chain")

    def _fail(self, message: str, code: int = 2) -> None:
        self.stderr.write(message)
        raise SystemExit(code)

    def _verify(self, options: dict[str, Any]) -> None:
        chain_id = self._selected(options)
        from_seq, expect = options["from_seq"], options["expect"]
        if chain_id is None and (from_seq is not None or expect is not None):
            self._fail("--from-seq and --expect need one chain: add --chain or --trust.")
        if from_seq is not None and from_seq < 1:
            self._fail("--from-seq must be 1 or more.")
        if chain_id is None:
            results = audit_verify_all(full=options["full"])
        else:
            results = [
                audit_chain_verify(
                    chain_id=chain_id, full=options["full"], from_seq=from_seq, expect=expect
                )
            ]
        for result in results:
            self.stdout.write(result.summary())
        if not results:
            self.stdout.write("OK: the audit log is empty")
        if not all(result.ok for result in results):
            raise SystemExit(1)

    def _head(self, options: dict[str, Any]) -> None:
        heads = AuditChainHead.objects.order_by("pk")
        chain_id = self._selected(options)
        if chain_id is not None:
            heads = heads.filter(pk=chain_id)
        at = timezone.now().isoformat(timespec="seconds")
        rows = list(heads.values_list("pk", "seq", "hash"))
        if chain_id is not None and not rows:
            rows = [(chain_id, 0, "")]
        for pk, seq, hash_ in rows:
            line = {"at": at, "chain": chain_label(pk), "hash": hash_, "seq": seq}
            self.stdout.write(json.dumps(line, sort_keys=True))

    def _anchor(self, options: dict[str, Any]) -> None:
        chain_id = self._selected(options)
        outcomes = audit_chains_anchor(chains=None if chain_id is None else [chain_id])
        for outcome in outcomes:
            self.stdout.write(outcome.summary())
        if any(outcome.status == BROKEN for outcome in outcomes):
            raise SystemExit(1)

    def _partitions(self, options: dict[str, Any]) -> None:
        if not is_partitioned():
            self._fail("Partitions exist only on PostgreSQL (SQLite keeps one table).")
        if options["action"] == "ensure":
            if options["months"] < 0:
                self._fail("--months must be 0 or more.")
            created = partitions_ensure(months_ahead=options["months"])
            self.stdout.write(f"Created {len(created)} partitions: {', '.join(created) or '-'}")
            return
        try:
            dropped = partitions_retire(before=options["before"], dry_run=options["dry_run"])
        except PartitionRefused as exc:
            self._fail(f"Refused: {exc}", code=1)
        verb = "Would drop" if options["dry_run"] else "Dropped"
        self.stdout.write(f"{verb} {len(dropped)} partitions: {', '.join(dropped) or '-'}")
