"""Benchmark ``web``: the dashboard under 16 signed-in clients, through the real server.

The benchmark loads the demo into a throw-away SQLite directory, starts gunicorn with the
project's own settings (``chaperone/config/gunicorn.py``) on a free port of 127.0.0.1, signs in one
session per client (teachers: no second factor), then lets every client send ``GET /`` on its own
kept-alive connection, one request at a time, until the time or the request budget runs out;
every answer must be a 200 with the whole signed-in dashboard (see ``EXPECTED``). It
prints ``web.dashboard_rps`` and ``web.dashboard_p99_ms``, with the same load on ``/healthz`` (the
middleware stack and the server alone) as the reference. Then it stops the server. Nothing is
sent anywhere but the loopback address.

The client shares the CPUs with the server, so it is one asyncio loop writing prepared request
bytes on raw sockets: a few tens of microseconds of client time per request.

    .venv/bin/python -m benchmarks.web [--clients 16] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from benchmarks._support import emit

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
#: Demo logins that need no second factor, one session per client in turn.
USERNAMES = (
    "teacher.primary",
    "teacher.secondary",
    "teacher.independent",
    "tutor.primary",
    "tutor.secondary",
    "tutor.independent",
    "head-of-year.secondary",
    "pastoral.primary",
)
DEMO_PASSWORD = "chaperone-demo-2026"
WARM_UP_S = 3.0
MAX_REQUESTS = 50_000
STARTUP_TIMEOUT_S = 60.0


@dataclass
class Run:
    """What one load phase measured."""

    latencies_s: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    def cpu_ms(self, seconds: float) -> float:
        """CPU time per request, in ms: a figure other load on the machine barely moves."""
        return seconds / len(self.latencies_s) * 1000 if self.latencies_s else 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies_s) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def sign_in(port: int, username: str) -> str:
    """Sign in through the login form; returns the Cookie header of the new session."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", "/accounts/login/")
        page = conn.getresponse()
        cookies = _cookies(page)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.read())
        if page.status != 200 or match is None or "csrftoken" not in cookies:
            raise RuntimeError(f"the login page answered {page.status} without a CSRF token")
        form = {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": username,
            "password": DEMO_PASSWORD,
        }
        conn.request(
            "POST",
            "/accounts/login/",
            body=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookies['csrftoken']}",
            },
        )
        answer = conn.getresponse()
        answer.read()
        cookies.update(_cookies(answer))
        if answer.status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"signing in as {username} answered {answer.status}")
        return "; ".join(f"{k}={v}" for k, v in cookies.items())
    finally:
        conn.close()


#: What every answer must contain, per path: the whole signed-in dashboard (its heading, the
#: sign-out form of the header and the page's end), or the health check's JSON.
EXPECTED: dict[str, tuple[bytes, ...]] = {
    "/": (b'<h1 class="govuk-heading-l">Dashboard</h1>', b">Sign out</button>", b"</html>"),
    "/healthz": (b'{"status": "ok"}',),
}


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one response; returns its status, whether the server keeps the connection, and
    the body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if "content-length" not in headers:
        raise RuntimeError(f"response without Content-Length: {lines[0]}")
    body = await reader.readexactly(int(headers["content-length"]))
    return status, headers.get("connection", "").lower() != "close", body


