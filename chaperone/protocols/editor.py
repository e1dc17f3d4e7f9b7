"""The protocol editor: a school's additions, or a trust's protocol, changed through a form.

The editor never judges a protocol itself. It turns the form's edits (:class:`Edits`) into the
TOML text a person could have uploaded, and hands that text to the engine for the preview and to
:func:`~chaperone.protocols.services.protocol_version_upload` to save it, so validation stays in
one place. The engine's problems name a rule, window or field; :func:`field_for_problem` puts each
next to the form field that caused it.

The rule library is every rule of the shipped templates, each with its reason (``why``).
:func:`starting_point` turns a template into school additions on top of the trust's protocol,
keeping only what tightens and saying what it left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any, Literal

from django.utils.text import slugify

from chaperone import rules
from chaperone.protocols import services, uploads
from chaperone.protocols.effective import compiled_version, effective_protocol_for_school, today_at
from chaperone.protocols.models import ProtocolVersion
from chaperone.protocols.toml_text import toml_text
from chaperone.rules.diff import ProtocolDiff
from chaperone.rules.overlay import RaiseEffect
from chaperone.rules.vocab import CONTRACT_CODES, EFFECT_RANK
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

TargetKind = Literal["school", "trust"]


# --- the rule library -------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryRule:
    """One rule of a shipped template, with what it needs from its template."""

    key: str
    template_id: str
    template_title: str
    rule: rules.Rule
    windows: Mapping[str, rules.Window]
    code_meaning: str | None

    @property
    def why(self) -> str | None:
        return self.rule.why


def _windows_used(rule: rules.Rule) -> list[str]:
    names: list[str] = []
    for table in (rule.when, rule.unless, rule.require):
        names += [w for w in table.within_window or [] if w not in names]
    return names


@cache
def rule_library() -> tuple[LibraryRule, ...]:
    """Every rule of every shipped template, the recommended set first."""
    ids = sorted(rules.template_ids(), key=lambda t: (t != "chaperone-recommended", t))
    out = []
    for template_id in ids:
        template = rules.load_template(template_id)
        for rule in template.rules:
            out.append(
                LibraryRule(
                    key=f"{template_id}:{rule.id}",
                    template_id=template_id,
                    template_title=template.title,
                    rule=rule,
                    windows={w: template.windows[w] for w in _windows_used(rule)},
                    code_meaning=template.codes.get(rule.code),
                )
            )
    return tuple(out)


def library_rule(key: str) -> LibraryRule | None:
    return next((r for r in rule_library() if r.key == key), None)


# --- what is being edited ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The protocol being edited: a school's additions (on the trust's protocol) or a trust's
    whole protocol. ``in_force`` is what the school follows now."""

    kind: TargetKind
    school: School
    in_force: rules.Protocol
    #: the trust's protocol (school additions only)
    base: rules.Protocol | None = None
    #: the school's current additions, if any (school additions only)
    overlay: rules.ProtocolOverlay | None = None
    #: the trust's current protocol (trust only)
    protocol: rules.Protocol | None = None

    @property
    def editable_rules(self) -> list[rules.Rule]:
        """Rules whose effect may be chosen: every rule in force (for a school, raising a trust
        rule is a tightening; its own rules are its to change)."""
        return list(self.in_force.rules)

    @property
    def own_rules(self) -> list[rules.Rule]:
        """Rules whose wording (and presence) the editor may change."""
        if self.kind == "trust":
            return list(self.in_force.rules)
        return list(self.overlay.rules) if self.overlay else []


