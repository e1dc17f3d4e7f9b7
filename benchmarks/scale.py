"""Scale benchmark: do the school and trust pages stay flat as the service grows to 100x the demo?

    .venv/bin/python -m benchmarks.scale [--copies 100] [--per-pupil 20] [--rounds 30]
        [--keep DIR] [--db-prefix NAME]
    .venv/bin/python -m benchmarks.scale --nightly-only DIR [--nightly-rows 100000]

On PostgreSQL only, in two databases of its own (``chaperone_scalebench_1x`` and
``chaperone_scalebench_100x``, or ``--db-prefix``'s; dropped afterwards unless ``--keep DIR``,
which keeps their anchor files in ``DIR`` too):

1. **1x**: migrate, load the demo (2 trusts, 3 schools, about 700 pupils) and a year of history,
   about ``--per-pupil`` audit rows for each pupil; then the daily anchor job (which checks every
   chain in full, so the bulk-built rows are proven to verify) and ``VACUUM ANALYZE``.
2. **100x**: a copy of the 1x database (``CREATE DATABASE ... TEMPLATE``), grown by
   ``--copies - 1`` more copies of the demo's people under new trusts and schools (the demo
   generator with another seed per copy, stored by ``demo_people_store`` through COPY; no
   logins) and their year of history, to about 70,000 pupils, 300 schools and 1.4 million audit
   rows. Like a restore, the audit table's secondary indexes are dropped for the load and built
   after it, then ``VACUUM ANALYZE``. Each new chain's head is anchored where the load left it.
3. Every school and trust page is timed on both databases at once, through Django's test client
   in two worker processes (one per database), as the demo's primary DSL and its trust admin:
   ``--rounds`` rounds, each one request per page per database, in alternating order, so the
   machine's load falls on both sizes alike.
4. On the 100x database: ``--nightly-rows`` more rows across every school, then the nightly
   verify (every chain from its last anchor), timed.

A run takes about 11 minutes on the shared 2-core development machine (load averages 4 to 14),
most of it building and sealing the 1.4 million rows (about 65 µs of CPU a row in Python, half
of it ``build_payload``); the phase table on stderr says where the time went.

The measured tenants are the same in both databases; only the rest of the service grows, so a
page whose queries stray outside its tenant shows as a ratio above 1.

Audit rows are not written one ``record()`` at a time (that would take hours): they are built
with the chain's own functions (``build_payload`` and the chain's ``sealer``, exactly as
``record_many`` seals them), chained from each chain's head, COPYed in time order (so ids grow
with ``seq``) and the heads moved with their MAC in the same transaction.

Figures (stdout, one JSON line each): ``scale.page_ratio_100x`` (worst ratio over the pages of
the 100x median latency to the 1x median; target <= 1.5), ``scale.page_cpu_ratio_100x`` (the
same for CPU per request: this process plus its PostgreSQL backend, steadier on a shared machine)
and ``scale.verify_nightly_s`` (target <= 2), with ``scale.verify_nightly_rows_per_s``. Tables of
the pages and of the phases' times go to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from operator import itemgetter
from pathlib import Path
from typing import Any

from benchmarks._support import PG_SERVER, emit, postgres_reachable

#: The two databases; ``--db-prefix`` (passed on to the worker processes in the environment)
#: names others, so two people can run the benchmark on one server.
PREFIX = os.environ.get("CHAPERONE_SCALEBENCH_PREFIX", "chaperone_scalebench")
DATABASES = {"1x": f"{PREFIX}_1x", "100x": f"{PREFIX}_100x"}
SEED = 20261201
HISTORY_DAYS = 365
AUDIT_TABLE = "audit_auditevent"
HEAD_TABLE = "audit_auditchainhead"
#: What the audit rows record, with weights (the shape of a school's log: mostly reads).
#: ``trust`` kinds are trust-wide rows (no school): sign-ins of people who work across the
#: trust, trust protocol uploads.
MIX = (
    ("pupil.viewed", "pupil", 70),
    ("auth.login", "", 12),
    ("household.viewed", "household", 8),
    ("staff.viewed", "staff", 3),
    ("audit.viewed", "", 2),
    ("auth.login_failed", "", 2),
    ("auth.login", "trust", 2),
    ("protocol.version_uploaded", "trust", 1),
)
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
)
TARGET_TYPES = {
    "pupil": "people.pupil",
    "household": "people.household",
    "staff": "people.staffmember",
}
COPY_CHUNK = 20_000


# --- phases and their times -------------------------------------------------------------------


class Phases:
    """Wall and CPU seconds of each phase of one process."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []

    def run(self, name: str, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        self.rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))
        return result


# --- audit rows in bulk -----------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    """What the audit rows of one school are drawn from."""

    trust_id: int
    school_id: int
    pupils: list[tuple[str, str]]  # (id, label)
    households: list[tuple[str, str]]
    staff: list[tuple[int, int | None, str]]  # (staff id, user id, name)
    trust_staff: list[tuple[int, int | None, str]]