async def _client(
    port: int,
    request: bytes,
    expected: tuple[bytes, ...],
    stop_at: float,
    run: Run,
    budget: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    loop = asyncio.get_running_loop()
    try:
        while loop.time() < stop_at and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            status, keep, body = await _read_response(reader)
            run.latencies_s.append(time.perf_counter() - started)
            if status != 200:
                run.errors.append(f"status {status}")
                return
            missing = [part for part in expected if part not in body]
            if missing:
                run.errors.append(f"answer without {missing[0]!r}")
                return
            if not keep:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
    finally:
        writer.close()


async def _load(
    port: int, requests: list[bytes], expected: tuple[bytes, ...], seconds: float, budget: int
) -> Run:
    run = Run()
    loop = asyncio.get_running_loop()
    started = loop.time()
    left = [budget]
    await asyncio.gather(
        *(_client(port, r, expected, started + seconds, run, left) for r in requests)
    )
    run.elapsed_s = loop.time() - started
    return run


def server_cpu_s(server: subprocess.Popen[bytes]) -> float:
    """User and system CPU seconds of the server and its workers so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == server.pid or int(fields[1]) == server.pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load(
    server: subprocess.Popen[bytes], port: int, path: str, cookies: list[str], seconds: float
) -> Run:
    """Every client sends GET path for ``seconds`` (after a warm-up that is not counted)."""
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nCookie: {c}\r\n\r\n".encode()
        for c in cookies
    ]
    expected = EXPECTED[path]
    asyncio.run(_load(port, requests, expected, WARM_UP_S, MAX_REQUESTS))
    server_before, client_before = server_cpu_s(server), time.process_time()
    run = asyncio.run(_load(port, requests, expected, seconds, MAX_REQUESTS))
    run.server_cpu_s = server_cpu_s(server) - server_before
    run.client_cpu_s = time.process_time() - client_before
    return run


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with status {server.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz within {STARTUP_TIMEOUT_S:.0f} s")


def prepare(env: dict[str, str]) -> None:
    for args in (["migrate", "--noinput", "-v", "0"], ["demo", "load"]):
        subprocess.run(
            [str(BIN / "chaperone"), *args], env=env, check=True, stdout=subprocess.DEVNULL
        )


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                *(str(BIN / "gunicorn"), "-c", "python:chaperone.config.gunicorn"),
                *("--bind", f"{HOST}:{port}", "--error-logfile", "-"),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def table(runs: dict[str, Run], clients: int) -> str:
    cpus = os.cpu_count() or 1
    lines = [
        f"{'path':<10} {'clients':>7} {'requests':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'server CPU ms/req':>17} {'client CPU ms/req':>17} {'req/s if CPUs idle':>18}"
    ]
    for path, run in runs.items():
        server, client = run.cpu_ms(run.server_cpu_s), run.cpu_ms(run.client_cpu_s)
        idle = cpus * 1000 / (server + client) if server + client else 0.0
        lines.append(
            f"{path:<10} {clients:>7} {len(run.latencies_s):>9} {run.rps:>8.1f} "
            f"{run.percentile_ms(0.5):>7.1f} {run.percentile_ms(0.99):>7.1f} "
            f"{server:>17.2f} {client:>17.2f} {idle:>18.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured time per path")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="chaperone-bench-web-") as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "chaperone.config.settings.local",
            "CHAPERONE_VAR_DIR": tmp,
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'web.sqlite3'}",
            "CHAPERONE_SECRET_KEY": secrets.token_urlsafe(50),
            "CHAPERONE_LOG_LEVEL": "WARNING",
        }
        prepare(env)
        port = free_port()
        log = Path(tmp) / "gunicorn.log"
        server = serve(env, port, log)
        try:
            wait_until_up(port, server)
            names = [USERNAMES[i % len(USERNAMES)] for i in range(args.clients)]
            cookies = [sign_in(port, name) for name in names]
            load1 = os.getloadavg()[0]
            runs = {
                "/": load(server, port, "/", cookies, args.seconds),
                "/healthz": load(server, port, "/healthz", cookies, args.seconds / 2),
            }
        except Exception:
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
            raise
        finally:
            stop(server)
    print(table(runs, args.clients), file=sys.stderr)
    print(
        f"load average (1 min) before the run: {load1:.2f}, after: {os.getloadavg()[0]:.2f}, "
        f"on {os.cpu_count()} CPUs",
        file=sys.stderr,
    )
    dashboard, floor = runs["/"], runs["/healthz"]
    if dashboard.errors or floor.errors:
        print(f"errors: {(dashboard.errors + floor.errors)[:5]}", file=sys.stderr)
        return 1
    emit("web.dashboard_rps", dashboard.rps, "req/s", ">= 300", baseline=floor.rps, digits=1)
    emit(
        "web.dashboard_p99_ms",
        dashboard.percentile_ms(0.99),
        "ms",
        "<= 100",
        baseline=floor.percentile_ms(0.99),
        digits=1,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
