"""Not a byte of output changes: the engine's msgspec reading and caches against the plain path.

The plain path is what ``chaperone check --jsonl`` did before it had fast paths: pydantic reads
the line, a plain interpreter (``reference.py``) decides, ``json.dumps`` writes the decision. On
a seeded corpus of valid, odd and malformed lines (and the contract's examples), under every
template, serially and across forked workers, the bytes must be the same.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from pydantic import ValidationError

from chaperone.rules import RequestError, decide, load_template, parse_request, template_ids
from chaperone.rules.bulk import decide_jsonl, error_line, split_lines
from chaperone.rules.cli import main
from chaperone.rules.request import ContactRequest, request_error_from
from tests.rules import reference
from tests.rules.corpus import corpus
from tests.rules.helpers import EXAMPLES, REPO


def plain_output(protocol, lines: list[bytes]) -> bytes:
    out = []
    for number, line in enumerate(lines, 1):
        try:
            request = ContactRequest.model_validate_json(line)
        except ValidationError as exc:
            out.append(error_line(exc, number))
            continue
        try:
            answer = reference.decision(protocol, request)
        except OverflowError:
            # A start within a day of year 1 or 9999: the plain interpreter cannot place it in
            # the protocol's zone (the engine takes the zone's offset at the edge instead).
            answer = decide(protocol, request).to_dict()
        text = json.dumps(answer, ensure_ascii=False)
        out.append(text.encode() + b"\n")
    return b"".join(out)


def example_lines() -> list[bytes]:
    rows = [json.loads(line) for line in EXAMPLES.read_text().splitlines() if line.strip()]
    return [json.dumps(row["request"]).encode() for row in rows]


DATA = b"\n".join([*example_lines(), *corpus(20261201, 1500)]) + b"\n"


@pytest.mark.parametrize("tid", template_ids())
@pytest.mark.parametrize("parallel", [False, True])
def test_jsonl_output_equals_the_plain_path_byte_for_byte(tid, parallel):
    protocol = load_template(tid)
    buffer = io.BytesIO()
    kwargs = {"workers": 2, "threshold": 100} if parallel else {"workers": 1}
    decide_jsonl(protocol, DATA, buffer, **kwargs)
    got, expected = buffer.getvalue(), plain_output(protocol, split_lines(DATA))
    if got != expected:  # name the first differing line rather than dumping megabytes
        pairs = zip(got.splitlines(), expected.splitlines(), strict=False)
        first = next(i for i, (a, b) in enumerate(pairs) if a != b)
        pytest.fail(f"line {first + 1}: {got.splitlines()[first]!r}")


def first_difference(got: bytes, expected: bytes) -> str:
    pairs = zip(got.splitlines(), expected.splitlines(), strict=False)
    first = next((i for i, (a, b) in enumerate(pairs) if a != b), None)
    if first is None:
        return f"{len(got.splitlines())} lines against {len(expected.splitlines())}"
    return f"line {first + 1}: {got.splitlines()[first]!r}"


@pytest.mark.parametrize("tid", template_ids())
def test_workers_writing_in_turn_to_a_file_give_the_plain_bytes(tid, tmp_path):
    """Output with a file descriptor: the workers write their shares to it in turn (writev)."""
    protocol = load_template(tid)
    path = tmp_path / "out.jsonl"
    with path.open("wb") as out:
        decide_jsonl(protocol, DATA, out, workers=3, threshold=100)
    got, expected = path.read_bytes(), plain_output(protocol, split_lines(DATA))
    assert got == expected, first_difference(got, expected)


@pytest.mark.parametrize("tid", ["habs-monmouth", "chaperone-recommended"])
def test_the_real_command_prints_the_plain_bytes(tid, tmp_path):
    """``chaperone check --jsonl`` in a fresh process: the snapshot, msgspec and writev path."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(DATA)
    proc = subprocess.run(
        [sys.executable, "-m", "chaperone.cli", "check", "--protocol", tid, "--jsonl", str(path)],
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    expected = plain_output(load_template(tid), split_lines(DATA))
    assert proc.returncode == 2  # the corpus has malformed lines
    assert proc.stdout == expected, first_difference(proc.stdout, expected)


@pytest.mark.parametrize("tid", template_ids())
def test_a_decisions_json_is_json_dumps_of_its_dict(tid):
    protocol = load_template(tid)
    for line in example_lines() + corpus(5, 300):
        try:
            decision = decide(protocol, parse_request(line))
        except RequestError:  # malformed lines have no decision
            continue
        assert decision.to_json() == json.dumps(decision.to_dict(), ensure_ascii=False)
        assert decision.json_line() == decision.to_json().encode() + b"\n"


@pytest.mark.parametrize("tid", ["habs-monmouth", "chaperone-recommended"])
def test_single_requests_print_what_the_plain_path_prints(tid, tmp_path, capsys):
    """``chaperone check PROTOCOL REQUEST.json``: the decision, or pydantic's error, unchanged."""
    protocol = load_template(tid)
    path = tmp_path / "request.json"
    for line in corpus(20261202, 150):
        try:
            request = ContactRequest.model_validate_json(line)
        except ValidationError as exc:
            expected = json.dumps(request_error_from(exc).to_dict()) + "\n"
        else:
            try:
                answer = reference.decision(protocol, request)
            except OverflowError:  # within a day of year 1 or 9999 (see plain_output)
                answer = decide(protocol, request).to_dict()
            expected = json.dumps(answer, ensure_ascii=False) + "\n"
        path.write_bytes(line)
        main(["check", "--protocol", tid, str(path)])
        assert capsys.readouterr().out == expected, line


@pytest.mark.parametrize("tid", ["habs-monmouth", "chaperone-recommended"])
def test_workers_writing_in_place_after_what_the_file_holds_give_the_plain_bytes(tid, tmp_path):
    """A regular file: every worker writes its share into its own place at once (pwrite),
    after whatever was written to the file before the command; the file's position ends after
    the output, so what is written next follows it."""
    protocol = load_template(tid)
    path = tmp_path / "out.jsonl"
    with path.open("wb") as out:
        out.write(b"before\n")
        decide_jsonl(protocol, DATA, out, workers=3, threshold=100)
        out.write(b"after\n")
    expected = plain_output(protocol, split_lines(DATA))
    got = path.read_bytes()
    assert got == b"before\n" + expected + b"after\n", first_difference(got[7:], expected)


def test_an_appended_file_and_a_pipe_get_the_plain_bytes_in_turn(tmp_path):
    """``>>`` (O_APPEND: Linux appends whatever the offset) and a pipe cannot be written in
    place; the workers write in turn there, and the bytes are the same."""
    import os
    import threading

    from chaperone.rules.bulk import _write_position

    protocol = load_template("habs-monmouth")
    expected = plain_output(protocol, split_lines(DATA))
    path = tmp_path / "appended.jsonl"
    path.write_bytes(b"kept\n")
    with path.open("ab") as out:
        assert _write_position(out.fileno()) is None
        decide_jsonl(protocol, DATA, out, workers=2, threshold=100)
    assert path.read_bytes() == b"kept\n" + expected

    read_end, write_end = os.pipe()
    chunks: list[bytes] = []
    reader = threading.Thread(
        target=lambda: chunks.extend(iter(lambda: os.read(read_end, 1 << 16), b""))
    )
    reader.start()
    with os.fdopen(write_end, "wb") as out:
        assert _write_position(out.fileno()) is None
        decide_jsonl(protocol, DATA, out, workers=2, threshold=100)
    reader.join()
    os.close(read_end)
    assert b"".join(chunks) == expected


@pytest.mark.parametrize("tid", ["habs-monmouth", "chaperone-recommended"])
@pytest.mark.parametrize("workers", [1, 3])
def test_a_mapped_input_file_gives_the_plain_bytes(tid, workers, tmp_path):
    """``--jsonl FILE`` maps the file instead of reading it (:func:`map_input`); its lines are
    views into the mapping, serially and across workers, and the bytes are the same."""
    from chaperone.rules.bulk import map_input

    source = tmp_path / "in.jsonl"
    source.write_bytes(DATA)
    mapped = map_input(str(source))
    assert mapped is not None
    path = tmp_path / "out.jsonl"
    with path.open("wb") as out:
        decide_jsonl(load_template(tid), mapped, out, workers=workers, threshold=100)
    mapped.close()
    expected = plain_output(load_template(tid), split_lines(DATA))
    got = path.read_bytes()
    assert got == expected, first_difference(got, expected)


def test_the_real_command_reads_a_file_with_a_byte_order_mark_as_standard_input(tmp_path):
    """A file starting with a UTF-8 byte order mark is read (not mapped) and the mark dropped,
    as from standard input; an empty file gives no output."""
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + DATA)
    command = [sys.executable, "-m", "chaperone.cli", "check", "--protocol", "habs-monmouth"]
    from_file = subprocess.run(
        [*command, "--jsonl", str(path)], capture_output=True, cwd=REPO, timeout=120
    )
    from_stdin = subprocess.run(
        [*command, "--jsonl", "-"], input=DATA, capture_output=True, cwd=REPO, timeout=120
    )
    assert from_file.stdout == from_stdin.stdout
    assert from_file.stdout == plain_output(load_template("habs-monmouth"), split_lines(DATA))
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    proc = subprocess.run(
        [*command, "--jsonl", str(empty)], capture_output=True, cwd=REPO, timeout=120
    )
    assert (proc.returncode, proc.stdout) == (0, b"")
