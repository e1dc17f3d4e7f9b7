"""Benchmark ``records``: a 2 GB recording streamed to the real server, and the deletion job
purging a million expired session logs on PostgreSQL.

    .venv/bin/python -m benchmarks.records [--upload-mb 2048] [--rows 1000000] [--skip-upload]
                                           [--skip-purge]

``records.upload_2gb_peak_rss_mb``: loads the demo into a throw-away directory, starts gunicorn
with the project's settings (``chaperone/config/gunicorn.py``, one worker) on a free port of
127.0.0.1, signs in as a demo tutor (no second factor) and uploads a recording of one of their
past sessions: a multipart body of ``--upload-mb`` MB of seeded bytes, sent in 1 MB pieces, so
the client never holds it either. The figure is the largest peak resident set (``VmHWM``) of
the server's processes (the master and the worker that took the upload); the baseline is the
worker's peak before the upload (Django loaded, the pages served to sign in). The register's
size and SHA-256 are checked against what was sent.

``records.purge_1m_s``: in a throw-away PostgreSQL database, one school whose protocol keeps
logs 20 days, ``--rows`` sessions each with a log that ended 30 days ago (inserted with
``generate_series``) and a few held; the figure is the time of the job's set-based purge of
that kind (batches of 5000, a certificate per batch). Nothing is sent anywhere but the loopback
address.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._support import PG_SERVER, emit, postgres_reachable
from benchmarks.web import DEMO_PASSWORD, HOST, free_port, sign_in, stop, wait_until_up

BIN = Path(sys.executable).parent
PIECE = 1024 * 1024
SEED = 12

#: a past call of the demo's primary-school tutor (no second factor), for the upload
FIND_SESSION = """
import datetime as dt
from django.utils import timezone
from chaperone.people.models import StaffMember
from chaperone.scheduling.models import Session
host = StaffMember.objects.select_related("user").get(user__username="tutor.primary")
school = host.assignments.first().school
when = timezone.now() - dt.timedelta(days=1)
s = Session.objects.create(
    school=school, title="Benchmark call", kind="one_to_one", purpose="pastoral", host=host,
    planned_by=host, starts_at=when, duration_minutes=30, platform="teams", outcome="allowed",
    state="ended", started_at=when, ended_at=when + dt.timedelta(minutes=30),
)
print(s.pk, host.user.username, host.pk)
"""


def _vm(pid: int, key: str) -> int:
    """A /proc/<pid>/status figure in kB (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _upload(port: int, cookie: str, session_id: int, host_id: int, size: int) -> tuple[int, str]:
    """POST the multipart form in pieces; returns (status, sha256 of the file sent)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    conn.request("GET", f"/records/sessions/{session_id}/add/", headers={"Cookie": cookie})
    page = conn.getresponse()
    body = page.read()
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if page.status != 200 or match is None:
        raise RuntimeError(f"the add page answered {page.status}")
    token = match.group(1).decode()
    boundary = "----chaperone" + secrets.token_hex(8)

    def part(name: str, value: str) -> bytes:
        return (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()

    head = (
        part("csrfmiddlewaretoken", token)
        + part("source", "upload")
        + part("recorded_by", str(host_id))
        + part("link", "")
        + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="long-call.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
        ).encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    rng = random.Random(SEED)
    piece = rng.randbytes(PIECE)
    digest = hashlib.sha256()
    conn.putrequest("POST", f"/records/sessions/{session_id}/add/")
    conn.putheader("Cookie", cookie)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.putheader("Referer", f"http://{HOST}:{port}/records/sessions/{session_id}/add/")
    conn.endheaders()
    conn.send(head)
    sent = 0
    while sent < size:
        chunk = piece[: min(PIECE, size - sent)]
        # vary each piece a little so the file is not one block repeated
        chunk = sent.to_bytes(8, "big") + chunk[8:]
        conn.send(chunk)
        digest.update(chunk)
        sent += len(chunk)
    conn.send(tail)
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer.status, digest.hexdigest()


def bench_upload(size_mb: int) -> int:
    size = size_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="chaperone-bench-records-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "chaperone.config.settings.local",
            "CHAPERONE_VAR_DIR": tmp,
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'records.sqlite3'}",
            "CHAPERONE_SECRET_KEY": secrets.token_urlsafe(50),
            "CHAPERONE_LOG_LEVEL": "WARNING",
            "CHAPERONE_RECORDINGS_DIR": str(Path(tmp) / "recordings"),
            "CHAPERONE_RECORDINGS_INCOMING_DIR": str(Path(tmp) / "recordings" / ".incoming"),
        }
        for args in (["migrate", "--noinput", "-v", "0"], ["demo", "load"]):
            subprocess.run(
                [str(BIN / "chaperone"), *args], env=env, check=True, stdout=subprocess.DEVNULL
            )
        made = subprocess.run(
            [str(BIN / "chaperone"), "shell", "-c", FIND_SESSION],
            env=env,
            check=False,
            capture_output=True,
            text=True,
        )
        lines = made.stdout.strip().splitlines()
        found = lines[-1].split() if lines else []
        if len(found) != 3:
            print(f"no session to upload to: {made.stdout} {made.stderr}", file=sys.stderr)
            return 1
        session_id, username, host_id = int(found[0]), found[1], int(found[2])
        port = free_port()
        log = Path(tmp) / "gunicorn.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [
                    *(str(BIN / "gunicorn"), "-c", "python:chaperone.config.gunicorn"),
                    *("--bind", f"{HOST}:{port}", "--workers", "1", "--error-logfile", "-"),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_up(port, server)
            assert DEMO_PASSWORD
            cookie = sign_in(port, username)
            workers = _children(server.pid)
            before = max((_vm(p, "VmHWM") for p in workers), default=0)
            started = time.monotonic()
            status, sent_sha = _upload(port, cookie, session_id, host_id, size)
            seconds = time.monotonic() - started
            peaks = {p: _vm(p, "VmHWM") for p in [server.pid, *_children(server.pid)]}
        except Exception:
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
            raise
        finally:
            stop(server)
        import sqlite3

        with sqlite3.connect(Path(tmp) / "records.sqlite3") as db:
            row = db.execute(
                "SELECT size_bytes, sha256 FROM records_recording WHERE session_id = ?",
                [session_id],
            ).fetchone()
        if status != 302 or row is None or row[0] != size or row[1] != sent_sha:
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
            print(f"upload failed: status {status}, register {row}", file=sys.stderr)
            return 1
    peak_mb = max(peaks.values()) / 1024
    print(
        f"upload of {size_mb} MB in {seconds:.1f} s ({size_mb / seconds:.0f} MB/s); peak RSS per "
        f"server process (kB): {peaks}; worker before the upload: {before} kB",
        file=sys.stderr,
    )
    emit(
        f"records.upload_{'2gb' if size_mb == 2048 else f'{size_mb}mb'}_peak_rss_mb",
        peak_mb,
        "MB",
        "< 200",
        baseline=before / 1024 if before else None,
        digits=1,
    )
    return 0


# --- the purge, in a child process on PostgreSQL ----------------------------------------------


def purge_worker(rows: int) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", "--noinput", verbosity=0)
    from chaperone.people.models import StaffMember
    from chaperone.records import retention
    from chaperone.records.models import LegalHold
    from chaperone.records.purge import purge_kind
    from chaperone.scheduling.conduct import SessionLog
    from chaperone.tenancy.models import School, Trust

    trust = Trust.objects.create(name="Bench Trust", slug="bench")
    school = School.objects.create(trust=trust, name="Bench School", urn="999999")
    staff = StaffMember.objects.create(trust=trust, first_name="Bench", last_name="Host")
    started = time.monotonic()
    ended = timezone.now() - timezone.timedelta(days=30)
    with connection.cursor() as cursor:
        # seeding only: skip the foreign-key triggers of the million inserts (the rows point
        # at the one school and member of staff made above)
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO scheduling_session (
                school_id, title, kind, purpose, host_id, planned_by_id, starts_at,
                duration_minutes, platform, join_url, account, device, staff_location,
                emergency, dsl_invited, recording, waiting_room, pupil_location, parent_present,
                chaperone_present, plan_outcome, state, outcome, bare_signature, created_at,
                updated_at, sequence, second_adult_present, end_reason, started_at, ended_at,
                meeting_id, meeting_error, meeting_platform, meeting_resource,
                meeting_fingerprint)
            SELECT %s, 'Bench call ' || g, 'one_to_one', 'pastoral', %s, %s, %s, 30, 'teams',
                '', 'school', 'school', 'on_site', false, false, true, true, 'common_room',
                false, false, '', 'ended', 'allowed', '[]'::jsonb, %s, %s, 0, null, '', %s, %s,
                '', '', '', '', ''
            FROM generate_series(1, %s) AS g
            """,
            [school.pk, staff.pk, staff.pk, ended, ended, ended, ended, ended, rows],
        )
        cursor.execute(
            """
            INSERT INTO scheduling_sessionlog (session_id, actual_start, actual_end, outcome,
                notes, recording_made, written_by_id, written_at)
            SELECT id, starts_at, starts_at + interval '25 minutes', '',
                'Log of a calm call ' || id, true, %s, starts_at
            FROM scheduling_session WHERE school_id = %s
            """,
            [staff.pk, school.pk],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE scheduling_session")
        cursor.execute("ANALYZE scheduling_sessionlog")
    held_ids = list(SessionLog.objects.order_by("?").values_list("pk", flat=True)[:25])
    LegalHold.objects.bulk_create(
        LegalHold(
            school=school,
            record_type=retention.SESSION_LOG,
            object_id=pk,
            label="held",
            reason="bench",
        )
        for pk in held_ids
    )
    seeded = time.monotonic() - started
    period = retention.Period(retention.SESSION_LOG, "Session logs", 20, "protocol", "bench", 20)
    entry = retention.kind(retention.SESSION_LOG)
    started = time.monotonic()
    deleted, certificates = purge_kind(entry, school, period, timezone.now())
    seconds = time.monotonic() - started
    left = SessionLog.objects.count()
    print(
        f"seeded {rows} sessions and logs in {seeded:.1f} s; purged {deleted} in {seconds:.1f} s "
        f"({deleted / seconds:.0f} rows/s) with {certificates} certificates; {left} left "
        f"(held: {len(held_ids)})",
        file=sys.stderr,
    )
    if deleted != rows - len(held_ids) or left != len(held_ids):
        print("the purge did not delete exactly the unheld rows", file=sys.stderr)
        return 1
    emit(
        f"records.purge_{'1m' if rows == 1_000_000 else rows}_s",
        seconds,
        "s",
        "< 60",
        digits=2,
    )
    return 0


def bench_purge(rows: int) -> int:
    if not postgres_reachable():
        print("PostgreSQL is not reachable on 127.0.0.1:5432; purge skipped.", file=sys.stderr)
        return 1
    import uuid

    import psycopg

    name = f"chaperone_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="chaperone-bench-purge-") as tmp:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "chaperone.config.settings.test",
                "CHAPERONE_VAR_DIR": tmp,
                "DATABASE_URL": f"{PG_SERVER}/{name}",
            }
            cmd = [sys.executable, "-m", "benchmarks.records", "--purge-worker", str(rows)]
            return subprocess.run(cmd, env=env, check=False).returncode
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mb", type=int, default=2048)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-upload", action="store_true")
    parser.add_argument("--skip-purge", action="store_true")
    parser.add_argument("--purge-worker", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.purge_worker:
        return purge_worker(args.purge_worker)
    failures = 0
    if not args.skip_upload:
        failures += bench_upload(args.upload_mb) != 0
    if not args.skip_purge:
        failures += bench_purge(args.rows) != 0
    return int(failures > 0)


if __name__ == "__main__":
    raise SystemExit(main())
