"""Protocol engine benchmark: single-decision latency and bulk ``chaperone check --jsonl``.

    .venv/bin/python -m benchmarks.protocols [--decisions N] [--lines N] [--runs N]

Figures (JSON lines on stdout, a table on stderr):

* ``protocols.decision_p99_us``: p99 of one in-process ``decide(protocol, request)`` call over
  seeded random requests against every shipped template (target <= 50 us). The baseline is the
  p99 of a naive interpreter that walks each rule's conditions per request (no compiled tables,
  no caches); it also cross-checks that both fire the same rules.
* ``protocols.jsonl_100k_s``: wall time of the real ``chaperone check --jsonl`` on a seeded file
  of 100,000 requests, process start included (target <= 3 s); median of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks._support import emit
from chaperone.rules import Protocol, decide, load_template, parse_request, template_ids
from chaperone.rules.conditions import atom_predicate, compile_windows, key_fn, source_of
from chaperone.rules.vocab import KINDS, PLATFORMS, PURPOSES, ROLES

SEED = 20261124


def random_request(rng: random.Random) -> dict[str, Any]:
    """A valid request with every field drawn at random (times spread over a year, GMT and BST)."""
    kind = rng.choice(KINDS)
    home_alone = rng.random() < 0.1
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    hour, minute = rng.randint(7, 20), rng.randrange(0, 60, 5)
    return {
        "at": f"2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00+00:00",
        "duration_minutes": rng.choice([15, 20, 30, 45, 60]),
        "kind": kind,
        "purpose": rng.choice(PURPOSES),
        "platform": rng.choice(PLATFORMS),
        "account": rng.choice(["school"] * 9 + ["personal"]),
        "device": rng.choice(["school"] * 9 + ["personal"]),
        "staff_location": rng.choice(["on_site", "off_site"]),
        "emergency": rng.random() < 0.1,
        "staff": [{"role": rng.choice(ROLES)} for _ in range(rng.choice([1, 1, 1, 2]))],
        "pupils": [
            {
                "age": rng.randint(5, 18),
                "vulnerable": rng.random() < 0.2,
                "has_ehcp": rng.random() < 0.1,
            }
            for _ in range(1 if kind != "group" else rng.randint(2, 30))
        ],
        "parent_present": (not home_alone) and rng.random() < 0.5,
        "chaperone_present": rng.random() < 0.5,
        "pupil_home_alone": home_alone,
        "second_staff_invited": rng.random() < 0.5,
        "second_staff_role": rng.choice([None, *ROLES]),
        "dsl_invited": rng.random() < 0.7,
        "recording": rng.random() < 0.5,
        "parental_consent": rng.choice(["none", "implied", "written"]),
        "slt_approved": rng.random() < 0.7,
        "risk_assessed": rng.random() < 0.7,
        "on_dsl_timetable": rng.random() < 0.7,
        "linked_to_plan": rng.random() < 0.7,
        "waiting_room": rng.random() < 0.8,
        "pupil_location": rng.choice(["common_room"] * 6 + ["bedroom_door_open", "bedroom"]),
        "parents_informed": rng.random() < 0.8,
    }


def naive_rule_ids(protocol: Protocol, request: Any) -> list[str]:
    """The rules that fire, found by interpreting every condition afresh (the reference)."""
    windows = compile_windows(protocol.windows)
    approved = frozenset(protocol.platforms)
    tz = ZoneInfo(protocol.time_zone)

    def holds(name: str, value: Any) -> bool:
        key = key_fn(source_of(name), tz)(request)
        return atom_predicate(name, value, windows, approved)(key)

    fired = []
    for rule in protocol.rules:
        when, unless, require = (t.given() for t in (rule.when, rule.unless, rule.require))
        if not all(holds(k, v) for k, v in when.items()):
            continue
        if any(holds(k, v) for k, v in unless.items()):
            continue
        if require and all(holds(k, v) for k, v in require.items()):
            continue
        fired.append(rule.id)
    return fired


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


Row = tuple[str, float, float, float, float]


def bench_decisions(n: int) -> tuple[float, float, list[Row]]:
    """Wall-clock p99 over all templates; per template also the CPU-time p99 (no preemption)."""
    rng = random.Random(SEED)
    raw = [random_request(rng) for _ in range(n)]
    requests = [parse_request(r) for r in raw]
    rows: list[Row] = []
    all_samples: list[float] = []
    for tid in template_ids():
        protocol = load_template(tid)
        for r in requests[:2000]:  # warm-up
            decide(protocol, r)
        samples = _timed(protocol, requests, time.perf_counter_ns)
        cpu = _timed(load_template(tid), requests, time.thread_time_ns)
        all_samples += samples
        rows.append(
            (
                tid,
                statistics.median(samples),
                percentile(samples, 0.99),
                percentile(cpu, 0.99),
                max(samples),
            )
        )
    naive_samples = []
    clock = time.perf_counter_ns
    for i, r in enumerate(requests[: min(n, 5000)]):
        protocol = load_template(template_ids()[i % len(template_ids())])
        t0 = clock()
        expected = naive_rule_ids(protocol, r)
        naive_samples.append((clock() - t0) / 1000)
        got = sorted(f.rule_id for f in decide(protocol, r).findings)
        if got != sorted(expected):
            raise SystemExit(f"engine and reference disagree on {raw[i]}: {got} != {expected}")
    return percentile(all_samples, 0.99), percentile(naive_samples, 0.99), rows


def _timed(protocol: Any, requests: list[Any], clock: Any) -> list[float]:
    samples = []
    for r in requests:
        t0 = clock()
        decide(protocol, r)
        samples.append((clock() - t0) / 1000)
    return samples


def chaperone_command() -> list[str]:
    script = Path(sys.executable).with_name("chaperone")
    if script.exists():
        return [str(script)]
    found = shutil.which("chaperone")
    return [found] if found else [sys.executable, "-m", "chaperone.cli"]


def bench_jsonl(lines: int, runs: int) -> tuple[float, list[float]]:
    rng = random.Random(SEED + 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "requests.jsonl"
        with path.open("w") as fh:
            for _ in range(lines):
                fh.write(json.dumps(random_request(rng)) + "\n")
        command = [*chaperone_command(), "check", "--protocol", "habs-monmouth", "--jsonl"]
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            proc = subprocess.run([*command, str(path)], capture_output=True, check=False)
            times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"chaperone check failed: {proc.stdout[:300]!r} {proc.stderr!r}")
            produced = proc.stdout.count(b"\n")
            if produced != lines:
                raise SystemExit(f"expected {lines} decisions, got {produced}")
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    p99, naive_p99, rows = bench_decisions(args.decisions)
    emit("protocols.decision_p99_us", p99, "us", "<= 50", baseline=naive_p99)
    head = f"{'template':24} {'p50 us':>8} {'p99 us':>8} {'cpu p99':>8} {'max us':>9}"
    print(head, file=sys.stderr)
    for tid, p50, tp99, cpu99, worst in rows:
        print(f"{tid:24} {p50:8.2f} {tp99:8.2f} {cpu99:8.2f} {worst:9.1f}", file=sys.stderr)
    print(f"{'naive reference':24} {'':8} {naive_p99:8.2f}", file=sys.stderr)
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", file=sys.stderr)

    median, times = bench_jsonl(args.lines, args.runs)
    emit("protocols.jsonl_100k_s", median, "s", "<= 3")
    shown = ", ".join(f"{t:.2f}" for t in times)
    print(f"chaperone check --jsonl, {args.lines} lines: {shown} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
