"""Audit log benchmark: chain verification speed and append throughput with concurrent writers.

    .venv/bin/python -m benchmarks.audit [--rows N] [--durable N] [--batched N] [--writers N]
                                         [--no-postgres]

Builds a seeded chain of ``--rows`` valid rows (the same payload and seal functions as
``record()``, inserted in bulk) in a throw-away database, then times:

* ``verify_rows_per_s``: a full ``audit_chain_verify()`` of that chain (seal, sequence, id order
  and every column against its payload);
* ``append_durable_per_s``: ``--writers`` processes (one on SQLite, which has one writer at a
  time anyway), one per trust (so one chain each), each making ``--durable`` ``record()``
  calls outside any transaction, as a page that only reads (a pupil's record) makes them, so
  every append is its own committed transaction (synchronous_commit as configured, on by
  default); the baseline is the same writers all in one trust (one chain, one head lock), as
  every writer was before chains were split per trust. Until issue #13's append work this
  figure was measured with each call inside its own ``transaction.atomic()``; that figure is
  still printed, as ``append_durable_in_transaction_per_s`` (a change recording itself);
* ``append_batched_per_s``: the same writers appending ``--batched`` events each through
  ``record_many()`` in transactions of 100.

The writers are processes, not threads, as gunicorn's workers are (several processes of four
threads each). The table on stderr gives each run's CPU per event, of the writers and of their
PostgreSQL backends (read from /proc when the server runs on this machine), and the load
average, since other work on the machine distorts the rates.

The issue's figures are PostgreSQL's (``audit.append_durable_per_s`` >= 3000 with 8 writers over
8 trusts, ``audit.append_batched_per_s``) and SQLite's verify (``audit.verify_rows_per_s``, as
before); the other backend's figures carry its name (``audit.pg_verify_rows_per_s``,
``audit.sqlite_append_*``). Each backend runs in its own child process, which forks the writers.
JSON lines go to stdout, a table to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from benchmarks._support import BACKENDS, emit, run_per_backend

SEED = 20250901
ACTIONS = ("pupil.viewed", "audit.viewed", "auth.login", "household.viewed", "school.switched")
SEEDED_CHAIN = 1
BATCH = 100


def _seed_chain(rows: int) -> None:
    """Insert ``rows`` valid rows of chain 1 in bulk (no per-row locking) and set its head."""
    from django.db import connection, transaction

    from chaperone.audit.chain import (
        GENESIS_HASH,
        PAYLOAD_FIELDS,
        build_payload,
        canonical_json,
        head_mac,
        sealer,
    )
    from chaperone.audit.models import AuditChainHead

    rnd = random.Random(SEED)
    seal = sealer(SEEDED_CHAIN)
    # Recent rows (10 ms apart, ending now), so on PostgreSQL they land in this month's
    # partition as live rows would, not in the default one.
    start = dt.datetime.now(dt.UTC) - dt.timedelta(milliseconds=10 * rows)
    prev = GENESIS_HASH
    assert PAYLOAD_FIELDS[-2:] == ("details", "prev_hash")
    columns = (*PAYLOAD_FIELDS, "payload", "hash")
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
                "chain_id": SEEDED_CHAIN,
                "seq": seq,
                "occurred_at": start + dt.timedelta(milliseconds=10 * seq, microseconds=seq % 997),
                "action": ACTIONS[rnd.randrange(len(ACTIONS))],
                "actor_user_id": staff,
                "actor_staff_id": staff,
                "actor_label": f"Staff {staff} Example",
                "trust_id": SEEDED_CHAIN,
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
            row_hash = seal(bytes.fromhex(prev) + payload.encode("utf-8")).hex()
            values = [fields[c] for c in PAYLOAD_FIELDS]
            values[2] = connection.ops.adapt_datetimefield_value(fields["occurred_at"])
            values[16] = canonical_json(fields["details"])
            batch.append((*values, payload, row_hash))
            prev = row_hash
            if len(batch) == 10_000:
                with connection.cursor() as cursor:
                    cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
        AuditChainHead.objects.create(
            pk=SEEDED_CHAIN, seq=rows, hash=prev, mac=head_mac(SEEDED_CHAIN, rows, prev)
        )


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


ALONE, IN_TRANSACTION, BATCHED = "alone", "in_transaction", "batched"


def _backend_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) of the PostgreSQL backend ``pid``, when it runs on this
    machine and /proc shows it; else None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _write(trust_id: int, count: int, mode: str, barrier: Any, results: Any) -> None:
    """One writer process: ``count`` events into ``trust_id``'s chain. ``ALONE``: each
    ``record()`` outside any transaction, as a page that only reads (a pupil's record) calls
    it, so the append is its own committed transaction; ``IN_TRANSACTION``: each inside its own
    ``transaction.atomic()``, as a change records itself, committed when the block ends;
    ``BATCHED``: ``record_many()`` in transactions of ``BATCH``. Puts (process CPU seconds,
    backend CPU seconds or None) on ``results``."""
    from django.db import connection, connections, transaction

    from chaperone.audit.log import AuditEntry, record, record_many

    connections.close_all()  # never share the parent's connection
    backend = None
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        backend = connection.connection.info.backend_pid
    barrier.wait()
    cpu0, server0 = time.process_time(), _backend_cpu_s(backend) if backend else None
    school_id = trust_id * 100
    if mode == BATCHED:
        for first in range(0, count, BATCH):
            entries = [
                AuditEntry("pupil.viewed", school_id=school_id, trust_id=trust_id, details={"n": n})
                for n in range(first, min(first + BATCH, count))
            ]
            with transaction.atomic():
                record_many(entries, actor=None)
    elif mode == IN_TRANSACTION:
        for n in range(count):
            with transaction.atomic():
                record(
                    "pupil.viewed",
                    actor=None,
                    school_id=school_id,
                    trust_id=trust_id,
                    details={"n": n},
                )
    else:
        for n in range(count):
            record(
                "pupil.viewed", actor=None, school_id=school_id, trust_id=trust_id, details={"n": n}
            )
    server1 = _backend_cpu_s(backend) if backend else None
    server = server1 - server0 if server0 is not None and server1 is not None else None
    results.put((time.process_time() - cpu0, server))
    connections.close_all()


@dataclass(frozen=True)
class Run:
    """One concurrent run: events per second, and CPU microseconds per event of the writer
    processes and of their PostgreSQL backends (None where /proc does not show them)."""

    rate: float
    client_us: float
    server_us: float | None

    def cpu(self) -> str:
        server = f"{self.server_us:,.0f}" if self.server_us is not None else "?"
        return f"CPU/event {self.client_us:,.0f} us writers + {server} us server"


def _concurrent(trusts: list[int], count: int, mode: str) -> Run:
    """One forked writer per entry of ``trusts``, all started together."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(trusts) + 1)
    results = context.Queue()
    procs = [
        context.Process(target=_write, args=(trust, count, mode, barrier, results))
        for trust in trusts
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    t0 = time.perf_counter()
    cpu = [results.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for proc in procs:
        proc.join()
    assert all(proc.exitcode == 0 for proc in procs), "a writer failed"
    events = len(trusts) * count
    servers = [server for _, server in cpu]
    server_us = None if None in servers else sum(s for s in servers if s is not None) / events * 1e6
    return Run(_rate(events, elapsed), sum(c for c, _ in cpu) / events * 1e6, server_us)


def worker(args: argparse.Namespace) -> None:
    """Run inside a child process whose environment names the database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from chaperone.audit.verify import audit_chain_verify, audit_verify_all

    postgres = connection.vendor == "postgresql"
    call_command("migrate", verbosity=0)

    t0 = time.perf_counter()
    _seed_chain(args.rows)
    seed_s = time.perf_counter() - t0

    # What a live database would have done by itself meanwhile: SQLite checkpoints its WAL every
    # 1000 pages, PostgreSQL's autovacuum sets hint bits and statistics.
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("VACUUM ANALYZE audit_auditevent")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    runs, cpu_runs = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        result = audit_chain_verify(chain_id=SEEDED_CHAIN, full=True)
        runs.append(time.perf_counter() - t0)
        cpu_runs.append(time.process_time() - c0)
        assert result.ok and result.rows == args.rows, result.summary()
    verify_rate = _rate(args.rows, statistics.median(runs))
    verify_cpu_rate = _rate(args.rows, statistics.median(cpu_runs))

    # SQLite has one writer at a time whatever the chains (and gives up after its busy timeout
    # when a busy machine makes eight queue too long), so it is measured with one.
    writers = args.writers if postgres else 1
    spread = [SEEDED_CHAIN + 1 + n for n in range(writers)]
    one_chain = [SEEDED_CHAIN + 1 + writers] * writers
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    durable = _concurrent(spread, args.durable, ALONE)
    in_transaction = _concurrent(spread, args.durable, IN_TRANSACTION)
    one_chain_run = _concurrent(one_chain, args.durable, ALONE)
    batched = _concurrent(spread, args.batched, BATCHED)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    results = audit_verify_all(full=True)
    assert all(r.ok for r in results), [r.summary() for r in results if not r.ok]
    total = sum(r.rows for r in results)
    expected = args.rows + writers * (3 * args.durable + args.batched)
    assert total == expected, (total, expected)

    verify_name = "audit.pg_verify_rows_per_s" if postgres else "audit.verify_rows_per_s"
    append = "audit." if postgres else "audit.sqlite_"
    emit(verify_name, verify_rate, "rows/s", ">= 300000")
    target = ">= 3000" if postgres else None
    baseline = one_chain_run.rate if postgres else None
    emit(f"{append}append_durable_per_s", durable.rate, "events/s", target, baseline=baseline)
    emit(f"{append}append_durable_in_transaction_per_s", in_transaction.rate, "events/s", None)
    emit(f"{append}append_batched_per_s", batched.rate, "events/s", None)
    print(
        f"{connection.vendor:<11} seeded {args.rows:,} rows in {seed_s:.1f}s | verify "
        f"{verify_rate:,.0f} rows/s (median of 3: {', '.join(f'{r:.2f}s' for r in runs)}; "
        f"{verify_cpu_rate:,.0f} rows per CPU-second of this process)\n"
        f"{'':<11} writers {writers}: {durable.rate:,.0f}/s durable over {writers} trusts, each "
        f"record() its own transaction ({durable.cpu()}); {in_transaction.rate:,.0f}/s each in "
        f"the caller's transaction.atomic() ({in_transaction.cpu()}); {one_chain_run.rate:,.0f}/s "
        f"in one trust ({one_chain_run.cpu()}); {batched.rate:,.0f}/s batched by {BATCH} "
        f"({batched.cpu()}) | load average {load0:.1f} before, {load:.1f} after, on "
        f"{os.cpu_count()} CPUs",
        file=sys.stderr,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--durable", type=int, default=500, help="appends per writer")
    parser.add_argument("--batched", type=int, default=5_000, help="batched appends per writer")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return 0

    failures = run_per_backend(
        "benchmarks.audit",
        [
            *("--rows", str(args.rows), "--durable", str(args.durable)),
            *("--batched", str(args.batched), "--writers", str(args.writers)),
        ],
        postgres=not args.no_postgres,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
