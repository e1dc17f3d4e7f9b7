"""Deciding many requests at once (``chaperone check --jsonl``), used by the CLI only.

One output line per input line, in order: the decision's JSON, or ``{"error": ...}`` for a
malformed line, naming its line number (``"line"``, counted from 1). Lines end at ``\n`` only:
a carriage return is JSON whitespace, so a CRLF file or a stray CR inside a record changes
nothing.

Every line msgspec reads (:mod:`.bulkwire`) is decided without pydantic, which is imported only
for the first line msgspec cannot read with certainty. A decision's output line is kept per set
of rules that fired, so a line of output is a shared ``bytes`` object: a batch is handed to the
kernel with ``writev`` (no joined copy) when the output is a real file or pipe.

Large inputs are split at line boundaries across forked worker processes, one per idle CPU
(the compiled protocol is inherited, so workers start at once). Each worker decides its share,
says it is ready, and when its turn comes (after the parent's share and every earlier
worker's) writes it straight to the same output; if a worker fails before it is ready, the
parent decides its share itself. Where the output has no file descriptor (a test's
``BytesIO``), each worker writes its share to an anonymous temporary file, which the parent
copies out in order.
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
from typing import TYPE_CHECKING, Any, BinaryIO

from .bulkwire import bulk_request
from .compiled import CompiledProtocol

if TYPE_CHECKING:
    from pydantic import ValidationError

    from .protocol import Protocol

#: Below this many lines a single process is faster than forking.
PARALLEL_THRESHOLD = 20_000
#: Lines decided between two writes, keeping memory flat on large inputs.
_BATCH = 4096
#: Buffers per ``writev`` call (Linux's IOV_MAX).
_IOV_MAX = 1024


def split_lines(data: bytes) -> list[bytes]:
    """The records of a JSON Lines text: split at ``\n`` only, a final newline ending the last."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def error_line(exc: ValidationError, number: int) -> bytes:
    """The error object of input line ``number``, as an output line."""
    from .request import request_error_from

    body = request_error_from(exc).to_dict()
    # Each record is one line, so pydantic's "line 1" would only mislead.
    body["error"]["message"] = body["error"]["message"].replace(" at line 1 column ", " at column ")
    body["error"]["line"] = number
    return json.dumps(body).encode("utf-8") + b"\n"


def _compiled(protocol: Protocol | CompiledProtocol) -> CompiledProtocol:
    return protocol if isinstance(protocol, CompiledProtocol) else protocol.compiled


def _pydantic_line(compiled: CompiledProtocol, line: bytes, number: int) -> tuple[bytes, bool]:
    """The output line of a line msgspec did not read, and whether it is malformed: pydantic
    reads it (and it is decided), or names the error."""
    from pydantic import ValidationError

    from .request import ContactRequest

    try:
        request = ContactRequest.model_validate_json(line)
    except ValidationError as exc:
        return error_line(exc, number), True
    fired = compiled.fired(request)
    return compiled._lines.get(fired) or compiled.line_of(fired), False


def _decided(
    compiled: CompiledProtocol, lines: Sequence[bytes], first_line: int, write: Any
) -> bool:
    """Hand ``write`` the output lines of ``lines`` a batch (a list) at a time; True if any
    line was malformed."""
    # The engine's own reader and output lines, without a method call per line.
    fired_by, lines_by, line_of = compiled._bulk_fire, compiled._lines.get, compiled.line_of
    fast = bulk_request
    malformed = False
    enabled = gc.isenabled()
    gc.disable()  # nothing here creates reference cycles; the collector would only cost time
    try:
        for first in range(0, len(lines), _BATCH):
            batch: list[bytes] = []
            append = batch.append
            for number, line in enumerate(lines[first : first + _BATCH], first_line + first):
                # msgspec reads exactly the requests pydantic reads, or answers None: then
                # pydantic reads the line (and it is decided, or the error is named).
                request: Any = fast(line)
                if request is not None:
                    fired = fired_by(request)
                    append(lines_by(fired) or line_of(fired))
                    continue
                answer, bad = _pydantic_line(compiled, line, number)
                malformed = malformed or bad
                append(answer)
            write(batch)
    finally:
        if enabled:
            gc.enable()
    return malformed


def decide_lines(
    protocol: Protocol | CompiledProtocol,
    lines: Sequence[bytes],
    out: BinaryIO,
    *,
    first_line: int = 1,
) -> bool:
    """Write one output line per input line to ``out``; True if any line was malformed.

    ``first_line`` is the number of ``lines[0]`` in the whole input, for error objects.
    """
    return _decided(_compiled(protocol), lines, first_line, lambda b: out.write(b"".join(b)))


def write_all(fd: int, parts: list[bytes]) -> None:
    """Write ``parts`` to file descriptor ``fd`` in order, with ``writev`` (no joined copy)."""
    for start in range(0, len(parts), _IOV_MAX):
        chunk = parts[start : start + _IOV_MAX]
        written = os.writev(fd, chunk)
        total = sum(map(len, chunk))
        if written < total:  # a short write (a signal, a full disk): finish it plainly
            rest = memoryview(b"".join(chunk))[written:]
            while rest:
                rest = rest[os.write(fd, rest) :]


