"""Writing protocol data as TOML text (the standard library only reads TOML).

Enough of TOML for protocol files: scalars, dates, lists, inline tables, ``[table]``,
``[windows.<name>]`` sub-tables and the ``[[rules]]`` array of tables. Strings are written as
basic strings; JSON's escapes are TOML's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
#: tables whose entries are themselves tables, written as ``[name.key]`` sub-tables
_SUBTABLES = frozenset({"windows"})


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {value_text(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _pairs(table: Mapping[str, Any]) -> list[str]:
    return [f"{_key(k)} = {value_text(v)}" for k, v in table.items() if v != {}]


def toml_text(data: Mapping[str, Any], *, comment: str = "") -> str:
    """``data`` (a protocol or overlay as plain values) as TOML text."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    tables: list[tuple[str, Mapping[str, Any]]] = []
    arrays: list[tuple[str, list[Mapping[str, Any]]]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            tables.append((key, value))
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            arrays.append((key, value))
        else:
            lines.append(f"{_key(key)} = {value_text(value)}")
    for key, table in tables:
        if not table:
            continue
        if key in _SUBTABLES:
            for name, sub in table.items():
                lines += ["", f"[{_key(key)}.{_key(name)}]", *_pairs(sub)]
        else:
            lines += ["", f"[{_key(key)}]", *_pairs(table)]
    for key, items in arrays:
        for item in items:
            lines += ["", f"[[{_key(key)}]]", *_pairs(item)]
    return "\n".join(lines) + "\n"


_RULE_ID = re.compile(r"^rule '([^']+)'")
_WINDOW_NAME = re.compile(r"^window '([^']+)'")
_TOP_KEY = re.compile(r"^([a-z_]+)[.:]")


def problem_line(text: str, problem: str) -> int | None:
    """The line of ``text`` (1-based) an engine problem is about: the rule's ``id = ...`` line (or
    where the file names the rule), the window's table header, or the top-level key; None when
    it names none of these."""
    lines = text.splitlines()

    def first(pattern: str) -> int | None:
        compiled = re.compile(pattern)
        return next((n for n, line in enumerate(lines, 1) if compiled.match(line)), None)

    rule = _RULE_ID.match(problem)
    if rule:
        rule_id = re.escape(rule.group(1))
        # its own [[rules]] entry, else where the file names it (raise_effect, remove_rules)
        return first(rf"""\s*id\s*=\s*["']{rule_id}["']""") or first(
            rf"""(\s*{rule_id}\s*=|.*["']{rule_id}["'])"""
        )
    window = _WINDOW_NAME.match(problem)
    if window:
        return first(rf"\s*\[windows\.{re.escape(window.group(1))}\]")
    key = _TOP_KEY.match(problem)
    if key:
        return first(rf"\s*(\[)?{re.escape(key.group(1))}\b")
    return None


def with_line(text: str, problem: str) -> str:
    """``problem`` prefixed with the line it is about, when that can be found."""
    line = problem_line(text, problem)
    return problem if line is None or problem.startswith("line ") else f"line {line}: {problem}"
