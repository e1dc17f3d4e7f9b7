"""Protocol engine benchmark: single-decision latency and bulk ``chaperone check --jsonl``.

    .venv/bin/python -m benchmarks.protocols [--decisions N] [--lines N] [--runs N]

Figures (JSON lines on stdout, a table on stderr):

* ``protocols.decision_p99_us``: p99 of one in-process ``decide(protocol, request)`` call over
  seeded random requests against every shipped template (target <= 50 us). The baseline is the
  p99 of the plain interpreter of ``tests/rules/reference.py`` (no compiled tables, no caches);
  it also cross-checks that both give the same decisions.
* ``protocols.decide_with_parse_p99_us``: p99 of ``decide(protocol, parse_request(text))`` from
  the request's JSON text, the same requests and templates (target <= 10 us).
* ``protocols.jsonl_100k_s``: wall time of the real ``chaperone check --jsonl`` on a seeded file
  of 100,000 requests, process start included, writing its decisions to a file as a shell
  redirection would (target <= 1 s); median of ``--runs`` runs.
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

from benchmarks._support import emit
from chaperone.rules import decide, load_template, parse_request, template_ids
from tests.rules.corpus import random_request
from tests.rules.reference import decision as reference_decision

SEED = 20261124


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


Row = tuple[str, float, float, float, float, float]


def bench_decisions(n: int) -> tuple[float, float, float, list[Row]]:
    """Wall-clock p99s over all templates: decide, parse + decide, and the plain interpreter.

    Per template also the median, the CPU-time p99 (no preemption) and the parse + decide p99.
    """
    rng = random.Random(SEED)
    texts = [json.dumps(random_request(rng)).encode() for _ in range(n)]
    requests = [parse_request(text) for text in texts]
    rows: list[Row] = []
    all_samples: list[float] = []
    all_parsed: list[float] = []
    for tid in template_ids():
        protocol = load_template(tid)
        for r in requests[:2000]:  # warm-up
            decide(protocol, r)
        samples = _timed(lambda r, p=protocol: decide(p, r), requests, time.perf_counter_ns)
        cpu = _timed(lambda r, p=protocol: decide(p, r), requests, time.thread_time_ns)
        parsed = _timed(
            lambda t, p=protocol: decide(p, parse_request(t)), texts, time.perf_counter_ns
        )
        all_samples += samples
        all_parsed += parsed
        rows.append(
            (
                tid,
                statistics.median(samples),
                percentile(samples, 0.99),
                percentile(cpu, 0.99),
                max(samples),
                percentile(parsed, 0.99),
            )
        )
    naive_samples = []
    clock = time.perf_counter_ns
    for i, r in enumerate(requests[: min(n, 5000)]):
        protocol = load_template(template_ids()[i % len(template_ids())])
        t0 = clock()
        expected = reference_decision(protocol, r)
        naive_samples.append((clock() - t0) / 1000)
        if decide(protocol, r).to_dict() != expected:
            raise SystemExit(f"engine and reference disagree on {texts[i]!r}")
    return (
        percentile(all_samples, 0.99),
        percentile(all_parsed, 0.99),
        percentile(naive_samples, 0.99),
        rows,
    )


def _timed(call: Any, items: list[Any], clock: Any) -> list[float]:
    samples = []
    for item in items:
        t0 = clock()
        call(item)
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
        out = Path(tmp) / "decisions.jsonl"
        times = []
        for _ in range(runs):
            # The decisions go to a file, as `chaperone check --jsonl in > out` writes them: read
            # back through a pipe, the benchmark's own copying of the 268 MB (about 1.2 s of
            # its CPU on this machine, measured with `cat`) was counted as the command's time.
            with out.open("wb") as sink:
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [*command, str(path)], stdout=sink, stderr=subprocess.PIPE, check=False
                )
                times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"chaperone check failed: {proc.stderr!r}")
            with out.open("rb") as fh:
                produced = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
            if produced != lines:
                raise SystemExit(f"expected {lines} decisions, got {produced}")
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    p99, parsed_p99, naive_p99, rows = bench_decisions(args.decisions)
    emit("protocols.decision_p99_us", p99, "us", "<= 50", baseline=naive_p99)
    emit("protocols.decide_with_parse_p99_us", parsed_p99, "us", "<= 10")
    head = f"{'template':24} {'p50 us':>8} {'p99 us':>8} {'cpu p99':>8} {'max us':>9} {'+parse':>8}"
    print(head, file=sys.stderr)
    for tid, p50, tp99, cpu99, worst, parse99 in rows:
        line = f"{tid:24} {p50:8.2f} {tp99:8.2f} {cpu99:8.2f} {worst:9.1f} {parse99:8.2f}"
        print(line, file=sys.stderr)
    print(f"{'naive reference':24} {'':8} {naive_p99:8.2f}", file=sys.stderr)
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", file=sys.stderr)

    median, times = bench_jsonl(args.lines, args.runs)
    emit("protocols.jsonl_100k_s", median, "s", "<= 1")
    shown = ", ".join(f"{t:.2f}" for t in times)
    print(f"chaperone check --jsonl, {args.lines} lines: {shown} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
