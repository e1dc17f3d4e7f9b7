"""The bar of issue #12: the deletion job killed half-way (SIGKILL, in a child process, twice:
once among the recordings, once among the log batches) is finished by the next run, and
nothing held is ever deleted. Each deleted record has exactly one certificate."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from chaperone.records import services
from chaperone.records.storage import recordings_storage
from tests.records.conftest import logged, old_session, stored_recording

ROOT = Path(__file__).resolve().parents[2]


def _database_url(tmp_path: Path) -> tuple[str, Callable[[str], list[tuple[Any, ...]]]]:
    """A URL the child process reaches the test's data at, and a way to read it back."""
    if connection.vendor == "sqlite":
        path = tmp_path / "killed.sqlite3"
        target = sqlite3.connect(path)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()

        def query(sql: str) -> list[tuple[Any, ...]]:
            with sqlite3.connect(path) as db:
                return db.execute(sql).fetchall()

        return f"sqlite:///{path}", query
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432

    def pg_query(sql: str) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    return f"postgres://{user}@{host}:{port}/{params['NAME']}", pg_query


def _run(env: dict[str, str], kill_after: str | None, count: int) -> tuple[int, list[str]]:
    """Run ``records purge`` in a child; SIGKILL it after ``count`` lines starting
    ``kill_after`` (None: let it finish)."""
    child = subprocess.Popen(
        [sys.executable, "-m", "django", "records", "purge", "--batch", "40", "--progress"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    assert child.stdout is not None
    for line in child.stdout:
        seen.append(line.strip())
        if kill_after and sum(s.startswith(kill_after) for s in seen) >= count:
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(timeout=120)
    if child.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(child.stderr.read() if child.stderr else "")
    return child.returncode, seen


@pytest.mark.django_db(transaction=True)
def test_killed_half_way_the_rerun_finishes_and_nothing_held_goes(ncast, tmp_path) -> None:  # type: ignore[no-untyped-def]
    school, host, dsl = ncast.school, ncast.tutor, ncast.actor(ncast.dsl)
    due = [stored_recording(old_session(school, host, days_ago=30 + i)) for i in range(12)]
    held = [stored_recording(old_session(school, host, days_ago=60)) for _ in range(3)]
    young = stored_recording(old_session(school, host, days_ago=1))
    due_logs = [logged(old_session(school, host, days_ago=25), days_ago=25) for _ in range(200)]
    held_logs = [logged(old_session(school, host, days_ago=90), days_ago=90) for _ in range(4)]
    for rec in held:
        services.hold_place(
            actor=dsl, school=school, record_type="recording", object_id=rec.pk, reason="LADO."
        )
    for entry in held_logs:
        services.hold_place(
            actor=dsl, school=school, record_type="session_log", object_id=entry.pk, reason="LADO."
        )
    url, query = _database_url(tmp_path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chaperone.config.settings.test",
        "DATABASE_URL": url,
        "CHAPERONE_TEST_RECORDINGS_DIR": str(settings.CHAPERONE_RECORDINGS_DIR),
        "PYTHONUNBUFFERED": "1",
    }

    code, lines = _run(env, "recording deleted", 3)  # killed among the recordings
    assert code == -signal.SIGKILL and "done" not in lines
    left = {r[0] for r in query("SELECT id FROM records_recording")}
    assert {r.pk for r in held} <= left and len(left) < 16  # some went, not all

    code, lines = _run(env, "session_log batch", 2)  # killed among the log batches
    assert code == -signal.SIGKILL and "done" not in lines
    logs_left = {r[0] for r in query("SELECT id FROM scheduling_sessionlog")}
    assert {e.pk for e in held_logs} <= logs_left
    assert len(logs_left) < 204  # some batches went

    code, lines = _run(env, None, 0)  # the rerun finishes the job
    assert code == 0 and "done" in lines

    assert {r[0] for r in query("SELECT id FROM records_recording")} == {
        *(r.pk for r in held),
        young.pk,
    }
    assert {r[0] for r in query("SELECT id FROM scheduling_sessionlog")} == {
        e.pk for e in held_logs
    }
    assert query("SELECT COUNT(*) FROM records_pendingfiledeletion") == [(0,)]
    storage = recordings_storage()
    assert not any(storage.exists(r.storage_name) for r in due)
    assert all(storage.exists(r.storage_name) for r in [*held, young])
    # every deleted record certified exactly once, whatever run deleted it
    certified: list[int] = []
    for (details,) in query(
        "SELECT details FROM audit_auditevent WHERE action = 'records.deleted'"
    ):
        import json

        data = details if isinstance(details, dict) else json.loads(details)
        certified += [(data["record_type"], i) for i in data["ids"]]  # type: ignore[misc]
    expected = [("recording", r.pk) for r in due] + [("session_log", e.pk) for e in due_logs]
    assert sorted(certified) == sorted(expected)
    files_deleted = query(
        "SELECT COUNT(*) FROM audit_auditevent WHERE action = 'records.file_deleted'"
    )
    assert files_deleted[0][0] >= len(due)
