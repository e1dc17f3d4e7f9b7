"""Deciding many requests at once (``chaperone check --jsonl``), used by the CLI only.

One output line per input line, in order: the decision's JSON, or ``{"error": ...}`` for a
malformed line, naming its line number (``"line"``, counted from 1). Lines end at ``\n`` only:
a carriage return is JSON whitespace, so a CRLF file or a stray CR inside a record changes
nothing.

Every line msgspec reads (:mod:`.bulkwire`) is decided without pydantic, which is imported only
for the first line msgspec cannot read with certainty. A decision's output line is kept per set
of rules that fired, so a line of output is a shared ``bytes`` object: a batch is handed to the
kernel with ``writev`` (no joined copy) when the output is a real file or pipe. An input file
is mapped into memory, not read (:func:`map_input`), and its lines are views into the mapping:
no input line is copied (on a virtual machine every fresh page of memory costs a fault).

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
import mmap
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from itertools import pairwise
from typing import TYPE_CHECKING, Any, BinaryIO

from .bulkwire import bulk_request
from .compiled import CompiledProtocol

if TYPE_CHECKING:
    from pydantic import ValidationError

    from .protocol import Protocol

#: An input: its bytes, or the file mapped into memory (:func:`map_input`).
Buffer = bytes | mmap.mmap

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


def lines_of(data: Buffer, start: int = 0, end: int | None = None) -> Iterator[memoryview]:
    """The records of ``data[start:end]`` (bytes or a mapped file), as :func:`split_lines`
    gives them but as views into ``data``: no line is copied, so deciding a large input touches
    no memory beyond the (already cached) input itself. ``start`` is a line's start."""
    view = memoryview(data)
    find = data.find
    end = len(data) if end is None else end
    while start < end:
        stop = find(b"\n", start, end)
        if stop < 0:
            stop = end
        yield view[start:stop]
        start = stop + 1


def map_input(path: str) -> mmap.mmap | None:
    """The regular file at ``path`` mapped read-only into memory, or None where it cannot be
    (not a regular file, empty, or starting with a UTF-8 byte order mark: read those instead).

    Reading 100 MB into a new buffer costs tenths of a second of kernel time on a virtual
    machine, where every fresh page of memory is a fault: a mapping shares the pages the file
    already has in the page cache, and forked workers share the mapping. (The file must not be
    truncated while it is read: a shared mapping of a shrinking file faults.)"""
    if not os.path.isfile(path):  # (before opening: opening a named pipe would wait)
        return None
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return None
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    if mapped[:3] == b"\xef\xbb\xbf":
        mapped.close()
        return None
    return mapped


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


def _pydantic_line(
    compiled: CompiledProtocol, line: bytes | memoryview, number: int
) -> tuple[bytes, bool]:
    """The output line of a line msgspec did not read, and whether it is malformed: pydantic
    reads it (and it is decided), or names the error."""
    from pydantic import ValidationError

    from .request import ContactRequest

    try:
        request = ContactRequest.model_validate_json(bytes(line))
    except ValidationError as exc:
        return error_line(exc, number), True
    fired = compiled.fired(request)
    return compiled._lines.get(fired) or compiled.line_of(fired), False


