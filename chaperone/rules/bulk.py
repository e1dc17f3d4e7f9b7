"""Deciding many requests at once (``chaperone check --jsonl``), used by the CLI only.

One output line per input line, in order: the decision's JSON, or ``{"error": ...}`` for a
malformed line. Identical lines are decided once. Large inputs are split across forked worker
processes (the loaded, compiled protocol is inherited, so workers start instantly); each worker
writes its lines to an anonymous temporary file that the parent concatenates in order.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
from collections.abc import Sequence

from pydantic import ValidationError

from .protocol import Protocol
from .request import ContactRequest, request_error_from

#: Below this many lines a single process is faster than forking.
PARALLEL_THRESHOLD = 20_000
_SEEN_LIMIT = 1 << 16


def decide_lines(protocol: Protocol, lines: Sequence[bytes]) -> tuple[str, bool]:
    """Output text for ``lines`` and whether any line was malformed."""
    compiled = protocol.compiled
    validate = ContactRequest.model_validate_json
    seen: dict[bytes, str] = {}
    out: list[str] = []
    malformed = False
    enabled = gc.isenabled()
    gc.disable()  # nothing here creates reference cycles; the collector would only cost time
    try:
        for line in lines:
            text = seen.get(line)
            if text is None:
                try:
                    text = compiled.decide(validate(line)).to_json()
                except ValidationError as exc:
                    text = json.dumps(request_error_from(exc).to_dict())
                if len(seen) < _SEEN_LIMIT:
                    seen[line] = text
            if text[:9] == '{"error":':
                malformed = True
            out.append(text)
    finally:
        if enabled:
            gc.enable()
    out.append("")
    return "\n".join(out), malformed


def _workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def decide_jsonl(
    protocol: Protocol,
    data: bytes,
    *,
    workers: int | None = None,
    threshold: int = PARALLEL_THRESHOLD,
) -> tuple[str, bool]:
    """Decide every line of ``data``; fork workers for large inputs where the OS allows it."""
    lines = data.splitlines()
    n = workers or _workers()
    if n == 1 or len(lines) < threshold or not hasattr(os, "fork"):
        return decide_lines(protocol, lines)
    size = -(-len(lines) // n)
    chunks = [lines[i : i + size] for i in range(0, len(lines), size)]
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int, Sequence[bytes]]] = []
    for chunk in chunks[1:]:
        fd, path = tempfile.mkstemp(prefix="chaperone-jsonl-")
        os.unlink(path)
        pid = os.fork()
        if pid == 0:  # worker: decide its chunk, write flag + text, leave without cleanup
            status = 1
            try:
                text, bad = decide_lines(protocol, chunk)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(b"1" if bad else b"0")
                    fh.write(text.encode("utf-8"))
                status = 0
            finally:
                os._exit(status)
        children.append((pid, fd, chunk))
    text, malformed = decide_lines(protocol, chunks[0])
    parts = [text]
    for pid, fd, share in children:
        _, status = os.waitpid(pid, 0)
        with os.fdopen(fd, "rb") as fh:
            fh.seek(0)
            payload = fh.read()
        if status != 0 or not payload:  # the worker failed: do its share here
            part, bad = decide_lines(protocol, share)
        else:
            part, bad = payload[1:].decode("utf-8"), payload[:1] == b"1"
        parts.append(part)
        malformed = malformed or bad
    return "".join(parts), malformed
