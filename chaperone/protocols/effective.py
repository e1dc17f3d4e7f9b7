"""The read model: which protocol a school follows on a date, compiled once per process.

A school follows its trust's version in force on the date, tightened by its own additions in force
on that date. When a trust version leaves the school's additions unable to apply (it dropped or
changed a rule they build on), the school is *out of step*: until it confirms or updates its
additions, a contact there is judged under its last complete protocol and the trust's new version
together, and the stricter answer wins (:meth:`EffectiveProtocol.decide`). Fail closed: a trust
upload can never silently switch a school's stricter rules off.

Used by services and selectors alike; it writes nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone

from chaperone import rules
from chaperone.core.prepared import prepared
from chaperone.protocols.inheritance import OverlayFit, overlay_fit
from chaperone.protocols.models import OverlayOutOfStep, Protocol, ProtocolVersion
from chaperone.rules.vocab import EFFECT_RANK
from chaperone.tenancy.models import School

Origin = Literal["trust", "tightened", "school"]

_OUTCOME_RANK = {"allowed": 0, "pending": 1, "refused": 2}


@dataclass(frozen=True)
class EffectiveProtocol:
    """What a school follows on ``on``: its trust's version, tightened by its own additions."""

    protocol: rules.Protocol
    trust_version: ProtocolVersion
    school_version: ProtocolVersion | None
    on: date
    #: ids of rules that come from the trust's protocol (the rest were added by the school)
    trust_rule_ids: frozenset[str] = frozenset()
    #: trust rules whose effect the school's overlay raised
    raised_rule_ids: frozenset[str] = frozenset()
    #: why the school's additions do not fit the trust's version (empty when they do)
    overlay_problems: tuple[str, ...] = field(default_factory=tuple)
    #: how each of the school's additions fares against the trust's version (None: no additions)
    fit: OverlayFit | None = None
    #: while out of step: the school's last complete protocol, judged alongside the trust's
    #: version (``protocol`` is then both read together, for the documents)
    last_complete: rules.Protocol | None = None
    #: while out of step: the trust's version on its own
    trust_protocol: rules.Protocol | None = None
    #: the school confirmed it follows the trust's version with the additions that still fit
    confirmed: bool = False

    @property
    def out_of_step(self) -> bool:
        return self.last_complete is not None

    @property
    def applies_additions(self) -> bool:
        """Whether the school's additions (all, or those confirmed) are merged into ``protocol``."""
        return self.school_version is not None and (not self.overlay_problems or self.confirmed)

    @property
    def versions(self) -> tuple[ProtocolVersion, ...]:
        """The stored versions a reader of this protocol has read (and acknowledges)."""
        if self.school_version is not None and (self.applies_additions or self.out_of_step):
            return (self.trust_version, self.school_version)
        return (self.trust_version,)

    @property
    def version(self) -> ProtocolVersion:
        """The most specific version in use."""
        return self.versions[-1]

    @property
    def base_version(self) -> ProtocolVersion | None:
        return self.trust_version if len(self.versions) > 1 else None

    @property
    def scheduled(self) -> bool:
        """The versions have not come into force on ``on`` (a school is never without one)."""
        return any(v.effective_on > self.on for v in self.versions)

    def is_for(self, school: School) -> bool:
        """Whether this is what ``school`` follows (its trust's version, and its own overlay)."""
        school_ok = self.school_version is None or (
            self.school_version.protocol.owner_school_id == school.pk
        )
        return self.trust_version.protocol.owner_trust_id == school.trust_id and school_ok

    def origin(self, rule_id: str) -> Origin:
        """Where a rule comes from: the trust, the trust but made stricter, or the school."""
        if rule_id in self.raised_rule_ids:
            return "tightened"
        return "trust" if rule_id in self.trust_rule_ids else "school"

    def decide(self, request: rules.ContactRequest) -> rules.Decision:
        """Judge ``request``; while out of step, under the strictest reading available."""
        if self.last_complete is None or self.trust_protocol is None:
            return rules.decide(self.protocol, request)
        return strictest_decision(self.trust_protocol, self.last_complete, request)


def strictest_decision(
    primary: rules.Protocol, other: rules.Protocol, request: rules.ContactRequest
) -> rules.Decision:
    """Decide under both protocols: the stricter outcome, with the findings of both (one per rule,
    at its stricter effect), ordered refuse, pending, info and then as they came."""
    first, second = rules.decide(primary, request), rules.decide(other, request)
    outcome = max(first.outcome, second.outcome, key=_OUTCOME_RANK.__getitem__)
    best: dict[tuple[str, str], rules.Finding] = {}
    for finding in (*first.findings, *second.findings):
        key = (finding.rule_id, finding.code)
        kept = best.get(key)
        if kept is None or EFFECT_RANK[finding.effect] > EFFECT_RANK[kept.effect]:
            best[key] = finding
    order = {key: n for n, key in enumerate(best)}
    findings = sorted(
        best.values(),
        key=lambda f: (-EFFECT_RANK[f.effect], order[(f.rule_id, f.code)]),
    )
    return rules.Decision(outcome, primary.id, primary.version, tuple(findings))