def _decided(
    compiled: CompiledProtocol,
    lines: Iterable[bytes | memoryview],
    first_line: int,
    write: Any,
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
        batch: list[bytes] = []
        append = batch.append
        for number, line in enumerate(lines, first_line):
            # msgspec reads exactly the requests pydantic reads, or answers None: then
            # pydantic reads the line (and it is decided, or the error is named).
            request: Any = fast(line)
            if request is not None:
                fired = fired_by(request)
                append(lines_by(fired) or line_of(fired))
            else:
                answer, bad = _pydantic_line(compiled, line, number)
                malformed = malformed or bad
                append(answer)
            if len(batch) == _BATCH:
                write(batch)
                batch = []
                append = batch.append
        if batch:
            write(batch)
    finally:
        if enabled:
            gc.enable()
    return malformed


def decide_lines(
    protocol: Protocol | CompiledProtocol,
    lines: Iterable[bytes | memoryview],
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
    """One worker per CPU that is idle now: the CPUs this process may use, less the other
    processes running at this moment, at least one.

    On a shared machine a second worker only slows the command down: forked workers compete with
    the other processes for the same cores, each costs more CPU time than it saves, and the last
    one's output is written after everyone else's. What runs *now* is what the workers will
    compete with. The load average of the last minute lags by a minute: right after another
    job (a benchmark's previous phase, a test run) it still counts that job for tens of seconds,
    and the command then ran alone on one core of an idle machine (about 1.5-2 s for 100,000
    requests instead of 0.9 s).
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus - _running_elsewhere(), 8))


def _running_elsewhere(samples: int = 3) -> int:
    """How many other processes are running or ready to run, the fewest of a few readings a
    millisecond apart (one reading may catch a short-lived kernel thread). Linux's
    ``/proc/loadavg`` gives it as the fourth field's first number (this process included);
    elsewhere the last minute's load average stands in."""
    readings = []
    for _ in range(samples):
        try:
            with open("/proc/loadavg", "rb") as handle:
                runnable = int(handle.read().split()[3].split(b"/")[0]) - 1
        except (OSError, ValueError, IndexError):
            try:
                return int(os.getloadavg()[0])
            except OSError:  # pragma: no cover - no load average
                return 0
        if runnable <= 0:
            return 0
        readings.append(runnable)
        time.sleep(0.001)
    return min(readings)


def _newlines(data: Buffer, start: int, end: int) -> int:
    """How many line breaks ``data[start:end]`` holds (a mapped file has no ``count``: it is
    counted a megabyte at a time)."""
    if isinstance(data, bytes):
        return data.count(b"\n", start, end)
    step = 1 << 20
    return sum(data[at : min(at + step, end)].count(b"\n") for at in range(start, end, step))


def _at_least_lines(data: Buffer, n: int) -> bool:
    """Whether ``data`` has ``n`` or more line breaks, counting no further than the ``n``-th."""
    seen, start, step = 0, 0, 1 << 20
    if n <= 0:
        return True
    while start < len(data):
        seen += _newlines(data, start, min(start + step, len(data)))
        if seen >= n:
            return True
        start += step
    return False


def _cuts(data: Buffer, n: int) -> list[tuple[int, int]]:
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
    data: Buffer,
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
            return decide_lines(compiled, lines_of(data), out)
        out.flush()
        return _decided(compiled, lines_of(data), 1, lambda batch: write_all(fd, batch))
    ranges = _cuts(data, n)
    sys.stdout.flush()
    sys.stderr.flush()
    out.flush()
    if fd is None:
        return _via_files(compiled, data, ranges, out)
    base = _write_position(fd)
    if base is not None:
        return _in_place(compiled, data, ranges, fd, base)
    return _in_turn(compiled, data, ranges, fd)


def _write_position(fd: int) -> int | None:
    """Where output to ``fd`` goes next, when every share can be written straight into its own
    place (``pwrite``): a regular file not opened for appending (``>`` in a shell, not ``>>``,
    whose writes Linux puts at the end whatever the offset). None for a pipe, a terminal, a
    socket or an appended file: there the workers write in turn."""
    try:
        import fcntl
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND:
            return None
        return os.lseek(fd, 0, os.SEEK_CUR)
    except (ImportError, OSError, ValueError):
        return None


def pwrite_all(fd: int, parts: list[bytes], offset: int) -> int:
    """Write ``parts`` to ``fd`` at ``offset`` in order (``pwritev``: no joined copy, the file's
    own position unmoved); the offset after them."""
    for start in range(0, len(parts), _IOV_MAX):
        chunk = parts[start : start + _IOV_MAX]
        written = os.pwritev(fd, chunk, offset)
        total = sum(map(len, chunk))
        if written < total:  # a short write (a signal, a full disk): finish it plainly
            rest = memoryview(b"".join(chunk))[written:]
            offset += written
            while rest:
                step = os.pwrite(fd, rest, offset)
                rest, offset = rest[step:], offset + step
        else:
            offset += total
    return offset


def _read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from the pipe ``fd``, or fewer if its writer went away first."""
    got = b""
    while len(got) < size:
        more = os.read(fd, size - len(got))
        if not more:
            break
        got += more
    return got


def _share(compiled: CompiledProtocol, data: Buffer, start: int, end: int, write: Any) -> bool:
    first_line = _newlines(data, 0, start) + 1
    return _decided(compiled, lines_of(data, start, end), first_line, write)


def _fork_share(
    compiled: CompiledProtocol, data: Buffer, start: int, end: int, put: Any
) -> tuple[int, int, int]:
    """Fork a worker for the share ``data[start:end]``: (pid, report pipe, go pipe).

    The worker decides its share, reports b"0"/b"1" (malformed) and the share's size in bytes
    (8, big-endian) on the report pipe, waits for 8 bytes on the go pipe, hands its output lines
    and those bytes as a number to ``put`` and leaves at once (exit 0); if the go pipe closes
    first it leaves with 1, writing nothing."""
    report_r, report_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(report_r)
            os.close(go_w)
            parts: list[bytes] = []
            bad = _share(compiled, data, start, end, parts.extend)
            size = sum(map(len, parts))
            os.write(report_w, (b"1" if bad else b"0") + size.to_bytes(8, "big"))
            go = _read_exactly(go_r, 8)
            if len(go) == 8:
                put(parts, int.from_bytes(go, "big"))
                status = 0
        finally:
            os._exit(status)
    os.close(report_w)
    os.close(go_r)
    return pid, report_r, go_w


def _report(report_r: int) -> tuple[bool, int] | None:
    """A forked worker's report (malformed?, size), read and the pipe closed; None if the
    worker failed before it was ready."""
    reply = _read_exactly(report_r, 9)
    os.close(report_r)
    if len(reply) == 9 and reply[:1] in (b"0", b"1"):
        return reply[:1] == b"1", int.from_bytes(reply[1:], "big")
    return None


def _in_place(
    compiled: CompiledProtocol, data: Buffer, ranges: list[tuple[int, int]], fd: int, base: int
) -> bool:
    """Workers decide in parallel, then all write at once, each share into its own place.

    Writing in turn leaves the last share's write (a seventh of the run for 100,000 requests,
    268 MB) to happen after every other. Here each worker reports its share's size once it is
    decided, the parent hands each one the offset where its share starts (after its own and
    the shares before), and they write together with ``pwrite``. The file's position ends
    after the last share, as if one process had written it all."""
    children = [
        (
            *_fork_share(compiled, data, start, end, lambda parts, at: pwrite_all(fd, parts, at)),
            (start, end),
        )
        for start, end in ranges[1:]
    ]
    first, last = ranges[0]
    own: list[bytes] = []
    malformed = _share(compiled, data, first, last, own.extend)
    offset = base + sum(map(len, own))
    writing = []
    for pid, report_r, go_w, (start, end) in children:
        report = _report(report_r)
        if report is not None:
            os.write(go_w, offset.to_bytes(8, "big"))
            os.close(go_w)
            bad, size = report
            offset += size
            malformed = malformed or bad
            writing.append(pid)
            continue
        os.close(go_w)  # the worker failed before it was ready: decide its share here
        os.waitpid(pid, 0)
        parts: list[bytes] = []
        malformed = _share(compiled, data, start, end, parts.extend) or malformed
        offset = pwrite_all(fd, parts, offset)
    pwrite_all(fd, own, base)
    failed = [pid for pid in writing if os.waitpid(pid, 0)[1] != 0]
    os.lseek(fd, offset, os.SEEK_SET)
    if failed:
        raise OSError(f"{len(failed)} worker(s) could not write their share of the output")
    return malformed


def _in_turn(
    compiled: CompiledProtocol, data: Buffer, ranges: list[tuple[int, int]], fd: int
) -> bool:
    """Workers decide in parallel and write to ``fd`` in turn, each after the one before."""
    children = [
        (
            *_fork_share(compiled, data, start, end, lambda parts, _: write_all(fd, parts)),
            (start, end),
        )
        for start, end in ranges[1:]
    ]
    first, last = ranges[0]
    malformed = _share(compiled, data, first, last, lambda batch: write_all(fd, batch))
    for pid, report_r, go_w, (start, end) in children:
        report = _report(report_r)
        if report is not None:
            os.write(go_w, bytes(8))  # your turn
            os.close(go_w)
            os.waitpid(pid, 0)
            malformed = malformed or report[0]
            continue
        os.close(go_w)  # the worker failed before it was ready: decide its share here
        os.waitpid(pid, 0)
        malformed = _share(compiled, data, start, end, lambda b: write_all(fd, b)) or malformed
    return malformed


def _via_files(
    compiled: CompiledProtocol, data: Buffer, ranges: list[tuple[int, int]], out: BinaryIO
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
