"""Reading protocols: TOML text or files, shipped templates, and overlays on a base.

The only I/O in :mod:`chaperone.rules` happens here, and it only reads protocol files.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .overlay import ProtocolOverlay, apply_overlay
from .protocol import Protocol, ProtocolError

_TEMPLATE_PACKAGE = "chaperone.rules.templates"


def _where(loc: tuple[Any, ...], data: Any) -> str:
    """``('rules', 3, 'when', 'x')`` as ``rule 'some-id': when.x`` (the id read from ``data``)."""
    parts = list(loc)
    if len(parts) >= 2 and parts[0] == "rules" and isinstance(parts[1], int):
        rule_id = "#" + str(parts[1])
        rules = data.get("rules") if isinstance(data, dict) else None
        if isinstance(rules, list) and parts[1] < len(rules) and isinstance(rules[parts[1]], dict):
            rule_id = repr(rules[parts[1]].get("id", rule_id))
        rest = ".".join(str(p) for p in parts[2:])
        return f"rule {rule_id}" + (f": {rest}" if rest else "")
    if len(parts) >= 2 and parts[0] == "windows":
        rest = ".".join(str(p) for p in parts[2:])
        return f"window {parts[1]!r}" + (f": {rest}" if rest else "")
    return ".".join(str(p) for p in parts)


def protocol_problems(exc: ValidationError, data: Any) -> list[str]:
    """Readable problems from a pydantic error on a protocol or overlay."""
    problems: list[str] = []
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        if err["type"] == "protocol_semantics":
            problems.extend(ctx.get("problems", []))
            continue
        where = _where(err["loc"], data)
        if err["type"] == "extra_forbidden":
            name = str(err["loc"][-1])
            table = str(err["loc"][-2]) if len(err["loc"]) >= 2 else ""
            what = "condition" if table in {"when", "unless", "require"} else "field"
            problems.append(f"{where}: unknown {what} {name!r}")
        elif err["type"] == "missing":
            problems.append(f"{where}: required but missing")
        else:
            problems.append(f"{where}: {err['msg']}")
    return problems


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError([f"not valid TOML: {exc}"], source) from None
    except RecursionError:
        raise ProtocolError(["not valid TOML: nested too deeply to read"], source) from None


def load_overlay_text(text: str, *, source: str = "") -> ProtocolOverlay:
    """Parse an overlay file's text (it must have ``extends``) without applying it."""
    data = _parse_toml(text, source)
    try:
        return ProtocolOverlay.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(protocol_problems(exc, data), source) from None


def load_protocol_text(
    text: str,
    *,
    base: Protocol | None = None,
    search_dir: Path | None = None,
    source: str = "",
) -> Protocol:
    """A validated :class:`Protocol` from TOML text.

    Text with ``extends`` is an overlay: it is applied to ``base`` if given, else to the protocol
    its ``extends`` names (a shipped template, or ``<id>.toml`` in ``search_dir``).
    """
    data = _parse_toml(text, source)
    if "extends" in data:
        overlay = load_overlay_text(text, source=source)
        if base is None:
            base = resolve_protocol(overlay.extends, search_dir=search_dir)
        return apply_overlay(base, overlay)
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(protocol_problems(exc, data), source) from None


def load_protocol_file(path: str | Path, *, base: Protocol | None = None) -> Protocol:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError([f"cannot read protocol file: {exc.strerror}"], str(path)) from None
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            [f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"], str(path)
        ) from None
    return load_protocol_text(text, base=base, search_dir=path.parent, source=str(path))


def template_ids() -> list[str]:
    """Ids of the shipped templates, sorted."""
    folder = resources.files(_TEMPLATE_PACKAGE)
    return sorted(
        item.name.removesuffix(".toml") for item in folder.iterdir() if item.name.endswith(".toml")
    )


@cache
def load_template(template_id: str) -> Protocol:
    """A shipped template by id (loaded and compiled once per process)."""
    if template_id not in template_ids():
        raise ProtocolError(
            [f"unknown protocol {template_id!r}; shipped: {', '.join(template_ids())}"],
            code="unknown_protocol",
        )
    text = resources.files(_TEMPLATE_PACKAGE).joinpath(f"{template_id}.toml").read_text("utf-8")
    return load_protocol_text(text, source=template_id)


def resolve_protocol(ref: str, *, search_dir: Path | None = None) -> Protocol:
    """A shipped template id, or a path to a protocol (or overlay) file."""
    if ref in template_ids():
        return load_template(ref)
    candidates = [Path(ref)]
    if search_dir is not None:
        candidates.append(search_dir / f"{ref}.toml")
    for candidate in candidates:
        if candidate.is_file():
            return load_protocol_file(candidate)
    raise ProtocolError(
        [
            f"unknown protocol {ref!r}: not a shipped template ({', '.join(template_ids())}) "
            "nor a readable file"
        ],
        code="unknown_protocol",
    )