def tenants(school_ids: list[int] | None = None) -> list[Tenant]:
    """The schools (all of them by default), with their pupils, households and staff."""
    from chaperone.people.models import Pupil, StaffAssignment
    from chaperone.tenancy.models import School

    schools = School.objects.order_by("pk")
    if school_ids is not None:
        schools = schools.filter(pk__in=school_ids)
    rows = list(schools.values_list("pk", "trust_id"))
    ids = [pk for pk, _ in rows]
    pupils: dict[int, list[tuple[str, str]]] = {pk: [] for pk in ids}
    households: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for school_id, pk, first, last, household, name in Pupil.objects.filter(
        school_id__in=ids
    ).values_list("school_id", "pk", "first_name", "last_name", "household_id", "household__name"):
        pupils[school_id].append((str(pk), f"{first} {last}"))
        if household is not None:
            households[school_id][str(household)] = name
    staff: dict[int | None, dict[int, tuple[int, int | None, str]]] = {}
    trust_staff: dict[int, dict[int, tuple[int, int | None, str]]] = {}
    for school_id, trust_id, pk, user, first, last in StaffAssignment.objects.filter(
        staff__trust_id__in={t for _, t in rows}
    ).values_list(
        "school_id",
        "staff__trust_id",
        "staff_id",
        "staff__user_id",
        "staff__first_name",
        "staff__last_name",
    ):
        person = (pk, user, f"{first} {last}")
        if school_id is None:
            trust_staff.setdefault(trust_id, {})[pk] = person
        else:
            staff.setdefault(school_id, {})[pk] = person
    found = []
    for pk, trust_id in rows:
        own = list(staff.get(pk, {}).values())
        found.append(
            Tenant(
                trust_id=trust_id,
                school_id=pk,
                pupils=pupils[pk],
                households=list(households[pk].items()),
                staff=own,
                trust_staff=list(trust_staff.get(trust_id, {}).values()) or own,
            )
        )
    return [t for t in found if t.staff]


def _text(value: Any) -> str:
    """A value as a field of PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            for c, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
                value = value.replace(c, escaped)
        return value
    return str(value)


def _line(values: tuple[Any, ...]) -> str:
    """One row of COPY text; values are escaped only if the row needs it (rarely)."""
    line = "\t".join(["\\N" if v is None else str(v) for v in values])
    if "\\" in line or "\n" in line or "\r" in line or line.count("\t") != len(values) - 1:
        line = "\t".join([_text(v) for v in values])
    return line + "\n"


def append_rows(
    tenants: list[Tenant],
    total: int,
    rng: random.Random,
    *,
    clock: Callable[[int], dt.datetime],
) -> dict[int, tuple[int, str]]:
    """COPY ``total`` sealed audit rows at the tenants (drawn in proportion to their pupils),
    the i-th at ``clock(i)`` (which must not go back in time), chained from each chain's head,
    and move the heads. Returns each touched chain's new head (seq, hash)."""
    from django.db import connection, transaction

    from chaperone.audit.chain import (
        GENESIS_HASH,
        LEGACY_CHAIN,
        build_payload,
        canonical_json,
        chain_of,
        head_mac,
        sealer,
    )
    from chaperone.audit.log import INSERT_COLUMNS
    from chaperone.audit.registry import check_action

    for action, _, _ in MIX:
        check_action(action)
    if not tenants or total <= 0:
        return {}
    weights = [len(t.pupils) or 1 for t in tenants]
    picks = rng.choices(range(len(tenants)), weights=weights, k=total)
    kinds = rng.choices(range(len(MIX)), weights=[w for _, _, w in MIX], k=total)
    chains = sorted({chain_of(t.trust_id) for t in tenants})
    with transaction.atomic(), connection.cursor() as cursor:
        # Heads locked in chain order, as record_many does; a new chain numbers on from the
        # legacy chain, as record() starts one.
        cursor.execute(f"SELECT seq FROM {HEAD_TABLE} WHERE id = %s", [LEGACY_CHAIN])
        legacy = cursor.fetchone()
        cursor.execute(
            f"SELECT id, seq, hash FROM {HEAD_TABLE} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [chains],
        )
        base = legacy[0] if legacy else 0
        heads: dict[int, list[Any]] = {c: [base, GENESIS_HASH] for c in chains}
        for chain_id, seq, hash_ in cursor.fetchall():
            heads[chain_id] = [seq, hash_]
        seals = {c: sealer(c) for c in chains}
        columns_of = itemgetter(*INSERT_COLUMNS)
        columns = ", ".join(INSERT_COLUMNS)
        with cursor.cursor.copy(f"COPY {AUDIT_TABLE} ({columns}) FROM STDIN") as copy:
            lines: list[str] = []
            for i in range(total):
                tenant = tenants[picks[i]]
                action, kind, _ = MIX[kinds[i]]
                chain_id = chain_of(tenant.trust_id)
                head = heads[chain_id]
                fields = _fields(tenant, action, kind, rng)
                fields["chain_id"] = chain_id
                fields["seq"] = seq = head[0] + 1
                fields["prev_hash"] = prev = head[1]
                fields["occurred_at"] = clock(i)
                payload = build_payload(fields)
                hash_ = seals[chain_id](bytes.fromhex(prev) + payload.encode("utf-8")).hex()
                head[0], head[1] = seq, hash_
                # str() of an aware UTC datetime: the same instant as the payload's, cheaper
                fields["occurred_at"] = str(fields["occurred_at"])
                details = fields["details"]
                fields["details"] = canonical_json(details) if details else "{}"
                fields["payload"], fields["hash"] = payload, hash_
                lines.append(_line(columns_of(fields)))
                if len(lines) == COPY_CHUNK:
                    copy.write("".join(lines))
                    lines.clear()
            copy.write("".join(lines))
        cursor.executemany(
            f"INSERT INTO {HEAD_TABLE} (id, seq, hash, mac) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, "
            "mac = EXCLUDED.mac",
            [(c, s, h, head_mac(c, s, h)) for c, (s, h) in heads.items() if h != GENESIS_HASH],
        )
    return {c: (s, h) for c, (s, h) in heads.items() if h != GENESIS_HASH}


