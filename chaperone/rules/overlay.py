"""School overlays on a trust protocol: they may tighten it, never loosen it.

An overlay names its base with ``extends`` and may add rules, narrow windows, drop platforms from
the approved list, lengthen retention and raise a rule's effect (info -> pending -> refuse).
Everything that would let through a request the base refuses is reported as a problem naming the
rule, window or platform concerned: removing or redefining a base rule, adding a platform, widening
a window, lowering an effect, shortening retention.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, StrictInt, ValidationError

from .conditions import Conditions
from .protocol import (
    BasedOn,
    Code,
    Owner,
    Protocol,
    ProtocolError,
    Rule,
    Slug,
    Text,
    Window,
    _Frozen,
    protocol_problems,
)
from .vocab import EFFECT_RANK, Effect, Platform


class RaiseEffect(_Frozen):
    effect: Effect
    remedy: str | None = Field(None, description="Needed when an info rule becomes pending/refuse.")


class ProtocolOverlay(_Frozen):
    """A school's additions to a trust (or template) protocol."""

    extends: Slug = Field(description="Id of the protocol this overlay tightens.")
    id: Slug
    title: Text
    owner: Owner
    version: Text
    effective: date
    review: date
    summary: str | None = None
    retention_days: StrictInt | None = Field(None, ge=1, le=3650)
    platforms: list[Platform] | None = Field(
        None, description="The approved list, which must be a subset of the base's."
    )
    deny_platforms: list[Platform] = Field(
        default_factory=list, description="Platforms removed from the base's approved list."
    )
    windows: dict[Slug, Window] = Field(
        default_factory=dict, description="New windows, or narrower versions of base windows."
    )
    codes: dict[Code, Text] = Field(default_factory=dict)
    raise_effect: dict[Slug, Effect | RaiseEffect] = Field(
        default_factory=dict, description="Base rules made stricter: rule id -> new effect."
    )
    remove_rules: list[Slug] = Field(
        default_factory=list, description="Always rejected: removing a rule loosens."
    )
    rules: list[Rule] = Field(default_factory=list, description="Rules the overlay adds.")


def _loosening_uses(base: Protocol, name: str, value: Any = True) -> list[str]:
    """Base rules in which making condition ``name`` true less often would make them bite less.

    A condition that holds less often loosens a rule when it sits in ``when`` with a positive
    value (the rule applies less), or in ``unless``/``require`` with a negative one.
    """
    hits = []
    for rule in base.rules:
        for table in ("when", "unless", "require"):
            conditions: Conditions = getattr(rule, table)
            given = conditions.given().get(name)
            if given is None:
                continue
            positive = given is True or (name == "within_window" and value in given)
            negative = given is False
            if (table == "when" and positive) or (table != "when" and negative):
                hits.append(rule.id)
    return hits


def _narrower(old: Window, new: Window) -> list[str]:
    wider = []
    if new.start < old.start:
        wider.append(f"opens at {new.start}, before {old.start}")
    if new.end > old.end:
        wider.append(f"closes at {new.end}, after {old.end}")
    extra = [d for d in new.days if d not in old.days]
    if extra:
        wider.append(f"adds {', '.join(extra)}")
    return wider


def overlay_problems(base: Protocol, overlay: ProtocolOverlay) -> list[str]:
    problems: list[str] = []
    if overlay.extends != base.id:
        problems.append(f"extends: overlay extends {overlay.extends!r}, not {base.id!r}")
    base_ids = {r.id for r in base.rules}
    for rule_id in overlay.remove_rules:
        problems.append(f"rule {rule_id!r}: removing a base rule loosens the protocol")
    for rule in overlay.rules:
        if rule.id in base_ids:
            problems.append(
                f"rule {rule.id!r}: already defined by {base.id!r}; an overlay cannot redefine a "
                "base rule (that could make it apply less): raise its effect under [raise_effect] "
                "or add a new rule with its own id"
            )
    for rule_id, spec in overlay.raise_effect.items():
        if rule_id not in base_ids:
            problems.append(f"raise_effect.{rule_id}: no rule {rule_id!r} in {base.id!r}")
            continue
        old = base.rule(rule_id).effect
        new = spec if isinstance(spec, str) else spec.effect
        if EFFECT_RANK[new] < EFFECT_RANK[old]:
            problems.append(
                f"rule {rule_id!r}: effect: lowering {old} to {new} loosens the protocol"
            )
    if overlay.platforms is not None:
        for platform in overlay.platforms:
            if platform not in base.platforms:
                problems.append(
                    f"platforms: adding {platform!r}, which {base.id!r} does not approve, "
                    "loosens the protocol"
                )
    if _approved(base, overlay) != list(base.platforms):
        for rule_id in _loosening_uses(base, "platform_approved"):
            problems.append(
                f"rule {rule_id!r}: narrowing the approved platforms would make this rule apply "
                "less"
            )
    for name, window in overlay.windows.items():
        old_window = base.windows.get(name)
        if old_window is None:
            continue
        wider = _narrower(old_window, window)
        if wider:
            problems.append(
                f"window {name!r}: widening it ({'; '.join(wider)}) loosens the protocol"
            )
        elif window != old_window:
            for rule_id in _loosening_uses(base, "within_window", name):
                problems.append(
                    f"rule {rule_id!r}: narrowing window {name!r} would make this rule apply less"
                )
    if (
        base.retention_days is not None
        and overlay.retention_days is not None
        and overlay.retention_days < base.retention_days
    ):
        problems.append(
            f"retention_days: {overlay.retention_days} is shorter than the base's "
            f"{base.retention_days}; shortening retention loosens the protocol"
        )
    return problems


def _approved(base: Protocol, overlay: ProtocolOverlay) -> list[str]:
    keep = set(overlay.platforms) if overlay.platforms is not None else set(base.platforms)
    return [p for p in base.platforms if p in keep and p not in overlay.deny_platforms]


def apply_overlay(base: Protocol, overlay: ProtocolOverlay) -> Protocol:
    """The base protocol tightened by ``overlay``; :class:`ProtocolError` if anything loosens."""
    problems = overlay_problems(base, overlay)
    if problems:
        raise ProtocolError(problems, overlay.id)
    rules = []
    for rule in base.rules:
        rule_data = rule.model_dump(exclude_none=True)
        spec = overlay.raise_effect.get(rule.id)
        if spec is not None:
            rule_data["effect"] = spec if isinstance(spec, str) else spec.effect
            if not isinstance(spec, str) and spec.remedy:
                rule_data["remedy"] = spec.remedy
        rules.append(rule_data)
    rules.extend(r.model_dump(exclude_none=True) for r in overlay.rules)
    data: dict[str, Any] = {
        "id": overlay.id,
        "title": overlay.title,
        "owner": overlay.owner.model_dump(),
        "version": overlay.version,
        "effective": overlay.effective,
        "review": overlay.review,
        "time_zone": base.time_zone,
        "retention_days": overlay.retention_days or base.retention_days,
        "summary": overlay.summary or base.summary,
        "platforms": _approved(base, overlay),
        "windows": {
            **{k: w.model_dump(exclude_none=True) for k, w in base.windows.items()},
            **{k: w.model_dump(exclude_none=True) for k, w in overlay.windows.items()},
        },
        "codes": {**base.codes, **overlay.codes},
        "based_on": BasedOn(id=base.id, version=base.version).model_dump(),
        "rules": rules,
    }
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(protocol_problems(exc, data), overlay.id) from None
