"""Reading protocols: TOML text or files, shipped templates, and overlays on a base.

The only I/O in :mod:`chaperone.rules` happens here, and it only reads protocol files.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .protocol import Protocol, ProtocolError, protocol_problems

if TYPE_CHECKING:
    from .overlay import ProtocolOverlay

_TEMPLATE_PACKAGE = "chaperone.rules.templates"
_FRAGMENT_PACKAGE = "chaperone.rules.fragments"
#: What a rule set may bring into the protocol that includes it.
_FRAGMENT_KEYS = {"title", "platforms", "codes", "rules"}


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError([f"not valid TOML: {exc}"], source) from None
    except RecursionError:  # tomllib recurses once per level of nested arrays and tables
        problem = "not valid TOML: arrays or tables nested too deeply"
        raise ProtocolError([problem], source) from None


def load_overlay_text(text: str, *, source: str = "") -> ProtocolOverlay:
    """Parse an overlay file's text (it must have ``extends``) without applying it."""
    from .overlay import ProtocolOverlay  # (imported on first use: templates need none)

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
        if "include" in data:
            problem = (
                "include: school additions cannot include rule sets; the trust's protocol "
                "includes them (a rule set may approve a platform, which only the trust can do)"
            )
            raise ProtocolError([problem], source)
        from .overlay import apply_overlay

        overlay = load_overlay_text(text, source=source)
        if base is None:
            base = resolve_protocol(overlay.extends, search_dir=search_dir)
        return apply_overlay(base, overlay)
    data = with_includes(data, source)
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(protocol_problems(exc, data), source) from None


def fragment_ids() -> list[str]:
    """Ids of the shipped rule sets a protocol can include, sorted."""
    folder = resources.files(_FRAGMENT_PACKAGE)
    return sorted(
        item.name.removesuffix(".toml") for item in folder.iterdir() if item.name.endswith(".toml")
    )


@cache
def _fragment(fragment_id: str) -> dict[str, Any]:
    text = resources.files(_FRAGMENT_PACKAGE).joinpath(f"{fragment_id}.toml").read_text("utf-8")
    return _parse_toml(text, fragment_id)


def with_includes(data: dict[str, Any], source: str = "") -> dict[str, Any]:
    """``data`` with the rule sets its ``include`` names merged in: their rules after its own,
    their codes and approved platforms added (the protocol's own meanings win)."""
    if "include" not in data:
        return data
    names = data["include"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ProtocolError(["include: a list of rule set names"], source)
    unknown = [n for n in names if n not in fragment_ids()]
    if unknown:
        known = ", ".join(fragment_ids())
        problems = [f"include: unknown rule set {n!r} (shipped: {known})" for n in unknown]
        raise ProtocolError(problems, source)
    out = {k: v for k, v in data.items() if k != "include"}
    for name in names:
        fragment = _fragment(name)
        assert set(fragment) <= _FRAGMENT_KEYS, name
        platforms = list(out.get("platforms") or [])
        out["platforms"] = platforms + [p for p in fragment["platforms"] if p not in platforms]
        out["codes"] = {**fragment.get("codes", {}), **out.get("codes", {})}
        out["rules"] = [*out.get("rules", []), *fragment["rules"]]
    return out


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
