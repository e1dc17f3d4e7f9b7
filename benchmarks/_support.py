"""What every benchmark shares: the figure line of ../shared/contracts/benchmarks.md and running
a worker once per database (a temporary SQLite file, and a throw-away PostgreSQL database when a
server answers on 127.0.0.1:5432)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
BACKENDS = ("sqlite", "postgresql")


def emit(
    name: str,
    value: float,
    unit: str,
    target: str | None,
    *,
    baseline: float | None = None,
    digits: int = 3,
) -> None:
    """Print one figure as a JSON line on standard output (ratio = value / baseline)."""
    line = {
        "bench": name,
        "value": round(value, digits),
        "unit": unit,
        "target": target,
        "baseline": None if baseline is None else round(baseline, digits),
        "ratio": round(value / baseline, 3) if baseline else None,
    }
    print(json.dumps(line), flush=True)


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


def run_per_backend(module: str, worker_args: list[str], *, postgres: bool = True) -> int:
    """Run ``python -m <module> --worker <backend> <worker_args>`` on SQLite, then PostgreSQL.

    Each worker is its own process, so Django is set up once per database. Returns the number of
    workers that failed.
    """
    failures = 0
    with tempfile.TemporaryDirectory(prefix=f"chaperone-bench-{module.rsplit('.', 1)[-1]}-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "chaperone.config.settings.test",
            "CHAPERONE_VAR_DIR": tmp,
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
        }
        failures += _run(module, "sqlite", worker_args, env)
        if not postgres:
            return failures
        if not postgres_reachable():
            print("PostgreSQL is not reachable on 127.0.0.1:5432; skipped.", file=sys.stderr)
            return failures
        import psycopg

        name = f"chaperone_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            pg_env = {**env, "DATABASE_URL": f"{PG_SERVER}/{name}"}
            failures += _run(module, "postgresql", worker_args, pg_env)
        finally:
            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return failures


def _run(module: str, backend: str, worker_args: list[str], env: dict[str, str]) -> int:
    cmd = [sys.executable, "-m", module, "--worker", backend, *worker_args]
    return int(subprocess.run(cmd, env=env, check=False).returncode != 0)