def read_together(trust: rules.Protocol, last_complete: rules.Protocol) -> rules.Protocol:
    """One protocol to *show* while a school is out of step: the school's last complete protocol
    with the trust version's rules it lacks (or states at a stricter effect), the platforms both
    approve, the longer retention. Decisions never use it (see :func:`strictest_decision`); if it
    cannot be put together, the last complete protocol is shown."""
    by_id = {r.id: r for r in last_complete.rules}
    for rule in trust.rules:
        kept = by_id.get(rule.id)
        if kept is None or EFFECT_RANK[rule.effect] > EFFECT_RANK[kept.effect]:
            by_id[rule.id] = rule
    data = last_complete.model_dump(exclude_none=True)
    data.update(
        platforms=[p for p in last_complete.platforms if p in trust.platforms],
        windows={
            **{k: w.model_dump(exclude_none=True) for k, w in trust.windows.items()},
            **data.get("windows", {}),
        },
        codes={**trust.codes, **last_complete.codes},
        retention_days=max(
            (d for d in (trust.retention_days, last_complete.retention_days) if d), default=None
        ),
        rules=[r.model_dump(exclude_none=True) for r in by_id.values()],
    )
    try:
        return rules.Protocol.model_validate(data)
    except ValueError:
        return last_complete


# --- the compiled-protocol cache --------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    protocol: rules.Protocol
    trust_rule_ids: frozenset[str]
    raised_rule_ids: frozenset[str]
    fit: OverlayFit | None


class _LruCache:
    """A small thread-safe LRU of compiled protocols, keyed by version ids and hashes."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
                return None
            self.hits += 1
            self._data.move_to_end(key)
            return value

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


#: Keys include each version's sha256 as well as its id, so a reused id (SQLite after a rollback)
#: can never serve another text's protocol.
protocol_cache = _LruCache()


def _key(version: ProtocolVersion | None) -> tuple[Any, ...]:
    return (None, None) if version is None else (version.pk, version.sha256)


def _source(version: ProtocolVersion) -> str:
    if "source_text" in version.get_deferred_fields():
        return ProtocolVersion.objects.values_list("source_text", flat=True).get(pk=version.pk)
    return version.source_text


def _parsed(kind: str, version: ProtocolVersion, load: Callable[..., Any]) -> Any:
    key = (kind, *_key(version))
    hit = protocol_cache.get(key)
    if hit is None:
        hit = load(_source(version), source=str(version))
        protocol_cache.put(key, hit)
    return hit


def compiled_version(version: ProtocolVersion) -> rules.Protocol:
    """A trust version (full protocol) parsed and compiled, cached in-process."""
    protocol: rules.Protocol = _parsed("full", version, rules.load_protocol_text)
    return protocol


def compiled_overlay(version: ProtocolVersion) -> rules.ProtocolOverlay:
    """A school version (additions) parsed, cached in-process."""
    overlay: rules.ProtocolOverlay = _parsed("overlay", version, rules.load_overlay_text)
    return overlay


def _compile_pair(
    trust_version: ProtocolVersion, school_version: ProtocolVersion | None
) -> _Compiled:
    key = ("pair", *_key(trust_version), *_key(school_version))
    hit = protocol_cache.get(key)
    if hit is not None:
        return hit
    base = compiled_version(trust_version)
    trust_ids = frozenset(r.id for r in base.rules)
    if school_version is None:
        hit = _Compiled(base, trust_ids, frozenset(), None)
    else:
        fit = overlay_fit(base, compiled_overlay(school_version))
        # Additions that do not fit leave ``protocol`` the trust's alone; the ones that still
        # fit (``fit.merged``) apply once the school confirms them.
        if fit.fits and fit.merged is not None:
            hit = _Compiled(fit.merged, trust_ids, frozenset(fit.overlay.raise_effect), fit)
        else:
            hit = _Compiled(base, trust_ids, frozenset(), fit)
    protocol_cache.put(key, hit)
    return hit


def in_force_first(versions: QuerySet[ProtocolVersion], on: date) -> QuerySet[ProtocolVersion]:
    """Order versions so the one in force on ``on`` comes first: the latest uploaded among those
    whose effective date has come; if none has come yet, the latest uploaded (so a new school is
    never without its protocol)."""
    return versions.annotate(
        in_force=Case(When(effective_on__lte=on, then=Value(1)), default=Value(0))
    ).order_by("-in_force", "-uploaded_at", "-id")


def current_version(protocol: Protocol | None, *, on: date) -> ProtocolVersion | None:
    """The version of ``protocol`` in force on ``on`` (see :func:`in_force_first`)."""
    if protocol is None:
        return None
    return in_force_first(
        ProtocolVersion.objects.filter(protocol=protocol)
        .select_related("protocol")
        .defer("source_text"),
        on,
    ).first()


def today_at(school: School) -> date:
    """Today's date where the school is."""
    return timezone.localtime(timezone.now(), ZoneInfo(school.time_zone)).date()