def target_for(school: School, kind: TargetKind) -> Target:
    """What the editor edits for ``school``; :class:`services.NoProtocolError` if the trust has no
    protocol yet (there is nothing to add to, and a first protocol comes from a template)."""
    effective = effective_protocol_for_school(school, on=today_at(school))
    if effective is None:
        raise services.NoProtocolError(school)
    trust_protocol = compiled_version(effective.trust_version)
    if kind == "trust":
        return Target("trust", school, trust_protocol, protocol=trust_protocol)
    overlay = None
    if effective.school_version is not None:
        # out of step or not, the school's own additions are what it edits
        source = ProtocolVersion.objects.values_list("source_text", flat=True).get(
            pk=effective.school_version.pk
        )
        overlay = rules.load_overlay_text(source)
    return Target("school", school, effective.protocol, base=trust_protocol, overlay=overlay)


# --- edits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edits:
    """Everything the editor form collects (see :class:`~.forms_editor.EditorForm`)."""

    version: str
    effective: date
    review: date
    platforms: tuple[str, ...]
    retention_days: int | None = None
    #: every window as edited: name -> {start, end, days}
    windows: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: rule id -> effect chosen
    effects: Mapping[str, str] = field(default_factory=dict)
    #: rule id -> remedy (needed when a checklist reminder becomes a step or a refusal)
    remedies: Mapping[str, str] = field(default_factory=dict)
    #: rule id -> the rule's text in the school's (or trust's) words
    texts: Mapping[str, str] = field(default_factory=dict)
    #: own rules to drop (a school's own additions, or a trust's rules)
    drop: frozenset[str] = frozenset()
    #: library keys of rules to add, and their text where reworded
    add: tuple[str, ...] = ()
    add_texts: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Built:
    """The TOML text of an edit, and which form field each rule id came from."""

    text: str
    #: rule id in the text -> library key of the rule it was added from
    added_ids: dict[str, str] = field(default_factory=dict)


def _adopt(
    lib: LibraryRule,
    *,
    text: str | None,
    taken_ids: set[str],
    windows: dict[str, dict[str, Any]],
    known_windows: Mapping[str, rules.Window],
    codes: dict[str, str],
    known_codes: Mapping[str, str],
) -> dict[str, Any]:
    """A library rule as a rule of the protocol being built: its own id (prefixed with the
    template's on a clash), its windows (renamed on a clash), its code declared if needed."""
    data = lib.rule.model_dump(exclude_none=True)
    rule_id = lib.rule.id
    if rule_id in taken_ids:
        rule_id = f"{lib.template_id}-{lib.rule.id}"[:80]
    taken_ids.add(rule_id)
    data["id"] = rule_id
    if text and text.strip():
        data["text"] = " ".join(text.split())
    renames: dict[str, str] = {}
    for name, window in lib.windows.items():
        wanted = window.model_dump(exclude_none=True)
        existing = known_windows.get(name)
        if existing is not None and existing.model_dump(exclude_none=True) != wanted:
            renames[name] = f"{lib.template_id.split('-')[0]}_{name}"[:80]
        final = renames.get(name, name)
        if final not in known_windows:
            windows.setdefault(final, wanted)
    for table in ("when", "unless", "require"):
        names = data.get(table, {}).get("within_window")
        if names:
            data[table]["within_window"] = [renames.get(n, n) for n in names]
    if lib.rule.code not in CONTRACT_CODES and lib.rule.code not in known_codes:
        codes[lib.rule.code] = lib.code_meaning or lib.rule.label or lib.rule.text
    return {k: v for k, v in data.items() if v != {}}


def _window_data(window: rules.Window) -> dict[str, Any]:
    return window.model_dump(exclude_none=True)


def _edited_rule(rule: rules.Rule, edits: Edits) -> dict[str, Any]:
    data = rule.model_dump(exclude_none=True)
    data["effect"] = edits.effects.get(rule.id, rule.effect)
    if edits.remedies.get(rule.id):
        data["remedy"] = edits.remedies[rule.id]
    if edits.texts.get(rule.id, "").strip():
        data["text"] = " ".join(edits.texts[rule.id].split())
    return {k: v for k, v in data.items() if v != {}}