def _fields(tenant: Tenant, action: str, kind: str, rng: random.Random) -> dict[str, Any]:
    """The recorded fields of one event of the mix at ``tenant`` (chain, seq, time and
    previous hash are the caller's)."""
    draw = rng.random
    people = tenant.trust_staff if kind == "trust" else tenant.staff
    staff_id, user_id, name = people[int(draw() * len(people))]
    target_type = target_id = target_label = ""
    details: dict[str, Any] = {}
    if kind in TARGET_TYPES:
        if kind == "staff":
            other = tenant.staff[int(draw() * len(tenant.staff))]
            target_id, target_label = str(other[0]), other[2]
        else:
            pool = (tenant.households if kind == "household" else None) or tenant.pupils
            kind = kind if pool is tenant.households else "pupil"
            target_id, target_label = pool[int(draw() * len(pool))]
        target_type = TARGET_TYPES[kind]
    elif action == "auth.login_failed":
        details = {"username": f"{name.split()[0].lower()}.{int(draw() * 100)}"}
    elif action == "audit.viewed":
        details = {"page": "school"}
    host = int(draw() * 65_000)
    return {
        "action": action,
        "actor_user_id": user_id,
        "actor_staff_id": staff_id,
        "actor_label": name,
        "trust_id": tenant.trust_id,
        "school_id": None if kind == "trust" else tenant.school_id,
        "target_type": target_type,
        "target_id": target_id,
        "target_label": target_label,
        "ip_address": f"10.{tenant.school_id % 250}.{host >> 8}.{(host & 255) or 1}",
        "user_agent": AGENTS[int(draw() * len(AGENTS))],
        "request_id": "%032x" % rng.getrandbits(128),  # noqa: UP031 (the fastest way)
        "via": "web",
        "details": details,
    }


def history_clock(total: int, end: dt.datetime) -> Callable[[int], dt.datetime]:
    """Times spread evenly (with jitter) over the ``HISTORY_DAYS`` before ``end``."""
    start = end - dt.timedelta(days=HISTORY_DAYS)
    step = (end - start).total_seconds() * 1e6 / max(total, 1)
    jitter = random.Random(total)
    return lambda i: start + dt.timedelta(microseconds=int((i + jitter.random() * 0.9) * step))


def history_partitions(end: dt.datetime) -> None:
    """The monthly partitions a year of history before ``end`` needs (the migration made this
    month's and the next three)."""
    from django.db import connection

    from chaperone.audit.partitions import (
        add_months,
        create_partition_sql,
        is_partitioned,
        month_of,
        partition_name,
        statistics_sql,
    )

    if not is_partitioned():
        return
    month = month_of((end - dt.timedelta(days=HISTORY_DAYS)).date())
    with connection.cursor() as cursor:
        while month <= month_of(end.date()):
            cursor.execute(create_partition_sql(month))
            cursor.execute(statistics_sql(partition_name(month)))
            month = add_months(month, 1)


# --- people in bulk ---------------------------------------------------------------------------


