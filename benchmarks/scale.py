"""Scale benchmark: do the school and trust pages stay flat as the service grows to 100x the demo?

    .venv/bin/python -m benchmarks.scale [--copies 100] [--per-pupil 20] [--requests 25] [--keep]

On PostgreSQL only, in a database of its own (``chaperone_scale_bench``, dropped afterwards
unless ``--keep``):

1. loads the demo (1x: 2 trusts, 3 schools, about 700 pupils) and about ``--per-pupil`` audit
   rows for each of its pupils, then times every page below as the demo's DSL and trust admin;
2. adds ``--copies - 1`` more copies of the demo's people under new trusts and schools (the demo
   generator with another seed per copy, stored in bulk by ``demo_people_store``; no logins) and
   their audit rows, to about 70,000 pupils and 300 schools, then times the same pages again.

The measured tenants stay the same size; only the rest of the database grows, so a page whose
query strays outside its tenant shows up as a ratio above 1. Audit rows are written in bulk
through the chain's batch API (``record_many``), with the audit table's secondary indexes built
after the load, so every chain stays verifiable.

Figures (stdout, one JSON line each): ``scale.page_ratio_100x`` (worst ratio over the pages of
the 100x median latency to the 1x median; target <= 1.5) and ``scale.verify_nightly_s`` (every
chain verified from its last anchor after 100,000 new rows on top of the 100x history; target
<= 2). A table of medians and
query counts per page goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from benchmarks._support import PG_SERVER, emit, postgres_reachable

DATABASE = "chaperone_scale_bench"
SEED = 20261201
#: what audit rows record, with weights (the shape of a school's log: mostly reads)
BATCH = 5_000
MIX = (
    ("pupil.viewed", 70),
    ("auth.login", 14),
    ("household.viewed", 8),
    ("staff.viewed", 3),
    ("audit.viewed", 2),
    ("auth.login_failed", 2),
    ("protocol.version_uploaded", 1),
)


@dataclass(frozen=True)
class Tenant:
    """What audit rows of one school are drawn from."""

    trust_id: int
    school_id: int
    pupils: list[tuple[int, str]]
    households: list[tuple[int, str]]
    staff: list[tuple[int, str]]


def _tenants(school_ids: list[int]) -> list[Tenant]:
    from chaperone.people.models import Pupil, StaffMember
    from chaperone.tenancy.models import School

    tenants = []
    for school in School.objects.filter(pk__in=school_ids).order_by("pk"):
        pupils = list(
            Pupil.objects.filter(school=school).values_list(
                "pk", "first_name", "last_name", "household_id", "household__name"
            )
        )
        staff = list(
            StaffMember.objects.filter(assignments__school=school)
            .distinct()
            .values_list("pk", "first_name", "last_name")
        )
        tenants.append(
            Tenant(
                trust_id=school.trust_id,
                school_id=school.pk,
                pupils=[(p[0], f"{p[1]} {p[2]}") for p in pupils],
                households=[(p[3], p[4]) for p in pupils if p[3] is not None],
                staff=[(s[0], f"{s[1]} {s[2]}") for s in staff],
            )
        )
    return tenants


def append_audit_rows(tenants: list[Tenant], per_pupil: int, rng: random.Random) -> int:
    """About ``per_pupil`` rows per pupil, interleaved across the schools, appended through the
    chain's batch API (``record_many``: one head lock per chain per batch), so every trust's
    chain stays verifiable. Returns the number of rows."""
    weights = [len(t.pupils) for t in tenants]
    return append_rows(tenants, per_pupil * sum(weights), rng, weights=weights)


def append_rows(
    tenants: list[Tenant], total: int, rng: random.Random, *, weights: list[int]
) -> int:
    from django.db import transaction

    from chaperone.audit.log import AuditEntry, record_many
    from chaperone.audit.models import AuditEvent
    from chaperone.tenancy.policies import Actor

    actions = [a for a, _ in MIX]
    action_weights = [w for _, w in MIX]
    picks = rng.choices(tenants, weights=weights, k=total)
    kinds = rng.choices(actions, weights=action_weights, k=total)
    with transaction.atomic(), _indexes_rebuilt_after(AuditEvent._meta.db_table):
        for first in range(0, total, BATCH):
            staff_id, name = rng.choice(picks[first].staff)
            actor = Actor(user_id=None, staff_id=staff_id, label=name)
            record_many(
                [
                    _entry(AuditEntry, tenant, action, rng)
                    for tenant, action in zip(
                        picks[first : first + BATCH], kinds[first : first + BATCH], strict=True
                    )
                ],
                actor=actor,
            )
    return total


@contextmanager
def _indexes_rebuilt_after(table: str) -> Iterator[None]:
    """Drop the table's indexes and unique constraints but its primary key, and build them again
    afterwards: a bulk load is several times faster without them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        constraints = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
            [table, f"{table}_pkey"],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            cursor.execute(definition)


