"""Settings and the ``chaperone`` command as an operator meets them (review LOW 21).

Each case runs in a fresh process: settings are read once per process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

CHAPERONE = Path(sys.executable).with_name("chaperone")


#: What this process's environment may hold that an operator's would not (the browser tests set
#: DJANGO_ALLOW_ASYNC_UNSAFE in the worker they run in, which the deploy checks rightly refuse).
_NOT_INHERITED = {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _env(tmp_path: Path, settings: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CHAPERONE_") and k not in _NOT_INHERITED
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": f"chaperone.config.settings.{settings}",
        "CHAPERONE_VAR_DIR": str(tmp_path / "var"),
        **extra,
    }


def _production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return _env(
        tmp_path,
        "production",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        CHAPERONE_ALLOWED_HOSTS="chaperone.example.org",
        **{"CHAPERONE_AUDIT_KEY": secrets.token_urlsafe(50), **extra},
    )


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import os, importlib; importlib.import_module(os.environ['DJANGO_SETTINGS_MODULE'])"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    proc = _import_settings(_production(tmp_path))
    assert proc.returncode != 0
    assert "Production needs CHAPERONE_SECRET_KEY" in proc.stderr
    assert not (tmp_path / "var").exists()  # and no key was generated instead


@pytest.mark.parametrize("settings", ["production", "test"])
def test_importing_the_settings_writes_nothing(tmp_path: Path, settings: str) -> None:
    key = {"CHAPERONE_SECRET_KEY": secrets.token_urlsafe(50)}
    env = _production(tmp_path, **key) if settings == "production" else _env(tmp_path, settings)
    proc = _import_settings(env)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "var").exists()


def test_production_refuses_to_start_without_an_audit_key(tmp_path: Path) -> None:
    env = _production(tmp_path, CHAPERONE_SECRET_KEY=secrets.token_urlsafe(50))
    del env["CHAPERONE_AUDIT_KEY"]
    proc = _import_settings(env)
    assert proc.returncode != 0
    assert "Production needs CHAPERONE_AUDIT_KEY" in proc.stderr


def test_local_settings_keep_one_generated_key_in_var(tmp_path: Path) -> None:
    code = "from chaperone.config.settings import local; print(local.SECRET_KEY)"
    env = _env(tmp_path, "local")
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    again = subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout
    assert first == again
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == first.strip()
    assert key_file.stat().st_mode & 0o777 == 0o600
    audit_key = tmp_path / "var" / "audit_key"  # the audit sealing key, likewise kept once
    assert audit_key.stat().st_mode & 0o777 == 0o600
    assert audit_key.read_text().strip() not in {"", first.strip()}


def _chaperone(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHAPERONE), *args], env=env, capture_output=True, text=True, check=False
    )


def test_chaperone_check_deploy_runs_djangos_checks(tmp_path: Path) -> None:
    env = _production(tmp_path, CHAPERONE_SECRET_KEY=secrets.token_urlsafe(50))
    proc = _chaperone(env, "check", "--deploy", "--fail-level", "WARNING")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "System check identified no issues" in proc.stdout


def test_chaperone_check_deploy_reports_what_production_lacks(tmp_path: Path) -> None:
    proc = _chaperone(_env(tmp_path, "local"), "check", "--deploy", "--fail-level", "WARNING")
    assert proc.returncode == 1
    assert "security.W008" in proc.stderr  # local settings do not force HTTPS


def test_chaperone_check_lists_djangos_check_tags(tmp_path: Path) -> None:
    proc = _chaperone(_env(tmp_path, "local"), "check", "--list-tags")
    assert proc.returncode == 0, proc.stderr
    assert "security" in proc.stdout.split()


@pytest.mark.parametrize(
    "args",
    [("check",), ("check", "--protocol", "werrington-primary", "--deploy")],
)
def test_chaperone_check_with_protocol_flags_keeps_the_engines_contract(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    proc = _chaperone(_env(tmp_path, "local"), *args)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "usage"