def build(target: Target, edits: Edits) -> Built:
    """The TOML text of ``target`` with ``edits`` made (not yet checked by the engine)."""
    if target.kind == "trust":
        return _build_trust(target, edits)
    return _build_school(target, edits)


def _add_library_rules(
    edits: Edits,
    built: Built,
    *,
    taken_ids: set[str],
    windows: dict[str, dict[str, Any]],
    known_windows: Mapping[str, rules.Window],
    codes: dict[str, str],
    known_codes: Mapping[str, str],
) -> list[dict[str, Any]]:
    added = []
    for key in edits.add:
        lib = library_rule(key)
        if lib is None:
            continue
        rule = _adopt(
            lib,
            text=edits.add_texts.get(key),
            taken_ids=taken_ids,
            windows=windows,
            known_windows=known_windows,
            codes=codes,
            known_codes=known_codes,
        )
        built.added_ids[rule["id"]] = key
        added.append(rule)
    return added


def _build_school(target: Target, edits: Edits) -> Built:
    base, current, school = target.base, target.overlay, target.school
    assert base is not None
    built = Built(text="")
    data: dict[str, Any] = {
        "extends": base.id,
        "id": current.id if current else f"{slugify(school.name)[:60]}-additions",
        "title": current.title if current else f"{school.name}: remote contact with pupils",
        "version": edits.version,
        "effective": edits.effective,
        "review": edits.review,
    }
    if current and current.summary:
        data["summary"] = current.summary
    if edits.retention_days is not None and edits.retention_days != base.retention_days:
        data["retention_days"] = edits.retention_days
    if any(p not in base.platforms for p in edits.platforms):
        data["platforms"] = list(edits.platforms)  # the engine refuses it, naming the platform
    deny = [p for p in base.platforms if p not in edits.platforms]
    if deny:
        data["deny_platforms"] = deny
    data["owner"] = {"kind": "school", "name": school.name}
    windows: dict[str, dict[str, Any]] = {}
    for name, values in edits.windows.items():
        old = base.windows.get(name)
        if old is None or dict(values) != _window_data(old):
            windows[name] = dict(values)
    codes = dict(current.codes) if current else {}
    raise_effect: dict[str, Any] = {}
    for rule in base.rules:  # raising a rule the trust no longer has is left out
        spec = current.raise_effect.get(rule.id) if current else None
        effect = edits.effects.get(rule.id, rule.effect)
        if effect == rule.effect and spec is None:
            continue
        entry: dict[str, Any] = {"effect": effect}
        remedy = edits.remedies.get(rule.id) or (
            spec.remedy if isinstance(spec, RaiseEffect) else None
        )
        if remedy:
            entry["remedy"] = remedy
        raise_effect[rule.id] = entry if len(entry) > 1 else effect
    own = [
        _edited_rule(rule, edits)
        for rule in (current.rules if current else [])
        if rule.id not in edits.drop
    ]
    taken = {r.id for r in base.rules} | {r["id"] for r in own}
    known_windows = {**base.windows, **{k: rules.Window(**v) for k, v in windows.items()}}
    own += _add_library_rules(
        edits,
        built,
        taken_ids=taken,
        windows=windows,
        known_windows=known_windows,
        codes=codes,
        known_codes={**base.codes, **codes},
    )
    data.update(windows=windows, codes=codes, raise_effect=raise_effect)
    if own:
        data["rules"] = own
    built.text = toml_text(
        data, comment=f"Additions of {school.name} to {base.title}.\nWritten by the editor."
    )
    return built


