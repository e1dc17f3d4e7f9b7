"""The protocol file format: pydantic models, load-time validation and compilation.

A protocol is TOML data (see ``docs/protocol-format.md``). Structural problems (unknown keys, wrong
types) and semantic ones (unknown window or code, a refusing rule without a remedy ...) are all
reported together in one :class:`ProtocolError`, each naming the rule id and field concerned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .compiled import CompiledProtocol
from .conditions import Conditions
from .errors import ProtocolError as ProtocolError  # (re-exported: its home before errors.py)
from .vocab import CONTRACT_CODES, Effect, Platform, Weekday

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]
Code = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=60)]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Text = Annotated[str, Field(min_length=1)]
ONE_LINE = r"^[^\x00-\x1f\x7f]+$"


def _one_line(value: str) -> str:
    if not re.fullmatch(ONE_LINE, value):
        raise PydanticCustomError(
            "one_line", "one line of text, without line breaks or control characters"
        )
    return value


#: a version label such as "2026.1": one line of text, as it names downloads and stored versions
VersionLabel = Annotated[
    str,
    Field(min_length=1, max_length=60, json_schema_extra={"pattern": ONE_LINE}),
    AfterValidator(_one_line),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Owner(_Frozen):
    kind: Literal["trust", "school", "template"]
    name: Text


class Window(_Frozen):
    """A named daily time window, in the protocol's time zone."""

    start: ClockTime = Field(description="Opening time, HH:MM (24-hour clock).")
    end: ClockTime = Field(description="Closing time, HH:MM; the call must have ended by then.")
    days: list[Weekday] = Field(min_length=1, description="Weekdays on which the window opens.")
    description: str | None = None


class BasedOn(_Frozen):
    id: Slug
    version: Text


class Rule(_Frozen):
    """One declarative rule: where it applies, what satisfies it, and what to say if it fires."""

    id: Slug = Field(description="Stable identifier, unique within the protocol.")
    code: Code = Field(description="Finding code: a contract code or one declared under [codes].")
    effect: Effect = Field(description="refuse, pending (steps before the call) or info.")
    text: Text = Field(description="The rule in plain English, as shown to staff.")
    remedy: str | None = Field(None, description="What would make the request acceptable.")
    why: str | None = Field(None, description="The reason the rule exists.")
    label: str | None = Field(None, description="Short checklist label (required for info).")
    parent: str | None = Field(None, description="The rule as explained to parents, if at all.")
    when: Conditions = Field(default_factory=Conditions, description="Applies if all hold.")
    unless: Conditions = Field(default_factory=Conditions, description="Waived if any holds.")
    require: Conditions = Field(default_factory=Conditions, description="Met if all hold.")