def _entry(entry: Any, tenant: Tenant, action: str, rng: random.Random) -> Any:
    """One event of the mix at ``tenant`` (what was read goes in the details: building model
    instances for a million targets would cost more than the rows)."""
    school_id: int | None = tenant.school_id
    details: dict[str, Any] = {}
    if action == "pupil.viewed":
        details = {"pupil": rng.choice(tenant.pupils)[0]}
    elif action == "household.viewed" and tenant.households:
        details = {"household": rng.choice(tenant.households)[0]}
    elif action == "staff.viewed":
        details = {"staff": rng.choice(tenant.staff)[0]}
    elif action == "auth.login_failed":
        details = {"username": f"someone.{rng.randrange(10_000)}"}
    elif action == "protocol.version_uploaded":
        school_id = None  # a trust upload: it concerns every school of the trust
    return entry(action=action, school_id=school_id, trust_id=tenant.trust_id, details=details)


def grow(copies: int, per_pupil: int, rng: random.Random) -> tuple[int, int]:
    """Store ``copies`` more copies of the demo's people under new trusts and schools, and
    their audit rows. Returns (schools added, audit rows added)."""
    from django.db import transaction

    from chaperone.site.demo.generate import TRUSTS, generate_demo
    from chaperone.site.demo.services import demo_people_store
    from chaperone.tenancy.models import School, Trust

    added: list[int] = []
    for n in range(1, copies + 1):
        with transaction.atomic():
            data = generate_demo(SEED + n)
            data.staff[:] = [replace(s, username=None) for s in data.staff]
            trusts = {
                p.key: Trust(name=f"{p.name} {n}", slug=f"{p.slug}-{n}", is_standalone=False)
                for p in TRUSTS
            }
            Trust.objects.bulk_create(trusts.values())
            plans = [(p, s) for p in TRUSTS for s in p.schools]
            schools = {
                s.key: School(
                    trust=trusts[p.key],
                    name=f"{s.name} {n}",
                    urn=f"9{n:03d}{i:02d}",
                    phase=s.phase,
                    la_code="999",
                )
                for i, (p, s) in enumerate(plans)
            }
            School.objects.bulk_create(schools.values())
            demo_people_store(data, trusts=trusts, schools=schools, seed=SEED, logins=False)
            added += [s.pk for s in schools.values()]
    rows = append_audit_rows(_tenants(added), per_pupil, rng)
    return len(added), rows


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


@dataclass(frozen=True)
class Page:
    name: str
    who: str
    url: str


def pages() -> list[Page]:
    """Every school and trust page, for the demo's primary DSL and its trust admin."""
    from django.urls import reverse

    from chaperone.people.models import Pupil
    from chaperone.site.demo.generate import TRUST_ADMIN_USERNAME

    dsl = "dsl.primary"
    pupil = (
        Pupil.objects.filter(school__urn=_demo_urn("primary"), household__isnull=False)
        .order_by("pk")
        .first()
    )
    assert pupil is not None
    admin = TRUST_ADMIN_USERNAME
    return [
        Page("dashboard", dsl, reverse("dashboard")),
        Page("pupil list", dsl, reverse("people:pupil_list")),
        Page("pupil detail", dsl, reverse("people:pupil_detail", args=[pupil.pk])),
        Page("household", dsl, reverse("people:household_detail", args=[pupil.household_id])),
        Page("staff list", dsl, reverse("people:staff_list")),
        Page("protocol", dsl, reverse("protocols:current")),
        Page("protocol history", dsl, reverse("protocols:history")),
        Page("acknowledgements", dsl, reverse("protocols:acknowledgements")),
        Page("audit log (school)", dsl, reverse("audit:event_list")),
        Page("audit log, older page", dsl, reverse("audit:event_list") + "?older"),
        Page("who read what", dsl, reverse("audit:read_list")),
        Page("trust dashboard", admin, reverse("dashboard")),
        Page("audit log (trust admin)", admin, reverse("audit:event_list")),
        Page("audit log (whole trust)", admin, reverse("audit:trust_event_list")),
    ]


def _demo_urn(key: str) -> str:
    from chaperone.site.demo.generate import TRUSTS

    return next(s.urn for p in TRUSTS for s in p.schools if s.key == key)


