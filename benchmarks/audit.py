"""Audit log benchmark: chain verification speed and append throughput.

    .venv/bin/python -m benchmarks.audit [--rows N] [--durable N] [--batched N] [--no-postgres]

Builds a seeded chain of ``--rows`` valid rows (same payload and hash functions as ``record()``,
inserted in bulk) in a throw-away SQLite database, then times:

* ``audit.verify_rows_per_s``   -- ``audit_chain_verify()`` over the whole chain (target >= 300000)
* ``audit.append_durable_per_s`` -- ``record()`` calls, each in its own transaction
* ``audit.append_batched_per_s`` -- ``record()`` calls, many in one transaction

If PostgreSQL answers on 127.0.0.1:5432 the same figures are repeated there, in a temporary
database, under ``audit.pg_*``. Each backend runs in its own child process (Django is configured
once per process). JSON lines go to stdout, a table to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from typing import Any

from benchmarks._support import BACKENDS, emit, run_per_backend

SEED = 20250901
ACTIONS = ("pupil.viewed", "audit.viewed", "auth.login", "household.viewed", "school.switched")


def _seed_chain(rows: int) -> None:
    """Insert ``rows`` valid chain rows in bulk (no per-row locking) and set the chain head."""
    from django.db import connection, transaction

    from chaperone.audit.chain import (
        GENESIS_HASH,
        PAYLOAD_FIELDS,
        build_payload,
        canonical_json,
        link_hash,
    )
    from chaperone.audit.models import AuditChainHead

    rnd = random.Random(SEED)
    start = dt.datetime(2025, 9, 1, 7, 30, tzinfo=dt.UTC)
    prev = GENESIS_HASH
    # The row's columns are the payload's fields (ending with details, prev_hash) plus the
    # payload itself and its hash.
    assert PAYLOAD_FIELDS[-2:] == ("details", "prev_hash")
    columns = (*PAYLOAD_FIELDS[:-1], "payload", "prev_hash", "hash")
    sql = (
        f"INSERT INTO audit_auditevent ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    batch: list[tuple[Any, ...]] = []
    with transaction.atomic():
        for seq in range(1, rows + 1):
            staff = rnd.randrange(1, 400)
            school = rnd.randrange(1, 12)
            fields: dict[str, Any] = {
                "seq": seq,
                "occurred_at": start + dt.timedelta(seconds=seq * 7, microseconds=seq % 999_983),
                "action": ACTIONS[rnd.randrange(len(ACTIONS))],
                "actor_user_id": staff,
                "actor_staff_id": staff,
                "actor_label": f"Staff {staff} Example",
                "trust_id": 1 + school // 6,
                "school_id": school,
                "target_type": "people.pupil",
                "target_id": str(rnd.randrange(1, 30_000)),
                "target_label": f"Pupil {rnd.randrange(1, 30_000)} Example",
                "ip_address": f"10.{school}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
                "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/140.0",
                "request_id": f"{rnd.getrandbits(128):032x}",
                "via": "web",
                "details": {"tab": rnd.choice(["summary", "contacts", "sessions"])},
                "prev_hash": prev,
            }
            payload = build_payload(fields)
            row_hash = link_hash(prev, payload)
            values = [fields[c] for c in columns[:15]]
            values[1] = connection.ops.adapt_datetimefield_value(fields["occurred_at"])
            batch.append((*values, canonical_json(fields["details"]), payload, prev, row_hash))
            prev = row_hash
            if len(batch) == 10_000:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
        AuditChainHead.objects.create(pk=1, seq=rows, hash=prev)


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def worker(args: argparse.Namespace) -> None:
    """Run inside a child process whose environment names the database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from chaperone.audit.log import record
    from chaperone.audit.services import audit_chain_verify

    prefix = "audit." if args.worker == "sqlite" else "audit.pg_"
    call_command("migrate", verbosity=0)

    t0 = time.perf_counter()
    _seed_chain(args.rows)
    seed_s = time.perf_counter() - t0

    # What a live database would have done by itself meanwhile: SQLite checkpoints its WAL every
    # 1000 pages, PostgreSQL's autovacuum sets hint bits and statistics.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("VACUUM ANALYZE audit_auditevent")
    sample = audit_chain_verify(from_seq=max(1, args.rows - 999), deep=True)
    assert sample.ok, f"seeded rows differ from their payloads: {sample.summary()}"

    runs, cpu_runs = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        result = audit_chain_verify()
        runs.append(time.perf_counter() - t0)
        cpu_runs.append(time.process_time() - c0)
        assert result.ok and result.rows == args.rows, result.summary()
    verify_rate = _rate(args.rows, statistics.median(runs))
    verify_cpu_rate = _rate(args.rows, statistics.median(cpu_runs))

    t0 = time.perf_counter()
    for n in range(args.durable):
        with transaction.atomic():
            record("audit.viewed", actor=None, school_id=1, details={"n": n})
    durable_rate = _rate(args.durable, time.perf_counter() - t0)

    t0 = time.perf_counter()
    with transaction.atomic():
        for n in range(args.batched):
            record("audit.viewed", actor=None, school_id=1, details={"n": n})
    batched_rate = _rate(args.batched, time.perf_counter() - t0)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    final = audit_chain_verify()
    assert final.ok and final.rows == args.rows + args.durable + args.batched, final.summary()

    emit(f"{prefix}verify_rows_per_s", verify_rate, "rows/s", ">= 300000")
    emit(f"{prefix}append_durable_per_s", durable_rate, "events/s", None)
    emit(f"{prefix}append_batched_per_s", batched_rate, "events/s", None)
    print(
        f"{connection.vendor:<11} seeded {args.rows:,} rows in {seed_s:.1f}s | verify "
        f"{verify_rate:,.0f} rows/s (median of 3: {', '.join(f'{r:.2f}s' for r in runs)}; "
        f"{verify_cpu_rate:,.0f} rows per CPU-second of this process) | "
        f"append {durable_rate:,.0f}/s durable ({args.durable}), "
        f"{batched_rate:,.0f}/s batched ({args.batched}) | load average {load:.1f} "
        f"on {os.cpu_count()} CPUs",
        file=sys.stderr,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--durable", type=int, default=1_000)
    parser.add_argument("--batched", type=int, default=5_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0

    failures = run_per_backend(
        "benchmarks.audit",
        ["--rows", str(args.rows), "--durable", str(args.durable), "--batched", str(args.batched)],
        postgres=not args.no_postgres,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