class Protocol(_Frozen):
    """A complete, validated, compiled protocol."""

    id: Slug
    title: Text
    owner: Owner
    version: VersionLabel
    effective: date
    review: date
    time_zone: str = "Europe/London"
    retention_days: StrictInt | None = Field(
        None, ge=1, le=3650, description="Days recordings and call logs are kept."
    )
    summary: str | None = Field(None, description="A short introduction for the documents.")
    platforms: list[Platform] = Field(min_length=1, description="Approved platforms.")
    windows: dict[Slug, Window] = Field(default_factory=dict)
    codes: dict[Code, Text] = Field(
        default_factory=dict, description="Codes this protocol adds, with their meaning."
    )
    based_on: BasedOn | None = Field(None, description="Set when built from a trust overlay.")
    rules: list[Rule] = Field(min_length=1)

    _compiled: CompiledProtocol | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _semantics(self) -> Protocol:
        problems = semantic_problems(self)
        if problems:
            raise PydanticCustomError(
                "protocol_semantics",
                "{summary}",
                {"summary": "; ".join(problems), "problems": problems},
            )
        # Compile once, here, so that every Protocol in existence is valid *and* executable.
        self._compiled = CompiledProtocol(self.spec())
        return self

    @property
    def compiled(self) -> CompiledProtocol:
        """The executable form, built at validation (and again after unpickling)."""
        # Read the private slot directly: pydantic's attribute lookup for private attributes
        # costs more than a whole decision.
        private = self.__pydantic_private__
        compiled: CompiledProtocol | None = private.get("_compiled") if private else None
        if compiled is None:
            compiled = self._compiled = CompiledProtocol(self.spec())
        return compiled

    def __eq__(self, other: object) -> bool:
        # Equal content means equal protocols, whether or not either is compiled yet.
        if not isinstance(other, Protocol):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((self.id, self.version, self.owner))

    def __getstate__(self) -> dict[Any, Any]:
        # The compiled form holds closures, which cannot be pickled; it is rebuilt on first use.
        state = super().__getstate__()
        state["__pydantic_private__"] = {
            **(state.get("__pydantic_private__") or {}),
            "_compiled": None,
        }
        return state

    def spec(self) -> dict[str, Any]:
        """All that deciding reads from this protocol, as plain JSON data (placeholders filled).

        :class:`~.compiled.CompiledProtocol` is built from it, and ``chaperone check`` keeps the
        shipped templates' specs in ``templates/compiled.json`` (:mod:`.snapshot`) so that it
        can decide without loading TOML or pydantic.
        """
        fill = self.render
        return {
            "id": self.id,
            "version": self.version,
            "time_zone": self.time_zone,
            "platforms": list(self.platforms),
            "windows": {
                name: {"start": w.start, "end": w.end, "days": list(w.days)}
                for name, w in self.windows.items()
            },
            "rules": [
                {
                    "when": r.when.given(),
                    "unless": r.unless.given(),
                    "require": r.require.given(),
                    "finding": {
                        "code": r.code,
                        "effect": r.effect,
                        "rule": fill(r.text),
                        "remedy": fill(r.remedy) if r.remedy is not None else None,
                        "rule_id": r.id,
                        "label": fill(r.label) if r.label is not None else None,
                        "why": fill(r.why) if r.why is not None else None,
                    },
                }
                for r in self.rules
            ],
        }

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def render(self, text: str) -> str:
        """``text`` with its placeholders filled from this protocol's fields (see
        :data:`PLACEHOLDERS`); checked at load, so every placeholder here is known."""
        return _PLACEHOLDER.sub(lambda m: _fill(self, m.group(1), m.group(2)), text)

    def all_codes(self) -> dict[str, str]:
        """Every code this protocol may emit, with its meaning."""
        used = {r.code for r in self.rules}
        known = {**CONTRACT_CODES, **self.codes}
        return {code: known[code] for code in sorted(used)}


def semantic_problems(p: Protocol) -> list[str]:
    """Problems pydantic's structural checks cannot see, each naming rule id and field."""
    problems: list[str] = []
    try:
        ZoneInfo(p.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"time_zone: unknown time zone {p.time_zone!r}")
    if p.review < p.effective:
        problems.append("review: the review date is before the effective date")
    if len(set(p.platforms)) != len(p.platforms):
        problems.append("platforms: a platform is listed twice")
    for name, w in p.windows.items():
        if w.end <= w.start:
            problems.append(f"window {name!r}: end {w.end} is not after start {w.start}")
    for code in p.codes:
        if code in CONTRACT_CODES:
            problems.append(f"codes.{code}: already a contract code; do not redeclare it")
    problems += placeholder_problems(p)
    seen: set[str] = set()
    for rule in p.rules:
        where = f"rule {rule.id!r}"
        if rule.id in seen:
            problems.append(f"{where}: id: duplicate rule id")
        seen.add(rule.id)
        if rule.code not in CONTRACT_CODES and rule.code not in p.codes:
            problems.append(
                f"{where}: code: unknown code {rule.code!r} "
                "(use a contract code or declare it under [codes] with its meaning)"
            )
        if rule.effect != "info" and not (rule.remedy or "").strip():
            problems.append(f"{where}: remedy: a {rule.effect} rule must say what would fix it")
        if rule.effect == "info" and not (rule.label or "").strip():
            problems.append(f"{where}: label: an info rule needs a short checklist label")
        for table in ("when", "unless", "require"):
            names = getattr(rule, table).within_window or []
            for window in names:
                if window not in p.windows:
                    known = ", ".join(sorted(p.windows)) or "none defined"
                    problems.append(
                        f"{where}: {table}.within_window: unknown window {window!r} "
                        f"(known: {known})"
                    )
    return problems