def copy_create(model: Any, objects: list[Any]) -> list[Any]:
    """``demo_people_store``'s ``create`` on PostgreSQL: take the ids from the table's
    sequence, then COPY the rows, each field prepared as ``bulk_create`` prepares it."""
    from django.db import connection

    if not objects:
        return objects
    table = model._meta.db_table
    fields = model._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(objects)],
        )
        for (pk,), obj in zip(cursor.fetchall(), objects, strict=True):
            obj.pk = pk
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
                )
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def grow_people(copies: list[int]) -> list[int]:
    """Store more copies of the demo's people (copy ``n`` for each ``n`` of ``copies``) under
    new trusts and schools; the new schools' ids."""
    from django.db import transaction

    from chaperone.site.demo.generate import TRUSTS, generate_demo
    from chaperone.site.demo.services import demo_people_store
    from chaperone.tenancy.models import School, Trust

    added: list[int] = []
    with transaction.atomic():
        for n in copies:
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
            demo_people_store(
                data, trusts=trusts, schools=schools, seed=SEED, logins=False, create=copy_create
            )
            added += [s.pk for s in schools.values()]
    return added


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- the two builds (each in a process of its own, on its own database) ------------------------


def _django(database: str, anchors: Path) -> None:
    """Set Django up on ``database`` (in a fresh process), anchors kept in ``anchors``."""
    os.dup2(2, 1)  # nothing but the figures on the benchmark's standard output
    os.environ.update(
        DJANGO_SETTINGS_MODULE="chaperone.config.settings.test",
        DATABASE_URL=f"{PG_SERVER}/{database}",
    )
    os.environ.setdefault("CHAPERONE_VAR_DIR", str(anchors.parent))
    import django

    django.setup()
    from django.conf import settings

    settings.CHAPERONE_AUDIT_ANCHOR_DIR = anchors
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def build_1x(per_pupil: int, anchors: str, result: Any) -> None:
    _django(DATABASES["1x"], Path(anchors))
    from django.core.management import call_command
    from django.utils import timezone

    from chaperone.audit.services import audit_chains_anchor
    from chaperone.site.demo.services import demo_load

    phases = Phases()
    end = timezone.now() - dt.timedelta(minutes=5)
    rng = random.Random(SEED)
    phases.run("1x: migrate", lambda: call_command("migrate", verbosity=0))
    phases.run("1x: demo load", lambda: demo_load(seed=SEED))
    phases.run("1x: partitions for a year", lambda: history_partitions(end))
    found = tenants()
    total = per_pupil * sum(len(t.pupils) for t in found)
    clock = history_clock(total, end)
    phases.run(f"1x: {total:,} audit rows", lambda: append_rows(found, total, rng, clock=clock))
    outcomes = phases.run("1x: anchor job (full verify)", audit_chains_anchor)
    broken = [o.verification.summary() for o in outcomes if not o.verification.ok]
    assert not broken, broken
    phases.run("1x: VACUUM ANALYZE", _vacuum)
    result.send({"phases": phases.rows, "rows": total, "end": end.isoformat()})


def grow(copies: list[int], per_pupil: int, end: str, anchors: str, job: int, result: Any) -> None:
    """One of the jobs growing the 100x database: its share of the copies' people, then their
    history (their trusts' chains are this job's alone), and an anchor at each chain's head."""
    _django(DATABASES["100x"], Path(anchors))
    from chaperone.audit.anchors import Anchor, write_anchor

    phases = Phases()
    rng = random.Random(SEED + 1000 + job)
    added = phases.run(f"people of {len(copies)} demos (COPY)", lambda: grow_people(copies))
    found = tenants(added)
    total = per_pupil * sum(len(t.pupils) for t in found)
    clock = history_clock(total, dt.datetime.fromisoformat(end))
    heads = phases.run(
        f"{total:,} audit rows (build, seal, COPY)",
        lambda: append_rows(found, total, rng, clock=clock),
    )
    for chain_id, (seq, hash_) in heads.items():
        write_anchor(Anchor(chain_id=chain_id, seq=seq, hash=hash_, at=end))
    result.send({"phases": phases.rows, "rows": total})


class Admin:
    """Plain psycopg on one of the benchmark's databases (no Django in the main process)."""

    def __init__(self, database: str = "postgres") -> None:
        import psycopg

        self.connection = psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True)

    def __call__(self, sql: str, params: Any = None) -> list[Any]:
        cursor = self.connection.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        self.connection.close()


