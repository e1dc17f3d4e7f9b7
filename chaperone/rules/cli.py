"""``chaperone check`` and ``chaperone protocols ...``: the engine from the command line.

``main(args)`` receives the arguments starting with ``check`` or ``protocols`` and returns the exit
status: 0 when it did its job (a decision was made, whatever the outcome), 2 for a malformed
request, an unknown or invalid protocol, or a usage error, with a one-line JSON error on stdout
for ``check``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .errors import ProtocolError, RequestError, error_body

if TYPE_CHECKING:
    from .bulk import Buffer
    from .compiled import CompiledProtocol
    from .protocol import Protocol

# Everything else is imported where it is used: ``check`` of a shipped template decides from
# the compiled snapshot (:mod:`.snapshot`) and, for --jsonl, never needs pydantic at all.

EXIT_OK = 0
EXIT_ERROR = 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _error_line(code: str, message: str, field: str = "") -> str:
    return json.dumps(error_body(code, message, field))


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _read_input(ref: str) -> bytes:
    """The bytes of a request file (or standard input), without a UTF-8 byte order mark."""
    data = sys.stdin.buffer.read() if ref == "-" else Path(ref).read_bytes()
    return data.removeprefix(b"\xef\xbb\xbf")


def _jsonl_input(ref: str) -> Buffer:
    """A ``--jsonl`` input: a regular file mapped into memory where it can be, else its bytes."""
    from .bulk import map_input

    mapped = map_input(ref) if ref != "-" else None
    return mapped if mapped is not None else _read_input(ref)


# --- check ---------------------------------------------------------------------------------


def _compiled(ref: str) -> CompiledProtocol:
    """The compiled protocol ``ref`` names: a shipped template from the current snapshot, or
    whatever :func:`~.loading.resolve_protocol` finds (it names the problem if nothing)."""
    from .snapshot import compiled_template

    found = compiled_template(ref)
    if found is not None:
        return found
    from .loading import resolve_protocol

    return resolve_protocol(ref).compiled


def _check(args: argparse.Namespace) -> int:
    protocol = _compiled(args.protocol)  # ProtocolError: reported by main()
    source = args.jsonl if args.jsonl is not None else args.request
    if source is None:
        _write(_error_line("usage", "give a REQUEST.json (or -) or --jsonl FILE", "request") + "\n")
        return EXIT_ERROR
    try:
        if args.jsonl is not None:
            lines = _jsonl_input(source)
        else:
            data = _read_input(source)
    except OSError as exc:
        _write(_error_line("unreadable_request", f"{source}: {exc.strerror}", "request") + "\n")
        return EXIT_ERROR
    if args.jsonl is not None:
        from .bulk import decide_jsonl

        sys.stdout.flush()
        malformed = decide_jsonl(protocol, lines, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return EXIT_ERROR if malformed else EXIT_OK
    from .request import parse_request

    try:
        decision = protocol.decide(parse_request(data))
    except RequestError as exc:
        _write(json.dumps(exc.to_dict()) + "\n")
        return EXIT_ERROR
    text = json.dumps(decision.to_dict(), indent=2) if args.pretty else decision.to_json()
    _write(text + "\n")
    return EXIT_OK


# --- protocols -------------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    from .loading import resolve_protocol, template_ids

    ids = template_ids()
    if args.json:
        rows = []
        for tid in ids:
            p = resolve_protocol(tid)
            rows.append({"id": p.id, "title": p.title, "version": p.version, "owner": p.owner.name})
        _write(json.dumps(rows) + "\n")
    else:
        _write("".join(f"{tid}\n" for tid in ids))
    return EXIT_OK


def _summary(p: Protocol) -> dict[str, Any]:
    counts = {e: sum(1 for r in p.rules if r.effect == e) for e in ("refuse", "pending", "info")}
    return {
        "id": p.id,
        "title": p.title,
        "owner": p.owner.model_dump(),
        "version": p.version,
        "effective": p.effective.isoformat(),
        "review": p.review.isoformat(),
        "time_zone": p.time_zone,
        "retention_days": p.retention_days,
        "platforms": list(p.platforms),
        "windows": {k: w.model_dump(exclude_none=True) for k, w in p.windows.items()},
        "based_on": p.based_on.model_dump() if p.based_on else None,
        "rules": counts,
        "codes": p.all_codes(),
    }


def _show(args: argparse.Namespace) -> int:
    from .loading import resolve_protocol

    p = resolve_protocol(args.protocol)
    info = _summary(p)
    if args.json:
        _write(json.dumps(info, indent=2) + "\n")
        return EXIT_OK
    lines = [
        f"{p.title}",
        f"  id: {p.id}   version: {p.version}   owner: {p.owner.name} ({p.owner.kind})",
        f"  in force {info['effective']}, review by {info['review']}, time zone {p.time_zone}",
        f"  platforms: {', '.join(p.platforms)}",
    ]
    if p.based_on:
        lines.append(f"  based on: {p.based_on.id} {p.based_on.version}")
    if p.retention_days:
        lines.append(f"  retention: {p.retention_days} days")
    for name, w in p.windows.items():
        lines.append(f"  window {name}: {w.start}-{w.end} {','.join(w.days)}")
    counts = info["rules"]
    lines.append(
        f"  rules: {len(p.rules)} ({counts['refuse']} refuse, {counts['pending']} pending, "
        f"{counts['info']} info)"
    )
    for r in p.rules:
        lines.append(f"    [{r.effect:7}] {r.id}: {r.code}")
    _write("\n".join(lines) + "\n")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from .loading import load_protocol_file, resolve_protocol

    try:
        base = resolve_protocol(args.base) if args.base else None
        p = load_protocol_file(args.file, base=base)
    except ProtocolError as exc:
        where = exc.source or args.file
        sys.stdout.write(f"{where}: {len(exc.problems)} problem(s)\n")
        sys.stdout.write("".join(f"  - {problem}\n" for problem in exc.problems))
        return EXIT_ERROR
    _write(f"{args.file}: valid ({p.id} {p.version}, {len(p.rules)} rules)\n")
    return EXIT_OK


# (diff, documents and schemas are imported when asked for: ``check`` starts sooner without them)


def _diff(args: argparse.Namespace) -> int:
    from .diff import diff_protocols
    from .loading import resolve_protocol

    d = diff_protocols(resolve_protocol(args.a), resolve_protocol(args.b))
    _write(json.dumps(d.to_dict(), indent=2) + "\n" if args.json else d.to_text())
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from .schema import json_schema

    _write(json.dumps(json_schema(args.kind), indent=2) + "\n")
    return EXIT_OK


def _render(args: argparse.Namespace) -> int:
    from .document import build_document, render_html, render_pdf, render_text
    from .loading import resolve_protocol

    doc = build_document(resolve_protocol(args.protocol), args.audience)
    if args.format == "pdf":
        payload = render_pdf(doc)
    else:
        text = render_html(doc) if args.format == "html" else render_text(doc)
        payload = text.encode("utf-8")
    if args.output and args.output != "-":
        Path(args.output).write_bytes(payload)
    else:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    root = _Parser(prog="chaperone", description="Chaperone protocol engine.")
    sub = root.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = sub.add_parser("check", help="decide a contact request under a protocol")
    check.add_argument("--protocol", required=True, help="shipped template id or protocol file")
    check.add_argument("request", nargs="?", help="request JSON file, or - for stdin")
    check.add_argument("--jsonl", metavar="FILE", help="one request a line (- for stdin)")
    check.add_argument("--pretty", action="store_true", help="indent the decision JSON")
    check.set_defaults(run=_check)

    protocols = sub.add_parser("protocols", help="list, inspect and render protocols")
    psub = protocols.add_subparsers(dest="action", required=True, parser_class=_Parser)
    p = psub.add_parser("list", help="ids of the shipped templates")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_list)
    p = psub.add_parser("show", help="summary of a protocol")
    p.add_argument("protocol")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_show)
    p = psub.add_parser("validate", help="check a protocol or overlay file")
    p.add_argument("file")
    p.add_argument("--base", help="trust protocol (id or file) an overlay extends")
    p.set_defaults(run=_validate)
    p = psub.add_parser("diff", help="rule-level differences between two protocols")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_diff)
    p = psub.add_parser("schema", help="JSON Schema of protocol files")
    p.add_argument("--kind", choices=["protocol", "overlay", "request"], default="protocol")
    p.set_defaults(run=_schema)
    p = psub.add_parser("render", help="the protocol as a document for staff or parents")
    p.add_argument("protocol")
    p.add_argument("--audience", choices=["staff", "parent"], default="staff")
    p.add_argument("--format", choices=["html", "text", "pdf"], default="html")
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.set_defaults(run=_render)
    return root


def main(args: Sequence[str]) -> int:
    try:
        ns = _parser().parse_args(list(args))
    except UsageError as exc:
        if args and args[0] == "check":
            _write(_error_line("usage", str(exc)) + "\n")
        else:
            sys.stderr.write(f"{exc}\n")
        return EXIT_ERROR
    try:
        result: int = ns.run(ns)
    except ProtocolError as exc:
        if ns.command == "check":
            _write(_error_line(exc.code, str(exc), "protocol") + "\n")
        else:
            sys.stderr.write(f"error: {exc}\n")
        return EXIT_ERROR
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
