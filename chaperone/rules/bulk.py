"""Deciding many requests at once (``chaperone check --jsonl``), used by the CLI only.

One output line per input line, in order: the decision's JSON, or ``{"error": ...}`` for a
malformed line, naming its line number (``"line"``, counted from 1). Lines end at ``\n`` only:
a carriage return is JSON whitespace, so a CRLF file or a stray CR inside a record changes
nothing. Large inputs are split at line boundaries across forked worker processes (the
loaded, compiled protocol is inherited, so workers start at once); each worker decides its share
and writes it to an anonymous temporary file, which the parent copies out after its own share.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, BinaryIO

from pydantic import ValidationError

from .protocol import Protocol
from .request import ContactRequest, request_error_from
from .wire import bulk_request

#: Below this many lines a single process is faster than forking.
PARALLEL_THRESHOLD = 20_000
#: Output is written this many lines at a time, keeping memory flat on large inputs.
_BATCH = 4096


def split_lines(data: bytes) -> list[bytes]:
    """The records of a JSON Lines text: split at ``\n`` only, a final newline ending the last."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def error_line(exc: ValidationError, number: int) -> bytes:
    """The error object of input line ``number``, as an output line."""
    body = request_error_from(exc).to_dict()
    # Each record is one line, so pydantic's "line 1" would only mislead.
    body["error"]["message"] = body["error"]["message"].replace(" at line 1 column ", " at column ")
    body["error"]["line"] = number
    return json.dumps(body).encode("utf-8") + b"\n"


def decide_lines(
    protocol: Protocol, lines: Sequence[bytes], out: BinaryIO, *, first_line: int = 1
) -> bool:
    """Write one output line per input line to ``out``; True if any line was malformed.

    ``first_line`` is the number of ``lines[0]`` in the whole input, for error objects.
    """
    compiled = protocol.compiled
    # The engine's own reader and output lines, without a method call per line.
    decide, fired_by, lines_by, line_of = (
        compiled.decide,
        compiled._fire,
        compiled._lines.get,
        compiled.line_of,
    )
    fast = bulk_request
    validate = ContactRequest.model_validate_json
    malformed = False
    enabled = gc.isenabled()
    gc.disable()  # nothing here creates reference cycles; the collector would only cost time
    try:
        for first in range(0, len(lines), _BATCH):
            batch: list[bytes] = []
            append = batch.append
            for number, line in enumerate(lines[first : first + _BATCH], first_line + first):
                # msgspec reads exactly the requests pydantic reads, or answers None: then
                # pydantic reads the line (and decides it, or names the error).
                request: Any = fast(line)
                if request is not None:
                    fired = fired_by(request)
                    append(lines_by(fired) or line_of(fired))
                    continue
                try:
                    request = validate(line)
                except ValidationError as exc:
                    append(error_line(exc, number))
                    malformed = True
                    continue
                append(decide(request).json_line())
            out.write(b"".join(batch))
    finally:
        if enabled:
            gc.enable()
    return malformed


def _workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def _cuts(data: bytes, n: int) -> list[tuple[int, int]]:
    """``n`` (or fewer) byte ranges of ``data`` that start and end at line boundaries."""
    cuts = [0]
    for i in range(1, n):
        pos = data.find(b"\n", max(cuts[-1], i * len(data) // n))
        if pos < 0:
            break
        cuts.append(pos + 1)
    cuts.append(len(data))
    return [(a, b) for a, b in pairwise(cuts) if b > a]


def decide_jsonl(
    protocol: Protocol,
    data: bytes,
    out: BinaryIO,
    *,
    workers: int | None = None,
    threshold: int = PARALLEL_THRESHOLD,
) -> bool:
    """Write one output line per line of ``data`` to ``out``; True if any line was malformed."""
    n = workers or _workers()
    if n == 1 or not hasattr(os, "fork") or data.count(b"\n") < threshold:
        return decide_lines(protocol, split_lines(data), out)
    ranges = _cuts(data, n)
    sys.stdout.flush()
    sys.stderr.flush()
    children: list[tuple[int, int, tuple[int, int]]] = []

    def share(start: int, end: int, out: BinaryIO) -> bool:
        first_line = data.count(b"\n", 0, start) + 1
        return decide_lines(protocol, split_lines(data[start:end]), out, first_line=first_line)

    for start, end in ranges[1:]:
        fd, path = tempfile.mkstemp(prefix="chaperone-jsonl-")
        os.unlink(path)
        pid = os.fork()
        if pid == 0:  # worker: decide its share, write flag + text, leave without cleanup
            status = 1
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(b"0")
                    if share(start, end, fh):
                        fh.seek(0)
                        fh.write(b"1")
                status = 0
            finally:
                os._exit(status)
        children.append((pid, fd, (start, end)))
    first, last = ranges[0]
    malformed = share(first, last, out)
    for pid, fd, (start, end) in children:
        _, status = os.waitpid(pid, 0)
        with os.fdopen(fd, "rb") as part:
            part.seek(0)
            flag = part.read(1)
            if status == 0 and flag:
                malformed = malformed or flag == b"1"
                shutil.copyfileobj(part, out)
                continue
        # The worker failed: decide its share here.
        malformed = share(start, end, out) or malformed
    return malformed
