"""The protocol file format: pydantic models, load-time validation and compilation.

A protocol is TOML data (see ``docs/protocol-format.md``). Structural problems (unknown keys, wrong
types) and semantic ones (unknown window or code, a refusing rule without a remedy ...) are all
reported together in one :class:`ProtocolError`, each naming the rule id and field concerned.
"""

from __future__ import annotations

import re
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
    model_validator,
)
from pydantic_core import PydanticCustomError

from .compiled import CompiledProtocol
from .conditions import Conditions
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


class ProtocolError(ValueError):
    """A protocol (or overlay) that cannot be used; ``problems`` lists every reason found."""

    def __init__(
        self, problems: list[str], source: str = "", *, code: str = "invalid_protocol"
    ) -> None:
        self.problems = list(problems)
        self.source = source
        self.code = code
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(self.problems))


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
        self._compiled = CompiledProtocol(self)
        return self

    @property
    def compiled(self) -> CompiledProtocol:
        """The executable form, built at validation (and again after unpickling)."""
        if self._compiled is None:
            self._compiled = CompiledProtocol(self)
        return self._compiled

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

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

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
