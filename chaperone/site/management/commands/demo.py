"""`chaperone demo load [--reset]`, `chaperone demo logins`, `chaperone demo code USERNAME`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chaperone.site.demo import (
    DEFAULT_SEED,
    DemoError,
    DemoLogin,
    DemoSummary,
    demo_code,
    demo_is_loaded,
    demo_load,
    demo_summary,
)
from chaperone.site.outbox import outbox_enabled


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: set[int]) -> str:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        line = "  ".join(
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)
        )
        lines.append(line.rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def schools_table(summary: DemoSummary) -> str:
    rows = [(s.school, s.trust, s.pupils, s.households, s.staff) for s in summary.schools]
    return _table(("School", "Trust", "Pupils", "Households", "Staff"), rows, right={2, 3, 4})


def logins_table(logins: Sequence[DemoLogin]) -> str:
    rows = [
        (x.username, x.role, x.school, "yes" if x.needs_two_factor else "no", x.code_hint)
        for x in logins
    ]
    return _table(("Username", "Role", "School", "2FA", "Code"), rows, right=set())


class Command(BaseCommand):
    help = "Load the made-up demo tenants and show their logins and two-factor codes."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = actions.add_parser("load", help="Create the demo trusts, schools, people, logins.")
        load.add_argument(
            "--reset", action="store_true", help="Delete an already loaded demo and load it again."
        )
        load.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing if the demo is already loaded (what `make demo` uses).",
        )
        load.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same data)."
        )
        load.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even with production settings (only on a throw-away demo server).",
        )
        actions.add_parser("logins", help="List the demo logins and the shared password.")
        code = actions.add_parser("code", help="Print the current 2FA code of a demo login.")
        code.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            match options["action"]:
                case "load":
                    self.load(options)
                case "logins":
                    self.logins()
                case "code":
                    self.stdout.write(demo_code(username=options["username"]))
        except DemoError as exc:
            raise CommandError(str(exc)) from exc

    def load(self, options: dict[str, Any]) -> None:
        if options["if_missing"] and not options["reset"] and demo_is_loaded():
            self.stdout.write("The demo is already loaded; keeping it (use --reset to reload).")
            return
        started = time.monotonic()
        summary = demo_load(
            seed=options["seed"],
            reset=options["reset"],
            allow_production=options["allow_production"],
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the demo (seed {options['seed']}) in {elapsed:.1f} s.")
        )
        self.stdout.write("")
        self.stdout.write(schools_table(summary))
        self.stdout.write(
            f"\nIn all: {summary.pupils} pupils, {summary.households} households "
            f"({summary.contacts} parents and carers), {summary.staff} staff."
        )
        self.print_logins(summary)

    def logins(self) -> None:
        self.print_logins(demo_summary())

    def print_logins(self, summary: DemoSummary) -> None:
        self.stdout.write("")
        self.stdout.write(logins_table(summary.logins))
        self.stdout.write(
            f"\nEvery demo login has the password: {summary.password}\n"
            "Roles marked 2FA also ask for a six-digit code; print the current one with "
            "`chaperone demo code USERNAME` (it changes every 30 seconds)."
        )
        if outbox_enabled():
            self.stdout.write(
                "Mail the demo sends (parents' consent links too) waits in the outbox: sign in "
                "and open /demo/outbox/ to read it and play the parent."
            )
