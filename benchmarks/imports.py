"""MIS import benchmark: 30,000 pupils (and their households) through the real import service.

    .venv/bin/python -m benchmarks.imports [--pupils N] [--no-postgres]

Generates a seeded households CSV (one row per contact) and a pupils CSV of ``--pupils`` rows for
one school, then, in a throw-away database, times:

* ``imports.households_s``        -- the households import that comes first (not a target)
* ``imports.pupils_30k_s``         -- the pupils import: parse, validate, diff, write (target < 60)
* ``imports.pupils_rows_per_s``    -- the same as a rate
* ``imports.pupils_reimport_s``    -- importing the same file again (every row unchanged)
* ``imports.pupils_update_10pct_s`` -- a file where one pupil in ten moved up a year

SQLite always; PostgreSQL too when it answers on 127.0.0.1:5432 (figures ``imports.pg_*``).
Each backend runs in its own child process. JSON lines go to stdout, a table to stderr.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from collections.abc import Sequence

from benchmarks._support import BACKENDS, emit, run_per_backend

SEED = 20250903
SURNAMES = [
    "Okafor",
    "Smith",
    "Jones",
    "Patel",
    "Khan",
    "Williams",
    "Brown",
    "Taylor",
    "Nowak",
    "Ahmed",
    "Murphy",
    "Evans",
    "Lee",
    "Wilson",
    "Hughes",
    "Kaur",
    "Davies",
    "Ali",
    "Hussain",
    "Clarke",
    "Walker",
    "Wright",
    "Green",
    "Mensah",
]
FORENAMES = [
    "Ada",
    "Ben",
    "Chidi",
    "Dev",
    "Ella",
    "Finn",
    "Grace",
    "Hari",
    "Isla",
    "Jack",
    "Kemi",
    "Leo",
    "Maya",
    "Noah",
    "Omar",
    "Pia",
    "Rosa",
    "Sami",
    "Tom",
    "Uma",
    "Vik",
    "Wren",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bea",
    "Cal",
    "Dara",
]
UNIT = "ABDEFGHJLNPQRSTUWXYZ"
MOBILE_PREFIXES = ("07400", "07800", "07912", "07722", "07811")


def _csv(header: Sequence[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def generate(pupils: int) -> tuple[bytes, bytes, bytes]:
    """(households CSV, pupils CSV, pupils CSV with one in ten a year older)."""
    from chaperone.people.importers.columns import HOUSEHOLD_HEADER
    from chaperone.people.upn import make_upn

    rnd = random.Random(SEED)
    household_rows: list[list[str]] = []
    pupil_rows: list[list[str]] = []
    family = 0
    serial = 0
    while len(pupil_rows) < pupils:
        family += 1
        ref = f"F{family:06d}"
        surname = rnd.choice(SURNAMES)
        address = f"{rnd.randrange(1, 300)} High Street\nLeeds"
        postcode = (
            f"LS{rnd.randrange(1, 28)} {rnd.randrange(10)}{rnd.choice(UNIT)}{rnd.choice(UNIT)}"
        )
        for priority in range(1, rnd.choice((1, 2, 2, 2, 3)) + 1):
            phone = f"{rnd.choice(MOBILE_PREFIXES)} {rnd.randrange(1000000):06d}"
            household_rows.append(
                [
                    ref,
                    f"{surname} family",
                    address,
                    postcode,
                    rnd.choice(FORENAMES),
                    surname,
                    rnd.choice(("Mother", "Father", "Carer")),
                    "Y",
                    f"parent{family}.{priority}@example.org",
                    phone,
                    rnd.choice(("email", "sms", "phone")),
                    "English",
                    str(priority),
                ]
            )
        for _child in range(min(rnd.choice((1, 1, 2, 2, 3)), pupils - len(pupil_rows))):
            serial += 1
            year = rnd.randrange(-1, 14)
            born_year = 2025 - 5 - year
            pupil_rows.append(
                [
                    make_upn("873", f"{2000 + serial // 1000:04d}", 20, serial % 1000),
                    surname,
                    rnd.choice(FORENAMES),
                    "",
                    f"{rnd.randrange(1, 29):02d}/{rnd.randrange(1, 13):02d}/{born_year}",
                    {-1: "N", 0: "R"}.get(year, f"Year {year}"),
                    rnd.choice("NNNNNNNKKE"),
                    "Y" if rnd.random() < 0.01 else "",
                    "Y" if rnd.random() < 0.03 else "",
                    "Y" if rnd.random() < 0.005 else "",
                    "Y" if rnd.random() < 0.05 else "",
                    ref,
                ]
            )
    households = _csv(HOUSEHOLD_HEADER, household_rows)
    header = [
        "UPN",
        "Legal Surname",
        "Legal Forename",
        "Preferred Forename",
        "DOB",
        "Year",
        "SEN Status",
        "CP",
        "CIN",
        "LAC",
        "Vulnerable",
        "Family ID",
    ]
    moved = [list(r) for r in pupil_rows]
    for row in moved[::10]:
        row[5] = {"N": "R", "R": "Year 1"}.get(row[5]) or (
            f"Year {min(14, int(row[5].split()[1]) + 1)}"
        )
    return households, _csv(header, pupil_rows), _csv(header, moved)


def worker(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from chaperone.people.models import Pupil
    from chaperone.people.services import people_import
    from chaperone.tenancy.models import School, Trust
    from chaperone.tenancy.policies import SYSTEM

    prefix = "imports." if args.worker == "sqlite" else "imports.pg_"
    call_command("migrate", verbosity=0)
    trust = Trust.objects.create(name="Bench Trust", slug="bench")
    school = School.objects.create(
        trust=trust, name="Bench Academy", urn="999001", phase="all_through", la_code="873"
    )
    t0 = time.perf_counter()
    households, pupils, moved = generate(args.pupils)
    gen_s = time.perf_counter() - t0

    def timed(kind: str, data: bytes):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = people_import(actor=SYSTEM, school=school, kind=kind, data=data)
        return time.perf_counter() - start, result

    households_s, h = timed("households", households)
    pupils_s, first = timed("pupils", pupils)
    assert len(first.section("Pupils").creates) == args.pupils, first.summary_lines()
    assert Pupil.objects.filter(school=school).count() == args.pupils
    reimport_s, again = timed("pupils", pupils)
    assert not again.has_changes and again.section("Pupils").unchanged == args.pupils
    update_s, upd = timed("pupils", moved)
    updated = len(upd.section("Pupils").updates)
    assert updated == (args.pupils + 9) // 10, updated

    label = f"pupils_{args.pupils // 1000}k_s" if args.pupils % 1000 == 0 else "pupils_s"
    emit(f"{prefix}households_s", households_s, "s", None)
    emit(f"{prefix}{label}", pupils_s, "s", "< 60")
    emit(f"{prefix}pupils_rows_per_s", args.pupils / pupils_s, "rows/s", None)
    emit(f"{prefix}pupils_reimport_s", reimport_s, "s", None)
    emit(f"{prefix}pupils_update_10pct_s", update_s, "s", None)
    contacts = h.section("Contacts")
    print(
        f"{connection.vendor:<11} generated in {gen_s:.1f}s | households "
        f"{len(h.section('Households').creates):,} + contacts {len(contacts.creates):,} "
        f"in {households_s:.1f}s | pupils {args.pupils:,} in {pupils_s:.1f}s "
        f"({args.pupils / pupils_s:,.0f} rows/s) | re-import {reimport_s:.1f}s | "
        f"{updated:,} updates in {update_s:.1f}s",
        file=sys.stderr,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, default=30_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0

    status = run_per_backend(
        "benchmarks.imports", ["--pupils", str(args.pupils)], postgres=not args.no_postgres
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