def _client(username: str) -> Any:
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from chaperone.people.models import User

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def measure(requests: int) -> dict[str, tuple[float, int]]:
    """Median ms and queries of each page (3 warm-up requests, then ``requests``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients: dict[str, Any] = {}
    results: dict[str, tuple[float, int]] = {}
    for page in pages():
        client = clients.get(page.who) or clients.setdefault(page.who, _client(page.who))
        url = page.url
        if url.endswith("?older"):  # the second page of the school's log, by its cursor
            first = client.get(url.removesuffix("?older")).context["page"]
            url = f"{url.removesuffix('?older')}?before={first.older}"
        for _ in range(3):
            response = client.get(url)
            assert response.status_code == 200, (page, response.status_code)
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - began) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        results[page.name] = (statistics.median(times), len(ctx.captured_queries))
    return results


def verify_nightly(rng: random.Random, rows: int = 100_000) -> float:
    """Anchor every chain's head (the daily job), append ``rows`` more across every school, and
    time the nightly verify (each chain from its last anchor)."""
    from django.core.management import call_command

    from chaperone.audit.verify import audit_verify_all
    from chaperone.tenancy.models import School

    call_command("audit", "anchor", verbosity=0)
    tenants = _tenants(list(School.objects.values_list("pk", flat=True)))
    append_rows(tenants, rows, rng, weights=[len(t.pupils) or 1 for t in tenants])
    began = time.perf_counter()
    results = audit_verify_all()
    seconds = time.perf_counter() - began
    broken = [r for r in results if not r.ok]
    assert not broken, broken[:3]
    return seconds


def worker(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    from chaperone.site.demo.services import demo_load
    from chaperone.tenancy.models import School

    setup_test_environment()
    rng = random.Random(SEED)
    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo_load(seed=SEED)
    demo_rows = append_audit_rows(
        _tenants(list(School.objects.values_list("pk", flat=True))), args.per_pupil, rng
    )
    _vacuum()
    loaded = time.perf_counter() - began
    small = measure(args.requests)
    began = time.perf_counter()
    schools, rows = grow(args.copies - 1, args.per_pupil, rng)
    _vacuum()
    grown = time.perf_counter() - began
    large = measure(args.requests)
    nightly = verify_nightly(rng, args.nightly_rows)

    from chaperone.audit.models import AuditEvent
    from chaperone.people.models import Pupil

    print(
        f"1x: 3 schools, {demo_rows} audit rows, loaded in {loaded:.0f} s; "
        f"{args.copies}x: +{schools} schools and {rows} audit rows, {Pupil.objects.count()} "
        f"pupils and {AuditEvent.objects.count()} audit rows in all, grown in {grown:.0f} s",
        file=sys.stderr,
    )
    print(f"{'page':<26} {'1x ms':>8} {'100x ms':>8} {'ratio':>6} {'queries':>8}", file=sys.stderr)
    ratios = {}
    for name, (ms_small, q_small) in small.items():
        ms_large, q_large = large[name]
        ratios[name] = ms_large / ms_small
        print(
            f"{name:<26} {ms_small:>8.1f} {ms_large:>8.1f} {ratios[name]:>6.2f} "
            f"{q_small:>4}/{q_large:<3}",
            file=sys.stderr,
        )
    worst = max(ratios, key=ratios.__getitem__)
    print(f"worst: {worst}", file=sys.stderr)
    emit("scale.page_ratio_100x", ratios[worst], "ratio", "<= 1.5")
    emit("scale.verify_nightly_s", nightly, "s", "<= 2")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--copies", type=int, default=100, help="size of the big step (x demo)")
    parser.add_argument("--per-pupil", type=int, default=20, help="audit rows per pupil")
    parser.add_argument("--nightly-rows", type=int, default=100_000, help="rows before verify")
    parser.add_argument("--requests", type=int, default=25, help="timed requests per page")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DATABASE} database")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0
    if not postgres_reachable():
        print("PostgreSQL is not reachable on 127.0.0.1:5432; nothing measured.", file=sys.stderr)
        return 0
    import psycopg

    def admin(sql: str) -> None:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DATABASE}"')
    try:
        with tempfile.TemporaryDirectory(prefix="chaperone-bench-scale-") as tmp:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "chaperone.config.settings.test",
                "CHAPERONE_VAR_DIR": tmp,
                "DATABASE_URL": f"{PG_SERVER}/{DATABASE}",
            }
            argv = [a for a in sys.argv[1:] if a != "--keep"]
            cmd = [sys.executable, "-m", "benchmarks.scale", "--worker", *argv]
            return subprocess.run(cmd, env=env, check=False).returncode
    finally:
        if not args.keep:
            admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