#: The placeholders rule texts may hold, so that their numbers and lists follow the protocol.
PLACEHOLDERS: dict[str, str] = {
    "retention_days": "the number of days recordings and logs are kept (retention_days)",
    "platforms": "the approved platforms, by name (Microsoft Teams, Zoom or Google Meet)",
    "video_platforms": "the approved platforms other than the telephone",
    "owner": "the name of the trust or school the protocol belongs to",
    "window:NAME": "a window's hours and days (08:30-17:30, Monday to Friday)",
    "window_start:NAME": "a window's opening time (08:30)",
    "window_end:NAME": "a window's closing time (17:30)",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z0-9_-]+))?\}")
_RULE_TEXTS = ("text", "remedy", "why", "label", "parent")
PLATFORM_NAMES = {
    "teams": "Microsoft Teams",
    "zoom": "Zoom",
    "meet": "Google Meet",
    "phone": "telephone",
    "other": "other platforms",
}
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


def join_words(words: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def day_span(days: Sequence[str]) -> str:
    order = list(DAY_NAMES)
    idx = sorted(order.index(d) for d in days)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{DAY_NAMES[order[idx[0]]]} to {DAY_NAMES[order[idx[-1]]]}"
    return ", ".join(DAY_NAMES[order[i]] for i in idx)


def _fill(p: Protocol, name: str, arg: str | None) -> str:
    if name == "retention_days":
        return str(p.retention_days)
    if name in ("platforms", "video_platforms"):
        chosen = [x for x in p.platforms if name == "platforms" or x != "phone"]
        return join_words([PLATFORM_NAMES[x] for x in chosen])
    if name == "owner":
        return p.owner.name
    w = p.windows[arg or ""]
    if name == "window_start":
        return w.start
    if name == "window_end":
        return w.end
    return f"{w.start}-{w.end}, {day_span(w.days)}"


def _placeholder_problem(p: Protocol, name: str, arg: str | None) -> str | None:
    if f"{name}:NAME" in PLACEHOLDERS:
        if arg is None:
            return f"{{{name}}} needs a window name, as in {{{name}:school_day}}"
        if arg not in p.windows:
            known = ", ".join(sorted(p.windows)) or "none defined"
            return f"{{{name}:{arg}}}: unknown window {arg!r} (known: {known})"
        return None
    if name not in PLACEHOLDERS or arg is not None:
        known = ", ".join("{" + k + "}" for k in PLACEHOLDERS)
        return f"unknown placeholder {{{name}{':' + arg if arg else ''}}} (known: {known})"
    if name == "retention_days" and p.retention_days is None:
        return "{retention_days}: the protocol sets no retention_days"
    if name == "video_platforms" and p.platforms == ["phone"]:
        return "{video_platforms}: the protocol approves no video platform"
    return None


def placeholder_problems(p: Protocol) -> list[str]:
    """Each unknown or unfillable placeholder, naming where it is."""
    texts: list[tuple[str, str | None]] = [("summary", p.summary)]
    for rule in p.rules:
        texts += [(f"rule {rule.id!r}: {f}", getattr(rule, f)) for f in _RULE_TEXTS]
    problems = []
    for where, text in texts:
        for m in _PLACEHOLDER.finditer(text or ""):
            problem = _placeholder_problem(p, m.group(1), m.group(2))
            if problem:
                problems.append(f"{where}: {problem}")
    return problems


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
