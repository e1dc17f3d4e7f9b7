"""The ``chaperone`` command.

Two families of subcommands live behind one entry point:

* ``chaperone check`` and ``chaperone protocols ...`` are pure: they run the rule engine
  (:mod:`chaperone.rules`) without importing Django, touching a database or the network
  (see ``shared/contracts/protocol-check.md``); so is ``chaperone rota plan``, the welfare-call
  planner (:mod:`chaperone.rota`, ``shared/contracts/rota-plan.md``).
* everything else (``import``, ``audit``, ``demo``, ``migrate``, ``runserver`` ...) is a Django
  management command, so ``chaperone`` doubles as ``manage.py``.

Django's own ``check`` (the system checks) is reached with its flags and no ``--protocol``:
``chaperone check --deploy``, ``chaperone check --tag security``, ``chaperone check --list-tags``.
"""

from __future__ import annotations

import os
import sys
import time

#: when the command began, for budgets that count start-up (``chaperone rota plan --seconds``)
STARTED = time.monotonic()

PURE_COMMANDS = frozenset({"check", "protocols"})
#: Options only Django's ``check`` has: with one of them and no ``--protocol``, ``chaperone check``
#: means the system checks.
DJANGO_CHECK_OPTIONS = frozenset(
    {"--deploy", "--tag", "-t", "--list-tags", "--fail-level", "--database"}
)


def is_django_check(args: list[str]) -> bool:
    options = {a.split("=", 1)[0] for a in args[1:]}
    return (
        args[:1] == ["check"]
        and "--protocol" not in options
        and bool(options & DJANGO_CHECK_OPTIONS)
    )


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--version"]:
        from importlib.metadata import version

        print(f"chaperone {version('chaperone')}")
        return 0
    if args and args[0] in PURE_COMMANDS and not is_django_check(args):
        from chaperone.rules.cli import main as rules_main

        return rules_main(args)
    if args[:1] == ["rota"]:
        from chaperone.rota.cli import main as rota_main

        return rota_main(args, started=STARTED)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaperone.config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["chaperone", *args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
