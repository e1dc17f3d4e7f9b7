"""Rule-level differences between two protocols (``chaperone protocols diff``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .protocol import Protocol

_METADATA = ("id", "title", "owner", "version", "effective", "review", "time_zone")
_METADATA_MORE = ("retention_days", "summary", "based_on", "codes")


@dataclass(frozen=True)
class Change:
    """One field that differs: ``old`` -> ``new`` (JSON-ready values)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ProtocolDiff:
    a: str
    b: str
    metadata: list[Change] = field(default_factory=list)
    platforms_added: list[str] = field(default_factory=list)
    platforms_removed: list[str] = field(default_factory=list)
    windows_added: list[str] = field(default_factory=list)
    windows_removed: list[str] = field(default_factory=list)
    windows_changed: dict[str, list[Change]] = field(default_factory=dict)
    rules_added: list[str] = field(default_factory=list)
    rules_removed: list[str] = field(default_factory=list)
    rules_changed: dict[str, list[Change]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.metadata,
                self.platforms_added,
                self.platforms_removed,
                self.windows_added,
                self.windows_removed,
                self.windows_changed,
                self.rules_added,
                self.rules_removed,
                self.rules_changed,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        def changes(items: list[Change]) -> list[dict[str, Any]]:
            return [{"field": c.field, "old": c.old, "new": c.new} for c in items]

        return {
            "a": self.a,
            "b": self.b,
            "metadata": changes(self.metadata),
            "platforms": {"added": self.platforms_added, "removed": self.platforms_removed},
            "windows": {
                "added": self.windows_added,
                "removed": self.windows_removed,
                "changed": {k: changes(v) for k, v in self.windows_changed.items()},
            },
            "rules": {
                "added": self.rules_added,
                "removed": self.rules_removed,
                "changed": {k: changes(v) for k, v in self.rules_changed.items()},
            },
        }

    def to_text(self) -> str:
        if self.empty:
            return f"{self.a} and {self.b}: no differences\n"
        lines = [f"--- {self.a}", f"+++ {self.b}"]
        for c in self.metadata:
            lines.append(f"~ {c.field}: {_show(c.old)} -> {_show(c.new)}")
        lines += [f"+ platform {p}" for p in self.platforms_added]
        lines += [f"- platform {p}" for p in self.platforms_removed]
        lines += [f"+ window {w}" for w in self.windows_added]
        lines += [f"- window {w}" for w in self.windows_removed]
        for name, items in self.windows_changed.items():
            lines.append(f"~ window {name}")
            lines += [f"    {c.field}: {_show(c.old)} -> {_show(c.new)}" for c in items]
        lines += [f"+ rule {r}" for r in self.rules_added]
        lines += [f"- rule {r}" for r in self.rules_removed]
        for rule_id, items in self.rules_changed.items():
            lines.append(f"~ rule {rule_id}")
            lines += [f"    {c.field}: {_show(c.old)} -> {_show(c.new)}" for c in items]
        return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _fields(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    return [
        Change(key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new), key=lambda k: (k not in old, k))
        if old.get(key) != new.get(key)
    ]


def diff_protocols(a: Protocol, b: Protocol) -> ProtocolDiff:
    """What changes going from ``a`` to ``b``: metadata, platforms, windows and rules by id."""
    da = a.model_dump(mode="json", exclude_none=True)
    db = b.model_dump(mode="json", exclude_none=True)
    meta = {k: da.get(k) for k in (*_METADATA, *_METADATA_MORE)}
    meta_b = {k: db.get(k) for k in (*_METADATA, *_METADATA_MORE)}
    out = ProtocolDiff(a=f"{a.id} {a.version}", b=f"{b.id} {b.version}")
    out.metadata.extend(
        Change(k, meta[k], meta_b[k]) for k in (*_METADATA, *_METADATA_MORE) if meta[k] != meta_b[k]
    )
    out.platforms_added.extend(p for p in b.platforms if p not in a.platforms)
    out.platforms_removed.extend(p for p in a.platforms if p not in b.platforms)
    wa, wb = da.get("windows", {}), db.get("windows", {})
    out.windows_added.extend(w for w in wb if w not in wa)
    out.windows_removed.extend(w for w in wa if w not in wb)
    for name in wa:
        if name in wb and wa[name] != wb[name]:
            out.windows_changed[name] = _fields(wa[name], wb[name])
    ra = {r["id"]: _flat_rule(r) for r in da["rules"]}
    rb = {r["id"]: _flat_rule(r) for r in db["rules"]}
    out.rules_added.extend(r for r in rb if r not in ra)
    out.rules_removed.extend(r for r in ra if r not in rb)
    for rule_id, old in ra.items():
        if rule_id in rb and old != rb[rule_id]:
            out.rules_changed[rule_id] = _fields(old, rb[rule_id])
    return out


def _flat_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule with its condition tables flattened to ``when.kind`` style keys."""
    flat: dict[str, Any] = {}
    for key, value in rule.items():
        if key in {"when", "unless", "require"}:
            for name, cond in value.items():
                flat[f"{key}.{name}"] = cond
        else:
            flat[key] = value
    return flat