def _school_and_trust_versions(
    trust_id: int, school_id: int, on: date, *related: str
) -> QuerySet[ProtocolVersion]:
    return in_force_first(
        ProtocolVersion.objects.filter(
            Q(protocol__owner_trust_id=trust_id) | Q(protocol__owner_school_id=school_id)
        )
        .select_related(*related, "base_version")
        .defer("source_text", "base_version__source_text"),
        on,
    )


def _with_protocols(trust_id: int, school_id: int, on: date) -> QuerySet[ProtocolVersion]:
    return _school_and_trust_versions(trust_id, school_id, on, "protocol")


def _with_owner_trusts(trust_id: int, school_id: int, on: date) -> QuerySet[ProtocolVersion]:
    return _school_and_trust_versions(trust_id, school_id, on, "protocol__owner_trust")


#: The dashboard asks on every request: prepared (chaperone/core/prepared.py), as building the
#: SQL of this query cost the ORM three times what running it does.
_versions_with_protocols = prepared(_with_protocols)
_versions_with_owner_trusts = prepared(_with_owner_trusts)


def _versions_for_school(
    school: School, on: date
) -> tuple[ProtocolVersion | None, ProtocolVersion | None]:
    """The trust version and school overlay version in force on ``on``, in one query."""
    # The owners too, as pages and PDFs name them under the protocol. They are ``school`` and
    # its trust, usually in hand already: joining them again would double the cost of the query
    # (the dashboard asks on every request).
    trust_in_hand = School.trust.is_cached(school)
    read = _versions_with_protocols if trust_in_hand else _versions_with_owner_trusts
    rows = read(trust_id=school.trust_id, school_id=school.pk, on=on)
    trust_version = school_version = None
    for v in rows:
        if v.protocol.owner_school_id is not None:
            v.protocol.owner_school = school
        elif trust_in_hand:
            v.protocol.owner_trust = school.trust
        if v.protocol.owner_trust_id and trust_version is None:
            trust_version = v
        elif v.protocol.owner_school_id and school_version is None:
            school_version = v
        if trust_version and school_version:
            break
    return trust_version, school_version


def effective_protocol_for_school(school: School, *, on: date) -> EffectiveProtocol | None:
    """The protocol ``school`` follows on ``on``, or None if its trust has not uploaded one.

    Parsing and compiling happen once per combination of versions per process; a school whose
    additions no longer fit costs one query more (has it confirmed them?).
    """
    trust_version, school_version = _versions_for_school(school, on)
    if trust_version is None:
        return None
    compiled = _compile_pair(trust_version, school_version)
    fit = compiled.fit
    effective = EffectiveProtocol(
        protocol=compiled.protocol,
        trust_version=trust_version,
        school_version=school_version,
        on=on,
        trust_rule_ids=compiled.trust_rule_ids,
        raised_rule_ids=compiled.raised_rule_ids,
        overlay_problems=fit.problems if fit is not None else (),
        fit=fit,
    )
    if fit is None or fit.fits or school_version is None:
        return effective
    confirmed = OverlayOutOfStep.objects.filter(
        school=school,
        trust_version=trust_version,
        school_version=school_version,
        confirmed_at__isnull=False,
    ).exists()
    if not confirmed:
        return _out_of_step(effective, school_version, fit)
    if fit.merged is None or fit.kept_overlay is None:
        return replace(effective, confirmed=True)
    return replace(
        effective,
        protocol=fit.merged,
        raised_rule_ids=frozenset(fit.kept_overlay.raise_effect),
        confirmed=True,
    )


def _out_of_step(
    effective: EffectiveProtocol, school_version: ProtocolVersion, fit: OverlayFit
) -> EffectiveProtocol:
    """The school's last complete protocol joins the trust's version (cached per pair)."""
    last_complete = protocol_for_version(school_version)
    key = ("together", *_key(effective.trust_version), *_key(school_version))
    together = protocol_cache.get(key)
    if together is None:
        together = read_together(effective.protocol, last_complete)
        protocol_cache.put(key, together)
    base = school_version.base_version
    old_ids = frozenset(r.id for r in compiled_version(base).rules) if base else frozenset()
    return replace(
        effective,
        protocol=together,
        trust_protocol=effective.protocol,
        last_complete=last_complete,
        trust_rule_ids=effective.trust_rule_ids | old_ids,
        raised_rule_ids=frozenset(fit.overlay.raise_effect),
    )


def protocol_for_version(version: ProtocolVersion) -> rules.Protocol:
    """The protocol as it stood with ``version``: an overlay applied to the trust version it was
    checked against (which it fitted when it was stored)."""
    if version.base_version_id is None:
        return compiled_version(version)
    base = version.base_version
    assert base is not None
    return _compile_pair(base, version).protocol