def _build_trust(target: Target, edits: Edits) -> Built:
    protocol = target.protocol
    assert protocol is not None
    built = Built(text="")
    data = protocol.model_dump(exclude_none=True)
    data.pop("based_on", None)
    data.update(version=edits.version, effective=edits.effective, review=edits.review)
    data["platforms"] = list(edits.platforms)
    if edits.retention_days is not None:
        data["retention_days"] = edits.retention_days
    windows = {name: dict(values) for name, values in edits.windows.items()}
    codes = dict(protocol.codes)
    own = [_edited_rule(rule, edits) for rule in protocol.rules if rule.id not in edits.drop]
    known_windows = {k: rules.Window(**v) for k, v in windows.items()}
    own += _add_library_rules(
        edits,
        built,
        taken_ids={r["id"] for r in own},
        windows=windows,
        known_windows=known_windows,
        codes=codes,
        known_codes=codes,
    )
    data.update(windows=windows, codes=codes, rules=own)
    built.text = toml_text(data, comment=f"{protocol.title}.\nWritten by the editor.")
    return built


# --- checking and saving ----------------------------------------------------------------------

_RULE = re.compile(r"^rule '([^']+)'(?:: (\w+))?")
_WINDOW = re.compile(r"^window '([^']+)'")
_NARROW_WINDOW = re.compile(r"narrowing window '([^']+)'")


def field_for_problem(problem: str, built: Built) -> str | None:
    """The editor form field an engine problem is about (None: the form as a whole)."""
    if problem.startswith(("platforms:", "deny_platforms:")) or "approved platforms" in problem:
        return "platforms"
    narrowed = _NARROW_WINDOW.search(problem)
    if narrowed:
        return f"window__{narrowed.group(1)}__start"
    window = _WINDOW.match(problem)
    if window:
        return f"window__{window.group(1)}__start"
    rule = _RULE.match(problem)
    if rule:
        rule_id, part = rule.group(1), rule.group(2)
        key = built.added_ids.get(rule_id)
        if key is not None:
            return f"libtext__{key}" if part == "text" else "add"
        if part == "text":
            return f"text__{rule_id}"
        if part == "remedy":
            return f"remedy__{rule_id}"
        return f"effect__{rule_id}"
    for name in ("retention_days", "version", "review", "effective"):
        if problem.startswith(f"{name}:"):
            return name
    if problem.startswith("raise_effect."):
        return f"effect__{problem.split('.', 1)[1].split(':', 1)[0]}"
    return None


@dataclass(frozen=True)
class Checked:
    """The upload service's reading of an edit: what it would store, or the problems found."""

    built: Built
    upload: uploads.UploadCheck | None
    problems: tuple[tuple[str | None, str], ...]

    @property
    def protocol(self) -> rules.Protocol | None:
        return self.upload.protocol if self.upload else None

    @property
    def diff(self) -> ProtocolDiff | None:
        return self.upload.diff if self.upload else None


def _problems(exc: uploads.ProtocolUploadError, built: Built) -> list[tuple[str | None, str]]:
    return [(field_for_problem(p, built), p) for p in exc.problems]


def check(*, actor: Actor, target: Target, edits: Edits) -> Checked:
    """Build the text of ``edits`` and have the upload service check it, storing nothing."""
    built = build(target, edits)
    try:
        upload = uploads.protocol_upload_check(
            actor=actor, school=target.school, source_text=built.text
        )
    except uploads.ProtocolUploadError as exc:
        return Checked(built, None, tuple(_problems(exc, built)))
    return Checked(built, upload, ())


