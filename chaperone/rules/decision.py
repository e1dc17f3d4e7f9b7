"""What the engine answers: a :class:`Decision` made of :class:`Finding` s."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired. ``remedy`` is set for every refuse/pending finding."""

    code: str
    effect: str
    rule: str
    remedy: str | None
    rule_id: str
    label: str | None = None
    why: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "effect": self.effect,
            "rule": self.rule,
            "remedy": self.remedy,
            "rule_id": self.rule_id,
        }
        if self.label is not None:
            out["label"] = self.label
        if self.why is not None:
            out["why"] = self.why
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one request under one protocol version. Immutable and shareable."""

    outcome: str
    protocol_id: str
    protocol_version: str
    findings: tuple[Finding, ...]
    _json: str = field(default="", repr=False, compare=False)
    _line: bytes = field(default=b"", repr=False, compare=False)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "protocol": {"id": self.protocol_id, "version": self.protocol_version},
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self) -> str:
        """Compact one-line JSON; computed once per distinct decision."""
        if not self._json:
            object.__setattr__(self, "_json", json.dumps(self.to_dict(), ensure_ascii=False))
        return self._json

    def json_line(self) -> bytes:
        """:meth:`to_json` as UTF-8 with a trailing newline (for JSON Lines output)."""
        if not self._line:
            object.__setattr__(self, "_line", self.to_json().encode("utf-8") + b"\n")
        return self._line