def _workers() -> int:
    """One worker per CPU that is idle: the CPUs this process may use, less the load average of
    the last minute (whole processes), at least one.

    On a shared machine a second worker only slows the command down: forked workers compete with
    the other processes for the same cores, each costs more CPU time than it saves, and the last
    one's output is written after everyone else's.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    try:
        busy = int(os.getloadavg()[0])
    except OSError:  # pragma: no cover - no load average
        busy = 0
    return max(1, min(cpus - busy, 8))


def _at_least_lines(data: bytes, n: int) -> bool:
    """Whether ``data`` has ``n`` or more line breaks, counting no further than the ``n``-th."""
    seen, start, step = 0, 0, 1 << 20
    if n <= 0:
        return True
    while start < len(data):
        seen += data.count(b"\n", start, start + step)
        if seen >= n:
            return True
        start += step
    return False


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


def _fileno(out: BinaryIO) -> int | None:
    try:
        return out.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None


def decide_jsonl(
    protocol: Protocol | CompiledProtocol,
    data: bytes,
    out: BinaryIO,
    *,
    workers: int | None = None,
    threshold: int = PARALLEL_THRESHOLD,
) -> bool:
    """Write one output line per line of ``data`` to ``out``; True if any line was malformed."""
    compiled = _compiled(protocol)
    n = workers or _workers()
    fd = _fileno(out)
    if n == 1 or not hasattr(os, "fork") or not _at_least_lines(data, threshold):
        if fd is None:
            return decide_lines(compiled, split_lines(data), out)
        out.flush()
        return _decided(compiled, split_lines(data), 1, lambda batch: write_all(fd, batch))
    ranges = _cuts(data, n)
    sys.stdout.flush()
    sys.stderr.flush()
    out.flush()
    if fd is None:
        return _via_files(compiled, data, ranges, out)
    return _in_turn(compiled, data, ranges, fd)


def _share(compiled: CompiledProtocol, data: bytes, start: int, end: int, write: Any) -> bool:
    first_line = data.count(b"\n", 0, start) + 1
    return _decided(compiled, split_lines(data[start:end]), first_line, write)


def _in_turn(
    compiled: CompiledProtocol, data: bytes, ranges: list[tuple[int, int]], fd: int
) -> bool:
    """Workers decide in parallel and write to ``fd`` in turn, each after the one before."""
    children: list[tuple[int, int, int, tuple[int, int]]] = []
    for start, end in ranges[1:]:
        ready_r, ready_w = os.pipe()  # worker -> parent: b"0"/b"1" (malformed) once decided
        turn_r, turn_w = os.pipe()  # parent -> worker: your turn to write
        pid = os.fork()
        if pid == 0:  # worker: decide its share, say so, write it when told, leave at once
            status = 1
            try:
                os.close(ready_r)
                os.close(turn_w)
                parts: list[bytes] = []
                bad = _share(compiled, data, start, end, parts.extend)
                os.write(ready_w, b"1" if bad else b"0")
                if os.read(turn_r, 1) == b"w":
                    write_all(fd, parts)
                    status = 0
            finally:
                os._exit(status)
        os.close(ready_w)
        os.close(turn_r)
        children.append((pid, ready_r, turn_w, (start, end)))
    first, last = ranges[0]
    malformed = _share(compiled, data, first, last, lambda batch: write_all(fd, batch))
    for pid, ready_r, turn_w, (start, end) in children:
        flag = os.read(ready_r, 1)
        os.close(ready_r)
        if flag in (b"0", b"1"):
            os.write(turn_w, b"w")
            os.close(turn_w)
            os.waitpid(pid, 0)
            malformed = malformed or flag == b"1"
            continue
        os.close(turn_w)  # the worker failed before it was ready: decide its share here
        os.waitpid(pid, 0)
        malformed = _share(compiled, data, start, end, lambda b: write_all(fd, b)) or malformed
    return malformed


def _via_files(
    compiled: CompiledProtocol, data: bytes, ranges: list[tuple[int, int]], out: BinaryIO
) -> bool:
    """Workers write their shares to temporary files, copied to ``out`` in order."""
    children: list[tuple[int, int, tuple[int, int]]] = []
    for start, end in ranges[1:]:
        fd, path = tempfile.mkstemp(prefix="chaperone-jsonl-")
        os.unlink(path)
        pid = os.fork()
        if pid == 0:  # worker: decide its share, write flag + text, leave without cleanup
            status = 1
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(b"0")
                    if _share(compiled, data, start, end, lambda b: fh.write(b"".join(b))):
                        fh.seek(0)
                        fh.write(b"1")
                status = 0
            finally:
                os._exit(status)
        children.append((pid, fd, (start, end)))
    first, last = ranges[0]
    malformed = _share(compiled, data, first, last, lambda b: out.write(b"".join(b)))
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
        malformed = (
            _share(compiled, data, start, end, lambda b: out.write(b"".join(b))) or malformed
        )
    return malformed