def drop_indexes(db: Admin, table: str) -> list[str]:
    """Drop a table's indexes and unique constraints but its primary key for a bulk load, as a
    restore loads before it indexes; the statements that build them again."""
    constraints = db(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    )
    for name, _ in constraints:
        db(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    indexes = db(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname <> %s",
        [table, f"{table}_pkey"],
    )
    for name, _ in indexes:
        db(f'DROP INDEX "{name}"')
    return [
        *(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}' for name, sql in constraints),
        # a partitioned table's definitions say ON ONLY (the parent alone); build them all
        *(sql.replace(" ON ONLY ", " ON ", 1) for _, sql in indexes),
    ]


def build_100x(
    jobs: int, copies: int, per_pupil: int, end: str, anchors: str
) -> tuple[dict[str, Any], list[Any]]:
    """Grow the 100x database (a copy of the 1x one) by ``copies`` demos in ``jobs`` parallel
    processes, with the audit table's indexes built after the load; then ANALYZE."""
    from benchmarks import scale

    phases: list[tuple[str, float, float]] = []
    db = Admin(DATABASES["100x"])
    wall = time.perf_counter()
    rebuild = drop_indexes(db, AUDIT_TABLE)
    phases.append(("100x: drop audit indexes", time.perf_counter() - wall, 0.0))
    wall = time.perf_counter()
    numbers = list(range(1, copies + 1))
    jobs = max(1, min(jobs, copies))
    workers = [
        _process(scale.grow, numbers[job::jobs], per_pupil, end, anchors, job)
        for job in range(jobs)
    ]
    rows = 0
    for job, (process, link) in enumerate(workers):
        answer = _answer(process, link, "grow")
        rows += answer["rows"]
        phases += [(f"100x: job {job + 1}: {name}", w, c) for name, w, c in answer["phases"]]
    phases.append((f"100x: the {jobs} jobs, in parallel", time.perf_counter() - wall, 0.0))
    wall = time.perf_counter()
    db("SET maintenance_work_mem = '256MB'")
    for sql in rebuild:
        db(sql)
    phases.append(("100x: build audit indexes", time.perf_counter() - wall, 0.0))
    wall = time.perf_counter()
    # Like a restore: the people tables vacuumed (small); the audit table analysed, its new
    # rows left for autovacuum as a restored history would be.
    tables = db(
        "SELECT relname FROM pg_class WHERE relkind = 'r' "
        "AND relnamespace = 'public'::regnamespace AND relname NOT LIKE %s",
        [f"{AUDIT_TABLE}%"],
    )
    db(f"VACUUM (ANALYZE) {', '.join(t for (t,) in tables)}")
    db(f"ANALYZE {AUDIT_TABLE}")
    phases.append(("100x: VACUUM ANALYZE, audit table ANALYZE", time.perf_counter() - wall, 0.0))
    counts = db(
        f"SELECT (SELECT COUNT(*) FROM tenancy_school), (SELECT COUNT(*) FROM people_pupil), "
        f"(SELECT COUNT(*) FROM {AUDIT_TABLE}), pg_database_size(current_database())"
    )[0]
    # the audit table's partitions (or the table itself, unpartitioned)
    sizes = db(
        "SELECT SUM(pg_total_relation_size(c.oid)), SUM(pg_indexes_size(c.oid)) FROM pg_class c "
        "WHERE c.oid = %s::regclass OR c.oid IN "
        "(SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
        [AUDIT_TABLE, AUDIT_TABLE],
    )[0]
    db.close()
    grown = {
        "rows": rows,
        "schools": counts[0],
        "pupils": counts[1],
        "audit_rows": counts[2],
        "bytes": counts[3],
        "audit_bytes": sizes[0] or 0,
        "audit_index_bytes": sizes[1] or 0,
    }
    return grown, phases


# --- the pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    who: str
    url: str


def pages() -> list[Page]:
    """Every school and trust page, for the demo's primary DSL, its head and its trust admin."""
    from django.urls import reverse
    from django.utils import timezone

    from chaperone.audit.selectors import audit_page, school_branches
    from chaperone.people.models import Pupil, StaffAssignment
    from chaperone.site.demo.generate import TRUST_ADMIN_USERNAME, TRUSTS
    from chaperone.tenancy.models import School

    urn = next(s.urn for p in TRUSTS for s in p.schools if s.key == "primary")
    school = School.objects.get(urn=urn)
    pupil = Pupil.objects.filter(school=school, household__isnull=False).order_by("pk").first()
    assert pupil is not None
    colleague = (
        StaffAssignment.objects.filter(school=school, staff__user__isnull=True)
        .order_by("staff_id")
        .values_list("staff_id", flat=True)
        .first()
    )
    # the second page of the school's log, by the cursor its first page gives now
    first = audit_page(school_branches(school), zone=timezone.get_current_timezone())
    log = reverse("audit:event_list")
    dsl, head, admin = "dsl.primary", "head.primary", TRUST_ADMIN_USERNAME
    return [
        Page("dashboard", dsl, reverse("dashboard")),
        Page("pupil list", dsl, reverse("people:pupil_list")),
        Page("pupil search", dsl, reverse("people:pupil_list") + "?q=son"),
        Page("pupil detail", dsl, reverse("people:pupil_detail", args=[pupil.pk])),
        Page("household", dsl, reverse("people:household_detail", args=[pupil.household_id])),
        Page("staff list", dsl, reverse("people:staff_list")),
        Page("staff detail", dsl, reverse("people:staff_detail", args=[colleague])),
        Page("flag changes", dsl, reverse("people:flag_changes")),
        Page("code of conduct", dsl, reverse("people:code_of_conduct")),
        Page("protocol", dsl, reverse("protocols:current")),
        Page("protocol for parents", dsl, reverse("protocols:parent")),
        Page("protocol history", dsl, reverse("protocols:history")),
        Page("acknowledgements", dsl, reverse("protocols:acknowledgements")),
        Page("audit log (school)", dsl, log),
        Page("audit log, older page", dsl, f"{log}?before={first.older}"),
        Page("who read what", dsl, reverse("audit:read_list")),
        Page("staff roles (head)", head, reverse("people:staff_roles", args=[colleague])),
        Page("roles awaiting (head)", head, reverse("people:role_confirmations")),
        Page("school details (head)", head, reverse("school_details")),
        Page("trust dashboard", admin, reverse("dashboard")),
        Page("audit log (trust admin)", admin, log),
        Page("audit log (whole trust)", admin, reverse("audit:trust_event_list")),
    ]


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


_TICK = os.sysconf("SC_CLK_TCK")


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds the PostgreSQL backend ``pid`` has used (same machine), 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def serve(database: str, anchors: str, link: Any) -> None:
    """Answer the measuring process: ``("sample", i)`` times one request of page ``i``
    (wall ms, own CPU ms, backend CPU ms); ``("queries", i)`` counts its SQL queries;
    ``("nightly", rows)`` appends rows and times the nightly verify; ``("stop",)``."""
    _django(database, Path(anchors))
    from django.db import connection

    found = pages()
    clients = {who: _client(who) for who in {p.who for p in found}}

    def get(page: Page) -> None:
        response = clients[page.who].get(page.url)
        assert response.status_code == 200, (page, response.status_code)

    for page in found:  # warm-up
        for _ in range(2):
            get(page)
    link.send([(p.name, p.url) for p in found])
    while True:
        command = link.recv()
        if command[0] == "sample":
            page = found[command[1]]
            pid = connection.connection.info.backend_pid if connection.connection else None
            backend = _backend_cpu(pid)
            cpu, wall = time.process_time(), time.perf_counter()
            get(page)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            same = connection.connection and connection.connection.info.backend_pid == pid
            backend = _backend_cpu(pid) - backend if same else float("nan")
            link.send((wall * 1000, cpu * 1000, backend * 1000))
        elif command[0] == "queries":
            from django.test.utils import CaptureQueriesContext

            times = []
            for _ in range(3):
                with CaptureQueriesContext(connection) as ctx:
                    get(found[command[1]])
                times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            link.send((len(ctx.captured_queries), statistics.median(times)))
        elif command[0] == "nightly":
            link.send(verify_nightly(command[1]))
        else:
            return


def nightly_alone(anchors: str, rows: int, result: Any) -> None:
    """``--nightly-only``: on the kept 100x database, anchor each chain at its head (as the
    previous night's anchor job left them, once verified), then the nightly."""
    _django(DATABASES["100x"], Path(anchors))
    from django.utils import timezone

    from chaperone.audit.anchors import Anchor, write_anchor
    from chaperone.audit.models import AuditChainHead

    at = timezone.now().isoformat(timespec="seconds")
    for chain_id, seq, hash_ in AuditChainHead.objects.values_list("pk", "seq", "hash"):
        write_anchor(Anchor(chain_id=chain_id, seq=seq, hash=hash_, at=at))
    result.send(verify_nightly(rows))


def verify_nightly(rows: int) -> dict[str, float]:
    """Append ``rows`` more across every school (each batch of 5,000 at the time it is built,
    as the day's appends would be), then time the nightly verify (each chain from its last
    anchor)."""
    from django.db import connection
    from django.utils import timezone

    from chaperone.audit.verify import audit_verify_all

    rng = random.Random(SEED + 2)
    stamps: dict[int, dt.datetime] = {}

    def clock(i: int) -> dt.datetime:
        return stamps.setdefault(i // 5_000, timezone.now())

    wall = time.perf_counter()
    append_rows(tenants(), rows, rng, clock=clock)
    appended = time.perf_counter() - wall
    pid = connection.connection.info.backend_pid if connection.connection else None
    backend = _backend_cpu(pid)
    wall, cpu = time.perf_counter(), time.process_time()
    results = audit_verify_all()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    backend = _backend_cpu(pid) - backend
    broken = [r.summary() for r in results if not r.ok]
    assert not broken, broken[:3]
    return {
        "append_s": appended,
        "verify_s": wall,
        "verify_cpu_s": cpu,
        "verify_backend_cpu_s": backend,
        "rows": float(sum(r.rows for r in results)),
        "chains": float(len(results)),
    }


# --- the measuring process --------------------------------------------------------------------


def _process(target: Callable[..., None], *args: Any) -> tuple[Any, Any]:
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    process = context.Process(target=target, args=(*args, theirs))
    process.start()
    theirs.close()
    return process, mine


def _answer(process: Any, link: Any, what: str) -> Any:
    try:
        answer = link.recv()
    except EOFError:
        process.join()
        raise RuntimeError(f"{what} failed (exit code {process.exitcode})") from None
    process.join()
    return answer


def _run(target: Callable[..., None], *args: Any) -> Any:
    """Run ``target`` in a fresh process and return what it sent."""
    process, link = _process(target, *args)
    return _answer(process, link, target.__name__)


def measure(rounds: int, anchors: dict[str, str], nightly_rows: int) -> dict[str, Any]:
    workers = {size: _process(serve, DATABASES[size], anchors[size]) for size in DATABASES}
    links = {size: link for size, (_, link) in workers.items()}
    try:
        urls = {size: link.recv() for size, link in links.items()}
        assert urls["1x"] == urls["100x"], urls
        names = [name for name, _ in urls["1x"]]
        samples: dict[str, dict[str, list[tuple[float, float, float]]]] = {
            size: {name: [] for name in names} for size in DATABASES
        }
        order = list(DATABASES)
        for r in range(rounds):
            for i, name in enumerate(names):
                for size in order if (r + i) % 2 == 0 else order[::-1]:
                    links[size].send(("sample", i))
                    samples[size][name].append(links[size].recv())
        queries = {}
        for i, name in enumerate(names):
            for size, link in links.items():
                link.send(("queries", i))
                queries[size, name] = link.recv()
        links["100x"].send(("nightly", nightly_rows))
        nightly = links["100x"].recv()
    finally:
        for process, link in workers.values():
            with suppress(BrokenPipeError, OSError):
                link.send(("stop",))
            process.join(timeout=30)
    return {"names": names, "samples": samples, "queries": queries, "nightly": nightly}


def _median_of(values: list[float]) -> float:
    known = [v for v in values if v == v]  # without the samples whose backend changed
    return statistics.median(known) if known else float("nan")


def report(
    built: dict[str, Any], grown: dict[str, Any], measured: dict[str, Any], phases: list[Any]
) -> None:
    err = sys.stderr
    print(
        f"1x: 3 schools, {built['rows']:,} history rows; 100x: {grown['schools']} schools, "
        f"{grown['pupils']:,} pupils, {grown['audit_rows']:,} audit rows "
        f"({grown['rows']:,} loaded); database {grown['bytes'] / 2**30:.2f} GiB, audit table "
        f"{grown['audit_bytes'] / 2**30:.2f} GiB of which indexes "
        f"{grown['audit_index_bytes'] / 2**30:.2f} GiB",
        file=err,
    )
    print(f"\n{'phase (CPU: the process that ran it)':<52} {'wall s':>7} {'CPU s':>7}", file=err)
    for name, wall, cpu in phases:
        print(f"{name:<52} {wall:>7.1f} {f'{cpu:.1f}' if cpu else '-':>7}", file=err)
    rounds = len(next(iter(measured["samples"]["1x"].values())))
    print(
        f"\nmedians of {rounds} requests per page and size, interleaved; CPU = this process + "
        "its PostgreSQL backend, ms per request",
        file=err,
    )
    print(
        f"{'page':<26} {'queries':>7} {'1x ms':>7} {'100x ms':>8} {'ratio':>6} "
        f"{'1x CPU':>7} {'100x CPU':>8} {'ratio':>6} {'1x SQL':>7} {'100x SQL':>8}",
        file=err,
    )
    ratios, cpu_ratios = {}, {}
    for name in measured["names"]:
        small, large = measured["samples"]["1x"][name], measured["samples"]["100x"][name]
        wall_s, wall_l = _median_of([s[0] for s in small]), _median_of([s[0] for s in large])
        cpu_s = _median_of([s[1] for s in small]) + statistics.fmean(
            [s[2] for s in small if s[2] == s[2]] or [0.0]
        )
        cpu_l = _median_of([s[1] for s in large]) + statistics.fmean(
            [s[2] for s in large if s[2] == s[2]] or [0.0]
        )
        ratios[name], cpu_ratios[name] = wall_l / wall_s, cpu_l / cpu_s
        q_s, sql_s = measured["queries"]["1x", name]
        q_l, sql_l = measured["queries"]["100x", name]
        print(
            f"{name:<26} {q_s:>3}/{q_l:<3} {wall_s:>7.1f} {wall_l:>8.1f} {ratios[name]:>6.2f} "
            f"{cpu_s:>7.1f} {cpu_l:>8.1f} {cpu_ratios[name]:>6.2f} {sql_s:>7.1f} {sql_l:>8.1f}",
            file=err,
        )
    worst = max(ratios, key=ratios.__getitem__)
    worst_cpu = max(cpu_ratios, key=cpu_ratios.__getitem__)
    nightly = measured["nightly"]
    print(
        f"worst: {worst} (wall), {worst_cpu} (CPU)\nnightly: {nightly_rows_text(nightly)}",
        file=err,
    )
    emit("scale.page_ratio_100x", ratios[worst], "ratio", "<= 1.5")
    emit("scale.page_cpu_ratio_100x", cpu_ratios[worst_cpu], "ratio", "<= 1.5")
    emit("scale.verify_nightly_s", nightly["verify_s"], "s", "<= 2")
    emit(
        "scale.verify_nightly_rows_per_s",
        nightly["rows"] / nightly["verify_s"],
        "rows/s",
        None,
        digits=0,
    )


def nightly_rows_text(n: dict[str, float]) -> str:
    return (
        f"{n['rows']:,.0f} rows in {n['chains']:.0f} chains appended in {n['append_s']:.1f} s, "
        f"verified in {n['verify_s']:.2f} s wall, {n['verify_cpu_s']:.2f} s CPU in this process "
        f"and {n['verify_backend_cpu_s']:.2f} s in its PostgreSQL backend "
        f"({n['rows'] / n['verify_s']:,.0f} rows/s wall, "
        f"{n['rows'] / max(n['verify_cpu_s'] + n['verify_backend_cpu_s'], 1e-9):,.0f} rows "
        "per CPU second)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--copies", type=int, default=100, help="size of the big database (x demo)")
    parser.add_argument("--per-pupil", type=int, default=20, help="audit rows per pupil")
    parser.add_argument("--nightly-rows", type=int, default=100_000, help="rows before verify")
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per page and size")
    parser.add_argument("--jobs", type=int, default=2, help="processes that grow the 100x data")
    parser.add_argument(
        "--keep", metavar="DIR", help="keep the two databases, and their anchors in DIR"
    )
    parser.add_argument(
        "--nightly-only",
        metavar="DIR",
        help="only the nightly, on the 100x database kept earlier with --keep DIR: anchor every "
        "chain where it stands, append --nightly-rows, time the verify",
    )
    parser.add_argument("--db-prefix", default=PREFIX, help="the databases: PREFIX_1x, PREFIX_100x")
    args = parser.parse_args()
    if not postgres_reachable():
        print("PostgreSQL is not reachable on 127.0.0.1:5432; nothing measured.", file=sys.stderr)
        return 0
    import psycopg

    from benchmarks import scale

    os.environ["CHAPERONE_SCALEBENCH_PREFIX"] = args.db_prefix
    for names in {id(DATABASES): DATABASES, id(scale.DATABASES): scale.DATABASES}.values():
        names.update({"1x": f"{args.db_prefix}_1x", "100x": f"{args.db_prefix}_100x"})
    if args.nightly_only:
        os.environ.setdefault("CHAPERONE_VAR_DIR", args.nightly_only)
        nightly = _run(
            scale.nightly_alone, str(Path(args.nightly_only) / "anchors-100x"), args.nightly_rows
        )
        print(f"nightly: {nightly_rows_text(nightly)}", file=sys.stderr)
        emit("scale.verify_nightly_s", nightly["verify_s"], "s", "<= 2")
        return 0

    def admin(sql: str) -> None:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def drop() -> None:
        for name in DATABASES.values():
            admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    began = time.perf_counter()
    phases: list[tuple[str, float, float]] = []
    drop()
    try:
        with tempfile.TemporaryDirectory(prefix="chaperone-bench-scale-") as tmp:
            state = Path(args.keep) if args.keep else Path(tmp)
            if args.keep:
                shutil.rmtree(state / "anchors-1x", ignore_errors=True)
                shutil.rmtree(state / "anchors-100x", ignore_errors=True)
            anchors = {size: str(state / f"anchors-{size}") for size in DATABASES}
            os.environ.setdefault("CHAPERONE_VAR_DIR", str(state))
            admin(f'CREATE DATABASE "{DATABASES["1x"]}"')
            built = _run(scale.build_1x, args.per_pupil, anchors["1x"])
            phases += built["phases"]
            wall = time.perf_counter()
            admin(f'CREATE DATABASE "{DATABASES["100x"]}" TEMPLATE "{DATABASES["1x"]}"')
            shutil.copytree(anchors["1x"], anchors["100x"])
            phases.append(("100x: copy of the 1x database", time.perf_counter() - wall, 0.0))
            grown, grew = scale.build_100x(
                args.jobs, args.copies - 1, args.per_pupil, built["end"], anchors["100x"]
            )
            phases += grew
            wall = time.perf_counter()
            measured = scale.measure(args.rounds, anchors, args.nightly_rows)
            phases.append(("measure pages, then the nightly", time.perf_counter() - wall, 0.0))
            phases.append(("  of which nightly append", measured["nightly"]["append_s"], 0.0))
            phases.append(("  of which nightly verify", measured["nightly"]["verify_s"], 0.0))
            phases.append(("total", time.perf_counter() - began, 0.0))
            report(built, grown, measured, phases)
    finally:
        if not args.keep:
            drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