class EditorError(ValueError):
    """An edit the upload service refused: ``problems`` are (form field or None, message)."""

    def __init__(self, problems: Sequence[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(p for _, p in problems))
        self.problems = list(problems)


def protocol_edit_save(*, actor: Actor, target: Target, edits: Edits) -> ProtocolVersion:
    """Save ``edits`` as a new version through the upload service (permission, validation,
    versioning, the effect on the trust's schools and audit all happen there). Raises
    :class:`EditorError` naming the fields, or ``PermissionDenied``."""
    built = build(target, edits)
    try:
        return uploads.protocol_version_upload(
            actor=actor, school=target.school, source_text=built.text
        )
    except uploads.ProtocolUploadError as exc:
        raise EditorError(_problems(exc, built)) from None


# --- a template as a starting point -----------------------------------------------------------


def _same_test(a: rules.Rule, b: rules.Rule) -> bool:
    """Whether two rules fire on the same requests with the same finding."""
    return (a.code, a.when, a.unless, a.require) == (b.code, b.when, b.unless, b.require)


@dataclass(frozen=True)
class StartingPoint:
    """A template as school additions: the edits that make its stricter parts apply, and what
    was left out because it would loosen the trust's protocol (in plain words)."""

    platforms: tuple[str, ...]
    retention_days: int | None
    effects: Mapping[str, str]
    remedies: Mapping[str, str]
    add: tuple[str, ...]
    left_out: tuple[str, ...]
    already: tuple[str, ...]


def starting_point(base: rules.Protocol, template: rules.Protocol) -> StartingPoint:
    """What of ``template`` a school can add on top of ``base`` (what it follows now: the
    trust's protocol with any additions)."""
    from chaperone.rules.document import PLATFORM_NAMES

    left_out: list[str] = []
    already: list[str] = []
    for platform in template.platforms:
        if platform not in base.platforms:
            left_out.append(
                f"{PLATFORM_NAMES[platform].capitalize()}: the template approves it and the "
                "protocol in force does not; additions cannot approve a platform."
            )
    platforms = tuple(p for p in base.platforms if p in template.platforms)
    retention = base.retention_days
    if template.retention_days is not None:
        if base.retention_days is not None and template.retention_days < base.retention_days:
            left_out.append(
                f"Keeping recordings {template.retention_days} days: the protocol in force keeps "
                f"them {base.retention_days} days, and additions may only keep them longer."
            )
        else:
            retention = template.retention_days
    effects: dict[str, str] = {}
    remedies: dict[str, str] = {}
    add: list[str] = []
    for rule in template.rules:
        twin = next((b for b in base.rules if _same_test(b, rule)), None)
        if twin is None:
            add.append(f"{template.id}:{rule.id}")
            continue
        if EFFECT_RANK[rule.effect] > EFFECT_RANK[effects.get(twin.id, twin.effect)]:
            effects[twin.id] = rule.effect
            if twin.effect == "info" and rule.remedy:
                remedies[twin.id] = rule.remedy
        else:
            already.append(rule.label or rule.text)
    return StartingPoint(
        platforms, retention, effects, remedies, tuple(add), tuple(left_out), tuple(already)
    )


# --- where the form starts ----------------------------------------------------------------------


def next_label(label: str | None, today: date) -> str:
    """A label for the next version: ``2026.1`` becomes ``2026.2``; otherwise today's date."""
    match = re.fullmatch(r"(\d{4})\.(\d+)", label or "")
    if match:
        return f"{match.group(1)}.{int(match.group(2)) + 1}"
    return today.isoformat()


def current_edits(target: Target, today: date) -> Edits:
    """The edits that change nothing: what the form shows first."""
    in_force = target.in_force
    own = target.overlay if target.kind == "school" else target.protocol
    review = in_force.review if in_force.review > today else date(today.year + 1, 9, 1)
    return Edits(
        version=next_label(own.version if own else None, today),
        effective=today,
        review=review,
        platforms=tuple(in_force.platforms),
        retention_days=in_force.retention_days,
        windows={name: _window_data(w) for name, w in in_force.windows.items()},
        effects={r.id: r.effect for r in in_force.rules},
    )


def edits_from_template(target: Target, template: rules.Protocol, today: date) -> Edits:
    """For a school: the edits that make ``template``'s stricter parts apply on top of what the
    school follows now (its trust's protocol and its own additions, which are kept)."""
    start = starting_point(target.in_force, template)
    edits = current_edits(target, today)
    return replace(
        edits,
        platforms=start.platforms,
        retention_days=start.retention_days,
        effects={**edits.effects, **start.effects},
        remedies=start.remedies,
        add=start.add,
    )
