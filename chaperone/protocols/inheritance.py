"""How a school's additions fare against a trust version: each addition fits or no longer can.

A school's additions (an overlay) are applied as a whole, so one addition that no longer fits the
trust's version (say a raised effect on a rule the trust dropped) would stop all of them. This
module checks each addition on its own against the trust version, names the ones that no longer
fit and builds the additions that still do. Pure: engine objects in, engine objects out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from chaperone import rules
from chaperone.rules.document import PLATFORM_NAMES

AdditionKind = Literal["rule", "raise_effect", "platforms", "deny_platform", "window", "retention"]


@dataclass(frozen=True)
class Addition:
    """One thing a school's additions add or tighten, and whether it fits the trust version."""

    kind: AdditionKind
    key: str
    description: str
    problems: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class OverlayFit:
    """A school's additions against one trust version."""

    overlay: rules.ProtocolOverlay
    additions: tuple[Addition, ...]
    #: why the additions as a whole do not apply (empty when they do)
    problems: tuple[str, ...]
    #: the additions restricted to those that fit (the whole overlay when everything fits)
    kept_overlay: rules.ProtocolOverlay | None
    #: the trust version with ``kept_overlay`` applied (None if even that does not apply)
    merged: rules.Protocol | None

    @property
    def fits(self) -> bool:
        return not self.problems

    @property
    def still_fit(self) -> tuple[Addition, ...]:
        return tuple(a for a in self.additions if a.fits)

    @property
    def no_longer_fit(self) -> tuple[Addition, ...]:
        return tuple(a for a in self.additions if not a.fits)


_EMPTY: dict[str, Any] = {
    "rules": [],
    "raise_effect": {},
    "platforms": None,
    "deny_platforms": [],
    "windows": {},
    "retention_days": None,
    "remove_rules": [],
}


def _only(overlay: rules.ProtocolOverlay, **fields: Any) -> rules.ProtocolOverlay:
    return overlay.model_copy(update={**_EMPTY, **fields})


def _problems(base: rules.Protocol, overlay: rules.ProtocolOverlay) -> tuple[str, ...]:
    try:
        rules.apply_overlay(base, overlay)
    except rules.ProtocolError as exc:
        return tuple(exc.problems)
    return ()


def _apply(base: rules.Protocol, overlay: rules.ProtocolOverlay) -> rules.Protocol | None:
    try:
        return rules.apply_overlay(base, overlay)
    except rules.ProtocolError:
        return None


def _describe_rule(rule: rules.Rule, within: rules.Protocol | None) -> str:
    """The rule's label or text with its placeholders filled from the protocol it joins
    (``within``); as written when it cannot join (its problems then say why)."""
    text = rule.label or rule.text
    return within.render(text) if within is not None else text


def overlay_fit(base: rules.Protocol, overlay: rules.ProtocolOverlay) -> OverlayFit:
    """Check ``overlay`` against ``base`` as a whole and addition by addition."""
    whole = _problems(base, overlay)
    if not whole:
        applied = rules.apply_overlay(base, overlay)
        additions = _filled(_additions(base, overlay, check=False), overlay, applied)
        return OverlayFit(overlay, additions, (), overlay, applied)
    additions = tuple(_additions(base, overlay, check=True))
    kept: dict[str, list[str]] = {}
    for a in additions:
        if a.fits:
            kept.setdefault(a.kind, []).append(a.key)
    kept_overlay = _only(
        overlay,
        rules=[r for r in overlay.rules if r.id in kept.get("rule", [])],
        raise_effect={
            k: v for k, v in overlay.raise_effect.items() if k in kept.get("raise_effect", [])
        },
        platforms=overlay.platforms if kept.get("platforms") else None,
        deny_platforms=[p for p in overlay.deny_platforms if p in kept.get("deny_platform", [])],
        windows={k: w for k, w in overlay.windows.items() if k in kept.get("window", [])},
        retention_days=overlay.retention_days if kept.get("retention") else None,
    )
    merged = _apply(base, kept_overlay)
    additions = _filled(additions, overlay, merged)
    return OverlayFit(overlay, additions, whole, kept_overlay if merged else None, merged)


def _filled(
    additions: Iterable[Addition], overlay: rules.ProtocolOverlay, merged: rules.Protocol | None
) -> tuple[Addition, ...]:
    """The additions with each fitting rule described as the school reads it: placeholders
    filled from ``merged`` (the trust version with the additions that fit)."""
    by_id = {r.id: r for r in overlay.rules}
    return tuple(
        replace(a, description=_describe_rule(by_id[a.key], merged if a.fits else None))
        if a.kind == "rule"
        else a
        for a in additions
    )


def _additions(
    base: rules.Protocol, overlay: rules.ProtocolOverlay, *, check: bool
) -> list[Addition]:
    """Each addition, checked on its own against ``base`` when ``check`` (a rule is checked with
    the additions' windows, which it may name); rules are described as written."""

    def one(kind: AdditionKind, key: str, description: str, **fields: Any) -> Addition:
        problems = _problems(base, _only(overlay, **fields)) if check else ()
        return Addition(kind, key, description, problems)

    out = []
    for name, window in overlay.windows.items():
        title = window.description or name.replace("_", " ")
        out.append(
            one(
                "window",
                name,
                f"Hours '{title}': {window.start} to {window.end}",
                windows={name: window},
            )
        )
    windows = {a.key: overlay.windows[a.key] for a in out if a.fits}
    if overlay.platforms is not None:
        names = ", ".join(PLATFORM_NAMES[p] for p in overlay.platforms)
        out.append(
            one(
                "platforms",
                "platforms",
                f"Approved platforms: {names}",
                platforms=overlay.platforms,
            )
        )
    for platform in overlay.deny_platforms:
        out.append(
            one(
                "deny_platform",
                platform,
                f"{PLATFORM_NAMES[platform]} is not used",
                deny_platforms=[platform],
            )
        )
    if overlay.retention_days is not None:
        out.append(
            one(
                "retention",
                "retention_days",
                f"Recordings kept for {overlay.retention_days} days",
                retention_days=overlay.retention_days,
            )
        )
    for rule_id, spec in overlay.raise_effect.items():
        effect = spec if isinstance(spec, str) else spec.effect
        out.append(
            one(
                "raise_effect",
                rule_id,
                f"The trust's rule '{rule_id}' made stricter ({effect})",
                raise_effect={rule_id: spec},
            )
        )
    for rule in overlay.rules:
        out.append(one("rule", rule.id, _describe_rule(rule, None), rules=[rule], windows=windows))
    return out
