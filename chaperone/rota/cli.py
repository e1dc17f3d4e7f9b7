"""``chaperone rota plan INPUT.json [--seconds N] [--out PLAN.json]``: the planner from the command
line (``shared/contracts/rota-plan.md``). Pure: no Django, no database, no network.

Exit status 0 when a plan was written (shortfalls are listed in it), 2 for malformed input or a
usage error, with a one-line JSON error on standard output. Progress goes to standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .errors import RotaInputError

EXIT_OK = 0
EXIT_ERROR = 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


def _fail(error: RotaInputError) -> int:
    sys.stdout.write(json.dumps(error.to_dict()) + "\n")
    sys.stdout.flush()
    return EXIT_ERROR


def _parser() -> _Parser:
    parser = _Parser(prog="chaperone rota", description="Welfare-call rota planner.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    plan = sub.add_parser("plan", help="plan welfare calls for a closure")
    plan.add_argument("input", help="the request as JSON (- for standard input)")
    plan.add_argument(
        "--seconds", type=float, default=10.0, help="wall-clock budget, start-up included"
    )
    plan.add_argument("--out", help="write the plan here instead of standard output")
    return parser


def main(args: Sequence[str], *, started: float | None = None) -> int:
    """``args`` start with ``rota``; ``started`` is when the process began (monotonic clock)."""
    started = time.monotonic() if started is None else started
    try:
        options = _parser().parse_args(list(args[1:]))
    except _UsageError as exc:
        return _fail(RotaInputError("usage", str(exc), ""))
    if not options.seconds > 0:
        return _fail(RotaInputError("usage", "--seconds must be more than 0", "seconds"))
    try:
        raw = sys.stdin.buffer.read() if options.input == "-" else Path(options.input).read_bytes()
    except OSError as exc:
        return _fail(
            RotaInputError("unreadable_input", f"{options.input}: {exc.strerror}", "input")
        )

    import msgspec

    from .plan import plan_from_bytes

    try:
        plan = plan_from_bytes(raw, seconds=options.seconds, started=started)
    except RotaInputError as exc:
        return _fail(exc)
    body = msgspec.json.encode(plan) + b"\n"
    if options.out:
        try:
            Path(options.out).write_bytes(body)
        except OSError as exc:
            error = RotaInputError("unwritable_output", f"{options.out}: {exc.strerror}", "out")
            return _fail(error)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    stats = plan["stats"]
    sys.stderr.write(
        f"rota: {stats['households']} households, {stats['calls']} calls planned, "
        f"{stats['unplaced']} not placed, {time.monotonic() - started:.2f}s\n"
    )
    return EXIT_OK
